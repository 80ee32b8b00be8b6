// The cgroup monitor against the real kernel: a process in a cgroup of the test's own sends
// a known amount over loopback, and the per-cgroup counts and the threshold alert must show it.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';

import { CgroupTrafficSampler, type CgroupTrafficEvent } from '../../src/core/cgroup-traffic.ts';
import { CgroupPathResolver, findCgroup2Root } from '../../src/core/cgroups.ts';
import { KernelSession, type CgroupTrafficTotals } from '../../src/core/native.ts';
import { kernelPrerequisiteMissing, notRootReason } from './gate.ts';
import { addonMissingReason, ownProgramNames } from './session.ts';
import { MIB, cgroupV2MissingReason, countingListener, sendMebibyteFromCgroup, temporaryCgroup, waitFor } from './workload.ts';

const SAMPLE_INTERVAL_MS = 250;
/** Far above the acknowledgements coming back, far below 1 MiB in one or two windows. */
const THRESHOLD_BYTES_PER_SECOND = 256 * 1024;

function prerequisiteMissing(t: TestContext): boolean {
  return kernelPrerequisiteMissing(
    t,
    notRootReason() ??
      addonMissingReason() ??
      cgroupV2MissingReason(),
  );
}

/** This process's cgroup v2 id: the inode of its directory ("0::/path" in /proc/self/cgroup). */
function ownCgroupId(root: string): number {
  const line = readFileSync('/proc/self/cgroup', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('0::'));
  assert.ok(line, 'this process is in no cgroup v2');
  return statSync(join(root, line.slice(3))).ino;
}

/**
 * The cgroup_skb programs: the first pair reads the socket's cgroup with plain loads
 * (bpf_cast_to_kern_ctx, Linux 6.2), the second calls bpf_skb_cgroup_id() for older kernels.
 * The second loads here only when the first is refused, through native/bpf_session.cc's
 * test hook, as an older kernel would refuse it.
 */
const SKB_PROGRAMS = [
  { programs: ['clawtop_skb_egress', 'clawtop_skb_ingress'], refuse: undefined },
  { programs: ['clawtop_skb_egress_helper', 'clawtop_skb_ingress_helper'], refuse: 'clawtop_skb_ingress' },
] as const;

/** A session on the cgroup monitor served by `programs`. */
function openCgroupSession(t: TestContext, { programs, refuse }: (typeof SKB_PROGRAMS)[number]): KernelSession {
  // The addon reads it while it loads, in the constructor.
  if (refuse !== undefined) process.env.CLAWTOP_TEST_FAIL_PROGRAM = refuse;
  try {
    const session = new KernelSession({ monitors: ['cgroup'] });
    t.after(() => session.close());
    const hook = session.report.hooks.find((status) => status.monitor === 'cgroup');
    assert.equal(hook?.attached, true, `cgroup monitor not attached: ${hook?.reason}`);
    assert.deepEqual(ownProgramNames('clawtop_skb_'), programs, 'the programs serving cgroup');
    return session;
  } finally {
    delete process.env.CLAWTOP_TEST_FAIL_PROGRAM;
  }
}

const rowOf = (rows: readonly CgroupTrafficTotals[], cgroupId: number) =>
  rows.find((row) => row.cgroupId === cgroupId);

for (const skb of SKB_PROGRAMS) {
  test(`${skb.programs.join(' + ')}: a cgroup sending 1 MiB over loopback is counted, resolved and alerted on once`, async (t) => {
    if (prerequisiteMissing(t)) return;
    const root = findCgroup2Root()!;
    const session = openCgroupSession(t, skb);

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

    await sendMebibyteFromCgroup(cgroup, listener.port);
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
}
