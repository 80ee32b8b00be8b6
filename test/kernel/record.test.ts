// --record on a real kernel, then --replay of what it wrote as an unprivileged user: the
// replayed tables hold what the live ones held, the cgroup traffic and its path included
// (read on a timer live, not from the ring), after the cgroup itself is gone.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, closeSync, openSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';

import { findCgroup2Root } from '../../src/core/cgroups.ts';
import { readSnapshotFile, type SnapshotDocument } from '../../src/core/snapshot-file.ts';
import { kernelPrerequisiteMissing, notRootReason } from './gate.ts';
import { addonMissingReason } from './session.ts';
import {
  MIB,
  countingListener,
  sendMebibyteFromCgroup,
  temporaryCgroup,
  temporaryDirectory,
  uniqueName,
  uniqueProgram,
  waitFor,
  exitOf,
} from './workload.ts';

const PROJECT = new URL('../..', import.meta.url).pathname;
const NOBODY = 65534;
const EXECS = 20;
const OPENS = 100;
const CONNECTS = 5;
const DURATION_SECONDS = 8;

function prerequisiteMissing(t: TestContext): boolean {
  return kernelPrerequisiteMissing(
    t,
    notRootReason() ??
      addonMissingReason() ??
      (findCgroup2Root() === undefined ? 'no cgroup v2 hierarchy is mounted' : undefined),
  );
}

async function connectAndClose(port: number): Promise<void> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.destroy();
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
  const program = uniqueProgram(directory, '/bin/true');
  const file = join(directory, `${uniqueName()}.data`);
  writeFileSync(file, 'clawtop');
  const cgroup = temporaryCgroup(t, findCgroup2Root()!);
  const connectListener = await countingListener(t);
  const trafficListener = await countingListener(t);

  const clawtop = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli.tsx', '--json', '--record', recording, '--snapshot', live, '--duration', String(DURATION_SECONDS)],
    { cwd: PROJECT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.after(() => clawtop.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  clawtop.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  clawtop.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  assert.ok(await waitFor(() => stdout.includes('"kind":"hooks"'), 15_000), `clawtop did not start: ${stderr}`);

  for (let run = 0; run < EXECS; run++) execFileSync(program.path);
  for (let open = 0; open < OPENS; open++) closeSync(openSync(file, 'r'));
  for (let attempt = 0; attempt < CONNECTS; attempt++) await connectAndClose(connectListener.port);
  await sendMebibyteFromCgroup(cgroup, trafficListener.port);
  assert.ok(await waitFor(() => trafficListener.received() === MIB, 5000));
  const [exitCode] = await exitOf(clawtop);
  assert.equal(exitCode, 0, stderr);
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

  const liveRows = workloadRows(readSnapshotFile(live), program.name, file, connectListener.port, cgroup.id);
  const replayedRows = workloadRows(readSnapshotFile(replayed), program.name, file, connectListener.port, cgroup.id);
  assert.deepEqual(liveRows.command, [EXECS, EXECS]);
  assert.deepEqual(liveRows.file, [OPENS, 'read']);
  assert.equal(liveRows.connections.length, 2);
  assert.ok(Number(liveRows.cgroup[1]) >= MIB, `live tx ${liveRows.cgroup[1]}`);
  assert.deepEqual(replayedRows, liveRows);
  const replayedCounters = readSnapshotFile(replayed).counters;
  assert.deepEqual(replayedCounters, readSnapshotFile(live).counters);
});
