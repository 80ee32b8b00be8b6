#!/usr/bin/env node
// Parses flags, checks what the kernel side needs, picks the mode, and owns cleanup.
import './process-settings.ts';

import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

import meow from 'meow';

import { findCgroup2Root } from './core/cgroups.ts';
import { Engine } from './core/engine.ts';
import { FilterError, compileFilter } from './core/filter.ts';
import { recordedSnapshotFields, type EventSource } from './core/event-source.ts';
import { formatHookTable, userFacingHooks } from './core/hook-report.ts';
import {
  DEFAULT_MONITORS,
  DEFAULT_RING_SIZE_BYTES,
  KernelSession,
  MONITOR_NAMES,
  parseByteSize,
  ringSizeProblem,
  type MonitorName,
} from './core/native.ts';
import { NdjsonWriter, formatStatsLine, formatSummaryLine, monotonicToWallClockMs } from './core/ndjson.ts';
import {
  MetricsAddressError,
  createMetricsRegistry,
  engineMetricsSource,
  parseMetricsAddress,
  startMetricsServer,
  type MetricsAddress,
  type MetricsServer,
} from './core/metrics.ts';
import { eventFilterAccess } from './core/pane-filters.ts';
import { btfProblem, ensureTracefs, privilegeProblem } from './core/preflight.ts';
import { buildSnapshotDocument, compilePaneFilters, type PaneFilters } from './core/snapshot-document.ts';
import { RecordingPlayer } from './core/recording-player.ts';
import { RecordingError, RecordingWriter, looksLikeRecording, parseRecording } from './core/recording.ts';
import { writeSnapshotFile } from './core/snapshot-file.ts';
import { openSnapshot, type OpenedSnapshot } from './core/snapshot-model.ts';
import type { UiController } from './ui/controller.ts';
import { EngineController } from './ui/engine-controller.ts';
import { SnapshotController } from './ui/snapshot-controller.ts';

const EXIT_RUNTIME_FAILURE = 1;
const EXIT_USAGE = 2;
const STATS_INTERVAL_MS = 10_000;
const SHOW_CURSOR = '\u001B[?25h';
/** The screen draws on the terminal's alternate screen, so quitting gives the user's screen back. */
const ENTER_ALTERNATE_SCREEN = '\u001B[?1049h';
const LEAVE_ALTERNATE_SCREEN = '\u001B[?1049l';

