// clawtop --snapshot as a user runs it, against a workload whose every count is known.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';

import { findCgroup2Root } from '../../src/core/cgroups.ts';
import { readSnapshotFile } from '../../src/core/snapshot-file.ts';
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
const EXECS = 200;
const OPENS = 1000;
const CONNECTS = 50;
/** Long enough for the workload (about 3 s here) with room to spare on a slow machine. */
const DURATION_SECONDS = 12;

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

test('a snapshot holds exactly the execs, opens, connects and cgroup traffic the workload made', async (t) => {
  if (prerequisiteMissing(t)) return;
  const directory = temporaryDirectory(t);
  const output = join(directory, 'out.json');
  const program = uniqueProgram(directory, '/bin/true');
  const file = join(directory, `${uniqueName()}.data`);
  writeFileSync(file, 'clawtop');
  const cgroup = temporaryCgroup(t, findCgroup2Root()!);
  const connectListener = await countingListener(t);
  const trafficListener = await countingListener(t);

  // --json too, only to know when it watches: its first line comes once every hook is attached.
  const clawtop = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli.tsx', '--json', '--snapshot', output, '--duration', String(DURATION_SECONDS)],
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
  assert.equal(statSync(output).mode & 0o777, 0o600);
  const snapshot = readSnapshotFile(output);

  const command = snapshot.panes.commands.find((row) => row.comm === program.name);
  assert.deepEqual([command?.execs, command?.exits, command?.failedExits], [EXECS, EXECS, 0]);
  const opened = snapshot.panes.files.find((row) => row.path === file);
  assert.deepEqual([opened?.opens, opened?.failures, opened?.operation], [OPENS, 0, 'read']);
  const outbound = snapshot.panes.connections.filter(
    (row) => row.direction === 'outbound' && row.remote === `127.0.0.1:${connectListener.port}`,
  );
  assert.deepEqual(
    outbound.map((row) => [row.comm, row.protocol, row.count, row.failures]),
    [['node', 'tcp', CONNECTS, 0]],
  );
  const inbound = snapshot.panes.connections.filter(
    (row) => row.direction === 'inbound' && row.local === `127.0.0.1:${connectListener.port}`,
  );
  assert.deepEqual(
    inbound.map((row) => row.count),
    [CONNECTS],
  );
  const cgroupRow = snapshot.panes.cgroups.find((row) => row.cgroupId === cgroup.id);
  const cgroupName = cgroup.path.slice(findCgroup2Root()!.length);
  assert.equal(cgroupRow?.path, cgroupName);
  // On the wire, 1 MiB of payload plus the IP and TCP headers of each segment.
  assert.ok(
    Number(cgroupRow?.txBytes) >= MIB && Number(cgroupRow?.txBytes) < 1.1 * MIB,
    `tx ${cgroupRow?.txBytes} bytes`,
  );
  const counters = new Map(snapshot.counters.map((counter) => [counter.kind, counter]));
  for (const kind of ['exec', 'exit', 'file', 'net']) {
    assert.equal(counters.get(kind)?.dropped, 0, `${kind} events were dropped`);
    assert.equal(counters.get(kind)?.received, counters.get(kind)?.emitted, `${kind}: all received`);
  }
});
