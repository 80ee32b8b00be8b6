#!/usr/bin/env node
// Parses flags, checks what the kernel side needs, picks the mode, and owns cleanup.
import meow from 'meow';

import { BENCH_RECORD_KIND } from './core/contract.ts';
import { createDecodeStats, decodeEvent, walkBatch } from './core/decode.ts';
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
import { createNdjsonFormatter, formatSummaryLine } from './core/ndjson.ts';
import { btfProblem, ensureTracefs, privilegeProblem } from './core/preflight.ts';

const EXIT_RUNTIME_FAILURE = 1;
const EXIT_USAGE = 2;
/** After the programs are detached, how long the ring reader gets to hand over what is queued. */
const FINAL_DRAIN_MS = 50;

const HELP = `
  USAGE
    clawtop --json [--monitors LIST] [--duration SECONDS] [--ring-size SIZE] [--verbose]
    clawtop --probe

  Watches this host through eBPF and streams what it sees, one JSON object per
  line: programs executed and processes exiting, files opened, connections made,
  traffic per cgroup. Needs root, or CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN.

  FLAGS
    --json              stream events as NDJSON on stdout; the first line is the
                        hook report (which program serves each monitor)
    --monitors LIST     monitors to run, comma-separated, from
                        ${MONITOR_NAMES.join(', ')}
                        (default: ${DEFAULT_MONITORS.join(',')}; syscalls is opt-in
                        because syscall tracepoints slow every syscall on the host)
    --duration SECONDS  stop after this many seconds (default: run until Ctrl-C)
    --ring-size SIZE    kernel ring buffer size, a power of two from 4K to 1G
                        (default: 8M)
    --probe             print which hook serves each monitor on this kernel, and
                        why a fallback was taken, then exit
    --verbose           print libbpf's messages on stderr
    --help              show this help
    --version           show the version

  EXAMPLES
    sudo clawtop --json --duration 5
    sudo clawtop --json --monitors exec,syscalls | grep ENOENT
    sudo clawtop --probe
`;

class UsageError extends Error {}

function fail(message: string, exitCode: number): never {
  process.stderr.write(`clawtop: ${message}\n`);
  process.exit(exitCode);
}

const FLAGS = {
  json: { type: 'boolean', default: false },
  probe: { type: 'boolean', default: false },
  monitors: { type: 'string', default: DEFAULT_MONITORS.join(',') },
  duration: { type: 'number' },
  ringSize: { type: 'string', default: String(DEFAULT_RING_SIZE_BYTES) },
  verbose: { type: 'boolean', default: false },
} as const;

function parseMonitors(list: string): MonitorName[] {
  const names = list.split(',').map((name) => name.trim());
  const unknown = names.find((name) => !(MONITOR_NAMES as readonly string[]).includes(name));
  if (unknown !== undefined) {
    throw new UsageError(`--monitors: unknown monitor "${unknown}" (choose from ${MONITOR_NAMES.join(', ')})`);
  }
  return [...new Set(names as MonitorName[])];
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
  const monitors = parseMonitors(cli.flags.monitors);
  if (!cli.flags.json && !cli.flags.probe) {
    throw new UsageError('the interactive view is not built yet: use --json or --probe (see --help)');
  }
  return {
    mode: cli.flags.probe ? ('probe' as const) : ('json' as const),
    monitors,
    durationSeconds: duration,
    ringSizeBytes,
    verbose: cli.flags.verbose,
  };
}

type Options = ReturnType<typeof parseFlags>;

function openKernel(options: Options, monitors: readonly MonitorName[]): KernelSession {
  const problem = privilegeProblem() ?? btfProblem() ?? ensureTracefs();
  if (problem) fail(problem, EXIT_RUNTIME_FAILURE);
  const log = options.verbose ? (line: string) => process.stderr.write(`libbpf: ${line}\n`) : undefined;
  return new KernelSession({ ringSizeBytes: options.ringSizeBytes, monitors, log });
}

function printProbe(options: Options): void {
  const session = openKernel(options, []);
  process.stdout.write(formatHookTable(session.report));
  session.close();
}

function streamJson(options: Options): void {
  const session = openKernel(options, options.monitors);
  const formatEvent = createNdjsonFormatter();
  const hooks = userFacingHooks(session.report);
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), kind: 'hooks', ...hooks })}\n`);
  const unattached = hooks.hooks.filter((hook) => options.monitors.includes(hook.monitor) && !hook.attached);
  for (const hook of unattached) process.stderr.write(`clawtop: ${hook.monitor} is off: ${hook.reason}\n`);
  if (unattached.length === options.monitors.length) fail('no monitor could be attached', EXIT_RUNTIME_FAILURE);

  const stats = createDecodeStats();
  session.start((batch) => {
    let lines = '';
    walkBatch(
      batch,
      (kind, view, offset) => {
        if (kind !== BENCH_RECORD_KIND) lines += formatEvent(decodeEvent(view, offset));
      },
      stats,
    );
    if (lines) process.stdout.write(lines);
  });

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    for (const monitor of MONITOR_NAMES) session.setMonitor(monitor, false);
    setTimeout(() => {
      process.stdout.write(formatSummaryLine(session.readCounters(), stats));
      session.close();
      process.exit(0);
    }, FINAL_DRAIN_MS);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stop);
  // A reader that went away (clawtop --json | head) is a normal end, not a failure.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') fail(`failed to write output: ${error.message}`, EXIT_RUNTIME_FAILURE);
    session.close();
    process.exit(0);
  });
  if (options.durationSeconds !== undefined) setTimeout(stop, options.durationSeconds * 1000);
}

try {
  const options = parseFlags();
  if (options.mode === 'probe') printProbe(options);
  else streamJson(options);
} catch (error) {
  if (error instanceof UsageError) fail(error.message, EXIT_USAGE);
  fail(error instanceof Error ? error.message : String(error), EXIT_RUNTIME_FAILURE);
}