const HELP = `
  USAGE
    clawtop [--monitors LIST] [--filter TEXT] [options]
    clawtop --json [--snapshot FILE] [--duration SECONDS] [--filter TEXT] [options]
    clawtop --snapshot FILE --duration SECONDS [--filter TEXT] [options]
    clawtop --record FILE [--json] [--duration SECONDS] [options]
    clawtop --replay RECORDING [--speed N] [--json] [--snapshot FILE]
    clawtop --replay SNAPSHOT
    clawtop --metrics [HOST:]PORT [options]
    clawtop --probe

  Watches this host through eBPF: programs executed and processes exiting, files
  opened, connections made, traffic per cgroup, and alerts. Streams events as
  NDJSON, and/or writes a snapshot of every table when it stops. Needs root, or
  CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN; --replay needs neither root nor BPF.

  FLAGS
    --json              stream events as NDJSON on stdout; the first line is the
                        hook report (which program serves each monitor), the last
                        a summary; a stats line goes to stderr every 10 s
                        (default: off, the screen)
    --snapshot FILE     when clawtop stops, write every table (processes,
                        commands, files, connections, cgroups, alerts) to FILE as
                        one JSON document (docs/SNAPSHOT.md), atomically, mode 0600
                        (default: none)
    --filter TEXT       keep only what matches (docs/FILTERS.md), e.g.
                        "comm==nginx,dport>=1024"; pid, uid, port and cgroup
                        equality run in the kernel (default: none)
    --monitors LIST     monitors to run, comma-separated, from
                        ${MONITOR_NAMES.join(', ')}
                        (default: ${DEFAULT_MONITORS.join(',')}; syscalls is opt-in
                        because syscall tracepoints slow every syscall on the host)
    --cgroup-threshold CGROUP=RATE
                        alert when the cgroup (its path under the cgroup v2
                        mount) receives or sends more than RATE bytes/s, e.g.
                        /system.slice/nginx.service=10M; repeatable (default: none)
    --metrics [HOST:]PORT
                        serve Prometheus metrics at http://HOST:PORT/metrics
                        (docs/METRICS.md); HOST defaults to 127.0.0.1. Beside
                        the screen on a terminal; without one, or with --json
                        or --snapshot, clawtop runs headless until stopped
                        (default: none)
    --duration SECONDS  stop after this many seconds (default: run until Ctrl-C)
    --ring-size SIZE    kernel ring buffer size, a power of two from 4K to 1G
                        (default: 8M)
    --probe             print which hook serves each monitor on this kernel, and
                        why a fallback was taken, then exit (default: off)
    --record FILE       also write the raw event stream to FILE (docs/RECORDING.md),
                        created anew (never over a file), mode 0600; without a
                        terminal and without --json, records silently
                        (default: off)
    --replay FILE       play a recording into the screen, --json or --snapshot,
                        or reopen a snapshot file (--snapshot, W) on the screen,
                        read-only; without root and without touching the kernel
                        (default: off)
    --speed N           replay N times faster than recorded; 0 or max: as fast
                        as possible (default: 1)
    --verbose           print libbpf's messages on stderr (default: off)
    --help              show this help
    --version           show the version

  EXAMPLES
    sudo clawtop --json --duration 5
    sudo clawtop --snapshot /tmp/host.json --duration 30
    sudo clawtop --json --filter 'path~^/etc,errno==ENOENT'
    sudo clawtop --json --monitors exec,syscalls | grep ENOENT
    sudo clawtop --json --cgroup-threshold /system.slice/backup.service=50M
    sudo clawtop --metrics 9090
    sudo clawtop --probe
    sudo clawtop --record /tmp/incident.clawtop-rec --duration 60
    clawtop --replay docs/sample.clawtop-rec
    clawtop --replay /tmp/host.json
    clawtop --replay /tmp/incident.clawtop-rec --json --speed max | grep '"kind":"net"'
`;

class UsageError extends Error {}

function fail(message: string, exitCode: number): never {
  process.stderr.write(`clawtop: ${message}\n`);
  process.exit(exitCode);
}

const FLAGS = {
  json: { type: 'boolean' as const, default: false },
  probe: { type: 'boolean' as const, default: false },
  snapshot: { type: 'string' as const },
  filter: { type: 'string' as const, default: '' },
  monitors: { type: 'string' as const },
  cgroupThreshold: { type: 'string' as const, isMultiple: true as const, default: [] as string[] },
  duration: { type: 'number' as const },
  ringSize: { type: 'string' as const, default: String(DEFAULT_RING_SIZE_BYTES) },
  metrics: { type: 'string' as const },
  verbose: { type: 'boolean' as const, default: false },
  record: { type: 'string' as const },
  replay: { type: 'string' as const },
  speed: { type: 'string' as const },
};

function parseMonitors(list: string): MonitorName[] {
  const names = list.split(',').map((name) => name.trim());
  const unknown = names.find((name) => !(MONITOR_NAMES as readonly string[]).includes(name));
  if (unknown !== undefined) {
    throw new UsageError(`--monitors: unknown monitor "${unknown}" (choose from ${MONITOR_NAMES.join(', ')})`);
  }
  return [...new Set(names as MonitorName[])];
}

interface CgroupThreshold {
  readonly path: string;
  readonly bytesPerSecond: number;
}

