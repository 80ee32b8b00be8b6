import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { ExecEvent, ExitEvent, FileEvent, NetEvent } from '../../src/core/decode.ts';
import { Model } from '../../src/core/model.ts';
import { SnapshotPublisher } from '../../src/core/publisher.ts';
import { compilePaneFilters } from '../../src/core/snapshot-document.ts';

const common = { tid: 0, ppid: 1, uid: 0, cgroupId: 1 };

function exec(pid: number, comm: string, atSecond: number, argv: string[] = [comm]): ExecEvent {
  return {
    kind: 'exec',
    ...common,
    tgid: pid,
    tid: pid,
    comm,
    timestampNs: atSecond * 1e9,
    filename: `/usr/bin/${comm}`,
    argv,
    argc: argv.length,
    argsTruncated: false,
    filenameTruncated: false,
  };
}

function exit(pid: number, comm: string, atSecond: number, exitCode = 0, exitSignal = 0): ExitEvent {
  return { kind: 'exit', ...common, tgid: pid, tid: pid, comm, timestampNs: atSecond * 1e9, exitCode, exitSignal, runtimeNs: 5e6 };
}

function open(pid: number, comm: string, path: string, result: number, atSecond: number, count = 1): FileEvent {
  return {
    kind: 'file',
    ...common,
    tgid: pid,
    comm,
    timestampNs: atSecond * 1e9,
    result,
    errno: result === -2 ? 'ENOENT' : null,
    openFlags: 0,
    mode: 0,
    dev: 0,
    inode: 0,
    operation: 'read',
    access: 'read',
    path,
    pathTruncated: false,
    count,
    repeats: count > 1,
  };
}

function connect(pid: number, localPort: number, remotePort: number, direction: 'outbound' | 'inbound', result = 0): NetEvent {
  return {
    kind: 'net',
    ...common,
    tgid: pid,
    comm: 'curl',
    timestampNs: 1e9,
    family: 'ipv4',
    protocol: 'tcp',
    direction,
    result,
    errno: result === -111 ? 'ECONNREFUSED' : null,
    sourceAddress: '127.0.0.1',
    sourcePort: localPort,
    destinationAddress: '10.0.0.1',
    destinationPort: remotePort,
  };
}

test('execs count per command, with rates over the completed seconds', () => {
  const model = new Model();
  model.ingest(exec(10, 'make', 100), 100);
  model.ingest(exec(11, 'make', 100), 100);
  model.ingest(exec(12, 'make', 101, ['make', '-j4']), 101);
  const snapshot = model.snapshot(102_000);
  assert.deepEqual(
    snapshot.commands.map(({ comm, execs, execsPerSecond1, execsPerSecond10, lastArgv }) => ({
      comm,
      execs,
      execsPerSecond1,
      execsPerSecond10,
      lastArgv,
    })),
    [{ comm: 'make', execs: 3, execsPerSecond1: 1, execsPerSecond10: 0.3, lastArgv: ['make', '-j4'] }],
  );
  assert.deepEqual(
    snapshot.processes.map((row) => [row.pid, row.state, row.commandExecsPerSecond]),
    [
      [10, 'running', 0.3],
      [11, 'running', 0.3],
      [12, 'running', 0.3],
    ],
  );
});

test('an exit folds into its process row and its command', () => {
  const model = new Model({ userName: (uid) => (uid === 0 ? 'root' : String(uid)) });
  model.seedProcesses(
    [{ pid: 5, ppid: 1, uid: 0, comm: 'sshd', argv: ['sshd', '-D'], cgroupPath: '/system.slice', startSeconds: 1 }],
    0,
  );
  model.ingest(exec(20, 'false', 3), 3);
  model.ingest(exit(20, 'false', 3, 1), 3);
  model.ingest(exit(5, 'sshd', 4, 0, 9), 4);
  const snapshot = model.snapshot(5_000);
  assert.deepEqual(
    snapshot.processes.map((row) => [row.pid, row.user, row.comm, row.state, row.exitCode, row.exitSignal, row.cgroupPath]),
    [
      [20, 'root', 'false', 'exited', 1, 0, ''],
      [5, 'root', 'sshd', 'exited', 0, 9, '/system.slice'],
    ],
  );
  assert.deepEqual(
    snapshot.commands.map((row) => [row.comm, row.execs, row.exits, row.failedExits]),
    [['false', 1, 1, 1]],
  );
});

test('file rows: opens, failures, the last result and the last processes, newest first', () => {
  const model = new Model();
  for (let pid = 1; pid <= 7; pid++) model.ingest(open(pid, `p${pid}`, '/etc/passwd', 3, 1), 1);
  model.ingest(open(9, 'cat', '/etc/passwd', -2, 1), 1);
  const [row] = model.snapshot(2_000).files;
  assert.deepEqual(
    [row?.opens, row?.failures, row?.lastResult, row?.lastErrno, row?.processes],
    [8, 1, -2, 'ENOENT', ['cat[9]', 'p7[7]', 'p6[6]', 'p5[5]', 'p4[4]']],
  );
});

test("a file row's processes: one returning moves to the front, once, and a snapshot keeps its own", () => {
  const model = new Model();
  model.ingest(open(1, 'a', '/etc/hosts', 3, 1), 1);
  model.ingest(open(2, 'b', '/etc/hosts', 3, 1), 1);
  const before = model.snapshot(2_000).files[0]?.processes;
  model.ingest(open(1, 'a', '/etc/hosts', 3, 1), 1);
  assert.deepEqual(model.snapshot(2_000).files[0]?.processes, ['a[1]', 'b[2]']);
  assert.deepEqual(before, ['b[2]', 'a[1]']);
});

