/**
 * How many events a second clawtop's pipeline takes in without losing one: kernel probe ->
 * ring buffer -> reader thread -> one Buffer per batch -> walkBatch, the real decoder.
 * A C workload (bench/getppid-loop.c) calls getppid() at a ladder of rates; the benchmark
 * probe turns each call into a 56-byte record. Per step it compares the calls made, what
 * the kernel emitted and dropped, and what the decoder walked, then prints one table and
 * appends it to docs/BENCHMARKS.md with the machine and commit it was measured on.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import { endianness } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

import { BENCH_RECORD_KIND, COUNTER_SLOT_BENCH, structMembers } from '../src/core/contract.ts';
import { createDecodeStats, walkBatch, type DecodeStats, type RecordVisitor } from '../src/core/decode.ts';
import {
  DEFAULT_RING_SIZE_BYTES,
  KernelSession,
  parseByteSize,
  ringSizeProblem,
  type KernelCounters,
} from '../src/core/native.ts';
import { ensureTracefs, privilegeProblem } from '../src/core/preflight.ts';
import {
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
    npm run bench:pipeline [-- [--quick] [--ring-size SIZE]]

  Feeds clawtop's ring buffer and decoder from a getppid() loop at rising rates
  (250k, 500k, 1M, 1.5M, 2M events/s, then flat out), prints a table of what
  was emitted, dropped and decoded, and appends it to docs/BENCHMARKS.md.
  Needs root.

  FLAGS
    --quick            1 s per step instead of 5 s, at 500k, 1M and 2M, then flat out
    --ring-size SIZE   ring buffer size, a power of two from 4K to 1G (default 8M)
    --help             show this help

  EXAMPLES
    sudo npm run bench:pipeline
    sudo npm run bench:pipeline -- --quick --ring-size 4M
`;

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

/** Rate 0 asks the workload for as many calls as it can make. */
const FLAT_OUT = 0;
interface Ladder {
  readonly rates: readonly number[];
  readonly stepSeconds: number;
}

const FULL_LADDER: Ladder = { rates: [250_000, 500_000, 1_000_000, 1_500_000, 2_000_000, FLAT_OUT], stepSeconds: 5 };
/** The target's rate, either side of it, and the most the loop can make. */
const QUICK_LADDER: Ladder = { rates: [500_000, 1_000_000, 2_000_000, FLAT_OUT], stepSeconds: 1 };
const ladderOf = (quick: boolean): Ladder => (quick ? QUICK_LADDER : FULL_LADDER);
/** From issue 6 (the pipeline issue), on this 2-core machine. */
export const TARGET_EVENTS_PER_SECOND = 1_000_000;
/** After the workload exits, how long the ring gets to drain into the decoder. */
const DRAIN_TIMEOUT_MS = 1000;
const DRAIN_POLL_MS = 5;

const WORKLOAD_SOURCE = `${REPOSITORY}bench/getppid-loop.c`;
const WORKLOAD_PROGRAM = `${REPOSITORY}build/bench/getppid-loop`;

const TGID_OFFSET = structMembers('event_header').tgid.offset;
/** Records are written by the kernel of this host, in its byte order. */
const LITTLE_ENDIAN = endianness() === 'LE';

const SECTION_HEADING = '## pipeline (`npm run bench:pipeline`, bench/pipeline.ts)';

const SECTION_INTRO = `How many events a second clawtop takes in without losing one. A C workload
(bench/getppid-loop.c) calls getppid() at a fixed rate; the benchmark probe (tracepoint
syscalls/sys_enter_getppid, program \`clawtop_bench\`) turns each call into one 56-byte record
in the ring buffer; the native reader thread drains it and hands JavaScript one Buffer per
batch; every record goes through \`walkBatch\`, the real decoder, which also reads each
record's tgid. One fresh workload per step, one session for the whole run.

- **calls**: getppid() calls the workload made. **emitted**: records the probe tried to
  reserve (kernel counter). **dropped**: reservations that failed because the ring was full.
  **ingested**: records the decoder walked, once the ring has drained (up to 1 s).
- **events/s**: ingested / workload seconds. **CPU %**: the benchmark process (reader thread
  and decoder, i.e. clawtop's side) in percent of one core, over the step's wall time.
- **kept up**: 0 dropped and ingested == emitted. A step that kept up but whose events/s
  stays under its target/s was held back by the workload (the probe runs in its syscalls),
  not by clawtop.

Target (issue 6, the pipeline issue): keep up with at least **1,000,000 events/s, 0 drops**,
on the 2-vCPU development VM.
`;

class UsageError extends Error {}

interface Options {
  readonly quick: boolean;
  readonly ringSizeBytes: number;
}

