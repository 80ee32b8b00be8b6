/**
 * What watching costs the watched: four C workloads (getppid, open/close, fork+exec, loopback
 * TCP connects) run flat out on one CPU, bare and with a tool attached on the other CPU,
 * interleaved; each row is ops/s attached / ops/s bare. The tools are clawtop (default
 * monitors, exec,net,cgroup, and all monitors), the libbpf-tools peer of each workload and
 * bpftrace counting the same events in a map. Prints one table and, run on its own, appends
 * it to docs/BENCHMARKS.md with the machine and commit it was measured on.
 */
import { execFileSync, spawn, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';

import { DEFAULT_MONITORS, MONITOR_NAMES, type MonitorName } from '../src/core/native.ts';
import { ensureTracefs, privilegeProblem } from '../src/core/preflight.ts';
import {
  CLI,
  REPOSITORY,
  RESULTS_FILE,
  buildClawtop,
  buildWorkload,
  count,
  describeCommit,
  errorMessage,
  fail,
  formatTable,
  killWorkloads,
  recordResults,
  runWorkload,
  cleanUpOnExit,
  parseQuickOption,
  runHeading,
} from './report.ts';

const HELP = `
  USAGE
    npm run bench:tax [-- [--quick]]

  What watching costs the watched. Four workloads (getppid, open/close,
  fork+exec, loopback TCP connect) run flat out on CPU 1, bare and with a tool
  attached on CPU 0, interleaved; prints ops/s attached / ops/s bare for clawtop
  (default monitors, exec,net,cgroup, all monitors), libbpf-tools (opensnoop,
  execsnoop, tcpconnect, tcplife) and bpftrace, and appends the table to
  docs/BENCHMARKS.md. Needs root and 2 CPUs. The peers come from Debian:
  apt-get install -y libbpf-tools bpftrace; a peer that is missing or cannot
  attach on this kernel is shown as "not measured" with the reason.

  FLAGS
    --quick   1 round of 1 s runs without the reference row (bpftrace at
              sys_exit_openat), about a minute (default: 3 rounds of 2 s,
              about 5 minutes)
    --help    show this help

  EXAMPLES
    sudo npm run bench:tax
    sudo npm run bench:tax -- --quick
`;

const EXIT_FAILURE = 1;

/** The tools and this script run on one CPU, the workload alone on the other. */
const TOOL_CPU = 0;
const WORKLOAD_CPU = 1;

interface Plan {
  /** Each round runs every tool once per workload, each attached run between two bare runs. */
  readonly rounds: number;
  readonly runSeconds: number;
  /** Whether to run the tools that are references, not peers (Tool.reference). */
  readonly references: boolean;
}

const FULL_PLAN: Plan = { rounds: 3, runSeconds: 2, references: true };
const QUICK_PLAN: Plan = { rounds: 1, runSeconds: 1, references: false };
const planOf = (options: TaxOptions): Plan => (options.quick ? QUICK_PLAN : FULL_PLAN);

/** A tool is attached once its BPF attachments have stopped changing for this many polls. */
const ATTACH_POLL_MS = 50;
const ATTACH_STABLE_POLLS = 3;
const ATTACH_TIMEOUT_MS = 30_000;
/** After SIGINT, how long a tool gets to exit before SIGKILL. */
const STOP_TIMEOUT_MS = 5_000;
const STDERR_KEPT_BYTES = 4096;
/** Runs of a workload, when other tracers attached or detached during the previous ones. */
const RUN_ATTEMPTS = 3;
/** A row one of whose runs had less than this share of its CPU (other tasks took the rest) is marked. */
const CPU_SHARE_NOTED = 0.9;

/** Targets from issue 6 (benchmarks against the peers). */
const TARGET_WITHOUT_SYSCALL_TRACEPOINTS = 0.99;
const TARGET_EXEC_AND_CONNECT = 0.97;

const SECTION_HEADING = '## tax (`npm run bench:tax`, bench/tax.ts)';

// ---------------------------------------------------------------------------------------
// Workloads and tools.

export const WORKLOAD_NAMES = ['getppid', 'open/close', 'fork+exec', 'connect'] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

interface Workload {
  readonly name: WorkloadName;
  readonly source: string;
  readonly program: string;
  readonly args: (seconds: number) => string[];
}

function workload(name: WorkloadName, file: string, args: (seconds: number) => string[]): Workload {
  return { name, source: `${REPOSITORY}bench/${file}.c`, program: `${REPOSITORY}build/bench/${file}`, args };
}

const WORKLOADS: readonly Workload[] = [
  // Rate 0: as fast as it can.
  workload('getppid', 'getppid-loop', (seconds) => ['0', String(seconds)]),
  workload('open/close', 'open-close-loop', (seconds) => [String(seconds)]),
  workload('fork+exec', 'fork-exec-loop', (seconds) => [String(seconds)]),
  workload('connect', 'connect-loop', (seconds) => [String(seconds)]),
];

/** What to run for one workload, or why it cannot run on this machine. */
type Command = { readonly file: string; readonly args: readonly string[] } | { readonly missing: string };

interface Tool {
  readonly name: string;
  readonly workloads: readonly WorkloadName[];
  /** clawtop's monitors, for its targets; undefined for the peers. */
  readonly monitors?: readonly MonitorName[];
  readonly command: (workload: WorkloadName) => Command;
  /** Not a peer: a row that explains another row's number, left out of the quick pass. */
  readonly reference?: boolean;
}

const ALL_WORKLOADS = WORKLOAD_NAMES;
const INSTALL_LIBBPF_TOOLS = 'install libbpf-tools (apt-get install -y libbpf-tools)';
const INSTALL_BPFTRACE = 'install bpftrace (apt-get install -y bpftrace)';

/** The first executable named name in PATH or the sbin directories, where Debian puts libbpf-tools. */
function findExecutable(name: string): string | undefined {
  const directories = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  for (const directory of directories.filter(Boolean)) {
    try {
      accessSync(join(directory, name), constants.X_OK);
      return join(directory, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

function clawtop(name: string, monitors: readonly MonitorName[] | undefined): Tool {
  const monitorArgs = monitors === undefined ? [] : ['--monitors', monitors.join(',')];
  return {
    name,
    workloads: ALL_WORKLOADS,
    monitors: monitors ?? DEFAULT_MONITORS,
    command: () => ({ file: process.execPath, args: [CLI, '--json', ...monitorArgs] }),
  };
}

function libbpfTool(name: string, workloadName: WorkloadName): Tool {
  return {
    name,
    workloads: [workloadName],
    command: () => {
      const file = findExecutable(name);
      return file === undefined ? { missing: INSTALL_LIBBPF_TOOLS } : { file, args: [] };
    },
  };
}

/**
 * bpftrace counting in a kernel map what each workload does, with the hook clawtop's
 * monitor has here or its nearest tracepoint (kprobes are not always configured).
 * getppid gets the openat one: what a files monitor on syscall tracepoints costs
 * unrelated syscalls.
 */
const BPFTRACE_PROGRAMS: Record<WorkloadName, string> = {
  getppid: 'tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }',
  'open/close': 'tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }',
  'fork+exec': 'tracepoint:sched:sched_process_exec { @[comm] = count(); }',
  connect: 'tracepoint:sock:inet_sock_set_state { @[comm] = count(); }',
};

function bpftrace(name: string, workloads: readonly WorkloadName[], program: (workloadName: WorkloadName) => string): Tool {
  return {
    name,
    workloads,
    command: (workloadName) => {
      const file = findExecutable('bpftrace');
      return file === undefined ? { missing: INSTALL_BPFTRACE } : { file, args: ['-e', program(workloadName)] };
    },
  };
}

const BPFTRACE = bpftrace('bpftrace', ALL_WORKLOADS, (workloadName) => BPFTRACE_PROGRAMS[workloadName]);

/**
 * A reference, not a target: the hook the files fallback needs (the fd an open returns),
 * where the kernel's own exit tracepoint work costs more than at the enter.
 */
const BPFTRACE_AT_OPENAT_EXIT: Tool = {
  ...bpftrace(
    'bpftrace at sys_exit_openat',
    ['getppid', 'open/close'],
    () => 'tracepoint:syscalls:sys_exit_openat { @[comm] = count(); }',
  ),
  reference: true,
};

const CLAWTOP_DEFAULT = clawtop('clawtop (default)', undefined);

const TOOLS: readonly Tool[] = [
  CLAWTOP_DEFAULT,
  clawtop('clawtop exec,net,cgroup', ['exec', 'net', 'cgroup']),
  clawtop('clawtop (all)', MONITOR_NAMES),
  libbpfTool('opensnoop', 'open/close'),
  libbpfTool('execsnoop', 'fork+exec'),
  libbpfTool('tcpconnect', 'connect'),
  // tcpconnect hooks tcp_v4_connect with a kprobe or fentry; tcplife, with the
  // inet_sock_set_state tracepoint clawtop also uses, runs where those do not.
  libbpfTool('tcplife', 'connect'),
  BPFTRACE,
  BPFTRACE_AT_OPENAT_EXIT,
];

function describeTool(tool: Tool, workloadName: WorkloadName): string {
  const command = tool.command(workloadName);
  if ('missing' in command) return `${tool.name}: not installed`;
  const args = command.args.map((arg) => (/^[\w./,=-]+$/.test(arg) ? arg : `'${arg}'`));
  const file = command.file === process.execPath ? 'node' : command.file;
  return [file, ...args].join(' ');
}

// ---------------------------------------------------------------------------------------
// Tools started and stopped by pid, and what else on the host might disturb a run.

type ToolProcess = ChildProcessByStdio<null, null, Readable>;

/** Tools under way, killed on every way out. */
const runningTools = new Set<ToolProcess>();

/** Stops every workload and tool this module started (SIGKILL): for interruptions. */
export function killTaxProcesses(): void {
  killWorkloads();
  for (const tool of runningTools) {
    if (tool.exitCode === null && tool.signalCode === null) tool.kill('SIGKILL');
  }
  runningTools.clear();
}

/** The tool could not be measured here; the row says why. */
class NotMeasured extends Error {}

const isAttachment = (target: string) => target === 'anon_inode:bpf_link' || target === 'anon_inode:[perf_event]';

/** The BPF links and perf events (tracepoint attachments) a process holds. */
function attachmentsOf(pid: number): number {
  let attachments = 0;
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return 0; // gone
  }
  for (const fd of fds) {
    try {
      if (isAttachment(readlinkSync(`/proc/${pid}/fd/${fd}`))) attachments++;
    } catch {
      // closed meanwhile
    }
  }
  return attachments;
}

/** Other processes holding BPF links or perf events: their programs may run in the workload too. */
function otherTracers(exceptPid: number | undefined): string[] {
  const tracers: string[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === exceptPid || pid === process.pid) continue;
    if (attachmentsOf(pid) === 0) continue;
    let comm = '?';
    try {
      comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      // gone
    }
    tracers.push(`${comm}(${pid})`);
  }
  return tracers;
}

interface StartedTool {
  readonly process: ToolProcess;
  /** The end of its stderr, for the reason it stopped. */
  stderr(): string;
}

const lastLine = (text: string) => text.trim().split('\n').at(-1)?.trim() || 'no message';

function describeExit(tool: ToolProcess): string {
  return tool.signalCode ? `killed by ${tool.signalCode}` : `exit code ${tool.exitCode}`;
}

/** Starts a tool on TOOL_CPU with its output to /dev/null, and waits until it is attached. */
async function startTool(tool: Tool, workloadName: WorkloadName): Promise<StartedTool> {
  const command = tool.command(workloadName);
  if ('missing' in command) throw new NotMeasured(command.missing);
  // taskset execs the tool: the child's pid is the tool's. stdio 'ignore' is /dev/null.
  const child = spawn('taskset', ['-c', String(TOOL_CPU), command.file, ...command.args], {
    cwd: REPOSITORY,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  runningTools.add(child);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEPT_BYTES);
  });
  const started: StartedTool = { process: child, stderr: () => stderr };
  try {
    await once(child, 'spawn');
    // Every tool prints something once attached, but to stdout, which is /dev/null here so
    // that writing it costs what it costs users: attachments are counted in /proc instead.
    const deadline = performance.now() + ATTACH_TIMEOUT_MS;
    let previous = 0;
    let stablePolls = 0;
    while (stablePolls < ATTACH_STABLE_POLLS) {
      await sleep(ATTACH_POLL_MS);
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new NotMeasured(`${tool.name} stopped before attaching (${describeExit(child)}): ${lastLine(stderr)}`);
      }
      if (performance.now() > deadline) {
        throw new NotMeasured(`${tool.name} did not attach within ${ATTACH_TIMEOUT_MS / 1000} s`);
      }
      const attachments = attachmentsOf(child.pid!);
      stablePolls = attachments > 0 && attachments === previous ? stablePolls + 1 : 0;
      previous = attachments;
    }
    return started;
  } catch (error) {
    await stopTool(started);
    throw error;
  }
}

/** SIGINT, as a user stops it, then SIGKILL if it has not exited in STOP_TIMEOUT_MS. */
async function stopTool(tool: StartedTool): Promise<void> {
  const child = tool.process;
  // Without a pid it never started: there is nothing to stop.
  if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    const closed = once(child, 'close');
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await closed;
    clearTimeout(timer);
  }
  runningTools.delete(child);
}

