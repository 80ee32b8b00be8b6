/**
 * How long the screen takes to answer a key during an event storm: the real CLI on a
 * 120x32 pseudo-terminal, on its Files pane, while a C workload (bench/open-rate.c) makes
 * about 500k file events a second. Keys that visibly change the frame (h opens the help,
 * any key closes it) are written to the terminal at random intervals, and each is timed
 * from its write to the first output that holds the change. Run on its own, prints one
 * table and appends it to docs/BENCHMARKS.md.
 */
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { DEFAULT_MONITORS, DEFAULT_RING_SIZE_BYTES } from '../src/core/native.ts';
import { privilegeProblem } from '../src/core/preflight.ts';
import { HELP_SECTIONS } from '../src/ui/modes.ts';
import { FILES_PANE } from '../src/ui/panes.ts';
import { killChildren } from './children.ts';
import { bpftoolProblem, launchInTerminal, stripEscapes, terminalProblem, type TerminalClawtop } from './clawtop.ts';
import { buildOpenRate, prepareOpenRate } from './open-rate.ts';
import { CpuClock } from './proc.ts';
import {
  CLI,
  RESULTS_FILE,
  buildClawtop,
  count,
  describeCommit,
  errorMessage,
  fail,
  formatTable,
  recordResults,
  cleanUpOnExit,
  parseQuickOption,
  runHeading,
} from './report.ts';
import { TERMINAL_SIZE, showsFilesPane } from './self-cost.ts';

const HELP = `
  USAGE
    npm run bench:latency [-- [--quick]]

  Builds dist/ (tsc -p tsconfig.build.json), then runs node dist/cli.js on a
  120x32 pseudo-terminal, on its Files pane, while a workload opens missing
  paths at 500k a second. Presses h (the help opens) and h again (it closes) at
  random intervals and times each key to the first output that shows its
  effect; prints p50, p99 and max, and appends them to docs/BENCHMARKS.md.
  Needs root, script(1) (util-linux) and bpftool.

  FLAGS
    --quick   20 keys instead of 50
    --help    show this help

  EXAMPLES
    sudo npm run bench:latency
    sudo npm run bench:latency -- --quick
`;

const EXIT_FAILURE = 1;

/** File events a second the storm asks of the workload. */
const STORM_RATE = 500_000;
const DISTINCT_PATHS = 1000;
const SAMPLES = 50;
const QUICK_SAMPLES = 20;
/** Between one key's effect and the next key, uniformly at random. */
const MIN_GAP_MS = 100;
const MAX_GAP_MS = 300;
/** Once the storm has started, before the first key: the ring and clawtop reach their pace. */
const WARM_UP_SECONDS = 2;
/**
 * The storm's longest run: the warm-up, this much per key, and the margin below. It is
 * stopped once the keys are done.
 */
const STORM_SECONDS_PER_SAMPLE = 0.4;
/** Keys are pressed only while the storm has at least this left to run. */
const STORM_MARGIN_SECONDS = 1.5;
/** A key not answered in this long ends the sampling: the screen's state is then unknown. */
const ANSWER_TIMEOUT_MS = 5000;
const TARGET_P99_MS = 100;
/** Ink draws at most 30 frames a second: a key may wait this long for its frame. */
const FRAME_INTERVAL_MS = 1000 / 30;

const HELP_TEXT = HELP_SECTIONS[0]!.keys[0]!.action;
const FILES_HEADER_TEXT = FILES_PANE.columns[1]!.header;
const HELP_KEY = 'h';

export interface LatencyResult {
  /** Key to change, in milliseconds, in the order pressed. */
  readonly latenciesMs: readonly number[];
  /** Keys whose change did not show within ANSWER_TIMEOUT_MS (at most one: it ends the sampling). */
  readonly unanswered: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** The storm: the rate asked, and the workload's calls a second over its run. */
  readonly stormTargetRate: number;
  readonly stormOpensPerSecond: number;
  /** Events a second clawtop's kernel programs emitted during the keys, all monitors. */
  readonly eventsPerSecond: number;
  /** Of those, events dropped because the ring was full. */
  readonly dropped: number;
  /** clawtop's CPU (the run time of all its threads) during the keys, in percent of one core. */
  readonly cpuPercent: number;
  /** The host's 1-minute load average when the keys ended. */
  readonly loadAverage: number;
}

export function latencyTargetMet(result: LatencyResult): boolean {
  return result.unanswered === 0 && result.p99Ms < TARGET_P99_MS;
}