function parseCgroupThreshold(text: string): CgroupThreshold {
  const separator = text.lastIndexOf('=');
  const path = text.slice(0, separator);
  const bytesPerSecond = separator > 0 ? parseByteSize(text.slice(separator + 1)) : undefined;
  if (!path.startsWith('/') || bytesPerSecond === undefined || bytesPerSecond <= 0) {
    throw new UsageError(`--cgroup-threshold must be CGROUP=RATE such as /system.slice/x.service=10M, got "${text}"`);
  }
  return { path, bytesPerSecond };
}

/** --record, --replay and --speed. */
function parseReplayFlags(flags: { record?: string; replay?: string; speed?: string }) {
  if (flags.record === '') throw new UsageError('--record needs a file name');
  if (flags.replay === '') throw new UsageError('--replay needs a file name');
  if (flags.record !== undefined && flags.replay !== undefined) {
    throw new UsageError('--record and --replay cannot be used together');
  }
  if (flags.speed !== undefined && flags.replay === undefined) throw new UsageError('--speed needs --replay');
  const speedText = flags.speed ?? '1';
  const speed = speedText === 'max' ? 0 : Number(speedText);
  if (!(Number.isFinite(speed) && speed >= 0)) {
    throw new UsageError(`--speed must be a number above 0, or 0 or max for as fast as possible, got "${speedText}"`);
  }
  return { recordPath: flags.record, replayPath: flags.replay, speed: speed === 0 ? Infinity : speed };
}

function parseMetricsFlag(text: string | undefined): MetricsAddress | undefined {
  if (text === undefined) return undefined;
  try {
    return parseMetricsAddress(text);
  } catch (error) {
    if (error instanceof MetricsAddressError) throw new UsageError(error.message);
    throw error;
  }
}

/** --metrics or --record without --json or --snapshot show the screen only where someone is looking. */
function onTerminal(): boolean {
  return process.stdout.isTTY === true && process.stdin.isTTY === true;
}

function parseFlags() {
  // Unknown flags are reported here, not by meow, to keep the error on one line.
  const cli = meow(HELP, { importMeta: import.meta, allowUnknownFlags: true, flags: FLAGS });
  const unknown = Object.keys(cli.unnormalizedFlags).find((name) => !(name in FLAGS));
  if (unknown !== undefined) {
    throw new UsageError(`unknown flag ${unknown.length === 1 ? '-' : '--'}${unknown} (see --help)`);
  }
  if (cli.input.length > 0) throw new UsageError(`unexpected argument "${cli.input[0]}" (see --help)`);
  const { duration } = cli.flags;
  if (duration !== undefined && !(Number.isFinite(duration) && duration > 0)) {
    throw new UsageError(`--duration must be a number of seconds above 0, got ${duration}`);
  }
  const ringSizeBytes = parseByteSize(cli.flags.ringSize);
  if (ringSizeBytes === undefined) {
    throw new UsageError(`--ring-size must be a size such as 8M or 4096, got "${cli.flags.ringSize}"`);
  }
  const ringProblem = ringSizeProblem(ringSizeBytes);
  if (ringProblem) throw new UsageError(`--ring-size: ${ringProblem}`);
  const monitors = cli.flags.monitors === undefined ? [...DEFAULT_MONITORS] : parseMonitors(cli.flags.monitors);
  if (cli.flags.snapshot === '') throw new UsageError('--snapshot needs a file name');
  const metricsAddress = parseMetricsFlag(cli.flags.metrics);
  let filters: PaneFilters;
  try {
    filters = compilePaneFilters(cli.flags.filter, resolveCgroupIdByPath);
  } catch (error) {
    if (error instanceof FilterError) throw new UsageError(`--filter: ${error.message}`);
    throw error;
  }
  return {
    ...parseReplayFlags(cli.flags),
    mode: cli.flags.probe
      ? ('probe' as const)
      : cli.flags.json ||
          cli.flags.snapshot !== undefined ||
          ((cli.flags.record !== undefined || metricsAddress !== undefined) && !onTerminal())
        ? ('headless' as const)
        : ('interactive' as const),
    monitorsNamed: cli.flags.monitors !== undefined,
    json: cli.flags.json,
    snapshotPath: cli.flags.snapshot,
    filters,
    monitors,
    cgroupThresholds: cli.flags.cgroupThreshold.map(parseCgroupThreshold),
    durationSeconds: duration,
    ringSizeBytes,
    metricsAddress,
    verbose: cli.flags.verbose,
  };
}

