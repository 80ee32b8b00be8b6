// clawtop --snapshot as a user runs it, against a workload whose every count is known.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';

import { findCgroup2Root } from '../../src/core/cgroups.ts';
import { readSnapshotFile } from '../../src/core/snapshot-file.ts';
import { kernelPrerequisiteMissing, notRootReason } from './gate.ts';
import { startClawtop, waitUntilAttached } from './process.ts';
import { addonMissingReason } from './session.ts';
import { MIB, cgroupV2MissingReason, exitOf, prepareKnownWorkload, temporaryDirectory } from './workload.ts';

const COUNTS = { execs: 200, opens: 1000, connects: 50 };
/** Long enough for the workload (about 3 s here) with room to spare on a slow machine. */
const DURATION_SECONDS = 12;

function prerequisiteMissing(t: TestContext): boolean {
  return kernelPrerequisiteMissing(t, notRootReason() ?? addonMissingReason() ?? cgroupV2MissingReason());
}

test('a snapshot holds exactly the execs, opens, connects and cgroup traffic the workload made', async (t) => {
  if (prerequisiteMissing(t)) return;
  const directory = temporaryDirectory(t);
  const output = join(directory, 'out.json');
  const workload = await prepareKnownWorkload(t, directory);
  const { program, file, cgroup } = workload;

  // --json too, only to know when it watches: its first line comes once every hook is attached.
  const clawtop = startClawtop(t, ['--json', '--snapshot', output, '--duration', String(DURATION_SECONDS)]);
  await waitUntilAttached(clawtop);
  await workload.run(COUNTS);

  const [exitCode] = await exitOf(clawtop.child);
  assert.equal(exitCode, 0, clawtop.stderr());
  assert.equal(statSync(output).mode & 0o777, 0o600);
  const snapshot = readSnapshotFile(output);
  // The hooks as they were while it watched, not after it detached them to stop.
  assert.deepEqual(
    snapshot.hooks.filter((hook) => hook.attached).map((hook) => hook.monitor),
    ['exec', 'files', 'net', 'cgroup'],
  );

  const command = snapshot.panes.commands.find((row) => row.comm === program.name);
  assert.deepEqual([command?.execs, command?.exits, command?.failedExits], [COUNTS.execs, COUNTS.execs, 0]);
  const opened = snapshot.panes.files.find((row) => row.path === file);
  assert.deepEqual([opened?.opens, opened?.failures, opened?.operation], [COUNTS.opens, 0, 'read']);
  const outbound = snapshot.panes.connections.filter(
    (row) => row.direction === 'outbound' && row.remote === `127.0.0.1:${workload.connectPort}`,
  );
  assert.deepEqual(
    outbound.map((row) => [row.comm, row.protocol, row.count, row.failures]),
    [['node', 'tcp', COUNTS.connects, 0]],
  );
  const inbound = snapshot.panes.connections.filter(
    (row) => row.direction === 'inbound' && row.local === `127.0.0.1:${workload.connectPort}`,
  );
  assert.deepEqual(
    inbound.map((row) => row.count),
    [COUNTS.connects],
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