// ---------------------------------------------------------------------------------------
// Runs.

interface Run {
  /** Per second of the workload's CPU time (WorkloadRun.perCpuSecond). */
  readonly perSecond: number;
  readonly wallPerSecond: number;
  /** The part of its CPU the workload had (WorkloadRun.cpuShare). */
  readonly cpuShare: number;
  /** Other processes holding BPF links or perf events, before or after the run. */
  readonly otherTracers: readonly string[];
}

interface AttachedRun extends Run {
  readonly bareBefore: Run;
  /** Set by the next bare run. */
  bareAfter?: Run;
}

/**
 * One run of the workload, with the tool (already attached) or bare. Other tracers come and
 * go on a shared machine, and a syscall tracepoint of theirs slows every syscall: a run
 * during which they changed is run again, up to RUN_ATTEMPTS times.
 */
async function measureRun(target: Workload, plan: Plan, tool: StartedTool | undefined): Promise<Run> {
  const toolPid = tool?.process.pid;
  for (let attempt = 1; ; attempt++) {
    const before = otherTracers(toolPid);
    const result = await runWorkload(target.program, target.args(plan.runSeconds), {
      cpu: WORKLOAD_CPU,
      seconds: plan.runSeconds,
    });
    if (tool && (tool.process.exitCode !== null || tool.process.signalCode !== null)) {
      throw new NotMeasured(`stopped during the run (${describeExit(tool.process)}): ${lastLine(tool.stderr())}`);
    }
    const after = otherTracers(toolPid);
    const tracers = [...new Set([...before, ...after])].sort();
    const unchanged = tracers.length === before.length && tracers.length === after.length;
    if (unchanged || attempt === RUN_ATTEMPTS) {
      return {
        perSecond: result.perCpuSecond,
        wallPerSecond: result.perSecond,
        cpuShare: result.cpuShare,
        otherTracers: tracers,
      };
    }
  }
}