type Options = ReturnType<typeof parseFlags>;

/** What --replay FILE holds: a recording to play, or a snapshot to look at. */
type Replay =
  | { readonly kind: 'recording'; readonly player: RecordingPlayer }
  | { readonly kind: 'snapshot'; readonly opened: OpenedSnapshot };

/** Reads and checks the whole file first: a file that cannot be replayed writes nothing. */
function openReplay(options: Options): Replay | undefined {
  const path = options.replayPath;
  if (path === undefined) return undefined;
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    fail(`failed to read ${path}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`, EXIT_RUNTIME_FAILURE);
  }
  if (!looksLikeRecording(data)) {
    // Throws its one-line reason when it is not a snapshot either, or one the screen cannot show.
    return { kind: 'snapshot', opened: openSnapshot(path) };
  }
  try {
    return { kind: 'recording', player: new RecordingPlayer(parseRecording(path, data), { speed: options.speed }) };
  } catch (error) {
    if (error instanceof RecordingError) fail(error.message, EXIT_RUNTIME_FAILURE);
    throw error;
  }
}

/** A replayed recording's end: a recording cut short (a killed clawtop) is said to be. */
function replayEndNote(options: Options, source: EventSource): string {
  if (!(source instanceof RecordingPlayer) || !source.truncated) return '';
  return `clawtop: ${options.replayPath} was cut short (no end record): replayed its ${source.durationSeconds.toFixed(1)} s of whole records\n`;
}

/** Found out before anything is loaded: a recording is never written over an existing file. */
function recordTargetProblem(path: string): string | undefined {
  if (statSync(path, { throwIfNoEntry: false }) !== undefined) return `${path} exists (a recording is never overwritten)`;
  return snapshotTargetProblem(path);
}

function startRecording(options: Options, engine: Engine, monitors: readonly MonitorName[]): RecordingWriter | undefined {
  if (options.recordPath === undefined) return undefined;
  const recorder = new RecordingWriter(options.recordPath, engine.session, {
    startedNs: engine.startedNs,
    monitors,
    ringSizeBytes: options.ringSizeBytes,
    processes: engine.initialProcesses,
  });
  engine.setRecorder(recorder);
  return recorder;
}

function preflight(): void {
  const problem = privilegeProblem() ?? btfProblem() ?? ensureTracefs();
  if (problem) fail(problem, EXIT_RUNTIME_FAILURE);
}

function verboseLog(options: Options): ((line: string) => void) | undefined {
  return options.verbose ? (line: string) => process.stderr.write(`libbpf: ${line}\n`) : undefined;
}

function printProbe(options: Options): void {
  preflight();
  const session = new KernelSession({ ringSizeBytes: options.ringSizeBytes, monitors: [], log: verboseLog(options) });
  process.stdout.write(formatHookTable(session.report));
  session.close();
}

/** Paths in flags and filters name cgroups; the kernel knows them by id, the directory's inode. */
function resolveCgroupIdByPath(path: string): number | undefined {
  const cgroupRoot = findCgroup2Root();
  if (cgroupRoot === undefined) return undefined;
  try {
    return statSync(join(cgroupRoot, path)).ino;
  } catch {
    return undefined;
  }
}

/** Found out before watching for minutes, not when the snapshot is due. */
function snapshotTargetProblem(path: string): string | undefined {
  const directory = dirname(resolve(path));
  try {
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) return `${path} is a directory`;
    if (!statSync(directory).isDirectory()) return `${directory} is not a directory`;
    accessSync(directory, constants.W_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `no such directory ${directory}`;
    if (code === 'ENOTDIR') return `${directory} is not a directory`;
    if (code === 'EACCES' || code === 'EROFS') return `cannot create files in ${directory}`;
    return (error as Error).message;
  }
}

