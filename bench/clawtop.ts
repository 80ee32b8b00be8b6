/**
 * clawtop as the benchmarks that measure it from outside run it: the real CLI
 * (`node dist/cli.js`, built with its BPF object and addon from the current source first),
 * headless or on a pseudo-terminal, and stopped as a user stops it, with SIGINT.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

import { describeExit, isRunning, track } from './children.ts';
import { childrenOf, mapsRing } from './proc.ts';
import { CLI, REPOSITORY, errorMessage } from './report.ts';

/** util-linux's script(1): runs a command on a new pseudo-terminal and relays its input and output. */
export const SCRIPT = '/usr/bin/script';
export const BPFTOOL = '/usr/sbin/bpftool';
/** The per-CPU array in which clawtop's programs count, per event kind, what they emitted and dropped. */
const COUNTERS_MAP_NAME = 'event_counters';

const READY_POLL_MS = 20;
const READY_TIMEOUT_MS = 30_000;
const EXIT_TIMEOUT_MS = 30_000;

/** Why clawtop cannot be run on a pseudo-terminal here, or undefined. */
export function terminalProblem(): string | undefined {
  return existsSync(SCRIPT) ? undefined : `needs ${SCRIPT} to run clawtop on a pseudo-terminal: apt-get install util-linux`;
}

/** Why clawtop's kernel counters cannot be read here, or undefined. */
export function bpftoolProblem(): string | undefined {
  return existsSync(BPFTOOL) ? undefined : `needs ${BPFTOOL} to read clawtop's kernel counters: apt-get install bpftool`;
}

export interface KernelEventCounters {
  readonly emitted: number;
  readonly dropped: number;
}

function bpftool(args: readonly string[]): unknown {
  try {
    return JSON.parse(execFileSync(BPFTOOL, ['--json', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  } catch (error) {
    const stderr = error instanceof Error && 'stderr' in error ? String(error.stderr).trim() : '';
    throw new Error(`failed to run bpftool ${args.join(' ')}: ${stderr || errorMessage(error)}`);
  }
}

/** The id of the event counters map among the maps the process holds open. */
function findCountersMap(pid: number): number {
  const held = new Set<number>();
  for (const fd of readdirSync(`/proc/${pid}/fdinfo`)) {
    try {
      const id = /^map_id:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))?.[1];
      if (id !== undefined) held.add(Number(id));
    } catch {
      // Closed meanwhile.
    }
  }
  const maps = bpftool(['map', 'show']) as { id: number; name?: string }[];
  const found = maps.find((map) => held.has(map.id) && map.name === COUNTERS_MAP_NAME);
  if (found === undefined) throw new Error(`clawtop (pid ${pid}) holds no ${COUNTERS_MAP_NAME} map`);
  return found.id;
}

function readCountersMap(id: number): KernelEventCounters {
  type Entry = { formatted: { values: { value: { emitted: number; dropped: number } }[] } };
  const entries = bpftool(['map', 'dump', 'id', String(id)]) as Entry[];
  let emitted = 0;
  let dropped = 0;
  for (const { value } of entries.flatMap((entry) => entry.formatted.values)) {
    emitted += value.emitted;
    dropped += value.dropped;
  }
  return { emitted, dropped };
}

type Closed = Promise<[number | null, NodeJS.Signals | null]>;

/** A clawtop process, started by one of the launch functions. */
export class Clawtop {
  private stderrText = '';
  private readonly closed: Closed;
  private countersMapId: number | undefined;

  /**
   * child: what was spawned (node itself, or script(1) around it); pid: the node process
   * running dist/cli.js, whose CPU and memory are clawtop's.
   */
  constructor(
    readonly child: ChildProcess,
    readonly pid: number,
    stderr: Readable | null,
  ) {
    stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderrText += chunk));
    this.closed = once(child, 'close') as Closed;
  }

  get stderr(): string {
    return this.stderrText;
  }

  /** An error saying what went wrong, with how clawtop exited and what it said. */
  failure(what: string): Error {
    const { exitCode, signalCode } = this.child;
    const said = this.stderrText.trim();
    return new Error(`clawtop ${what}: ${describeExit(exitCode, signalCode)}${said ? `: ${said}` : ''}`);
  }

  /** Throws when clawtop is gone. */
  checkAlive(what: string): void {
    if (!isRunning(this.child)) throw this.failure(what);
  }

  /** Until clawtop's ring reader has started: its programs are loaded and attached. */
  async waitUntilReadingRing(ringSizeBytes: number): Promise<void> {
    const deadline = performance.now() + READY_TIMEOUT_MS;
    while (!mapsRing(this.pid, ringSizeBytes)) {
      this.checkAlive('stopped before reading its ring');
      if (performance.now() > deadline) {
        throw new Error(`clawtop did not start reading its ring within ${READY_TIMEOUT_MS / 1000} s`);
      }
      await sleep(READY_POLL_MS);
    }
  }

  /**
   * What clawtop's kernel programs emitted and dropped (ring full) since they were loaded,
   * all kinds added up: its event_counters map, read with bpftool(8). Costs clawtop the
   * events of one bpftool run (an exec and its library opens).
   */
  kernelCounters(): KernelEventCounters {
    this.countersMapId ??= findCountersMap(this.pid);
    return readCountersMap(this.countersMapId);
  }

  /** SIGINT, as Ctrl-C; clawtop detaches everything and must exit 0. */
  async stop(): Promise<void> {
    if (isRunning(this.child)) process.kill(this.pid, 'SIGINT');
    const deadline = setTimeout(() => this.child.kill('SIGKILL'), EXIT_TIMEOUT_MS);
    const [code] = await this.closed;
    clearTimeout(deadline);
    if (code !== 0) throw this.failure('failed to stop');
  }
}