/** The nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)] ?? NaN;
}

export function formatLatencyTable(result: LatencyResult): string {
  const ms = (value: number) => value.toFixed(1);
  return formatTable([
    ['keys', 'unanswered', 'p50 ms', 'p99 ms', 'max ms', 'storm target/s', 'opens/s', 'events/s', 'dropped', 'CPU %', 'load avg', 'p99 < 100 ms'],
    [
      count(result.latenciesMs.length),
      count(result.unanswered),
      ms(result.p50Ms),
      ms(result.p99Ms),
      ms(result.maxMs),
      count(result.stormTargetRate),
      count(Math.round(result.stormOpensPerSecond)),
      count(Math.round(result.eventsPerSecond)),
      count(result.dropped),
      result.cpuPercent.toFixed(1),
      result.loadAverage.toFixed(2),
      latencyTargetMet(result) ? 'yes' : 'NO',
    ],
  ]);
}

/**
 * Presses key and resolves with the milliseconds from its write to the first output that,
 * stripped of escape sequences, holds text; undefined after ANSWER_TIMEOUT_MS. Only output
 * after the write counts, so a frame drawn before it cannot match.
 */
function timeKey(screen: TerminalClawtop, key: string, text: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    let since = '';
    let pressedAtMs = 0;
    const finish = (latencyMs: number | undefined) => {
      clearTimeout(timeout);
      unsubscribe();
      resolve(latencyMs);
    };
    const unsubscribe = screen.onOutput((chunk, atMs) => {
      since += chunk;
      if (stripEscapes(since).includes(text)) finish(atMs - pressedAtMs);
    });
    const timeout = setTimeout(() => finish(undefined), ANSWER_TIMEOUT_MS);
    pressedAtMs = screen.press(key);
  });
}

/**
 * Runs clawtop on a pseudo-terminal through a storm of file events and times keys. Needs
 * root, a built clawtop and build/bench/open-rate (see buildClawtop, buildOpenRate); kills what
 * it started if it fails.
 */
export async function measureScreenLatency(options: { readonly quick: boolean }): Promise<LatencyResult> {
  const samples = options.quick ? QUICK_SAMPLES : SAMPLES;
  try {
    return await runStorm(samples);
  } catch (error) {
    killChildren();
    throw error;
  }
}

/** clawtop's CPU time and kernel counters, at a moment. */
interface Reading {
  readonly atMs: number;
  readonly cpuSeconds: number;
  readonly emitted: number;
  readonly dropped: number;
}

async function runStorm(samples: number): Promise<LatencyResult> {
  const screen = await launchInTerminal([], TERMINAL_SIZE);
  await screen.waitUntilReadingRing(DEFAULT_RING_SIZE_BYTES);
  await screen.waitForFrame((frame) => frame.includes('Processes'), 'its first frame');
  screen.press('2');
  await screen.waitForFrame(showsFilesPane, 'the Files pane with the files monitor on');

  const stormSeconds = Math.ceil(WARM_UP_SECONDS + samples * STORM_SECONDS_PER_SAMPLE + STORM_MARGIN_SECONDS);
  const storm = await prepareOpenRate(STORM_RATE, stormSeconds, DISTINCT_PATHS);
  const cpuClock = new CpuClock(screen.pid);
  // bpftool's exec and opens are events for clawtop: read just outside the keys.
  const read = (): Reading => ({
    atMs: performance.now(),
    cpuSeconds: cpuClock.read()?.totalSeconds ?? NaN,
    ...screen.kernelCounters(),
  });
  const latenciesMs: number[] = [];
  let unanswered = 0;
  let before: Reading;
  let after: Reading;
  let stormStartMs: number;
  let stormStopMs: number;
  try {
    storm.start();
    stormStartMs = performance.now();
    const stormEndMs = stormStartMs + stormSeconds * 1000;
    await sleep(WARM_UP_SECONDS * 1000);
    before = read();
    let helpShown = false;
    while (latenciesMs.length < samples && performance.now() < stormEndMs - STORM_MARGIN_SECONDS * 1000) {
      const latencyMs = await timeKey(screen, HELP_KEY, helpShown ? FILES_HEADER_TEXT : HELP_TEXT);
      if (latencyMs === undefined) {
        unanswered++;
        break;
      }
      latenciesMs.push(latencyMs);
      helpShown = !helpShown;
      await sleep(MIN_GAP_MS + Math.random() * (MAX_GAP_MS - MIN_GAP_MS));
    }
    after = read();
    storm.stop();
    stormStopMs = performance.now();
  } finally {
    cpuClock.stop();
  }
  const loadAverage = loadavg()[0]!;
  screen.checkAlive('stopped during the storm');
  const calls = await storm.done;
  await screen.stop();

  const seconds = (after.atMs - before.atMs) / 1000;
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return {
    latenciesMs,
    unanswered,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: unanswered > 0 ? Infinity : percentile(sorted, 0.99),
    maxMs: unanswered > 0 ? Infinity : (sorted.at(-1) ?? NaN),
    stormTargetRate: STORM_RATE,
    stormOpensPerSecond: calls / Math.min(stormSeconds, (stormStopMs - stormStartMs) / 1000),
    eventsPerSecond: (after.emitted - before.emitted) / seconds,
    dropped: after.dropped - before.dropped,
    cpuPercent: ((after.cpuSeconds - before.cpuSeconds) / seconds) * 100,
    loadAverage,
  };
}

