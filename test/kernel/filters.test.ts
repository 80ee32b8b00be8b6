// In-kernel filters of the runtime settings map: filtered-out events are never emitted.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import type { ExecEvent } from '../../src/core/decode.ts';
import { KernelSession } from '../../src/core/native.ts';
import { kernelPrerequisiteMissing, notRootReason } from './gate.ts';
import { addonMissingReason, watchEvents } from './session.ts';
import { temporaryDirectory, uniqueProgram, waitFor, exitOf } from './workload.ts';

const NOBODY = 65534;

function prerequisiteMissing(t: TestContext): boolean {
  return kernelPrerequisiteMissing(t, notRootReason() ?? addonMissingReason());
}

function watchExecs(t: TestContext, comms: readonly string[]): { session: KernelSession; execs: ExecEvent[] } {
  const { session, seen } = watchEvents(
    t,
    ['exec'],
    (event): event is ExecEvent => event.kind === 'exec' && comms.includes(event.comm),
  );
  return { session, execs: seen };
}

function runAs(uid: number, path: string): void {
  const result = spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', path]);
  assert.equal(result.status, 0, String(result.stderr));
}

test('the uid filter lets only that user’s events through, and lifts', async (t) => {
  if (prerequisiteMissing(t)) return;
  const directory = temporaryDirectory(t);
  const program = uniqueProgram(directory, '/bin/true');
  const { session, execs } = watchExecs(t, [program.name]);

  session.setFilter('filterUid', NOBODY);
  runAs(0, program.path);
  runAs(NOBODY, program.path);
  await waitFor(() => execs.length >= 1, 5000);
  await sleep(100);
  assert.deepEqual(
    execs.map((event) => event.uid),
    [NOBODY],
  );

  session.setFilter('filterUid', null);
  runAs(0, program.path);
  await waitFor(() => execs.length >= 2, 5000);
  assert.deepEqual(
    execs.map((event) => event.uid),
    [NOBODY, 0],
  );
});

test('the pid filter lets only that process’s events through', async (t) => {
  if (prerequisiteMissing(t)) return;
  const directory = temporaryDirectory(t);
  const watched = uniqueProgram(directory, '/bin/true');
  const other = uniqueProgram(directory, '/bin/true');
  const { session, execs } = watchExecs(t, [watched.name, other.name]);

  // A shell that waits, then becomes the watched program: same pid, known in advance.
  const shell = spawn('/bin/sh', ['-c', `read go; exec ${watched.path}`], { stdio: ['pipe', 'ignore', 'ignore'] });
  t.after(() => shell.kill('SIGKILL'));
  session.setFilter('filterTgid', shell.pid!);
  spawnSync(other.path);
  shell.stdin.end('go\n');
  await exitOf(shell);
  await waitFor(() => execs.length >= 1, 5000);
  await sleep(100);
  assert.deepEqual(
    execs.map((event) => [event.comm, event.tgid]),
    [[watched.name, shell.pid]],
  );
});

test('filter values are range-checked before they reach the kernel', (t) => {
  if (prerequisiteMissing(t)) return;
  const session = new KernelSession({ monitors: [] });
  t.after(() => session.close());
  assert.throws(() => session.setFilter('filterPort', 70000), /filterPort must be an integer from 0 to 65535, got 70000/);
  assert.throws(() => session.setFilter('filterUid', -1), /filterUid must be an integer from 0 to 4294967295, got -1/);
});