function parseOptions(args: string[]): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        quick: { type: 'boolean', default: false },
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
  const ringSizeText = parsed.values['ring-size'];
  const ringSizeBytes = ringSizeText === undefined ? DEFAULT_RING_SIZE_BYTES : parseByteSize(ringSizeText);
  if (ringSizeBytes === undefined) {
    throw new UsageError(`--ring-size must be a size such as 8M or 4096, got "${ringSizeText}"`);
  }
  const ringProblem = ringSizeProblem(ringSizeBytes);
  if (ringProblem) throw new UsageError(`--ring-size: ${ringProblem}`);
  return { quick: parsed.values.quick, ringSizeBytes };
}

/** What the decoder saw of the current step's workload. */
interface Ingest {
  workloadTgid: number;
  /** Bench records of the workload walked by the decoder. */
  ingested: number;
  /** Records that were not the workload's bench records: none should arrive. */
  unexpected: number;
  readonly stats: DecodeStats;
}

function createIngest(): { ingest: Ingest; onBatch: (batch: Uint8Array) => void } {
  const ingest: Ingest = { workloadTgid: 0, ingested: 0, unexpected: 0, stats: createDecodeStats() };
  // One field of every record is read: each must be the workload's, at the contract's offset.
  const visit: RecordVisitor = (kind, view, offset) => {
    const tgid = view.getUint32(offset + TGID_OFFSET, LITTLE_ENDIAN);
    if (kind === BENCH_RECORD_KIND && tgid === ingest.workloadTgid) ingest.ingested++;
    else ingest.unexpected++;
  };
  return { ingest, onBatch: (batch) => walkBatch(batch, visit, ingest.stats) };
}

type Workload = ChildProcessByStdio<Writable, Readable, null>;

export interface StepResult {
  readonly targetRate: number;
  readonly calls: number;
  readonly emitted: number;
  readonly ingested: number;
  readonly dropped: number;
  readonly eventsPerSecond: number;
  /** The benchmark process, in percent of one core. */
  readonly cpuPercent: number;
  readonly unexpected: number;
}

function keptUp(step: StepResult): boolean {
  return step.dropped === 0 && step.ingested === step.emitted;
}

function benchDelta(after: KernelCounters, before: KernelCounters): { emitted: number; dropped: number } {
  return {
    emitted: after.emitted[COUNTER_SLOT_BENCH]! - before.emitted[COUNTER_SLOT_BENCH]!,
    dropped: after.dropped[COUNTER_SLOT_BENCH]! - before.dropped[COUNTER_SLOT_BENCH]!,
  };
}

/** The workload of the step under way, killed on every way out. */
let runningWorkload: Workload | undefined;

function killWorkload(): void {
  if (runningWorkload && runningWorkload.exitCode === null && runningWorkload.signalCode === null) {
    runningWorkload.kill('SIGKILL');
  }
  runningWorkload = undefined;
}

