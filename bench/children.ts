/**
 * The processes a benchmark starts (clawtop, its terminal, workloads), tracked so that
 * every way out, an error or an interruption, kills those still running, each by its pid.
 */
import type { ChildProcess } from 'node:child_process';

const children = new Set<ChildProcess>();

export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Follows a child until it closes, so killChildren() can reach it. */
export function track<Child extends ChildProcess>(child: Child): Child {
  children.add(child);
  child.once('close', () => children.delete(child));
  return child;
}

export function killChildren(): void {
  for (const child of children) {
    if (isRunning(child)) child.kill('SIGKILL');
  }
  children.clear();
}

export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `killed by ${signal}` : `exit code ${code}`;
}