interface Cell {
  readonly tool: Tool;
  readonly workload: WorkloadName;
  readonly runs: AttachedRun[];
  notMeasured?: string;
}

/**
 * One workload against every tool: bare, tool, bare, tool, ..., bare, each tool's order
 * rotated every round, so each attached run has a bare run right before and right after it.
 */
async function measureWorkload(target: Workload, plan: Plan, cells: readonly Cell[]): Promise<void> {
  let lastBare: Run | undefined;
  let awaitingBare: AttachedRun | undefined;
  const bare = async () => {
    lastBare = await measureRun(target, plan, undefined);
    if (awaitingBare) awaitingBare.bareAfter = lastBare;
    awaitingBare = undefined;
  };
  for (let round = 0; round < plan.rounds; round++) {
    const rotated = cells.map((_, index) => cells[(index + round) % cells.length]!);
    for (const cell of rotated) {
      if (cell.notMeasured !== undefined) continue;
      if (lastBare === undefined || awaitingBare !== undefined) await bare();
      let tool: StartedTool | undefined;
      try {
        tool = await startTool(cell.tool, target.name);
        const run = await measureRun(target, plan, tool);
        awaitingBare = { ...run, bareBefore: lastBare! };
        cell.runs.push(awaitingBare);
        const ratio = awaitingBare.perSecond / lastBare!.perSecond;
        process.stderr.write(`bench: ${target.name}, ${cell.tool.name}: ${ratio.toFixed(3)} of the bare run before\n`);
      } catch (error) {
        if (!(error instanceof NotMeasured)) throw error;
        cell.notMeasured = error.message;
        cell.runs.length = 0;
        process.stderr.write(`bench: ${target.name}, ${cell.tool.name}: not measured: ${error.message}\n`);
      } finally {
        if (tool) await stopTool(tool);
      }
    }
  }
  if (awaitingBare !== undefined) await bare();
}

