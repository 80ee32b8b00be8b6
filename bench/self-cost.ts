/**
 * What clawtop itself costs the host it watches: the CPU (of one core) and memory of the
 * real CLI, run three ways with the default monitors (headless with --metrics, headless
 * streaming --json to /dev/null, and the screen on a 120x32 pseudo-terminal), while a C
 * workload (bench/open-rate.c) makes 0, 1k, 10k and 100k file events a second. CPU is the
 * run time of all its threads (the schedstat file of each /proc/PID/task) over a window,
 * after clawtop has attached and warmed up; memory is VmRSS at the window's end and VmHWM.
 * Run on its own, prints one table and appends it to docs/BENCHMARKS.md.
 */
import { createServer, type AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { DEFAULT_MONITORS, DEFAULT_RING_SIZE_BYTES } from '../src/core/native.ts';
import { privilegeProblem } from '../src/core/preflight.ts';
import { FILES_PANE } from '../src/ui/panes.ts';
import { killChildren } from './children.ts';
import {
  bpftoolProblem,
  launchHeadless,
  launchInTerminal,
  terminalProblem,
  type Clawtop,
  type TerminalClawtop,
} from './clawtop.ts';
import { buildOpenRate, prepareOpenRate } from './open-rate.ts';
import { CpuClock, ProcFile, parseMemory, type MemorySample } from './proc.ts';
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
  runHeading,
} from './report.ts';

const HELP = `
  USAGE
    npm run bench:self-cost [-- [--quick] [--mode metrics|json|screen]]

  Builds dist/ (tsc -p tsconfig.build.json), then runs node dist/cli.js three
  ways with the default monitors: headless with --metrics, headless with --json
  to /dev/null, and the screen (on its Files pane) on a 120x32 pseudo-terminal.
  For each, measures its CPU % (of one core) and RSS while a workload opens
  missing paths at 0, 1k, 10k and 100k a second; prints a table and appends it
  to docs/BENCHMARKS.md. Needs root, script(1) (util-linux) and bpftool.

  FLAGS
    --quick   a 2 s window per step instead of 10 s
    --mode M  only one of the three ways: metrics, json or screen
    --help    show this help

  EXAMPLES
    sudo npm run bench:self-cost
    sudo npm run bench:self-cost -- --quick
    sudo npm run bench:self-cost -- --quick --mode screen
`;

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

export type SelfCostMode = 'metrics' | 'json' | 'screen';
export const SELF_COST_MODES: readonly SelfCostMode[] = ['metrics', 'json', 'screen'];
/** File events a second the workload makes; 0 is idle, no workload at all. */
export const SELF_COST_LOADS = [0, 1_000, 10_000, 100_000] as const;
/** The workload's paths: the files table holds them all, so every event updates a row. */
const DISTINCT_PATHS = 1000;
export const TERMINAL_SIZE = { columns: 120, rows: 32 } as const;

interface Timing {
  /**
   * After clawtop attached, before its first (idle) window: startup work settles. V8's
   * memory reducer runs two or three full collections about 8 s after the last startup
   * mark-compact (~50 ms of CPU, once; 8-9.5 s after start headless, 10-12 s on the
   * screen); in a window from 3 s it read 0.40% idle where the steady state is 0.1-0.2%.
   * The quick pass's idle window ends before them; a later quick window may hold them.
   */
  readonly firstWarmUpSeconds: number;
  /** After a workload starts, before its window. */
  readonly warmUpSeconds: number;
  readonly windowSeconds: number;
}

const FULL_TIMING: Timing = { firstWarmUpSeconds: 10, warmUpSeconds: 2, windowSeconds: 10 };
const QUICK_TIMING: Timing = { firstWarmUpSeconds: 2, warmUpSeconds: 1, windowSeconds: 2 };
const timingOf = (quick: boolean): Timing => (quick ? QUICK_TIMING : FULL_TIMING);

/** From issue 6: CPU % of one core, per load; RSS for every row. */
const TARGET_CPU_PERCENT: Readonly<Record<number, { readonly headless: number; readonly screen: number }>> = {
  0: { headless: 0.5, screen: 2 },
  10_000: { headless: 3, screen: 3 },
  100_000: { headless: 20, screen: 20 },
};
const TARGET_RSS_BYTES = 150 * 1024 ** 2;
const MIB = 1024 ** 2;

