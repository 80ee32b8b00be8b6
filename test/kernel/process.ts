// clawtop as a real process for a kernel test: start it, see which BPF programs and links
// it holds (from its own file descriptors, never from what else is loaded on the machine),
// and check they are gone once it is.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { TestContext } from 'node:test';

import { waitFor } from './workload.ts';

export const PROJECT = new URL('../..', import.meta.url).pathname;
export const CLAWTOP = ['--import', 'tsx', 'src/cli.tsx'];

export interface RunningClawtop {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
}

export function startClawtop(t: TestContext, args: readonly string[], env: NodeJS.ProcessEnv = {}): RunningClawtop {
  const child = spawn(process.execPath, [...CLAWTOP, ...args], { cwd: PROJECT, env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, stdout: () => stdout, stderr: () => stderr };
}

/** The hooks line is written once the monitors are attached and the filters set. */
export async function waitUntilAttached(clawtop: RunningClawtop): Promise<void> {
  const attached = await waitFor(() => clawtop.stdout().includes('"kind":"hooks"'), 15_000);
  assert.ok(attached, `clawtop never reported its hooks; stderr: ${clawtop.stderr()}`);
}

export interface BpfObjects {
  readonly programs: Set<number>;
  readonly links: Set<number>;
}

/** Adds the ids of the BPF programs and links process pid holds a descriptor of right now. */
export function collectBpfObjects(pid: number, into: BpfObjects): void {
  let descriptors: string[];
  try {
    descriptors = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return; // not started yet, or gone
  }
  for (const descriptor of descriptors) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${descriptor}`);
      if (target !== 'anon_inode:bpf-prog' && target !== 'anon_inode:bpf_link') continue;
      const info = readFileSync(`/proc/${pid}/fdinfo/${descriptor}`, 'utf8');
      const link = /^link_id:\s*(\d+)$/m.exec(info)?.[1];
      const program = /^prog_id:\s*(\d+)$/m.exec(info)?.[1];
      if (link !== undefined) into.links.add(Number(link));
      else if (program !== undefined) into.programs.add(Number(program));
    } catch {
      // closed between the listing and the read
    }
  }
}

/** Samples a process's BPF objects every few ms until stopped: its programs and links over its whole life. */
export function trackBpfObjects(pid: number, intervalMs = 5): { objects: BpfObjects; stop: () => void } {
  const objects: BpfObjects = { programs: new Set(), links: new Set() };
  collectBpfObjects(pid, objects);
  const timer = setInterval(() => collectBpfObjects(pid, objects), intervalMs);
  return { objects, stop: () => clearInterval(timer) };
}

function loadedIds(kind: 'prog' | 'link'): Set<number> {
  const rows = JSON.parse(execFileSync('bpftool', ['-j', kind, 'show'], { encoding: 'utf8' })) as { id: number }[];
  return new Set(rows.map((row) => row.id));
}

/** The ones of objects the kernel still has. */
export function stillLoaded(objects: BpfObjects): string[] {
  const programs = loadedIds('prog');
  const links = loadedIds('link');
  return [
    ...[...objects.programs].filter((id) => programs.has(id)).map((id) => `prog ${id}`),
    ...[...objects.links].filter((id) => links.has(id)).map((id) => `link ${id}`),
  ];
}

/** Waits up to timeoutMs (the kernel frees a program an RCU grace period after its last fd); returns what is left. */
export async function leftLoadedAfter(objects: BpfObjects, timeoutMs: number): Promise<string[]> {
  await waitFor(() => stillLoaded(objects).length === 0, timeoutMs, 50);
  return stillLoaded(objects);
}
