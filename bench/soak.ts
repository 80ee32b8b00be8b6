/**
 * Soak: whether clawtop's memory stays flat over a long run under a steady load. The real
 * CLI as users run it (`node dist/cli.js --snapshot FILE --monitors exec,files`, built with
 * its BPF object and addon from the current source first) watches a paced workload:
 * openat() + close() of /dev/null at RATE per second (bench/open-rate.c, in slices of 1 ms),
 * each open one files event. clawtop's VmRSS is read from /proc every 10 s. Flat: the mean
 * RSS of the last minute is within 10% of the mean of the second minute (the first is
 * warm-up: tables and the heap filling). The table and an RSS-over-time figure are appended
 * to docs/BENCHMARKS.md.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

import { readSnapshotFile } from '../src/core/snapshot-file.ts';
import {
  CLI,
  REPOSITORY,
  buildClawtop,
  buildWorkload,
  count,
  describeCommand,
  describeCommit,
  describeMachine,
  errorMessage,
  fail,
  formatTable,
  recordResults,
} from './report.ts';

const HELP = `
  USAGE
    npm run bench:soak -- [--minutes N] [--rate EVENTS_PER_SECOND]

  Builds dist/ (tsc -p tsconfig.build.json), runs node dist/cli.js --snapshot FILE
  --monitors exec,files for N minutes while a workload opens /dev/null RATE times a
  second, samples clawtop's RSS every 10 s, and appends a table and a figure to
  docs/BENCHMARKS.md. Needs root.

  OPTIONS
    --minutes N   how long (default 10; the flat verdict needs at least 3)
    --rate N      opens per second (default 100000)
`;

const SAMPLE_MS = 10_000;
const FLAT_TOLERANCE = 0.1;
const MIB = 1024 ** 2;
const WORKLOAD_SOURCE = `${REPOSITORY}bench/open-rate.c`;
const WORKLOAD_PROGRAM = `${REPOSITORY}build/bench/open-rate`;
/** open-rate's DISTINCT 0: open and close /dev/null. */
const OPEN_CLOSE_DEV_NULL = '0';

interface Options {
  readonly minutes: number;
  readonly rate: number;
}

function parseOptions(args: string[]): Options {
  let minutes = 10;
  let rate = 100_000;
  for (let index = 0; index < args.length; index++) {
    const flag = args[index]!;
    if (flag === '--help') {
      process.stdout.write(HELP);
      process.exit(0);
    }
    const value = Number(args[++index]);
    if (flag === '--minutes' && Number.isFinite(value) && value > 0) minutes = value;
    else if (flag === '--rate' && Number.isInteger(value) && value > 0) rate = value;
    else fail(`bad option ${flag} ${args[index] ?? ''} (see --help)`, 2);
  }
  return { minutes, rate };
}

function rssBytes(pid: number): number | undefined {
  try {
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  } catch {
    return undefined;
  }
}

interface Sample {
  readonly seconds: number;
  readonly rssBytes: number;
}

const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
const megabytes = (bytes: number) => (bytes / MIB).toFixed(1);

/** Mean RSS of the samples taken in [fromSeconds, toSeconds). */
function windowMean(samples: readonly Sample[], fromSeconds: number, toSeconds: number): number | undefined {
  const inside = samples.filter((sample) => sample.seconds >= fromSeconds && sample.seconds < toSeconds);
  return inside.length === 0 ? undefined : mean(inside.map((sample) => sample.rssBytes));
}