export const MODE_LABELS: Readonly<Record<SelfCostMode, string>> = {
  metrics: 'headless --metrics',
  json: 'headless --json',
  screen: 'screen 120x32',
};

/** The command each mode runs, as a user would type it. */
export function clawtopCommandOf(mode: SelfCostMode): string {
  switch (mode) {
    case 'metrics':
      return `node ${CLI} --metrics 127.0.0.1:PORT < /dev/null > /dev/null`;
    case 'json':
      return `node ${CLI} --json > /dev/null`;
    case 'screen':
      return `script -qfec "stty rows ${TERMINAL_SIZE.rows} cols ${TERMINAL_SIZE.columns}; exec node ${CLI}" /dev/null, then key 2 (Files pane)`;
  }
}

export interface SelfCostRow {
  readonly mode: SelfCostMode;
  /** The workload's rate, 0 when idle. */
  readonly load: number;
  /** The workload's calls a second over its whole run; null when idle. */
  readonly opensPerSecond: number | null;
  /**
   * Events a second clawtop's kernel programs emitted in the window, all monitors: the
   * workload's and the rest of the host's.
   */
  readonly eventsPerSecond: number;
  /** Of those, events dropped because the ring was full. */
  readonly dropped: number;
  readonly windowSeconds: number;
  /** The run time of all threads over the window, in percent of one core. */
  readonly cpuPercent: number;
  /** The same, of the main (JavaScript) thread only. */
  readonly mainThreadPercent: number;
  /** VmRSS at the window's end, and VmHWM then. */
  readonly memory: MemorySample;
  /** The host's 1-minute load average at the window's end. */
  readonly loadAverage: number;
}

export function cpuTargetOf(row: Pick<SelfCostRow, 'mode' | 'load'>): number | undefined {
  const target = TARGET_CPU_PERCENT[row.load];
  return target === undefined ? undefined : row.mode === 'screen' ? target.screen : target.headless;
}

/** Why a row misses its targets ('CPU', 'RSS'); empty when it meets them. */
export function missedTargets(row: SelfCostRow): string[] {
  const missed: string[] = [];
  const cpuTarget = cpuTargetOf(row);
  if (cpuTarget !== undefined && !(row.cpuPercent < cpuTarget)) missed.push('CPU');
  if (!(row.memory.peakRssBytes < TARGET_RSS_BYTES)) missed.push('RSS');
  return missed;
}

const megabytes = (bytes: number) => (bytes / MIB).toFixed(1);

export function formatSelfCostTable(rows: readonly SelfCostRow[]): string {
  return formatTable([
    [
      'mode',
      'load/s',
      'opens/s',
      'events/s',
      'dropped',
      'CPU %',
      'main thread %',
      'CPU target %',
      'RSS MB',
      'peak RSS MB',
      'load avg',
      'met',
    ],
    ...rows.map((row) => {
      const cpuTarget = cpuTargetOf(row);
      const missed = missedTargets(row);
      return [
        MODE_LABELS[row.mode],
        row.load === 0 ? 'idle' : count(row.load),
        row.opensPerSecond === null ? '-' : count(Math.round(row.opensPerSecond)),
        count(Math.round(row.eventsPerSecond)),
        count(row.dropped),
        row.cpuPercent.toFixed(2),
        row.mainThreadPercent.toFixed(2),
        cpuTarget === undefined ? '-' : `< ${cpuTarget}`,
        megabytes(row.memory.rssBytes),
        megabytes(row.memory.peakRssBytes),
        row.loadAverage.toFixed(2),
        missed.length === 0 ? 'yes' : `NO (${missed.join(', ')})`,
      ];
    }),
  ]);
}

// ---------------------------------------------------------------------------------------
// The measurement.

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The screen is on its Files pane, and the files monitor (attached on demand for it) is on. */
export function showsFilesPane(frame: string): boolean {
  return frame.includes(`[2 ${FILES_PANE.title}]`) && /^files\s+\S+\s+on\s/m.test(frame);
}

