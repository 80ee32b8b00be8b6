// The cgroup monitor against the real kernel: a process in a cgroup of the test's own sends
// a known amount over loopback, and the per-cgroup counts and the threshold alert must show it.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { CgroupTrafficSampler, type CgroupTrafficEvent } from '../../src/core/cgroup-traffic.ts';
import { CgroupPathResolver, findCgroup2Root } from '../../src/core/cgroups.ts';
import { KernelSession, type CgroupTrafficTotals } from '../../src/core/native.ts';
import { kernelPrerequisiteMissing, notRootReason } from './gate.ts';
import { addonMissingReason } from './session.ts';
import { uniqueName, waitFor } from './workload.ts';

const MIB = 1024 * 1024;
const SAMPLE_INTERVAL_MS = 250;
/** Far above the acknowledgements coming back, far below 1 MiB in one or two windows. */
const THRESHOLD_BYTES_PER_SECOND = 256 * 1024;

/** Waits for one byte on stdin, then sends exactly 1 MiB to 127.0.0.1:<port> and exits. */
const SENDER = `
const net = require('node:net');
process.stdin.once('data', () => {
  process.stdin.destroy();
  const socket = net.connect(Number(process.argv[1]), '127.0.0.1', () => socket.end(Buffer.alloc(${MIB}, 1)));
  socket.on('error', (error) => { console.error(error.message); process.exit(1); });
});
`;

function prerequisiteMissing(t: TestContext): boolean {
  return kernelPrerequisiteMissing(
    t,
    notRootReason() ??
      addonMissingReason() ??
      (findCgroup2Root() === undefined ? 'no cgroup v2 hierarchy is mounted' : undefined),
  );
}

/**
 * A new child cgroup of the v2 root, removed when the test ends: its processes are killed
 * and awaited first, since a cgroup with processes cannot be removed.
 */
function temporaryCgroup(t: TestContext, root: string): { path: string; id: number; members: ChildProcess[] } {
  const path = join(root, `clawtop-test-${uniqueName()}`);
  mkdirSync(path);
  const members: ChildProcess[] = [];
  t.after(async () => {
    for (const member of members) {
      if (member.exitCode === null && member.signalCode === null) {
        member.kill('SIGKILL');
        await once(member, 'exit');
      }
    }
    await waitFor(() => readFileSync(join(path, 'cgroup.procs'), 'utf8').trim() === '', 5000);
    for (let attempt = 0; ; attempt++) {
      try {
        rmdirSync(path);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EBUSY' || attempt >= 50) throw error;
        await sleep(100);
      }
    }
  });
  return { path, id: statSync(path).ino, members };
}

