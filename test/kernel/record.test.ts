// --record on a real kernel, then --replay of what it wrote as an unprivileged user: the
// replayed tables hold what the live ones held, the cgroup traffic and its path included
// (read on a timer live, not from the ring), after the cgroup itself is gone.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chownSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';

import { readSnapshotFile, type SnapshotDocument } from '../../src/core/snapshot-file.ts';
import { kernelPrerequisiteMissing, notRootReason } from './gate.ts';
import { PROJECT, startClawtop, waitUntilAttached } from './process.ts';
import { addonMissingReason } from './session.ts';
import { MIB, cgroupV2MissingReason, exitOf, prepareKnownWorkload, temporaryDirectory } from './workload.ts';

const NOBODY = 65534;
const COUNTS = { execs: 20, opens: 100, connects: 5 };
const DURATION_SECONDS = 8;

function prerequisiteMissing(t: TestContext): boolean {
  return kernelPrerequisiteMissing(t, notRootReason() ?? addonMissingReason() ?? cgroupV2MissingReason());
}

/** The rows of the workload in a snapshot, by what a user reads in them. */
function workloadRows(snapshot: SnapshotDocument, programName: string, file: string, port: number, cgroupId: number) {
  const command = snapshot.panes.commands.find((row) => row.comm === programName);
  const opened = snapshot.panes.files.find((row) => row.path === file);
  const connections = snapshot.panes.connections
    .filter((row) => row.remote === `127.0.0.1:${port}` || row.local === `127.0.0.1:${port}`)
    .map((row) => [row.direction, row.comm, row.count]);
  const cgroup = snapshot.panes.cgroups.find((row) => row.cgroupId === cgroupId);
  return {
    command: [command?.execs, command?.exits],
    file: [opened?.opens, opened?.operation],
    connections,
    cgroup: [cgroup?.path, cgroup?.txBytes, cgroup?.rxBytes],
  };
}

test('a recording replayed by an unprivileged user gives the tables the live run gave', async (t) => {
  if (prerequisiteMissing(t)) return;
  const directory = temporaryDirectory(t);
  chownSync(directory, NOBODY, NOBODY);
  const recording = join(directory, 'run.clawtop-rec');
  const live = join(directory, 'live.json');
  const replayed = join(directory, 'replayed.json');
  const workload = await prepareKnownWorkload(t, directory);
  const { program, file, cgroup } = workload;

  const clawtop = startClawtop(t, ['--json', '--record', recording, '--snapshot', live, '--duration', String(DURATION_SECONDS)]);
  await waitUntilAttached(clawtop);
  await workload.run(COUNTS);
  const [exitCode] = await exitOf(clawtop.child);
  assert.equal(exitCode, 0, clawtop.stderr());
  assert.equal(statSync(recording).mode & 0o777, 0o600);

  chownSync(recording, NOBODY, NOBODY);
  const replay = spawnSync(
    'setpriv',
    [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, '--import', 'tsx', 'src/cli.tsx',
      '--replay', recording, '--snapshot', replayed, '--speed', 'max'],
    { cwd: PROJECT, encoding: 'utf8', env: { ...process.env, HOME: '/tmp' } },
  );
  assert.equal(replay.stderr, '');
  assert.equal(replay.status, 0);

  const liveRows = workloadRows(readSnapshotFile(live), program.name, file, workload.connectPort, cgroup.id);
  const replayedRows = workloadRows(readSnapshotFile(replayed), program.name, file, workload.connectPort, cgroup.id);
  assert.deepEqual(liveRows.command, [COUNTS.execs, COUNTS.execs]);
  assert.deepEqual(liveRows.file, [COUNTS.opens, 'read']);
  assert.equal(liveRows.connections.length, 2);
  assert.ok(Number(liveRows.cgroup[1]) >= MIB, `live tx ${liveRows.cgroup[1]}`);
  assert.deepEqual(replayedRows, liveRows);
  const replayedCounters = readSnapshotFile(replayed).counters;
  assert.deepEqual(replayedCounters, readSnapshotFile(live).counters);
});