async function runStep(
  session: KernelSession,
  ingest: Ingest,
  targetRate: number,
  seconds: number,
): Promise<StepResult> {
  const workload = spawn(WORKLOAD_PROGRAM, [String(targetRate), String(seconds)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  runningWorkload = workload;
  let output = '';
  workload.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const closed = once(workload, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  await once(workload, 'spawn');
  const tgid = workload.pid!;
  session.setSetting('benchTgid', tgid);
  ingest.workloadTgid = tgid;
  ingest.ingested = 0;
  ingest.unexpected = 0;

  const countersBefore = session.readCounters();
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  workload.stdin.end('s');
  const [exitCode, signal] = await closed;
  runningWorkload = undefined;
  if (exitCode !== 0) {
    const reason = signal ? `killed by ${signal}` : `exit code ${exitCode}`;
    throw new Error(`failed to run ${WORKLOAD_PROGRAM}: ${reason}`);
  }
  const calls = Number(output.trim());
  if (!Number.isSafeInteger(calls)) {
    throw new Error(`failed to read the workload's call count: got "${output.trim()}"`);
  }

  const drainDeadline = performance.now() + DRAIN_TIMEOUT_MS;
  let counters = session.readCounters();
  for (;;) {
    const { emitted, dropped } = benchDelta(counters, countersBefore);
    const drained = ingest.ingested >= emitted - dropped && counters.ringFillBytes === 0;
    if (drained || performance.now() > drainDeadline) break;
    await sleep(DRAIN_POLL_MS);
    counters = session.readCounters();
  }
  const cpu = process.cpuUsage(cpuBefore);
  const wallMicroseconds = (performance.now() - wallBefore) * 1000;
  session.setSetting('benchTgid', 0);

  const { emitted, dropped } = benchDelta(counters, countersBefore);
  return {
    targetRate,
    calls,
    emitted,
    ingested: ingest.ingested,
    dropped,
    eventsPerSecond: Math.round(ingest.ingested / seconds),
    cpuPercent: ((cpu.user + cpu.system) / wallMicroseconds) * 100,
    unexpected: ingest.unexpected,
  };
}

function describeRate(rate: number): string {
  return rate === FLAT_OUT ? 'flat out' : `${count(rate)}/s`;
}

function formatStepTable(steps: readonly StepResult[]): string {
  return formatTable([
    ['target/s', 'calls', 'emitted', 'ingested', 'dropped', 'events/s', 'CPU %', 'kept up'],
    ...steps.map((step) => [
      step.targetRate === FLAT_OUT ? 'flat out' : count(step.targetRate),
      count(step.calls),
      count(step.emitted),
      count(step.ingested),
      count(step.dropped),
      count(step.eventsPerSecond),
      step.cpuPercent.toFixed(1),
      keptUp(step) ? 'yes' : 'NO',
    ]),
  ]);
}

export function bestKeptUp(steps: readonly StepResult[]): StepResult | undefined {
  return steps.filter(keptUp).reduce<StepResult | undefined>(
    (top, step) => (top === undefined || step.eventsPerSecond > top.eventsPerSecond ? step : top),
    undefined,
  );
}

function formatHeadline(best: StepResult | undefined): string {
  const verdict = (best?.eventsPerSecond ?? 0) >= TARGET_EVENTS_PER_SECOND ? 'met' : 'NOT met';
  const rate = best
    ? `${count(best.eventsPerSecond)} events/s at ${best.cpuPercent.toFixed(1)}% CPU`
    : 'none';
  const target = `target ${count(TARGET_EVENTS_PER_SECOND)} events/s: ${verdict}`;
  return `Highest rate kept up (0 dropped, ingested == emitted): ${rate}; ${target}.`;
}

/** Differences that make a run's numbers untrustworthy, one line each. */
function problemsOf(steps: readonly StepResult[], stats: DecodeStats): string[] {
  const problems: string[] = [];
  if (stats.malformedRecords > 0) {
    problems.push(`the decoder met ${count(stats.malformedRecords)} malformed records`);
  }
  for (const step of steps) {
    const label = describeRate(step.targetRate);
    if (step.unexpected > 0) {
      problems.push(`${label}: ${count(step.unexpected)} records not from the workload`);
    }
    if (step.calls !== step.emitted) {
      problems.push(`${label}: ${count(step.calls)} calls but ${count(step.emitted)} emitted`);
    }
  }
  return problems;
}

/** The ladder, one fresh workload per step, one session for the whole run. */
export async function measureProbeKeepUp(options: {
  readonly quick: boolean;
  readonly ringSizeBytes: number;
  readonly log: (line: string) => void;
}): Promise<ProbeKeepUp> {
  buildWorkload(WORKLOAD_SOURCE, WORKLOAD_PROGRAM);
  const session = new KernelSession({ monitors: [], ringSizeBytes: options.ringSizeBytes });
  const steps: StepResult[] = [];
  const { ingest, onBatch } = createIngest();
  try {
    session.setMonitor('bench', true);
    session.start(onBatch);
    const ring = describeBytes(options.ringSizeBytes);
    const { rates, stepSeconds } = ladderOf(options.quick);
    options.log(`probe keep-up: ${rates.length} steps of ${stepSeconds} s, ring ${ring}`);
    for (const rate of rates) {
      const step = await runStep(session, ingest, rate, stepSeconds);
      steps.push(step);
      options.log(`probe keep-up ${describeRate(rate)}: ${count(step.eventsPerSecond)} events/s`);
    }
  } finally {
    killWorkload();
    session.close();
  }
  return { steps, table: formatStepTable(steps), best: bestKeptUp(steps), problems: problemsOf(steps, ingest.stats) };
}

export interface ProbeKeepUp {
  readonly steps: readonly StepResult[];
  readonly table: string;
  /** The step with the highest rate that kept up, if any did. */
  readonly best: StepResult | undefined;
  /** Why the numbers cannot be trusted, one line each. */
  readonly problems: readonly string[];
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const options = parseOptions(args);
  const problem = privilegeProblem() ?? ensureTracefs();
  if (problem) fail(problem, EXIT_FAILURE);
  // Read before the run: the code measured is the tree as it was when the run started.
  const commit = describeCommit();
  cleanUpOnExit(killWorkload);
  buildClawtop();

  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  const { table, best, problems } = await measureProbeKeepUp({ ...options, log });
  const headline = formatHeadline(best);
  process.stdout.write(`${table}\n\n${headline}\n`);
  if (problems.length > 0) {
    const list = problems.join('\n  ');
    fail(`not recorded in docs/BENCHMARKS.md, the run is not trustworthy:\n  ${list}`, EXIT_FAILURE);
  }
  recordResults(
    SECTION_HEADING,
    SECTION_INTRO,
    [
      ...runHeading('pipeline', commit, args),
      `- steps: ${ladderOf(options.quick).stepSeconds} s each, ring ${describeBytes(options.ringSizeBytes)}`,
      '',
      table,
      '',
      headline,
      '',
    ].join('\n'),
  );
  log(`appended to ${RESULTS_FILE}`);
}

if (isMainModule(import.meta.url)) {
  main().catch((error: unknown) => {
    killWorkload();
    fail(errorMessage(error), error instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE);
  });
}
