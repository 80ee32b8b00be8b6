// The syscalls monitor against the real kernel: the test makes execve and openat calls
// in child processes and must see each one, enter and exit merged.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';

import type { FileEvent, SyscallEvent } from '../../src/core/decode.ts';
import type { KernelSession } from '../../src/core/native.ts';
import { syscallName } from '../../src/core/syscalls.ts';
import { kernelPrerequisiteMissing, missingFileReason, notRootReason } from './gate.ts';
import { addonMissingReason, watchEvents } from './session.ts';
import { temporaryDirectory, uniqueName, uniqueProgram, waitFor } from './workload.ts';

const CLANG = '/usr/bin/clang';

/** openat's dirfd for a path relative to the working directory, as an int's 32 bits. */
const AT_FDCWD_BITS = BigInt.asUintN(32, -100n);

function prerequisiteMissing(t: TestContext): boolean {
  return kernelPrerequisiteMissing(t, notRootReason() ?? addonMissingReason());
}

/** Opens the syscalls monitor and collects the SYSCALL events whose path is one of ours. */
function watchPaths(t: TestContext, paths: readonly string[]): { session: KernelSession; seen: SyscallEvent[] } {
  const wanted = new Set(paths);
  return watchEvents(t, ['syscalls'], (event): event is SyscallEvent => event.kind === 'syscall' && wanted.has(event.path));
}

async function arrived(seen: readonly SyscallEvent[], path: string): Promise<SyscallEvent[]> {
  const found = await waitFor(() => seen.some((event) => event.path === path), 5000);
  assert.ok(found, `no SYSCALL event for ${path}`);
  return seen.filter((event) => event.path === path);
}

function assertPlausibleDuration(event: SyscallEvent): void {
  assert.ok(event.durationNs > 0 && event.durationNs < 5e9, `duration ${event.durationNs} ns`);
}

test('a failed execve of a missing path is reported with ENOENT', async (t) => {
  if (prerequisiteMissing(t)) return;
  const shell = uniqueProgram(temporaryDirectory(t), '/bin/sh');
  const missing = `/nonexistent-${uniqueName()}/x`;
  const { seen } = watchPaths(t, [missing]);

  const child = spawnSync(shell.path, ['-c', `exec ${missing}`]);
  assert.equal(child.status, 127, `the shell should not find ${missing}`);

  const [event, ...extra] = await arrived(seen, missing);
  assert.equal(extra.length, 0, 'one execve, one event');
  assert.equal(syscallName(event!.nr), 'execve');
  assert.equal(event!.ret, -2);
  assert.equal(event!.errno, 'ENOENT');
  assertPlausibleDuration(event!);
  // Failed: still the shell, in the child's own process.
  assert.equal(event!.comm, shell.name);
  assert.equal(event!.tgid, child.pid);
  assert.equal(event!.tid, child.pid);
  assert.equal(event!.ppid, process.pid);
  assert.notEqual(event!.args[0], '0x0', 'the filename pointer');
});

test("node's spawn of a missing path fails in a forked child of node", async (t) => {
  if (prerequisiteMissing(t)) return;
  const missing = `/nonexistent-${uniqueName()}/x`;
  const { seen } = watchPaths(t, [missing]);

  const child = spawn(missing);
  const spawnError = await new Promise<NodeJS.ErrnoException>((resolve) => child.once('error', resolve));
  assert.equal(spawnError.code, 'ENOENT');

  const [event, ...extra] = await arrived(seen, missing);
  assert.equal(extra.length, 0, 'one execve, one event');
  assert.equal(event!.ret, -2);
  assert.equal(event!.errno, 'ENOENT');
  assertPlausibleDuration(event!);
  // libuv forks, the child execs and reports the failure back: the tgid is the fork's.
  assert.notEqual(event!.tgid, process.pid);
  assert.equal(event!.ppid, process.pid);
});

test('a successful execve returns 0 in the new program', async (t) => {
  if (prerequisiteMissing(t)) return;
  const program = uniqueProgram(temporaryDirectory(t), '/bin/true');
  const { seen } = watchPaths(t, [program.path]);

  const child = spawnSync(program.path, ['with', 'arguments']);
  assert.equal(child.status, 0);

  const [event, ...extra] = await arrived(seen, program.path);
  assert.equal(extra.length, 0, 'one execve, one event');
  assert.equal(syscallName(event!.nr), 'execve');
  assert.equal(event!.ret, 0);
  assert.equal(event!.errno, null);
  assertPlausibleDuration(event!);
  // The exit half runs after the exec: the header already shows the new program.
  assert.equal(event!.comm, program.name);
  assert.equal(event!.tgid, child.pid);
});

/**
 * Forks, and the child execs a path from the program's read-only data. A fork does not
 * copy the page tables of file mappings, so the child has that page only once the
 * kernel's own read faults it in: a read from BPF before that fails.
 */
function forkExecProgram(directory: string, target: string): string {
  const program = join(directory, `fork-exec-${uniqueName()}`);
  const source = `
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
  char *const argv[] = { ${JSON.stringify(target)}, 0 };
  int status;
  pid_t pid = fork();
  if (pid == 0) { execve(${JSON.stringify(target)}, argv, 0); _exit(127); }
  return waitpid(pid, &status, 0) == pid && WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
`;
  execFileSync(CLANG, ['-O2', '-x', 'c', '-o', program, '-'], { input: source, stdio: ['pipe', 'pipe', 'pipe'] });
  return program;
}