// ---------------------------------------------------------------------------------------
// Rows and targets.

export interface TaxRow {
  readonly tool: string;
  readonly workload: WorkloadName;
  /**
   * Medians over the rounds, per second of the workload's CPU time (WorkloadRun.perCpuSecond);
   * undefined when not measured.
   */
  readonly bareOpsPerSecond: number | undefined;
  readonly attachedOpsPerSecond: number | undefined;
  /** Median over the rounds of attached / the mean of the bare runs either side. */
  readonly ratio: number | undefined;
  /** The lowest and highest of those per-round ratios; undefined with fewer than two rounds. */
  readonly ratioRange: readonly [number, number] | undefined;
  /** The same from wall-clock ops/s. */
  readonly wallRatio: number | undefined;
  /** The smallest share of its CPU a run (attached or bare) had; other tasks took the rest. */
  readonly cpuShare: number | undefined;
  /** Why the tool was not measured here. */
  readonly notMeasured: string | undefined;
  /** The target, as '>= 0.99' or '>= bpftrace (0.912)'; undefined where it sets none. */
  readonly target: string | undefined;
  /** undefined when there is no target or it cannot be judged. */
  readonly targetMet: boolean | undefined;
  /** What else may have slowed its runs or their bare runs. */
  readonly disturbances: readonly string[];
}

