/**
 * Whether clawtop's memory stays flat however many distinct paths are opened: the real CLI,
 * run as users run it (`node dist/cli.js --snapshot FILE --monitors files`, built with its
 * BPF object and addon from the current source first), watches a C workload
 * (bench/open-distinct.c) open N paths that never repeat. Its RSS is sampled from /proc
 * while it runs; after it stops, its snapshot must hold at most DEFAULT_CAPACITY.files file
 * rows. Prints one table and appends it to docs/BENCHMARKS.md with the machine and commit it
 * was measured on.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

import { DEFAULT_CAPACITY } from '../src/core/model.ts';
import { DEFAULT_RING_SIZE_BYTES, parseByteSize, ringSizeProblem } from '../src/core/native.ts';
import { privilegeProblem } from '../src/core/preflight.ts';
import { readSnapshotFile, type SnapshotDocument } from '../src/core/snapshot-file.ts';
import { describeExit, killChildren, track } from './children.ts';
import { CpuClock, ProcFile, mapsRing, parseMemory, type MemorySample } from './proc.ts';
import {
  CLI,
  REPOSITORY,
  RESULTS_FILE,
  buildClawtop,
  buildWorkload,
  count,
  describeBytes,
  describeCommit,
  errorMessage,
  fail,
  formatTable,
  isMainModule,
  recordResults,
  cleanUpOnExit,
  runHeading,
} from './report.ts';

const HELP = `
  USAGE
    npm run bench:memory [-- [--paths N] [--ring-size SIZE]]

  Builds dist/ (tsc -p tsconfig.build.json), then runs node dist/cli.js
  --snapshot FILE --monitors files while a workload opens N distinct paths that
  do not exist, samples clawtop's RSS, checks that the snapshot's files table
  stays within its capacity, prints a table and appends it to
  docs/BENCHMARKS.md. Needs root.

  FLAGS
    --paths N          distinct paths to open (default 1000000)
    --ring-size SIZE   passed to clawtop: ring buffer size, a power of two from
                       4K to 1G (default: clawtop's, 8M)
    --help             show this help

  EXAMPLES
    sudo npm run bench:memory
    sudo npm run bench:memory -- --paths 10000000 --ring-size 64M
`;

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

const DEFAULT_PATHS = 1_000_000;
const MAX_PATHS = 1_000_000_000;
/** From the memory issue: RSS stays under this, with the tables within their capacity. */
const TARGET_RSS_BYTES = 200 * 1024 ** 2;
const WORKLOAD_PATH_PREFIX = '/nonexistent-clawtop-bench/';

const RSS_SAMPLE_MS = 250;
const READY_POLL_MS = 20;
const READY_TIMEOUT_MS = 30_000;
/** After the workload, clawtop has drained the ring once a window passes with it nearly idle. */
const DRAIN_WINDOW_MS = 250;
const DRAIN_IDLE_CPU_SECONDS = 0.01;
const DRAIN_TIMEOUT_MS = 60_000;
const EXIT_TIMEOUT_MS = 30_000;
const MIB = 1024 ** 2;

const WORKLOAD_SOURCE = `${REPOSITORY}bench/open-distinct.c`;
const WORKLOAD_PROGRAM = `${REPOSITORY}build/bench/open-distinct`;
const SECTION_HEADING = '## memory (`npm run bench:memory`, bench/memory.ts)';