async function launch(mode: SelfCostMode, port: number): Promise<Clawtop> {
  switch (mode) {
    case 'metrics':
      return launchHeadless(['--metrics', `127.0.0.1:${port}`]);
    case 'json':
      return launchHeadless(['--json']);
    case 'screen':
      return launchInTerminal([], TERMINAL_SIZE);
  }
}

/** Until clawtop is attached and, on the screen, shows its Files pane with the files monitor on. */
async function waitUntilReady(mode: SelfCostMode, clawtop: Clawtop): Promise<void> {
  await clawtop.waitUntilReadingRing(DEFAULT_RING_SIZE_BYTES);
  if (mode === 'screen') {
    const screen = clawtop as TerminalClawtop;
    await screen.waitForFrame((frame) => frame.includes('Processes'), 'its first frame');
    screen.press('2');
    await screen.waitForFrame(showsFilesPane, 'the Files pane with the files monitor on');
  }
}

/** clawtop's CPU time, per thread and in all, and its memory, read from /proc. */
class ClawtopWatch {
  private readonly status: ProcFile;
  private readonly cpuClock: CpuClock;

  constructor(private readonly clawtop: Clawtop) {
    this.status = new ProcFile(`/proc/${clawtop.pid}/status`);
    this.cpuClock = new CpuClock(clawtop.pid);
  }

  cpu(): { readonly atMs: number; readonly totalSeconds: number; readonly mainSeconds: number } {
    const reading = this.cpuClock.read();
    if (reading === undefined) throw this.clawtop.failure('disappeared');
    const mainSeconds = reading.secondsByName.get('main') ?? 0;
    return { atMs: performance.now(), totalSeconds: reading.totalSeconds, mainSeconds };
  }

  memory(): MemorySample {
    const text = this.status.read();
    const sample = text === undefined ? undefined : parseMemory(text);
    if (sample === undefined) throw this.clawtop.failure('disappeared');
    return sample;
  }

  stop(): void {
    this.status.close();
    this.cpuClock.stop();
  }
}

/**
 * One load's window. The workload runs a second past it, so the window never catches its
 * end; that second overlaps the next step's warm-up, and the calls it made are read then.
 */
async function measureStep(
  mode: SelfCostMode,
  clawtop: Clawtop,
  watch: ClawtopWatch,
  load: number,
  warmUpSeconds: number,
  windowSeconds: number,
): Promise<{ readonly row: SelfCostRow; readonly opensPerSecond: Promise<number | null> }> {
  const workloadSeconds = Math.ceil(warmUpSeconds + windowSeconds) + 1;
  const workload = load === 0 ? undefined : await prepareOpenRate(load, workloadSeconds, DISTINCT_PATHS);
  workload?.start();
  await sleep(warmUpSeconds * 1000);
  clawtop.checkAlive('stopped while warming up');

  // Read outside the window: bpftool's exec and opens are events for clawtop.
  const countersBefore = clawtop.kernelCounters();
  const before = watch.cpu();
  await sleep(windowSeconds * 1000);
  const after = watch.cpu();
  const memory = watch.memory();
  const loadAverage = loadavg()[0]!;
  const countersAfter = clawtop.kernelCounters();
  clawtop.checkAlive('stopped during its window');
  const seconds = (after.atMs - before.atMs) / 1000;
  const row: SelfCostRow = {
    mode,
    load,
    opensPerSecond: null,
    eventsPerSecond: (countersAfter.emitted - countersBefore.emitted) / seconds,
    dropped: countersAfter.dropped - countersBefore.dropped,
    windowSeconds: seconds,
    cpuPercent: ((after.totalSeconds - before.totalSeconds) / seconds) * 100,
    mainThreadPercent: ((after.mainSeconds - before.mainSeconds) / seconds) * 100,
    memory,
    loadAverage,
  };
  const opensPerSecond = workload === undefined ? Promise.resolve(null) : workload.done.then((calls) => calls / workloadSeconds);
  // Awaited once every step has run; until then, a failure must not be an unhandled rejection.
  opensPerSecond.catch(() => undefined);
  return { row, opensPerSecond };
}

