#!/usr/bin/env node
// Parses flags, checks what the kernel side needs, picks the mode, and owns cleanup.
import { statSync } from 'node:fs';
import { join } from 'node:path';

import meow from 'meow';

import { CgroupTrafficSampler } from './core/cgroup-traffic.ts';
import { CgroupPathResolver, findCgroup2Root } from './core/cgroups.ts';
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
const CGROUP_SAMPLE_INTERVAL_MS = 1000;

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
    --cgroup-threshold CGROUP=RATE
                        alert when the cgroup (its path under the cgroup v2
                        mount) receives or sends more than RATE bytes/s, e.g.
                        /system.slice/nginx.service=10M; repeatable
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
    sudo clawtop --json --cgroup-threshold /system.slice/backup.service=50M
    sudo clawtop --probe
`;

class UsageError extends Error {}

function fail(message: string, exitCode: number): never {
  process.stderr.write(`clawtop: ${message}\n`);
  process.exit(exitCode);
}

const FLAGS = {
  json: { type: 'boolean' as const, default: false },
  probe: { type: 'boolean' as const, default: false },
  monitors: { type: 'string' as const, default: DEFAULT_MONITORS.join(',') },
  cgroupThreshold: { type: 'string' as const, isMultiple: true as const, default: [] as string[] },
  duration: { type: 'number' as const },
  ringSize: { type: 'string' as const, default: String(DEFAULT_RING_SIZE_BYTES) },
  verbose: { type: 'boolean' as const, default: false },
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
    cgroupThresholds: cli.flags.cgroupThreshold.map(parseCgroupThreshold),
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

/** Thresholds name cgroups by path; the kernel counts by id, the inode of the directory. */
function cgroupIdOf(cgroupRoot: string, path: string): number {
  try {
    return statSync(join(cgroupRoot, path)).ino;
  } catch {
    return fail(`--cgroup-threshold: no cgroup ${path} under ${cgroupRoot}`, EXIT_RUNTIME_FAILURE);
  }
}

function streamJson(options: Options): void {
  const cgroupRoot = findCgroup2Root();
  const thresholds = options.cgroupThresholds.map((threshold) => {
    if (cgroupRoot === undefined) fail('--cgroup-threshold: no cgroup v2 hierarchy is mounted', EXIT_RUNTIME_FAILURE);
    return { cgroupId: cgroupIdOf(cgroupRoot, threshold.path), bytesPerSecond: threshold.bytesPerSecond };
  });
  const session = openKernel(options, options.monitors);
  const cgroupPaths = cgroupRoot === undefined ? undefined : new CgroupPathResolver(cgroupRoot);
  const resolveCgroupPath = (cgroupId: number) => cgroupPaths?.resolve(cgroupId);
  const formatEvent = createNdjsonFormatter(resolveCgroupPath);
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

  // Traffic is counted in the kernel per cgroup and read here, never a record per packet.
  const trafficSampler = new CgroupTrafficSampler(resolveCgroupPath);
  for (const { cgroupId, bytesPerSecond } of thresholds) trafficSampler.setThreshold(cgroupId, bytesPerSecond);
  const sampleTraffic = () => {
    const events = trafficSampler.sample(session.readCgroupTraffic(), Number(process.hrtime.bigint()));
    if (events.length > 0) process.stdout.write(events.map(formatEvent).join(''));
  };
  if (options.monitors.includes('cgroup')) {
    sampleTraffic();
    setInterval(sampleTraffic, CGROUP_SAMPLE_INTERVAL_MS).unref();
  }

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
