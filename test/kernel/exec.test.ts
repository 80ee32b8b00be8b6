// The exec monitor against the real kernel: the test runs programs and must see them.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import type { ClawtopEvent } from '../../src/core/decode.ts';
import { kernelPrerequisiteMissing, notRootReason } from './gate.ts';
import { addonMissingReason, watchEvents } from './session.ts';
import { temporaryDirectory, uniqueProgram, waitFor } from './workload.ts';

function prerequisiteMissing(t: TestContext): boolean {
  return kernelPrerequisiteMissing(t, notRootReason() ?? addonMissingReason());
}

/** Opens the exec monitor and collects the decoded events of one comm. */
function watchComm(t: TestContext, comm: string): ClawtopEvent[] {
  return watchEvents(t, ['exec'], (event): event is ClawtopEvent => event.comm === comm).seen;
}

const RUNS = 50;

test('every exec and exit of a uniquely named program arrives, once each', async (t) => {
  if (prerequisiteMissing(t)) return;
  const program = uniqueProgram(temporaryDirectory(t), '/bin/true');
  const seen = watchComm(t, program.name);

  for (let run = 0; run < RUNS; run++) execFileSync(program.path, ['run', String(run)]);
  await waitFor(() => seen.filter((event) => event.kind === 'exit').length >= RUNS, 5000);
  await sleep(100); // anything extra would arrive within a poll interval or two

  const execs = seen.filter((event) => event.kind === 'exec');
  const exits = seen.filter((event) => event.kind === 'exit');
  assert.equal(execs.length, RUNS);
  assert.equal(exits.length, RUNS);
  execs.forEach((event, run) => {
    assert.equal(event.filename, program.path);
    assert.equal(event.ppid, process.pid);
    assert.notEqual(event.tgid, process.pid);
    assert.equal(event.uid, 0);
    assert.deepEqual(event.argv, [program.path, 'run', String(run)]);
    assert.equal(event.argc, 3);
  });
  for (const event of exits) {
    assert.equal(event.exitCode, 0);
    assert.equal(event.exitSignal, 0);
    assert.equal(event.ppid, process.pid);
    assert.ok(event.runtimeNs > 0 && event.runtimeNs < 5e9, `runtime ${event.runtimeNs} ns`);
  }
  assert.deepEqual(
    new Set(exits.map((event) => event.tgid)),
    new Set(execs.map((event) => event.tgid)),
    'each exit belongs to one of the execs',
  );
});

test('an exit code and a killing signal are reported as such', async (t) => {
  if (prerequisiteMissing(t)) return;
  const shell = uniqueProgram(temporaryDirectory(t), '/bin/sh');
  const seen = watchComm(t, shell.name);

  assert.equal(spawnSync(shell.path, ['-c', 'exit 3']).status, 3);
  assert.equal(spawnSync(shell.path, ['-c', 'kill -KILL $$']).signal, 'SIGKILL');
  await waitFor(() => seen.filter((event) => event.kind === 'exit').length >= 2, 5000);

  const exits = seen.filter((event) => event.kind === 'exit');
  assert.deepEqual(
    exits.map((event) => [event.exitCode, event.exitSignal]),
    [
      [3, 0],
      [0, 9],
    ],
  );
});

test('arguments past the captured bytes are marked truncated, argv capped at 8', async (t) => {
  if (prerequisiteMissing(t)) return;
  const program = uniqueProgram(temporaryDirectory(t), '/bin/true');
  const seen = watchComm(t, program.name);
  const manyArgs = Array.from({ length: 12 }, (_, index) => `a${index}`);
  const longArg = 'x'.repeat(400);

  execFileSync(program.path, manyArgs);
  execFileSync(program.path, [longArg]);
  await waitFor(() => seen.filter((event) => event.kind === 'exec').length >= 2, 5000);

  const [many, long] = seen.filter((event) => event.kind === 'exec');
  assert.deepEqual(many?.argv, [program.path, ...manyArgs.slice(0, 7)]);
  assert.equal(many?.argc, 13);
  assert.equal(many?.argsTruncated, true);
  assert.equal(long?.argc, 2);
  assert.equal(long?.argsTruncated, true);
  assert.equal(long?.argv[0], program.path);
});