async function measureMode(mode: SelfCostMode, timing: Timing): Promise<SelfCostRow[]> {
  const port = mode === 'metrics' ? await freePort() : 0;
  const clawtop = await launch(mode, port);
  await waitUntilReady(mode, clawtop);
  const watch = new ClawtopWatch(clawtop);
  const steps: Awaited<ReturnType<typeof measureStep>>[] = [];
  try {
    for (const [index, load] of SELF_COST_LOADS.entries()) {
      const warmUpSeconds = index === 0 ? timing.firstWarmUpSeconds : timing.warmUpSeconds;
      const step = await measureStep(mode, clawtop, watch, load, warmUpSeconds, timing.windowSeconds);
      steps.push(step);
      process.stderr.write(`bench: ${describeStep(step.row)}: CPU ${step.row.cpuPercent.toFixed(2)}%\n`);
    }
  } finally {
    watch.stop();
  }
  const rows: SelfCostRow[] = [];
  for (const step of steps) rows.push({ ...step.row, opensPerSecond: await step.opensPerSecond });
  await clawtop.stop();
  return rows;
}

export interface SelfCostOptions {
  readonly quick: boolean;
  /** All three when not given. */
  readonly modes?: readonly SelfCostMode[];
}

/**
 * Runs clawtop three ways (or the modes asked for), one after the other, each through every
 * load. Needs root, a built clawtop and build/bench/open-rate (see buildClawtop,
 * buildOpenRate); kills what it started if it fails.
 */
export async function measureSelfCost(options: SelfCostOptions): Promise<SelfCostRow[]> {
  const timing = timingOf(options.quick);
  const rows: SelfCostRow[] = [];
  try {
    for (const mode of options.modes ?? SELF_COST_MODES) rows.push(...(await measureMode(mode, timing)));
  } catch (error) {
    killChildren();
    throw error;
  }
  return rows;
}

/** Rows whose numbers cannot be trusted: the workload's events did not reach clawtop. */
export function selfCostProblems(rows: readonly SelfCostRow[]): string[] {
  return rows
    .filter((row) => row.opensPerSecond !== null && row.eventsPerSecond < 0.9 * row.opensPerSecond)
    .map(
      (row) =>
        `${describeStep(row)}: ${count(Math.round(row.opensPerSecond!))} opens/s but clawtop's programs ` +
        `emitted ${count(Math.round(row.eventsPerSecond))} events/s`,
    );
}

/** Events a second above this, without a workload, are the host's: worth saying. */
const BUSY_HOST_EVENTS_PER_SECOND = 500;

/** Rows where the rest of the host made many events: they are in the numbers. */
export function selfCostNotes(rows: readonly SelfCostRow[]): string[] {
  return rows
    .map((row) => ({ row, others: row.eventsPerSecond - (row.opensPerSecond ?? 0) }))
    .filter(({ others }) => others > BUSY_HOST_EVENTS_PER_SECOND)
    .map(({ row, others }) => `${describeStep(row)}: the rest of the host made about ${count(Math.round(others))} events/s.`);
}

function describeStep(row: Pick<SelfCostRow, 'mode' | 'load'>): string {
  return `${MODE_LABELS[row.mode]}, ${row.load === 0 ? 'idle' : `${count(row.load)}/s`}`;
}

// ---------------------------------------------------------------------------------------
// Run on its own.

const SECTION_HEADING = '## self cost (`npm run bench:self-cost`, bench/self-cost.ts)';