function resolveThresholds(options: Options): { cgroupId: number; bytesPerSecond: number }[] {
  return options.cgroupThresholds.map((threshold) => {
    const cgroupId = resolveCgroupIdByPath(threshold.path);
    if (cgroupId === undefined) fail(`--cgroup-threshold: no cgroup ${threshold.path}`, EXIT_RUNTIME_FAILURE);
    return { cgroupId, bytesPerSecond: threshold.bytesPerSecond };
  });
}

/**
 * --metrics: listens before the kernel work starts, so a taken port fails at once; serveMetrics()
 * hands it the engine to read at each scrape.
 */
async function listenForMetrics(options: Options): Promise<MetricsServer | undefined> {
  if (options.metricsAddress === undefined) return undefined;
  try {
    return await startMetricsServer(options.metricsAddress);
  } catch (error) {
    fail((error as Error).message, EXIT_RUNTIME_FAILURE);
  }
}

function serveMetrics(server: MetricsServer | undefined, engine: Engine): void {
  server?.serve(createMetricsRegistry(engineMetricsSource(engine)));
}

async function runHeadless(options: Options): Promise<void> {
  const thresholds = resolveThresholds(options);
  if (options.snapshotPath !== undefined) {
    const problem = snapshotTargetProblem(options.snapshotPath);
    if (problem) fail(`failed to write snapshot ${options.snapshotPath}: ${problem}`, EXIT_RUNTIME_FAILURE);
  }
  if (options.recordPath !== undefined) {
    const problem = recordTargetProblem(options.recordPath);
    if (problem) fail(`failed to create recording ${options.recordPath}: ${problem}`, EXIT_RUNTIME_FAILURE);
  }
  const replay = openReplay(options);
  if (replay?.kind === 'snapshot') {
    throw new UsageError(`${options.replayPath} is a snapshot: it reopens on the screen only (without --json or --snapshot)`);
  }
  const player = replay?.player;
  const metrics = await listenForMetrics(options);
  if (player === undefined) preflight();
  const monitors = player?.monitors ?? options.monitors;
  const toWallClockMs = player?.toWallClockMs ?? monotonicToWallClockMs();
  let cgroupPath: (cgroupId: number) => string | undefined = () => undefined;
  const eventFilter = compileFilter(options.filters.text, eventFilterAccess((cgroupId) => cgroupPath(cgroupId)), {
    resolveCgroupId: resolveCgroupIdByPath,
  });
  const lines = new NdjsonWriter((bytes) => process.stdout.write(bytes), (cgroupId) => cgroupPath(cgroupId), toWallClockMs);
  // Lines are written once per batch and per tick, not once per event: the first event of
  // a batch schedules the write for when the batch is done. No timer, so an idle host costs
  // nothing, and the bytes waiting to be written never outgrow one batch (nor the
  // writer's chunk).
  const flush = () => lines.flush();
  const engine = new Engine({
    monitors,
    ringSizeBytes: options.ringSizeBytes,
    log: verboseLog(options),
    cgroupThresholds: thresholds,
    source: player,
    kernelFilters: eventFilter.kernelFilters,
    keepTables: options.snapshotPath !== undefined || options.metricsAddress !== undefined,
    onEvent: options.json
      ? (event) => {
          if (!eventFilter.matches(event)) return;
          if (lines.heldBytes === 0) setImmediate(flush);
          lines.append(event);
        }
      : undefined,
  });
  cgroupPath = (cgroupId) => engine.cgroupPath(cgroupId);
  serveMetrics(metrics, engine);
  const { session } = engine;
  const hooks = userFacingHooks(session.report);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), kind: 'hooks', ...hooks })}\n`);
  }
  if (player === undefined) {
    const unattached = hooks.hooks.filter((hook) => options.monitors.includes(hook.monitor) && !hook.attached);
    for (const hook of unattached) process.stderr.write(`clawtop: ${hook.monitor} is off: ${hook.reason}\n`);
    if (unattached.length === options.monitors.length) fail('no monitor could be attached', EXIT_RUNTIME_FAILURE);
  }
  const recorder = startRecording(options, engine, monitors);
  engine.start();
  let statsBefore = engine.kindTotals();
  const statsTimer = setInterval(() => {
    const statsAfter = engine.kindTotals();
    const { ringFillBytes, ringSizeBytes } = session.readCounters();
    process.stderr.write(formatStatsLine(statsBefore, statsAfter, STATS_INTERVAL_MS / 1000, ringFillBytes / ringSizeBytes));
    statsBefore = statsAfter;
  }, STATS_INTERVAL_MS);
  if (!options.json) clearInterval(statsTimer);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(statsTimer);
    // The hooks as they served the watch: stopping detaches every monitor.
    const report = session.report;
    await metrics?.close();
    await engine.stop();
    flush();
    const totals = engine.kindTotals();
    try {
      recorder?.finish(session.nowNs(), monitors.includes('cgroup') ? session.readCgroupTraffic() : null);
      if (options.snapshotPath !== undefined) {
        const nowNs = session.nowNs();
        const document = buildSnapshotDocument(engine.model.snapshot(nowNs / 1e6), {
          report,
          totals,
          filters: options.filters,
          durationSeconds: Math.round((nowNs - engine.startedNs) / 1e7) / 100,
          toWallClockMs: (monotonicMs) => toWallClockMs(monotonicMs * 1e6),
          now: player === undefined ? undefined : new Date(toWallClockMs(nowNs)),
        });
        writeSnapshotFile(options.snapshotPath, { ...document, ...recordedSnapshotFields(session) });
      }
      if (options.json) process.stdout.write(formatSummaryLine(totals, engine.decodeStats.malformedRecords));
    } finally {
      engine.close();
    }
    process.stderr.write(replayEndNote(options, session));
    // A pipe is written asynchronously: everything is handed over before exiting.
    await new Promise((resolve) => process.stdout.write('', resolve));
    process.exit(0);
  };
  const stopOrFail = () => stop().catch((error: Error) => fail(error.message, EXIT_RUNTIME_FAILURE));
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stopOrFail);
  // A reader that went away (clawtop --json | head) is a normal end, not a failure.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') fail(`failed to write output: ${error.message}`, EXIT_RUNTIME_FAILURE);
    engine.close();
    process.exit(0);
  });
  if (options.durationSeconds !== undefined) setTimeout(stopOrFail, options.durationSeconds * 1000);
  engine.onSourceEnd(stopOrFail);
}

/** What the screen shows, and how it ends. */
interface ScreenOwner {
  readonly controller: UiController;
  /** Once the screen is gone: stops what feeds it (may fail; clawtop exits anyway). */
  stop(): Promise<void>;
  /** Releases everything; also after a crash. */
  close(): void;
  /** Said on stderr once the terminal is back (a replay cut short), or ''. */
  farewell(): string;
}

/**
 * Draws the screen on the terminal's alternate screen until q, Ctrl-C or a signal, then
 * stops its owner, gives the terminal back and exits 0. A crash still hands the terminal
 * back and releases everything before it says why.
 */
async function showScreen(owner: ScreenOwner): Promise<void> {
  // Ink draws only the last frame when it believes it runs in CI; on a terminal someone is watching.
  if (process.env.CI !== undefined) process.env.CI = '0';
  if (process.env.CONTINUOUS_INTEGRATION !== undefined) process.env.CONTINUOUS_INTEGRATION = '0';
  // Loaded only now, and without JSX in this file (which would import React's JSX runtime
  // first thing): React must load after process-settings.ts has set NODE_ENV.
  const [{ render }, { App }, { createElement }] = await Promise.all([
    import('ink'),
    import('./ui/app.tsx'),
    import('react'),
  ]);

  let quitting = false;
  const quit = async (exitCode: number) => {
    if (quitting) return;
    quitting = true;
    instance.unmount();
    try {
      await owner.stop();
    } finally {
      owner.close();
      process.stdout.write(LEAVE_ALTERNATE_SCREEN + SHOW_CURSOR);
      process.stderr.write(owner.farewell());
      process.exit(exitCode);
    }
  };
  process.stdout.write(ENTER_ALTERNATE_SCREEN);
  const instance = render(createElement(App, { controller: owner.controller, onQuit: () => void quit(0) }), {
    exitOnCtrlC: false,
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void quit(0));
  process.on('uncaughtException', (error) => {
    try {
      instance.unmount();
    } finally {
      owner.close();
      process.stdout.write(LEAVE_ALTERNATE_SCREEN + SHOW_CURSOR);
      process.stderr.write(`clawtop: ${error.message}\n`);
      process.exit(EXIT_RUNTIME_FAILURE);
    }
  });
}

/**
 * The screen. The files monitor's syscall tracepoints slow every syscall on the host, so
 * where they serve it (no bpf LSM) and --monitors did not ask for it, it is attached only
 * while something on screen needs it. A snapshot file (--replay) is shown read-only.
 */
async function runInteractive(options: Options): Promise<void> {
  // A file that cannot be replayed says so, terminal or not.
  const replay = openReplay(options);
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    throw new UsageError('the interactive view needs a terminal: use --json or --snapshot when piping');
  }
  if (replay?.kind === 'snapshot') {
    const controller = new SnapshotController(replay.opened, {
      snapshotDirectory: process.cwd(),
      initialFilter: options.filters.text,
    });
    await showScreen({ controller, stop: async () => undefined, close: () => undefined, farewell: () => '' });
    return;
  }
  const thresholds = resolveThresholds(options);
  if (options.recordPath !== undefined) {
    const problem = recordTargetProblem(options.recordPath);
    if (problem) fail(`failed to create recording ${options.recordPath}: ${problem}`, EXIT_RUNTIME_FAILURE);
  }
  const player = replay?.player;
  const metrics = await listenForMetrics(options);
  if (player === undefined) preflight();
  const engine = new Engine({
    monitors: player?.monitors ?? options.monitors.filter((monitor) => monitor !== 'files'),
    ringSizeBytes: options.ringSizeBytes,
    log: verboseLog(options),
    cgroupThresholds: thresholds,
    source: player,
  });
  const filesHook = engine.session.report.hooks.find((hook) => hook.monitor === 'files');
  const filesWanted = player === undefined && options.monitors.includes('files');
  const filesOnDemand = filesWanted && !options.monitorsNamed && filesHook?.mode === 'fallback';
  if (filesWanted && !filesOnDemand) engine.session.setMonitor('files', true);
  const recorder = startRecording(options, engine, options.monitors);
  engine.start();
  serveMetrics(metrics, engine);
  const controller = new EngineController(engine, {
    filesOnDemand,
    resolveCgroupId: resolveCgroupIdByPath,
    snapshotDirectory: process.cwd(),
    initialFilter: options.filters.text,
  });
  await showScreen({
    controller,
    stop: async () => {
      controller.dispose();
      await metrics?.close();
      await engine.stop();
      recorder?.finish(engine.session.nowNs(), options.monitors.includes('cgroup') ? engine.session.readCgroupTraffic() : null);
    },
    close: () => engine.close(),
    farewell: () => replayEndNote(options, engine.session),
  });
}

try {
  const options = parseFlags();
  if (options.mode === 'probe') printProbe(options);
  else if (options.mode === 'headless') await runHeadless(options);
  else await runInteractive(options);
} catch (error) {
  if (error instanceof UsageError) fail(error.message, EXIT_USAGE);
  fail(error instanceof Error ? error.message : String(error), EXIT_RUNTIME_FAILURE);
}