const percent = (fraction: number) => `${(fraction * 100).toFixed(0)}%`;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

/**
 * The bare runs either side of an attached run, or only the one that ran with the same
 * other tracers attached, when just one did: the tracers' cost is then in both or neither.
 */
function baresLike(run: AttachedRun): Run[] {
  const key = (tracers: readonly string[]) => tracers.join(' ');
  const bares = [run.bareBefore, run.bareAfter!];
  const alike = bares.filter((bare) => key(bare.otherTracers) === key(run.otherTracers));
  return alike.length === 1 ? alike : bares;
}

const filesOn = (tool: Tool) => tool.monitors?.includes('files') ?? false;

interface Target {
  readonly label: string;
  /** undefined when the reference (bpftrace's ratio) was not measured. */
  readonly threshold: number | undefined;
}

/**
 * The targets, for clawtop rows: no tax on unrelated syscalls without syscall
 * tracepoints; with the files monitor on them, no more than bpftrace counting opens; and
 * little on exec and connect.
 */
function targetOf(tool: Tool, workloadName: WorkloadName, bpftraceRatio: number | undefined): Target | undefined {
  if (tool.monitors === undefined) return undefined;
  const fixed = (threshold: number) => ({ label: `>= ${threshold}`, threshold });
  const likeBpftrace = {
    label: bpftraceRatio === undefined ? '>= bpftrace (not measured)' : `>= bpftrace (${bpftraceRatio.toFixed(3)})`,
    threshold: bpftraceRatio,
  };
  switch (workloadName) {
    case 'getppid':
      return filesOn(tool) ? likeBpftrace : fixed(TARGET_WITHOUT_SYSCALL_TRACEPOINTS);
    case 'open/close':
      return filesOn(tool) ? likeBpftrace : undefined;
    case 'fork+exec':
    case 'connect':
      return fixed(TARGET_EXEC_AND_CONNECT);
  }
}