// ---------------------------------------------------------------------------------------
// Run on its own.

const SECTION_HEADING = '## screen latency (`npm run bench:latency`, bench/latency.ts)';

const SECTION_INTRO = `How long the screen takes to answer a key while events pour in. The real CLI (built with its BPF
object and addon from the current source first) runs with the default monitors (${DEFAULT_MONITORS.join(', ')}) on a
${TERMINAL_SIZE.columns}x${TERMINAL_SIZE.rows} pseudo-terminal made by script(1) (\`script -qfec "stty rows
${TERMINAL_SIZE.rows} cols ${TERMINAL_SIZE.columns}; exec node ${CLI}" /dev/null\`), on its Files pane (key 2; the files
monitor's tracepoints are attached while it is shown). A storm starts: bench/open-rate.c
opens ${count(DISTINCT_PATHS)} missing paths in turn at ${count(STORM_RATE)} calls a second, each call a file
event (clawtop may drop events when its ring is full; that is allowed and shown). After
${WARM_UP_SECONDS} s, the benchmark presses \`${HELP_KEY}\` (the help opens: "${HELP_TEXT}" appears) and \`${HELP_KEY}\`
again (it closes: the Files pane's "${FILES_HEADER_TEXT}" column header is back), ${MIN_GAP_MS}-${MAX_GAP_MS} ms
apart at random, and times each key from its write to script's stdin to the first output
read back that holds the new text (escape sequences removed; only output after the key
counts).

- **keys**: keys timed. **unanswered**: a key whose change did not show within
  ${ANSWER_TIMEOUT_MS / 1000} s (it ends the sampling, and p99 and max are then infinite).
  **p50 / p99 / max ms**: nearest-rank percentiles of the keys' latencies. Ink draws at most
  30 frames a second, so up to ${FRAME_INTERVAL_MS.toFixed(0)} ms is the frame clock, not clawtop.
- **opens/s**: the storm's calls a second over its run (the rate reached, when the 2 CPUs
  cannot make ${count(STORM_RATE)}). **events/s**: events clawtop's kernel programs emitted a
  second during the keys, all monitors (the storm's and the rest of the host's), from its
  \`event_counters\` map read with bpftool. **dropped**: of those, events lost because the
  ring was full. **CPU %**: clawtop's CPU time (the run time of all its threads, from
  /proc/PID/task/*/schedstat) during the keys, in percent of one core. **load avg**: the
  host's 1-minute load average then.

Target (issue 6): **p99 below ${TARGET_P99_MS} ms** during a storm of about ${count(STORM_RATE)} events/s.
`;

function formatHeadline(result: LatencyResult): string {
  const verdict = latencyTargetMet(result) ? 'met' : 'NOT met';
  return `Key to screen during a storm of ${count(Math.round(result.stormOpensPerSecond))} opens/s: p99 ${result.p99Ms.toFixed(1)} ms; target p99 < ${TARGET_P99_MS} ms: ${verdict}.`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const options = { quick: parseQuickOption(args, HELP) };
  const problem = privilegeProblem() ?? terminalProblem() ?? bpftoolProblem();
  if (problem) fail(problem, EXIT_FAILURE);
  buildOpenRate();
  buildClawtop();
  // Read before the run: the code measured is the tree as it was when the run started.
  const commit = describeCommit();
  cleanUpOnExit(killChildren);

  const loadBefore = loadavg().map((load) => load.toFixed(2)).join(', ');
  const result = await measureScreenLatency(options);
  const loadAfter = loadavg().map((load) => load.toFixed(2)).join(', ');
  const table = formatLatencyTable(result);
  const headline = formatHeadline(result);
  const latencies = `Latencies in ms, in the order pressed: ${result.latenciesMs.map((ms) => ms.toFixed(1)).join(' ')}.`;
  process.stdout.write(`${table}\n\n${headline}\n${latencies}\n`);
  recordResults(
    SECTION_HEADING,
    SECTION_INTRO,
    [
      ...runHeading('screen latency', commit, args),
      `- load average (1, 5, 15 min): ${loadBefore} before, ${loadAfter} after`,
      '',
      table,
      '',
      headline,
      latencies,
      '',
    ].join('\n'),
  );
  process.stderr.write(`bench: appended to ${RESULTS_FILE}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    killChildren();
    fail(errorMessage(error), EXIT_FAILURE);
  });
}