test('an execve of a string the forked child has not touched yet still has its path', async (t) => {
  const clangMissing = missingFileReason(CLANG, 'apt-get install clang');
  if (kernelPrerequisiteMissing(t, notRootReason() ?? addonMissingReason() ?? clangMissing)) return;
  const directory = temporaryDirectory(t);
  const target = uniqueProgram(directory, '/bin/true');
  const forkExec = forkExecProgram(directory, target.path);
  const { seen } = watchPaths(t, [target.path]);

  assert.equal(spawnSync(forkExec).status, 0);

  const [event, ...extra] = await arrived(seen, target.path);
  assert.equal(extra.length, 0, 'one execve, one event');
  assert.equal(syscallName(event!.nr), 'execve');
  assert.equal(event!.ret, 0);
  assert.equal(event!.comm, target.name);
});

test('an openat of a unique file returns its fd, with its path and arguments', async (t) => {
  if (prerequisiteMissing(t)) return;
  const directory = temporaryDirectory(t);
  const shell = uniqueProgram(directory, '/bin/sh');
  const file = join(directory, `${uniqueName()}.txt`);
  writeFileSync(file, 'opened by the test\n');
  const { seen } = watchPaths(t, [file]);

  const child = spawnSync(shell.path, ['-c', `exec 7< ${file}`]);
  assert.equal(child.status, 0);

  const [event, ...extra] = await arrived(seen, file);
  assert.equal(extra.length, 0, 'one openat, one event');
  assert.equal(syscallName(event!.nr), 'openat');
  assert.ok(event!.ret >= 0, `openat returned ${event!.ret}`);
  assert.equal(event!.errno, null);
  assertPlausibleDuration(event!);
  assert.equal(event!.comm, shell.name);
  assert.equal(event!.tgid, child.pid);
  // The raw register: an int argument, so only its low 32 bits are defined.
  assert.equal(BigInt.asUintN(32, BigInt(event!.args[0]!)), AT_FDCWD_BITS);
});

test('switched off, the monitor reports nothing; on again, it reports, same session', async (t) => {
  if (prerequisiteMissing(t)) return;
  const directory = temporaryDirectory(t);
  const whileOff = uniqueProgram(directory, '/bin/true');
  const whileOn = uniqueProgram(directory, '/bin/true');
  const { session, seen } = watchPaths(t, [whileOff.path, whileOn.path]);

  const off = session.setMonitor('syscalls', false);
  assert.equal(off.hooks.find((hook) => hook.monitor === 'syscalls')?.attached, false);
  assert.equal(spawnSync(whileOff.path).status, 0);

  const on = session.setMonitor('syscalls', true);
  assert.equal(on.hooks.find((hook) => hook.monitor === 'syscalls')?.attached, true);
  assert.equal(spawnSync(whileOn.path).status, 0);

  // One ring, filled in order: once the later exec is here, the earlier one would be too.
  await arrived(seen, whileOn.path);
  assert.deepEqual(
    seen.filter((event) => event.path === whileOff.path),
    [],
    'an execve made while the monitor was off was reported',
  );
});

/** How many of this process's perf events run a program on a tracepoint (`bpftool perf list`). */
function ownProgramsOnTracepoint(tracepoint: string): number {
  const events = JSON.parse(execFileSync('bpftool', ['-j', 'perf', 'list'], { encoding: 'utf8' })) as {
    pid: number;
    tracepoint?: string;
  }[];
  return events.filter((event) => event.pid === process.pid && event.tracepoint === tracepoint).length;
}

test('with the files monitor, one program serves both at openat exits, and each switches off alone', async (t) => {
  if (prerequisiteMissing(t)) return;
  const directory = realpathSync(temporaryDirectory(t));
  const shell = uniqueProgram(directory, '/bin/sh');
  const [both, syscallsOnly, filesOnly] = ['both', 'syscalls', 'files'].map((label) => {
    const file = join(directory, `${label}-${uniqueName()}.txt`);
    writeFileSync(file, '');
    return file;
  }) as [string, string, string];
  const wanted = new Set([both, syscallsOnly, filesOnly]);
  const { session, seen } = watchEvents(
    t,
    ['files', 'syscalls'],
    (event): event is FileEvent | SyscallEvent =>
      (event.kind === 'file' || event.kind === 'syscall') && wanted.has(event.path),
  );
  const open = (file: string) => assert.equal(spawnSync(shell.path, ['-c', `exec 7< ${file}`]).status, 0);
  const kindsOf = (file: string) =>
    seen
      .filter((event) => event.path === file)
      .map((event) => event.kind)
      .sort();

  // A second program there would cost every task that ran during the grace period the
  // kernel then waits for (openat_exit() in bpf/syscalls.bpf.c).
  assert.equal(ownProgramsOnTracepoint('sys_exit_openat'), 1);
  open(both);
  assert.ok(await waitFor(() => kindsOf(both).length >= 2, 5000), `events of ${both}: ${kindsOf(both)}`);

  session.setMonitor('files', false);
  assert.equal(ownProgramsOnTracepoint('sys_exit_openat'), 1, 'the syscalls monitor still needs it');
  open(syscallsOnly);
  session.setMonitor('files', true);
  session.setMonitor('syscalls', false);
  open(filesOnly);
  // One ring, filled in order: once the last open is here, the earlier ones would be too.
  assert.ok(await waitFor(() => kindsOf(filesOnly).length > 0, 5000), `no FILE event for ${filesOnly}`);
  session.setMonitor('files', false);
  assert.equal(ownProgramsOnTracepoint('sys_exit_openat'), 0);

  assert.deepEqual(kindsOf(both), ['file', 'syscall']);
  assert.deepEqual(kindsOf(syscallsOnly), ['syscall']);
  assert.deepEqual(kindsOf(filesOnly), ['file']);
});
