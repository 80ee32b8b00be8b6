/**
 * What every benchmark script shares: building its C workload and dist/, running a workload
 * pinned to one CPU, describing where a run was measured (machine, commit, command),
 * formatting its markdown table and appending its section to docs/BENCHMARKS.md.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, release, totalmem } from 'node:os';
import { dirname, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import { findCgroup2Root } from '../src/core/cgroups.ts';

/** The repository's root, ending in a slash. */
export const REPOSITORY = fileURLToPath(new URL('..', import.meta.url));
const RESULTS_PATH = 'docs/BENCHMARKS.md';
export const RESULTS_FILE = `${REPOSITORY}${RESULTS_PATH}`;

const RESULTS_HEADER = `# Benchmarks

Measured numbers, newest last. Each section is appended by the script that measured it,
with the machine, the commit (\`+dirty\`: with uncommitted changes) and the exact command.
\`npm run bench:tax\` also runs clawtop's peers: \`apt-get install -y libbpf-tools bpftrace\`.
`;

export function fail(message: string, exitCode: number): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(exitCode);
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs a build step in the repository; its output is shown only when it fails. */
function buildStep(what: string, file: string, args: readonly string[]): void {
  try {
    execFileSync(file, args, { cwd: REPOSITORY, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    // tsc reports type errors on stdout, make and node-gyp on stderr.
    const { stdout, stderr } = error as { stdout?: unknown; stderr?: unknown };
    const output = [stderr, stdout].map((text) => String(text ?? '').trim()).filter((text) => text !== '').join('\n');
    throw new Error(`failed to build ${what}: ${output || errorMessage(error)}`);
  }
}

/** The header every workload includes: an input of each program, beside its own source. */
const WORKLOAD_HEADER = `${REPOSITORY}bench/workload.h`;

/** Compiles a workload into the git-ignored build/bench/ when it is missing or older than its source or the header. */
export function buildWorkload(source: string, program: string): void {
  const inputs = [source, WORKLOAD_HEADER];
  const upToDate = existsSync(program) && inputs.every((input) => statSync(input).mtimeMs <= statSync(program).mtimeMs);
  if (upToDate) return;
  mkdirSync(dirname(program), { recursive: true });
  buildStep(source, 'cc', ['-O2', '-Wall', '-Wextra', '-o', program, source]);
}

/** What users run (the README's command). */
export const CLI = 'dist/cli.js';
const TSC = `${REPOSITORY}node_modules/typescript/bin/tsc`;
const NODE_GYP = `${REPOSITORY}node_modules/node-gyp/bin/node-gyp.js`;

/**
 * Builds what is measured from the current source on every run, as `npm run build` does
 * but incrementally: the BPF object (make), the addon that embeds it (node-gyp build) and
 * dist/ (tsc). A stale build/ once measured a BPF object other than the one of the commit
 * a run names (docs/BENCHMARKS.md, the tax run of 2026-12-07 03:05).
 */
export function buildClawtop(): void {
  if (!existsSync(`${REPOSITORY}build/Makefile`)) throw new Error('clawtop is not set up here: run scripts/setup.sh');
  process.stderr.write(`bench: building the BPF object, the addon and ${CLI}\n`);
  buildStep('the BPF object', 'make', ['--no-print-directory', '-s', '-C', 'bpf']);
  buildStep('the addon', process.execPath, [NODE_GYP, 'build']);
  buildStep(CLI, process.execPath, [TSC, '-p', 'tsconfig.build.json']);
}

/** One run of a workload that counts what it did in a fixed time (bench/*-loop.c). */
export interface WorkloadRun {
  /** What the workload printed: calls, opens, children or connections made. */
  readonly count: number;
  /** count / its seconds: wall-clock. */
  readonly perSecond: number;
  /** CPU time of the workload and its children, kernel work in their context included. */
  readonly cpuSeconds: number;
  /**
   * count / cpuSeconds. On a CPU shared with other tasks this holds where perSecond
   * falls with the time they take; on a CPU of its own the two are equal.
   */
  readonly perCpuSecond: number;
  /** cpuSeconds / its seconds: the part of its CPU it had, the rest taken by other tasks. */
  readonly cpuShare: number;
}

export interface WorkloadOptions {
  /** The one CPU it runs on (taskset), and everything it forks. */
  readonly cpu: number;
  /** How long it runs, as its arguments ask: its count is divided by this. */
  readonly seconds: number;
  /** Called with its pid once it waits for its start byte, before it gets it. */
  readonly beforeStart?: (pid: number) => void | Promise<void>;
}

/** Workloads under way, killed on every way out. */
const runningWorkloads = new Set<ChildProcess>();

export function killWorkloads(): void {
  for (const workload of runningWorkloads) {
    if (workload.exitCode === null && workload.signalCode === null) workload.kill('SIGKILL');
  }
  runningWorkloads.clear();
}

const CGROUP_REMOVE_ATTEMPTS = 20;
const CGROUP_REMOVE_RETRY_MS = 5;
const CGROUP_PREFIX = 'clawtop-bench-';
let cgroupsMade = 0;

/** Cgroups of runs whose benchmark was killed before removing them: empty, they go at once. */
function removeStaleCgroups(root: string): void {
  for (const entry of readdirSync(root)) {
    const pid = new RegExp(`^${CGROUP_PREFIX}(\\d+)-\\d+$`).exec(entry)?.[1];
    if (pid === undefined || existsSync(`/proc/${pid}`)) continue;
    try {
      rmdirSync(`${root}/${entry}`);
    } catch {
      // still busy: left for the next run
    }
  }
}

/**
 * A cgroup v2 of one workload run, for its CPU time with its children's.
 * Made under the v2 root; clawtop's cgroup hooks, attached there, see it as they see any.
 */
class WorkloadCgroup {
  readonly path: string;

  constructor() {
    const root = findCgroup2Root();
    if (root === undefined) throw new Error('failed to find the cgroup v2 mount: the workload\'s CPU time needs it');
    if (cgroupsMade === 0) removeStaleCgroups(root);
    this.path = `${root}/${CGROUP_PREFIX}${process.pid}-${++cgroupsMade}`;
    mkdirSync(this.path);
  }

  enter(pid: number): void {
    writeFileSync(`${this.path}/cgroup.procs`, String(pid));
  }

  /** CPU time its tasks used, in microseconds. */
  cpuMicroseconds(): number {
    const usage = Number(/^usage_usec (\d+)$/m.exec(readFileSync(`${this.path}/cpu.stat`, 'utf8'))?.[1]);
    if (!Number.isFinite(usage)) throw new Error(`failed to read ${this.path}/cpu.stat`);
    return usage;
  }

  /** After the workload is reaped; the kernel may take a moment to see the cgroup empty. */
  async remove(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        rmdirSync(this.path);
        return;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return;
        if (code !== 'EBUSY' || attempt === CGROUP_REMOVE_ATTEMPTS) {
          throw new Error(`failed to remove ${this.path}: ${errorMessage(error)}`);
        }
        await sleep(CGROUP_REMOVE_RETRY_MS);
      }
    }
  }
}