const SECTION_INTRO = `What clawtop costs the host it watches. The real CLI (built with its BPF object and addon
from the current source first) runs with the default monitors (${DEFAULT_MONITORS.join(', ')}) three ways, one after
the other: **headless --metrics** (\`${clawtopCommandOf('metrics')}\`), **headless --json**
(\`${clawtopCommandOf('json')}\`), and the **screen** on a ${TERMINAL_SIZE.columns}x${TERMINAL_SIZE.rows}
pseudo-terminal (\`${clawtopCommandOf('screen')}\`: the files monitor's syscall tracepoints
are attached on demand, while the Files pane is shown, so the screen is measured on it). Each
goes through four loads: idle (no workload; the host's own activity goes on), then
bench/open-rate.c opening ${count(DISTINCT_PATHS)} missing paths in turn at 1k, 10k and 100k calls a
second, each call one file event. Each window starts once clawtop is attached and a warm-up
has passed.

- **opens/s**: the workload's calls over its run. **events/s**: events clawtop's kernel
  programs emitted in the window, all monitors: the workload's and the rest of the host's
  (the machine is shared; where the rest is large, a note says so). Read from clawtop's
  \`event_counters\` map with bpftool before and after the window. **dropped**: of those,
  events lost in the window because the ring was full.
- **CPU %**: the run time of all the process's threads over the window (the nanosecond
  counts of /proc/PID/task/*/schedstat, not /proc/PID/stat's 10 ms ticks), in percent of
  one core; **main thread %**: the JavaScript thread's share (the rest is the ring reader
  and node's own threads: GC, compiler). **RSS MB**: VmRSS at the window's end; **peak RSS
  MB**: VmHWM then.
- **load avg**: the host's 1-minute load average at the window's end. The machine is shared,
  and on 2 CPUs a load above 2 means clawtop waited for a CPU: CPU time stays its own, but
  caches are cold and numbers noisy.

Targets (issue 6): CPU below 0.5% idle headless and 2% idle on the screen, 3% at 10k
events/s, 20% at 100k events/s (no target at 1k); RSS (peak) below ${TARGET_RSS_BYTES / MIB} MB in every row.
`;

function formatHeadline(rows: readonly SelfCostRow[]): string {
  const missing = rows.filter((row) => missedTargets(row).length > 0);
  if (missing.length === 0) return 'Every row met its targets.';
  const list = missing.map(describeStep);
  return `Targets missed in ${missing.length} of ${rows.length} rows: ${list.join('; ')}.`;
}

function parseOptions(args: string[]): SelfCostOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        quick: { type: 'boolean', default: false },
        mode: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    });
  } catch (error) {
    fail(`${errorMessage(error)} (see --help)`, EXIT_USAGE);
  }
  if (parsed.values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const { quick, mode } = parsed.values;
  if (mode === undefined) return { quick };
  if (!SELF_COST_MODES.includes(mode as SelfCostMode)) {
    fail(`--mode must be one of ${SELF_COST_MODES.join(', ')}, got "${mode}"`, EXIT_USAGE);
  }
  return { quick, modes: [mode as SelfCostMode] };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const options = parseOptions(args);
  const problem = privilegeProblem() ?? terminalProblem() ?? bpftoolProblem();
  if (problem) fail(problem, EXIT_FAILURE);
  buildOpenRate();
  buildClawtop();
  // Read before the run: the code measured is the tree as it was when the run started.
  const commit = describeCommit();
  cleanUpOnExit(killChildren);

  const loadBefore = loadavg().map((load) => load.toFixed(2)).join(', ');
  const rows = await measureSelfCost(options);
  const loadAfter = loadavg().map((load) => load.toFixed(2)).join(', ');
  const table = formatSelfCostTable(rows);
  const headline = formatHeadline(rows);
  const notes = selfCostNotes(rows);
  process.stdout.write(`${table}\n\n${[headline, ...notes].join('\n')}\n`);
  const problems = selfCostProblems(rows);
  if (problems.length > 0) {
    const list = problems.join('\n  ');
    fail(`not recorded in docs/BENCHMARKS.md, the run is not trustworthy:\n  ${list}`, EXIT_FAILURE);
  }
  const timing = timingOf(options.quick);
  recordResults(
    SECTION_HEADING,
    SECTION_INTRO,
    [
      ...runHeading('self cost', commit, args),
      `- windows: ${timing.windowSeconds} s, after ${timing.warmUpSeconds} s of warm-up (${timing.firstWarmUpSeconds} s after attaching)`,
      `- load average (1, 5, 15 min): ${loadBefore} before, ${loadAfter} after`,
      '',
      table,
      '',
      headline,
      ...notes,
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