function rowOf(cell: Cell, bpftraceRatio: number | undefined): TaxRow {
  const target = targetOf(cell.tool, cell.workload, bpftraceRatio);
  const complete = cell.runs.filter((run) => run.bareAfter !== undefined);
  const base = { tool: cell.tool.name, workload: cell.workload, target: target?.label };
  if (cell.notMeasured !== undefined || complete.length === 0) {
    return {
      ...base,
      bareOpsPerSecond: undefined,
      attachedOpsPerSecond: undefined,
      ratio: undefined,
      ratioRange: undefined,
      wallRatio: undefined,
      cpuShare: undefined,
      notMeasured: cell.notMeasured ?? 'no complete run',
      targetMet: undefined,
      disturbances: [],
    };
  }
  const bareOf = (run: AttachedRun) => mean(baresLike(run).map((bare) => bare.perSecond));
  const wallBareOf = (run: AttachedRun) => mean(baresLike(run).map((bare) => bare.wallPerSecond));
  const ratios = complete.map((run) => run.perSecond / bareOf(run));
  const ratio = median(ratios);
  const involved = complete.flatMap((run) => [run, run.bareBefore, run.bareAfter!]);
  const cpuShare = Math.min(...involved.map((run) => run.cpuShare));
  const tracers = [...new Set(involved.flatMap((run) => run.otherTracers))].sort();
  const disturbances: string[] = [];
  if (tracers.length > 0) disturbances.push(`other tracers attached: ${tracers.join(', ')}`);
  if (cpuShare < CPU_SHARE_NOTED) {
    disturbances.push(`other tasks took up to ${percent(1 - cpuShare)} of CPU ${WORKLOAD_CPU} during a run`);
  }
  return {
    ...base,
    bareOpsPerSecond: median(complete.map(bareOf)),
    attachedOpsPerSecond: median(complete.map((run) => run.perSecond)),
    ratio,
    ratioRange: ratios.length < 2 ? undefined : [Math.min(...ratios), Math.max(...ratios)],
    wallRatio: median(complete.map((run) => run.wallPerSecond / wallBareOf(run))),
    cpuShare,
    notMeasured: undefined,
    targetMet: target?.threshold === undefined ? undefined : ratio >= target.threshold,
    disturbances,
  };
}

function rowsOf(cells: readonly Cell[]): TaxRow[] {
  const bpftraceRatios = new Map<WorkloadName, number | undefined>();
  for (const cell of cells) {
    if (cell.tool === BPFTRACE) bpftraceRatios.set(cell.workload, rowOf(cell, undefined).ratio);
  }
  return cells.map((cell) => rowOf(cell, bpftraceRatios.get(cell.workload)));
}

// ---------------------------------------------------------------------------------------
// The run.

export interface TaxOptions {
  readonly quick: boolean;
}

/** taskset's CPU list of a process, e.g. "0,1". */
function cpuList(pid: number): string {
  const output = execFileSync('taskset', ['-p', '-c', String(pid)], { encoding: 'utf8' });
  return output.slice(output.lastIndexOf(':') + 1).trim();
}

function pinThreads(pid: number, cpus: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
}

/**
 * Measures the whole matrix: every tool on every workload it applies to. Builds the
 * workloads first; needs root, a built clawtop (see buildClawtop) and at least 2 CPUs. This
 * process runs on TOOL_CPU meanwhile, and gets its CPUs back at the end.
 */
export async function measureTax(options: TaxOptions): Promise<TaxRow[]> {
  if (availableParallelism() < 2) throw new Error('needs at least 2 CPUs: one for the workload, one for the tool');
  for (const target of WORKLOADS) buildWorkload(target.source, target.program);
  const plan = planOf(options);
  const cells: Cell[] = WORKLOADS.flatMap((target) =>
    TOOLS.filter((tool) => tool.workloads.includes(target.name) && (plan.references || !tool.reference)).map(
      (tool) => {
        const command = tool.command(target.name);
        return { tool, workload: target.name, runs: [], notMeasured: 'missing' in command ? command.missing : undefined };
      },
    ),
  );
  const tracers = otherTracers(undefined);
  if (tracers.length > 0) {
    const list = tracers.join(', ');
    process.stderr.write(`bench: other processes hold BPF links or perf events (${list}): their rows will be marked\n`);
  }
  const ownCpus = cpuList(process.pid);
  pinThreads(process.pid, String(TOOL_CPU));
  try {
    for (const target of WORKLOADS) {
      await measureWorkload(
        target,
        plan,
        cells.filter((cell) => cell.workload === target.name),
      );
    }
  } finally {
    killTaxProcesses();
    pinThreads(process.pid, ownCpus);
  }
  return rowsOf(cells);
}

// ---------------------------------------------------------------------------------------
// The report.

const ratioText = (ratio: number) => ratio.toFixed(3);