/**
 * Runs a workload that waits for one byte on stdin, works flat out for its SECONDS and
 * prints one count (bench/getppid-loop.c and the tax loops), pinned to one CPU, in a
 * cgroup of its own that measures its CPU time.
 */
export async function runWorkload(program: string, args: readonly string[], options: WorkloadOptions): Promise<WorkloadRun> {
  const cgroup = new WorkloadCgroup();
  // taskset execs the workload: the child's pid is the workload's.
  const workload = spawn('taskset', ['-c', String(options.cpu), program, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  runningWorkloads.add(workload);
  try {
    let output = '';
    workload.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const closed = once(workload, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
    await once(workload, 'spawn');
    cgroup.enter(workload.pid!);
    await options.beforeStart?.(workload.pid!);

    const cpuBefore = cgroup.cpuMicroseconds();
    workload.stdin.end('s');
    const [exitCode, signal] = await closed;
    const cpuSeconds = (cgroup.cpuMicroseconds() - cpuBefore) / 1e6;
    if (exitCode !== 0) {
      const reason = signal ? `killed by ${signal}` : `exit code ${exitCode}`;
      throw new Error(`failed to run ${program}: ${reason}`);
    }
    const counted = Number(output.trim());
    if (!Number.isSafeInteger(counted)) {
      throw new Error(`failed to read the count of ${program}: got "${output.trim()}"`);
    }
    if (!(cpuSeconds > 0)) throw new Error(`failed to measure the CPU time of ${program}: none counted`);
    return {
      count: counted,
      perSecond: counted / options.seconds,
      cpuSeconds,
      perCpuSecond: counted / cpuSeconds,
      cpuShare: cpuSeconds / options.seconds,
    };
  } finally {
    if (workload.exitCode === null && workload.signalCode === null) {
      const closed = once(workload, 'close');
      workload.kill('SIGKILL');
      await closed;
    }
    runningWorkloads.delete(workload);
    await cgroup.remove();
  }
}

export const count = (value: number) => value.toLocaleString('en-US');

/** A power of two of bytes, as 8 MiB or 4 KiB. */
export function describeBytes(bytes: number): string {
  return bytes >= 1024 ** 2 ? `${bytes / 1024 ** 2} MiB` : `${bytes / 1024} KiB`;
}

export function describeMachine(): string {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const cpuModel = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? 'unknown CPU';
  const memoryGiB = (totalmem() / 1024 ** 3).toFixed(1);
  return `${cpuModel}, ${availableParallelism()} CPUs, ${memoryGiB} GiB, Linux ${release()}`;
}

function gitOutput(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: REPOSITORY, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** The short commit, with `+dirty` when the tree has uncommitted changes. */
export function describeCommit(): string {
  const commit = gitOutput(['rev-parse', '--short', 'HEAD']);
  if (commit === undefined) return 'unknown';
  // The results file is not the code measured: earlier runs' sections do not make it dirty.
  return gitOutput(['status', '--porcelain', '--', '.', `:!${RESULTS_PATH}`]) ? `${commit}+dirty` : commit;
}

/** The command as the user typed it, through npm or not. */
export function describeCommand(args: readonly string[]): string {
  const script = process.env.npm_lifecycle_event;
  if (script) return `npm run ${script}${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`;
  return ['node --import tsx', relative(REPOSITORY, process.argv[1]!), ...args].join(' ');
}

/**
 * The first lines of a run recorded in docs/BENCHMARKS.md: what ran and when, then on what
 * machine, at which commit and by which command (commandNote follows the command).
 */
export function runHeading(title: string, commit: string, args: readonly string[], commandNote = ''): string[] {
  const date = new Date().toISOString().replace('T', ' ').slice(0, 16);
  return [
    `### ${title}, ${date} UTC`,
    '',
    `- machine: ${describeMachine()}`,
    `- commit: ${commit}`,
    `- command: \`${describeCommand(args)}\`${commandNote}`,
  ];
}

/** A markdown table: numbers right-aligned, the last column (a verdict) left-aligned. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const last = rows[0]!.length - 1;
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const pad = (cell: string, column: number) =>
    column === last ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!);
  const line = (row: readonly string[]) => `| ${row.map(pad).join(' | ')} |`;
  const dashes = widths.map((width) => '-'.repeat(width + 1));
  const rule = `|${dashes.map((dash, column) => (column === last ? `:${dash}` : `${dash}:`)).join('|')}|`;
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n');
}

/**
 * Appends one run's section to docs/BENCHMARKS.md. The file's header goes in when the file
 * is new, and the script's heading and introduction before its first results.
 */
export function recordResults(heading: string, introduction: string, section: string): void {
  const existing = existsSync(RESULTS_FILE) ? readFileSync(RESULTS_FILE, 'utf8') : '';
  if (existing === '') appendFileSync(RESULTS_FILE, RESULTS_HEADER);
  if (!existing.includes(heading)) appendFileSync(RESULTS_FILE, `\n${heading}\n\n${introduction}`);
  appendFileSync(RESULTS_FILE, `\n${section}`);
}

/** Whether the module of this URL is the script node was started with (not imported by another). */
export function isMainModule(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && moduleUrl === pathToFileURL(process.argv[1]).href;
}

/**
 * Runs cleanUp (killing what the benchmark started) on every way out: an interruption,
 * which then exits 130 with one line, and a normal or failed exit.
 */
export function cleanUpOnExit(cleanUp: () => void): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      cleanUp();
      fail(`interrupted by ${signal}`, 130);
    });
  }
  process.once('exit', cleanUp);
}

/**
 * The options of a benchmark that takes only --quick and --help: prints help and exits 0,
 * or says what is wrong in one line and exits 2, or returns whether --quick was given.
 */
export function parseQuickOption(args: string[], help: string): boolean {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { quick: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
      strict: true,
    });
  } catch (error) {
    fail(`${errorMessage(error)} (see --help)`, 2);
  }
  if (parsed.values.help) {
    process.stdout.write(help);
    process.exit(0);
  }
  return parsed.values.quick;
}