const SECTION_INTRO = `Whether clawtop's memory stays flat however many distinct paths it sees. The workload
(bench/open-distinct.c) calls openat() on N paths that never repeat,
\`${WORKLOAD_PATH_PREFIX}0\`, \`1\`, ... as fast as it can. They do not exist, so each call
fails at the first component with ENOENT and costs the kernel almost nothing, yet the files
monitor reports each with its path and errno, as for a real file: one new key per event for
the files table. (Real files in a tmpfs would add inode and dentry memory in the kernel,
not in clawtop, and slow the workload; they are not used.) clawtop runs as users run it,
\`node dist/cli.js --snapshot FILE --monitors files\` (the README's command), built with its
BPF object and addon from the current source first (\`make -C bpf\`, \`node-gyp build\`,
\`tsc\`), until the workload is done and clawtop has gone idle (the ring drained), then
gets SIGTERM and writes its snapshot.

- **paths**: openat() calls the workload made. **emitted / received / dropped**: file events
  from the snapshot's counters (the kernel's emitted and dropped, clawtop's decoded); they
  include the rest of the host's opens while it ran. Dropping is allowed (the ring was full)
  but shown; a larger \`--ring-size\` is passed through to clawtop.
- **opens/s**: paths / workload seconds. **CPU %**: clawtop's user + system time, in percent
  of one core, from the start byte until it went idle.
- **RSS at start**: clawtop's VmRSS once it reads its ring, before the workload. **peak RSS**:
  its VmHWM (sampled every ${RSS_SAMPLE_MS} ms until it exits), with the anonymous part
  (JavaScript heap, native allocations) and the file-backed part (node, libraries, and the
  ring buffer's pages mapped into clawtop, twice the ring size at most).
- **files rows**: rows of the snapshot's files pane, against the table's capacity
  (\`DEFAULT_CAPACITY.files\`, kept by Space-Saving top-K). The count of opens folded into the
  "other" row is not in the snapshot document, so it is not shown.
- **target met**: peak RSS < ${TARGET_RSS_BYTES / MIB} MB and files rows <= capacity.

Target (the memory issue): 1,000,000 distinct paths, and 10,000,000, keep clawtop's RSS
under **${TARGET_RSS_BYTES / MIB} MB** and the tables within their capacity.
`;

class UsageError extends Error {}

export interface Options {
  readonly paths: number;
  /** Only when given: otherwise clawtop runs with its own default. */
  readonly ringSizeText: string | undefined;
  readonly ringSizeBytes: number;
}

function parseOptions(args: string[]): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        paths: { type: 'string' },
        'ring-size': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    });
  } catch (error) {
    throw new UsageError(`${errorMessage(error)} (see --help)`);
  }
  if (parsed.values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const pathsText = parsed.values.paths;
  const paths = pathsText === undefined ? DEFAULT_PATHS : /^\d+$/.test(pathsText) ? Number(pathsText) : NaN;
  if (!Number.isSafeInteger(paths) || paths < 1 || paths > MAX_PATHS) {
    throw new UsageError(`--paths must be an integer from 1 to ${count(MAX_PATHS)}, got "${pathsText}"`);
  }
  const ringSizeText = parsed.values['ring-size'];
  const ringSizeBytes = ringSizeText === undefined ? DEFAULT_RING_SIZE_BYTES : parseByteSize(ringSizeText);
  if (ringSizeBytes === undefined) {
    throw new UsageError(`--ring-size must be a size such as 8M or 4096, got "${ringSizeText}"`);
  }
  const ringProblem = ringSizeProblem(ringSizeBytes);
  if (ringProblem) throw new UsageError(`--ring-size: ${ringProblem}`);
  return { paths, ringSizeText, ringSizeBytes };
}

// ---------------------------------------------------------------------------------------
// clawtop seen from /proc.

/** Follows one clawtop process: RSS every RSS_SAMPLE_MS until stop(), and its CPU time on demand. */
class ProcessWatch {
  private readonly status: ProcFile;
  private readonly cpuClock: CpuClock;
  private readonly timer: NodeJS.Timeout;
  /** The last sample taken while the process was alive, and the one with the highest VmRSS. */
  last: MemorySample | undefined;
  highest: MemorySample | undefined;

  constructor(readonly pid: number) {
    this.status = new ProcFile(`/proc/${pid}/status`);
    this.cpuClock = new CpuClock(pid);
    this.sample();
    this.timer = setInterval(() => this.sample(), RSS_SAMPLE_MS);
  }