export function formatTaxTable(rows: readonly TaxRow[]): string {
  return formatTable([
    ['workload', 'tool', 'bare ops/CPU s', 'attached ops/CPU s', 'ratio', 'rounds', 'wall ratio', 'CPU share', 'target', 'met'],
    ...rows.map((row) => [
      row.workload,
      row.tool,
      row.bareOpsPerSecond === undefined ? '-' : count(Math.round(row.bareOpsPerSecond)),
      row.attachedOpsPerSecond === undefined ? '-' : count(Math.round(row.attachedOpsPerSecond)),
      row.ratio === undefined ? '-' : `${ratioText(row.ratio)}${row.disturbances.length > 0 ? '*' : ''}`,
      row.ratioRange === undefined ? '-' : row.ratioRange.map(ratioText).join('-'),
      row.wallRatio === undefined ? '-' : ratioText(row.wallRatio),
      row.cpuShare === undefined ? '-' : percent(row.cpuShare),
      row.target ?? '-',
      row.notMeasured !== undefined
        ? `not measured: ${row.notMeasured}`
        : row.targetMet === undefined
          ? '-'
          : row.targetMet
            ? 'yes'
            : 'NO',
    ]),
  ]);
}

/** The headline (targets met), then one line per disturbed row. */
export function formatTaxNotes(rows: readonly TaxRow[]): string[] {
  const judged = rows.filter((row) => row.targetMet !== undefined);
  const missed = judged.filter((row) => row.targetMet === false);
  const unjudged = rows.filter((row) => row.target !== undefined && row.targetMet === undefined);
  const missedText = missed.map((row) => `${row.tool} on ${row.workload}`).join('; ');
  const notes = [
    `clawtop targets met: ${judged.length - missed.length} of ${judged.length}` +
      (missed.length > 0 ? ` (missed: ${missedText})` : '') +
      (unjudged.length > 0 ? `; ${unjudged.length} not judged (not measured)` : '') +
      '.',
  ];
  const disturbed = rows.filter((row) => row.disturbances.length > 0);
  if (disturbed.length > 0) {
    notes.push('', 'Marked * (disturbed, the ratio may be off):');
    for (const row of disturbed) notes.push(`- ${row.workload}, ${row.tool}: ${row.disturbances.join('; ')}`);
  }
  return notes;
}

export function describeTaxPlan(options: TaxOptions): string {
  const plan = planOf(options);
  const rounds = `${plan.rounds} round${plan.rounds === 1 ? '' : 's'}`;
  const references = plan.references ? '' : ', no reference rows';
  return `${rounds} of ${plan.runSeconds} s runs${references}; workload on CPU ${WORKLOAD_CPU}, tools and benchmark on CPU ${TOOL_CPU}`;
}

function describeCommands(): string {
  const lines: string[] = [];
  for (const tool of TOOLS) {
    const commands = new Set(tool.workloads.map((workloadName) => describeTool(tool, workloadName)));
    const on = tool.workloads.length === ALL_WORKLOADS.length ? 'every workload' : tool.workloads.join(', ');
    if (commands.size === 1) {
      lines.push(`- ${tool.name}, on ${on}: \`${[...commands][0]} > /dev/null\``);
    } else {
      lines.push(`- ${tool.name}, on ${on}:`);
      for (const workloadName of tool.workloads) {
        lines.push(`  ${workloadName}: \`${describeTool(tool, workloadName)} > /dev/null\``);
      }
    }
  }
  return lines.join('\n');
}