/** `node dist/cli.js ARGS` with no terminal: stdin and stdout are /dev/null, stderr is read. */
export async function launchHeadless(args: readonly string[]): Promise<Clawtop> {
  const child = track(spawn(process.execPath, [CLI, ...args], { cwd: REPOSITORY, stdio: ['ignore', 'ignore', 'pipe'] }));
  await once(child, 'spawn');
  return new Clawtop(child, child.pid!, child.stderr);
}

/** Terminal escape sequences: OSC, CSI, charset designations, and two-character ones. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const ESCAPE_SEQUENCE = /\u001B\][^\u0007\u001B]*(?:\u0007|\u001B\\)|\u001B\[[0-?]*[ -/]*[@-~]|\u001B[()][0-9A-Za-z]|\u001B[0-~]/g;

/** The text of terminal output, without its escape sequences. */
export function stripEscapes(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, '');
}

/** Ink writes each frame between these (a synchronized update, DEC mode 2026). */
const FRAME_START = '\u001B[?2026h';
const FRAME_END = '\u001B[?2026l';
/** Enough for a few frames of 120x32; older output is let go. */
const KEPT_OUTPUT_CHARACTERS = 64 * 1024;

/** clawtop on a pseudo-terminal: keys are written to it, and what it draws is read back. */
export class TerminalClawtop extends Clawtop {
  private output = '';
  private readonly listeners = new Set<(chunk: string, atMs: number) => void>();

  constructor(
    readonly terminal: ChildProcess & { stdin: NonNullable<ChildProcess['stdin']> },
    pid: number,
    stdout: Readable,
  ) {
    super(terminal, pid, null);
    // Read at once, always: a terminal nobody reads blocks clawtop's writes.
    stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const atMs = performance.now();
      this.output = (this.output + chunk).slice(-KEPT_OUTPUT_CHARACTERS);
      for (const listener of this.listeners) listener(chunk, atMs);
    });
  }

  /** Writes keys as typed on the terminal; returns when they were handed to script(1). */
  press(keys: string): number {
    this.terminal.stdin.write(keys);
    return performance.now();
  }

  /** Every piece of output as it arrives, with when (performance.now()); returns the unsubscribe function. */
  onOutput(listener: (chunk: string, atMs: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The text of the last whole frame drawn, without escape sequences; '' before the first. */
  lastFrame(): string {
    const end = this.output.lastIndexOf(FRAME_END);
    const start = this.output.lastIndexOf(FRAME_START, end);
    return end < 0 || start < 0 ? '' : stripEscapes(this.output.slice(start + FRAME_START.length, end));
  }

  /** Until the last frame satisfies the condition. */
  async waitForFrame(condition: (frame: string) => boolean, what: string, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!condition(this.lastFrame())) {
      this.checkAlive(`stopped before ${what}`);
      if (performance.now() > deadline) {
        throw new Error(`clawtop's screen did not show ${what} within ${timeoutMs / 1000} s:\n${this.lastFrame()}`);
      }
      await sleep(READY_POLL_MS);
    }
  }

  override failure(what: string): Error {
    const error = super.failure(what);
    const screen = stripEscapes(this.output).trim().split('\n').slice(-5).join('\n');
    return screen ? new Error(`${error.message}; its terminal last showed:\n${screen}`) : error;
  }
}

/**
 * `node dist/cli.js ARGS` on a new pseudo-terminal of columns x rows, through script(1):
 * its stdin (a pipe) is relayed to the terminal, and the terminal's output to its stdout.
 */
export async function launchInTerminal(
  args: readonly string[],
  size: { readonly columns: number; readonly rows: number },
): Promise<TerminalClawtop> {
  const command = `stty rows ${size.rows} cols ${size.columns}; exec ${process.execPath} ${[CLI, ...args].join(' ')}`;
  const terminal = track(spawn(SCRIPT, ['-qfec', command, '/dev/null'], { cwd: REPOSITORY, stdio: ['pipe', 'pipe', 'inherit'] }));
  await once(terminal, 'spawn');
  // script's child is the shell, which becomes node at its exec.
  const deadline = performance.now() + READY_TIMEOUT_MS;
  for (;;) {
    const [pid] = childrenOf(terminal.pid!);
    if (pid !== undefined && isClawtop(pid)) return new TerminalClawtop(terminal, pid, terminal.stdout);
    if (!isRunning(terminal)) throw new Error(`failed to run clawtop in ${SCRIPT}: ${describeExit(terminal.exitCode, terminal.signalCode)}`);
    if (performance.now() > deadline) throw new Error(`${SCRIPT} did not start clawtop within ${READY_TIMEOUT_MS / 1000} s`);
    await sleep(READY_POLL_MS);
  }
}

/** Whether the process runs node: the shell has reached its exec (clawtop then renames itself). */
function isClawtop(pid: number): boolean {
  try {
    return readlinkSync(`/proc/${pid}/exe`) === realpathSync(process.execPath);
  } catch {
    return false;
  }
}