/** RSS over time as text: one row per sample, a bar scaled to the highest. */
function figure(samples: readonly Sample[]): string {
  const highest = Math.max(...samples.map((sample) => sample.rssBytes));
  const width = 50;
  return samples
    .map((sample) => {
      const bar = '#'.repeat(Math.max(1, Math.round((sample.rssBytes / highest) * width)));
      return `${String(sample.seconds).padStart(5)} s ${megabytes(sample.rssBytes).padStart(6)} MB ${bar}`;
    })
    .join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const options = parseOptions(args);
  if (process.getuid?.() !== 0) fail('needs root (clawtop loads BPF programs)', 1);
  buildClawtop();
  buildWorkload(WORKLOAD_SOURCE, WORKLOAD_PROGRAM);

  const directory = mkdtempSync(join(tmpdir(), 'clawtop-soak-'));
  const snapshotPath = join(directory, 'soak.json');
  const durationSeconds = Math.round(options.minutes * 60);
  const loadBefore = loadavg()[0]!;
  const clawtop = spawn(
    process.execPath,
    [CLI, '--snapshot', snapshotPath, '--monitors', 'exec,files', '--duration', String(durationSeconds)],
    { cwd: REPOSITORY, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let clawtopStderr = '';
  clawtop.stderr.setEncoding('utf8').on('data', (chunk: string) => (clawtopStderr += chunk));
  // It runs a little longer than clawtop, so the load lasts to clawtop's end; killed then.
  const workload = spawn(WORKLOAD_PROGRAM, [String(options.rate), String(durationSeconds + 60), OPEN_CLOSE_DEV_NULL], {
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  workload.stdin.end('s');
  const killWorkload = () => workload.exitCode === null && workload.kill('SIGKILL');
  process.on('exit', killWorkload);

  const started = performance.now();
  const samples: Sample[] = [];
  const sampler = setInterval(() => {
    const rss = rssBytes(clawtop.pid!);
    if (rss === undefined) return;
    const seconds = Math.round((performance.now() - started) / 1000);
    samples.push({ seconds, rssBytes: rss });
    process.stderr.write(`bench: ${seconds} s: RSS ${megabytes(rss)} MB\n`);
  }, SAMPLE_MS);
  const [exitCode] = (await once(clawtop, 'exit')) as [number | null];
  clearInterval(sampler);
  killWorkload();
  const loadAfter = loadavg()[0]!;
  if (exitCode !== 0) fail(`clawtop exited with ${exitCode}: ${clawtopStderr.trim()}`, 1);

  const snapshot = readSnapshotFile(snapshotPath);
  rmSync(directory, { recursive: true, force: true });
  const file = snapshot.counters.find((counter) => counter.kind === 'file');
  const emitted = file?.emitted ?? 0;
  const eventsPerSecond = emitted / snapshot.durationSeconds;
  const secondMinute = windowMean(samples, 60, 120);
  const lastMinute = windowMean(samples, durationSeconds - 60, durationSeconds + 1);
  const judged = durationSeconds >= 180 && secondMinute !== undefined && lastMinute !== undefined;
  const change = judged ? lastMinute / secondMinute - 1 : undefined;
  const verdict =
    change === undefined
      ? 'too short to judge (needs 3 minutes)'
      : Math.abs(change) <= FLAT_TOLERANCE
        ? `flat (${(change * 100).toFixed(1)}%)`
        : `NOT flat (${(change * 100).toFixed(1)}%)`;

  const table = formatTable([
    ['minutes', 'file events/s', 'dropped', 'RSS 2nd minute MB', 'RSS last minute MB', 'peak RSS MB', 'verdict'],
    [
      String(options.minutes),
      count(Math.round(eventsPerSecond)),
      count(file?.dropped ?? 0),
      secondMinute === undefined ? '-' : megabytes(secondMinute),
      lastMinute === undefined ? '-' : megabytes(lastMinute),
      megabytes(Math.max(...samples.map((sample) => sample.rssBytes))),
      verdict,
    ],
  ]);
  const section = `### ${new Date().toISOString().slice(0, 10)}, commit ${describeCommit()}

- Machine: ${describeMachine()}
- Command: \`${describeCommand(args)}\`
- Workload: ${count(options.rate)} opens/s asked; load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after
  (other engineers' tests ran on this machine at the same time)

${table}

RSS every ${SAMPLE_MS / 1000} s:

\`\`\`
${figure(samples)}
\`\`\`
`;
  recordResults(
    '## Soak (bench/soak.ts)',
    `clawtop headless (\`node dist/cli.js --snapshot FILE --monitors exec,files\`) for N minutes
while a paced workload opens /dev/null RATE times a second (one files event each). RSS is
read every ${SAMPLE_MS / 1000} s; **flat** means the mean RSS of the last minute is within
${FLAT_TOLERANCE * 100}% of the second minute's. File events/s is the kernel's count of file
events emitted over the run (the snapshot's counters), dropped the ones the ring had no room for.
`,
    section,
  );
  process.stdout.write(`${table}\n`);
}

main().catch((error: unknown) => fail(errorMessage(error), 1));