  sample(): MemorySample | undefined {
    const text = this.status.read();
    const sample = text === undefined ? undefined : parseMemory(text);
    if (sample === undefined) return undefined;
    this.last = sample;
    if (this.highest === undefined || sample.rssBytes > this.highest.rssBytes) this.highest = sample;
    return sample;
  }

  cpuSeconds(): number {
    const seconds = this.cpuClock.read()?.totalSeconds;
    if (seconds === undefined) throw new Error(`failed to read the CPU time of clawtop (pid ${this.pid})`);
    return seconds;
  }

  /** Whether clawtop's ring reader has started. */
  readsRing(ringSizeBytes: number): boolean {
    return mapsRing(this.pid, ringSizeBytes);
  }

  stop(): void {
    clearInterval(this.timer);
    this.status.close();
    this.cpuClock.stop();
  }
}

// ---------------------------------------------------------------------------------------
// The run.

type Workload = ChildProcessByStdio<Writable, Readable, null>;
type Clawtop = ChildProcessByStdio<null, null, Readable>;

interface RunResult {
  readonly paths: number;
  readonly workloadSeconds: number;
  readonly cpuPercent: number;
  readonly startRss: MemorySample;
  /** At the sample with the highest VmRSS, with VmHWM as last read. */
  readonly peak: MemorySample;
  readonly document: SnapshotDocument;
}

/** Until clawtop's ring reader has started; checkAlive throws when clawtop is gone. */
async function waitUntilReadingRing(watch: ProcessWatch, ringSizeBytes: number, checkAlive: () => void): Promise<void> {
  const deadline = performance.now() + READY_TIMEOUT_MS;
  while (!watch.readsRing(ringSizeBytes)) {
    checkAlive();
    if (performance.now() > deadline) {
      throw new Error(`clawtop did not start reading its ring within ${READY_TIMEOUT_MS / 1000} s`);
    }
    await sleep(READY_POLL_MS);
  }
}

/**
 * Until clawtop has drained its ring, which (with no stream to watch) is when it stops
 * spending CPU. Returns its CPU seconds by then.
 */
async function waitUntilIdle(watch: ProcessWatch, checkAlive: () => void): Promise<number> {
  const deadline = performance.now() + DRAIN_TIMEOUT_MS;
  let cpuSeconds = watch.cpuSeconds();
  for (;;) {
    await sleep(DRAIN_WINDOW_MS);
    checkAlive();
    const cpuBefore = cpuSeconds;
    cpuSeconds = watch.cpuSeconds();
    if (cpuSeconds - cpuBefore <= DRAIN_IDLE_CPU_SECONDS) return cpuSeconds;
    if (performance.now() > deadline) {
      process.stderr.write(`bench: clawtop still busy after ${DRAIN_TIMEOUT_MS / 1000} s; stopping it anyway\n`);
      return cpuSeconds;
    }
  }
}