/** A loopback listener that counts what it receives; closed when the test ends. */
async function countingListener(t: TestContext): Promise<{ port: number; received: () => number }> {
  let received = 0;
  const server: Server = createServer((socket) => socket.on('data', (chunk) => (received += chunk.length)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, received: () => received };
}

/** This process's cgroup v2 id: the inode of its directory ("0::/path" in /proc/self/cgroup). */
function ownCgroupId(root: string): number {
  const line = readFileSync('/proc/self/cgroup', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('0::'));
  assert.ok(line, 'this process is in no cgroup v2');
  return statSync(join(root, line.slice(3))).ino;
}

const rowOf = (rows: readonly CgroupTrafficTotals[], cgroupId: number) =>
  rows.find((row) => row.cgroupId === cgroupId);

test('a cgroup sending 1 MiB over loopback is counted, resolved and alerted on once', async (t) => {
  if (prerequisiteMissing(t)) return;
  const root = findCgroup2Root()!;
  const session = new KernelSession({ monitors: ['cgroup'] });
  t.after(() => session.close());
  const hook = session.report.hooks.find((status) => status.monitor === 'cgroup');
  assert.equal(hook?.attached, true, `cgroup monitor not attached: ${hook?.reason}`);

  const cgroup = temporaryCgroup(t, root);
  const listener = await countingListener(t);
  const receiverId = ownCgroupId(root);
  const receivedBefore = rowOf(session.readCgroupTraffic(), receiverId)?.rxBytes ?? 0;

  // Real samples on a timer, as clawtop takes them; the first is the baseline.
  const resolver = new CgroupPathResolver(root);
  const sampler = new CgroupTrafficSampler((cgroupId) => resolver.resolve(cgroupId));
  sampler.setThreshold(cgroup.id, THRESHOLD_BYTES_PER_SECOND);
  const events: CgroupTrafficEvent[] = [];
  let samples = 0;
  const takeSample = () => {
    events.push(...sampler.sample(session.readCgroupTraffic(), Number(process.hrtime.bigint())));
    samples++;
  };
  takeSample();
  const timer = setInterval(takeSample, SAMPLE_INTERVAL_MS);
  t.after(() => clearInterval(timer));

  // Into the cgroup before it makes its socket: a socket belongs to its creator's cgroup.
  const sender = spawn(process.execPath, ['-e', SENDER, String(listener.port)], {
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  cgroup.members.push(sender);
  await once(sender, 'spawn');
  writeFileSync(join(cgroup.path, 'cgroup.procs'), String(sender.pid));
  sender.stdin!.end('go');
  const [exitCode] = (await once(sender, 'exit')) as [number | null];
  assert.equal(exitCode, 0, 'the sender failed');
  assert.ok(await waitFor(() => listener.received() === MIB, 5000), `received ${listener.received()} bytes`);

  // A few more samples see the whole transfer and the quiet after it.
  const samplesAtEnd = samples;
  await waitFor(() => samples >= samplesAtEnd + 3, 5000);
  clearInterval(timer);

  const rows = session.readCgroupTraffic();
  const sent = rowOf(rows, cgroup.id);
  assert.ok(sent, `no traffic counted for cgroup ${cgroup.id}`);
  assert.ok(sent.txBytes >= MIB, `tx bytes ${sent.txBytes} < 1 MiB`);
  assert.ok(sent.txPackets > 0 && sent.rxPackets > 0, 'egress data and ingress acknowledgements');
  assert.ok(sent.rxBytes < sent.txBytes / 10, `rx bytes ${sent.rxBytes}: only acknowledgements came back`);
  const received = (rowOf(rows, receiverId)?.rxBytes ?? 0) - receivedBefore;
  assert.ok(received >= MIB, `the receiver's cgroup got ${received} bytes on ingress`);

  const cgroupPath = `/${cgroup.path.slice(root.length + 1)}`;
  assert.equal(resolver.resolve(cgroup.id), cgroupPath);

  const ours = events.filter((event) => event.cgroupId === cgroup.id);
  const crossings = ours.filter((event) => event.kind === 'cgroup' && event.thresholdCrossed);
  const anomalies = ours.filter((event) => event.kind === 'anomaly');
  assert.equal(crossings.length, 1, JSON.stringify(ours));
  assert.equal(anomalies.length, 1, JSON.stringify(ours));
  const [crossing] = crossings;
  const [anomaly] = anomalies;
  assert.ok(crossing?.kind === 'cgroup' && anomaly?.kind === 'anomaly');
  assert.equal(crossing.metric, 'tx-bytes');
  assert.equal(crossing.threshold, THRESHOLD_BYTES_PER_SECOND);
  assert.ok(crossing.value > THRESHOLD_BYTES_PER_SECOND);
  assert.equal(anomaly.subjectCgroupId, cgroup.id);
  assert.equal(anomaly.sourceKind, 'cgroup');
  assert.equal(anomaly.observed, crossing.value);
  assert.equal(anomaly.limit, THRESHOLD_BYTES_PER_SECOND);
  assert.ok(anomaly.message.startsWith(`cgroup ${cgroupPath} sends `), anomaly.message);
  const sentInMetrics = ours
    .filter((event) => event.kind === 'cgroup' && !event.thresholdCrossed && event.metric === 'tx-bytes')
    .reduce((sum, event) => sum + (event.kind === 'cgroup' ? (event.value * event.windowNs) / 1e9 : 0), 0);
  assert.ok(Math.abs(sentInMetrics - sent.txBytes) < 16, `the rates add up to ${sentInMetrics}, not ${sent.txBytes}`);
});