test('repeats folded in the kernel count as the opens they stand for', () => {
  const model = new Model();
  model.ingest(open(5, 'poller', '/proc/stat', 3, 1), 1);
  model.ingest(open(5, 'poller', '/proc/stat', 3, 1, 4_999), 1);
  const [row] = model.snapshot(2_000).files;
  assert.equal(row?.opens, 5_000);
});

test('connections: one outbound row per remote endpoint, one inbound row per local endpoint', () => {
  const model = new Model();
  model.ingest(connect(30, 40001, 443, 'outbound'), 1);
  model.ingest(connect(31, 40002, 443, 'outbound', -111), 1);
  model.ingest(connect(40, 8080, 51000, 'inbound'), 1);
  model.ingest(connect(40, 8080, 51001, 'inbound'), 1);
  assert.deepEqual(
    model.snapshot(2_000).connections.map((row) => [row.direction, row.local, row.remote, row.count, row.failures, row.lastErrno, row.localPort, row.remotePort]),
    [
      ['outbound', '127.0.0.1:40002', '10.0.0.1:443', 2, 1, 'ECONNREFUSED', 0, 443],
      ['inbound', '127.0.0.1:8080', '10.0.0.1', 2, 0, null, 8080, 0],
    ],
  );
});

test('tables stay within their capacity, the rest counted as other', () => {
  const model = new Model({ capacity: { files: 2, processes: 2 } });
  for (let index = 0; index < 5; index++) model.ingest(open(index, 'x', `/tmp/${index}`, 3, 1), 1);
  for (let pid = 100; pid < 105; pid++) model.ingest(exec(pid, 'x', 1), 1);
  const snapshot = model.snapshot(2_000);
  assert.equal(snapshot.files.length, 2);
  assert.equal(snapshot.files.reduce((sum, row) => sum + row.opens, 0) + snapshot.otherCounts.files, 5 + 3);
  assert.deepEqual(
    snapshot.processes.map((row) => row.pid),
    [103, 104],
  );
});

test('cgroup traffic: rates per second, totals, and a crossed threshold becomes one alert', () => {
  const model = new Model({ cgroupPath: (id) => (id === 7 ? '/batch' : undefined) });
  model.setCgroupThreshold(7, 1000);
  const totals = (txBytes: number) => [{ cgroupId: 7, rxBytes: 0, txBytes, rxPackets: 0, txPackets: txBytes / 100 }];
  model.sampleCgroupTraffic(totals(0), 1e9);
  model.sampleCgroupTraffic(totals(5000), 2e9);
  model.sampleCgroupTraffic(totals(10_000), 3e9);
  const snapshot = model.snapshot(3_000);
  assert.deepEqual(
    snapshot.cgroups.map((row) => [row.path, row.txBytesPerSecond, row.txPacketsPerSecond, row.txBytes, row.thresholdBytesPerSecond]),
    [['/batch', 5000, 50, 10_000, 1000]],
  );
  assert.deepEqual(
    snapshot.alerts.map((alert) => [alert.key, alert.severity, alert.source, alert.repeats]),
    [['cgroup-bytes:7', 'critical', 'threshold', 0]],
  );
});

test('each second: failed opens over their threshold and lost events raise alerts', () => {
  const model = new Model();
  model.thresholds.setThreshold('process-failed-opens', 2);
  for (let attempt = 0; attempt < 5; attempt++) model.ingest(open(77, 'scanner', `/etc/${attempt}`, -2, 1), 1);
  model.tick(2e9, 0);
  model.tick(3e9, 42);
  assert.deepEqual(
    model.snapshot(3_000).alerts.map((alert) => [alert.source, alert.severity, alert.subjectPid ?? null, alert.observed]),
    [
      ['loss', 'high', null, 42],
      ['threshold', 'high', 77, 5],
    ],
  );
});

test('publishing: at most 30 times a second, only on change; a pause freezes what views see', () => {
  const model = new Model();
  const publisher = new SnapshotPublisher(model, 0);
  const published: number[] = [];
  publisher.subscribe((snapshot) => published.push(snapshot.takenMs));
  assert.equal(publisher.publishIfDue(100), false, 'nothing changed');
  model.ingest(exec(1, 'a', 0), 0);
  publisher.markChanged();
  assert.equal(publisher.publishIfDue(100), true);
  publisher.markChanged();
  assert.equal(publisher.publishIfDue(110), false, 'within 1/30 s of the last');
  assert.equal(publisher.publishIfDue(134), true);

  publisher.pause();
  model.ingest(exec(2, 'b', 0), 0);
  publisher.markChanged();
  assert.equal(publisher.publishIfDue(500), false);
  assert.deepEqual(
    publisher.current().processes.map((row) => row.pid),
    [1],
  );
  publisher.resume(600);
  assert.deepEqual(
    publisher.current().processes.map((row) => row.pid),
    [1, 2],
  );
  assert.deepEqual(published, [100, 134, 600]);
});

test('a filter never hides that events were lost', () => {
  const model = new Model();
  model.ingest(exec(50, 'make', 1), 1);
  model.tick(2e9, 7);
  const filters = compilePaneFilters('pid==50');
  const alerts = model.snapshot(2_000).alerts.filter((alert) => filters.alerts.matches(alert));
  assert.deepEqual(
    alerts.map((alert) => [alert.source, alert.observed]),
    [['loss', 7]],
  );
});