async function runOnce(options: Options, snapshotPath: string): Promise<RunResult> {
  const workload: Workload = track(spawn(WORKLOAD_PROGRAM, [String(options.paths)], { stdio: ['pipe', 'pipe', 'inherit'] }));
  let workloadOutput = '';
  workload.stdout.setEncoding('utf8').on('data', (chunk: string) => (workloadOutput += chunk));
  const workloadClosed = once(workload, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  await once(workload, 'spawn');

  const ringArgs = options.ringSizeText === undefined ? [] : ['--ring-size', options.ringSizeText];
  const clawtopArgs = [CLI, '--snapshot', snapshotPath, '--monitors', 'files', ...ringArgs];
  const clawtop: Clawtop = track(spawn(process.execPath, clawtopArgs, { cwd: REPOSITORY, stdio: ['ignore', 'ignore', 'pipe'] }));
  let clawtopStderr = '';
  clawtop.stderr.setEncoding('utf8').on('data', (chunk: string) => (clawtopStderr += chunk));
  const clawtopClosed = once(clawtop, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  await once(clawtop, 'spawn');
  const clawtopGone = () => clawtop.exitCode !== null || clawtop.signalCode !== null;
  const clawtopFailure = (what: string) =>
    new Error(`clawtop ${what}: ${describeExit(clawtop.exitCode, clawtop.signalCode)}: ${clawtopStderr.trim()}`);

  const watch = new ProcessWatch(clawtop.pid!);
  try {
    await waitUntilReadingRing(watch, options.ringSizeBytes, () => {
      if (clawtopGone()) throw clawtopFailure('stopped before reading its ring');
    });
    const startRss = watch.sample();
    if (startRss === undefined) throw clawtopFailure('stopped before the workload');
    const cpuBefore = watch.cpuSeconds();
    const wallBefore = performance.now();
    process.stderr.write(`bench: clawtop reads its ring (RSS ${megabytes(startRss.rssBytes)} MB); opening paths\n`);

    workload.stdin.end('s');
    const [workloadCode, workloadSignal] = await workloadClosed;
    const workloadSeconds = (performance.now() - wallBefore) / 1000;
    if (workloadCode !== 0) {
      throw new Error(`failed to run ${WORKLOAD_PROGRAM}: ${describeExit(workloadCode, workloadSignal)}`);
    }
    const paths = Number(workloadOutput.trim());
    if (!Number.isSafeInteger(paths)) {
      throw new Error(`failed to read the workload's count: got "${workloadOutput.trim()}"`);
    }

    const cpuAfter = await waitUntilIdle(watch, () => {
      if (clawtopGone()) throw clawtopFailure('stopped while the workload ran');
    });
    const wallSeconds = (performance.now() - wallBefore) / 1000;
    process.stderr.write(`bench: ${count(paths)} paths in ${workloadSeconds.toFixed(1)} s; stopping clawtop\n`);

    clawtop.kill('SIGTERM');
    const exitDeadline = setTimeout(() => clawtop.kill('SIGKILL'), EXIT_TIMEOUT_MS);
    const sampleUntilExit = setInterval(() => watch.sample(), 10);
    const [clawtopCode] = await clawtopClosed;
    clearTimeout(exitDeadline);
    clearInterval(sampleUntilExit);
    if (clawtopCode !== 0) throw clawtopFailure('failed to stop');

    const highest = watch.highest!;
    const peak = { ...highest, peakRssBytes: Math.max(watch.last!.peakRssBytes, highest.rssBytes) };
    return {
      paths,
      workloadSeconds,
      cpuPercent: ((cpuAfter - cpuBefore) / wallSeconds) * 100,
      startRss,
      peak,
      document: readSnapshotFile(snapshotPath),
    };
  } finally {
    watch.stop();
  }
}

// ---------------------------------------------------------------------------------------
// The report.

export interface Report {
  readonly table: string;
  /** clawtop's VmHWM over the run. */
  readonly peakRssBytes: number;
  readonly notes: readonly string[];
  readonly targetMet: boolean;
  /** Why the numbers cannot be trusted; the run is then not recorded. */
  readonly problems: readonly string[];
}

const megabytes = (bytes: number) => (bytes / MIB).toFixed(1);

function buildReport(result: RunResult): Report {
  const { document, peak } = result;
  const problems: string[] = [];
  const fileCounter = document.counters.find((counter) => counter.kind === 'file');
  if (fileCounter === undefined) problems.push('the snapshot has no file counter');
  const { emitted = 0, received = 0, dropped = 0 } = fileCounter ?? {};
  const capacity = DEFAULT_CAPACITY.files;
  const rows = document.panes.files.length;
  const workloadRows = document.panes.files.filter((row) => String(row.path).startsWith(WORKLOAD_PATH_PREFIX)).length;
  const rssMet = peak.peakRssBytes < TARGET_RSS_BYTES;
  const rowsMet = rows <= capacity;
  const targetMet = rssMet && rowsMet;

  const table = formatTable([
    [
      'paths',
      'emitted',
      'received',
      'dropped',
      'workload s',
      'opens/s',
      'CPU %',
      'RSS at start MB',
      'peak RSS MB',
      'files rows',
      'target met',
    ],
    [
      count(result.paths),
      count(emitted),
      count(received),
      count(dropped),
      result.workloadSeconds.toFixed(1),
      count(Math.round(result.paths / result.workloadSeconds)),
      result.cpuPercent.toFixed(1),
      megabytes(result.startRss.rssBytes),
      megabytes(peak.peakRssBytes),
      `${count(rows)} / ${count(capacity)}`,
      targetMet ? 'yes' : `NO${rssMet ? '' : ' (RSS)'}${rowsMet ? '' : ' (rows)'}`,
    ],
  ]);

  const notes = [
    `Peak RSS ${megabytes(peak.peakRssBytes)} MB; at the highest sample, ${megabytes(peak.rssBytes)} MB = ` +
      `${megabytes(peak.anonBytes)} MB anonymous + ${megabytes(peak.fileBytes)} MB file-backed ` +
      `(at start: ${megabytes(result.startRss.anonBytes)} + ${megabytes(result.startRss.fileBytes)}).`,
    `${count(workloadRows)} of the ${count(rows)} file rows are the workload's paths.`,
  ];
  const unaccounted = emitted - dropped - received;
  if (dropped > 0) notes.push(`The ring was full for ${count(dropped)} file events (dropped, counted by the kernel).`);
  if (unaccounted > 0) {
    const what = 'file events were emitted but neither dropped nor received: still queued when clawtop stopped';
    notes.push(`${count(unaccounted)} ${what}.`);
  }
  if (received + dropped < result.paths) {
    const seen = count(received + dropped);
    problems.push(`${count(result.paths)} paths opened but only ${seen} file events received or dropped`);
  }
  return { table, peakRssBytes: peak.peakRssBytes, notes, targetMet, problems };
}

function clawtopCommand(options: Options): string {
  const ring = options.ringSizeText === undefined ? '' : ` --ring-size ${options.ringSizeText}`;
  return `node ${CLI} --snapshot FILE --monitors files${ring}`;
}

/** One run of clawtop over options.paths distinct paths, with dist/ as it is now. */
export async function measureMemory(options: Options): Promise<Report> {
  buildWorkload(WORKLOAD_SOURCE, WORKLOAD_PROGRAM);
  const directory = mkdtempSync(join(tmpdir(), 'clawtop-bench-memory-'));
  try {
    return buildReport(await runOnce(options, join(directory, 'snapshot.json')));
  } finally {
    killChildren();
    rmSync(directory, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const options = parseOptions(args);
  const problem = privilegeProblem();
  if (problem) fail(problem, EXIT_FAILURE);
  buildClawtop();
  // Read before the run: the code measured is the tree as it was when the run started.
  const commit = describeCommit();
  cleanUpOnExit(killChildren);

  const report = await measureMemory(options);
  process.stdout.write(`${report.table}\n\n${report.notes.join('\n')}\n`);
  if (report.problems.length > 0) {
    const list = report.problems.join('\n  ');
    fail(`not recorded in docs/BENCHMARKS.md, the run is not trustworthy:\n  ${list}`, EXIT_FAILURE);
  }
  const verdict = report.targetMet ? 'met' : 'NOT met';
  recordResults(
    SECTION_HEADING,
    SECTION_INTRO,
    [
      ...runHeading('memory', commit, args),
      `- clawtop: \`${clawtopCommand(options)}\`, ring ${describeBytes(options.ringSizeBytes)}`,
      '',
      report.table,
      '',
      ...report.notes,
      `Target (peak RSS < ${TARGET_RSS_BYTES / MIB} MB, files rows <= ${count(DEFAULT_CAPACITY.files)}): ${verdict}.`,
      '',
    ].join('\n'),
  );
  process.stderr.write(`bench: appended to ${RESULTS_FILE}\n`);
}

if (isMainModule(import.meta.url)) {
  main().catch((error: unknown) => {
    killChildren();
    fail(errorMessage(error), error instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE);
  });
}