const SECTION_INTRO = () => `What watching costs the watched. Four C workloads run flat out for a fixed time and
print what they did: bench/getppid-loop.c (getppid(), a syscall no tool watches),
bench/open-close-loop.c (open("/dev/null") + close()), bench/fork-exec-loop.c (fork(),
execve("/bin/true"), waitpid()) and bench/connect-loop.c (loopback TCP connect() + accept()
+ close() on both ends, the connecting end resetting with SO_LINGER 0 so no port lingers
in TIME_WAIT). Each runs pinned to CPU ${WORKLOAD_CPU}, in a cgroup of its own that counts its CPU
time with its children's, bare and with one tool attached; the tool (and the benchmark)
runs pinned to CPU ${TOOL_CPU}, its output to /dev/null.

The tools (peers from Debian: \`apt-get install -y libbpf-tools bpftrace\`):
${describeCommands()}

bpftrace counts in a kernel map the events of clawtop's hook, or the nearest tracepoint
(kprobes are not configured on the development VM); on getppid it shows what any syscall
tracepoint costs unrelated syscalls, which clawtop's files monitor pays where it falls back
to the openat tracepoints (no BPF LSM). The files fallback needs the exit of openat (the fd
it returned), and the row "bpftrace at sys_exit_openat" (not in the quick pass) shows what
that hook alone costs: on 6.18 more than the enter, in the kernel's perf_syscall_exit.
tcpconnect needs a kprobe or fentry on tcp_v4_connect; tcplife watches connections with the
inet_sock_set_state tracepoint, as clawtop does, and stands in for it where tcpconnect
cannot attach.

Protocol: per workload, bare, tool, bare, tool, ..., bare, the tools' order rotated each
round; a tool's run starts once its BPF links and perf events (counted in /proc/PID/fd) have
stopped changing, and the tool is stopped by pid with SIGINT (SIGKILL after 5 s) before the
next bare run. Other processes holding BPF links or perf events are listed before and after
each run; a run during which they changed is run again (up to ${RUN_ATTEMPTS} times), and an
attached run is compared with the bare run beside it that had the same ones, if only one did.

- **ops/CPU s**: what the workload did per second of its own CPU time (cgroup cpu.stat
  usage_usec). A tool's programs and the tracing paths run in the workload's context and
  are charged to it (interrupt time too, without CONFIG_IRQ_TIME_ACCOUNTING, as here); the
  time other tasks take from its CPU is not, so this holds on a shared machine where
  wall-clock ops/s do not. On a CPU of its own the two are equal.
- **bare**, **attached**: medians over the rounds, the bare one of the mean of the bare runs
  either side of each attached run.
- **ratio**: median over the rounds of attached / that mean. 1.000 = no cost.
- **rounds**: the lowest and highest of those per-round ratios: two rows whose ranges
  overlap are within this run's noise of each other, whichever median is higher.
- **wall ratio**: the same from wall-clock ops/s. Near **ratio** when the CPU share is near
  100%; far below it would mean a cost off the workload's CPU (a lock held by the tool).
- **CPU share**: the smallest part of CPU ${WORKLOAD_CPU} a run (attached or bare) had.
- **\\***: disturbed: another process held BPF links or perf events (its programs may run in
  the workload too, bare or not), or a run had less than ${percent(CPU_SHARE_NOTED)} of its CPU.
- **not measured**: the tool is not installed or could not attach here, with the reason.

Targets (issue 6, benchmarks against the peers), for clawtop rows: getppid with
exec,net,cgroup (no syscall tracepoint) >= ${TARGET_WITHOUT_SYSCALL_TRACEPOINTS}; getppid and open/close with the files
monitor on (default, all) >= bpftrace's ratio on the same workload in the same run;
fork+exec and connect >= ${TARGET_EXEC_AND_CONNECT}.
`;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const options = { quick: parseQuickOption(args, HELP) };
  const problem = privilegeProblem() ?? ensureTracefs();
  if (problem) fail(problem, EXIT_FAILURE);
  buildClawtop();
  // Read before the run: the code measured is the tree as it was when the run started.
  const commit = describeCommit();
  cleanUpOnExit(killTaxProcesses);

  const rows = await measureTax(options);
  const table = formatTaxTable(rows);
  const notes = formatTaxNotes(rows);
  process.stdout.write(`${table}\n\n${notes.join('\n')}\n`);
  for (const row of rows.filter((row) => row.notMeasured !== undefined)) {
    process.stderr.write(`bench: ${row.tool} on ${row.workload} not measured: ${row.notMeasured}\n`);
  }
  recordResults(
    SECTION_HEADING,
    SECTION_INTRO(),
    [
      ...runHeading('tax', commit, args),
      `- runs: ${describeTaxPlan(options)}`,
      '',
      table,
      '',
      ...notes,
      '',
    ].join('\n'),
  );
  process.stderr.write(`bench: appended to ${RESULTS_FILE}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    killTaxProcesses();
    fail(errorMessage(error), EXIT_FAILURE);
  });
}
