import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  CgroupTrafficSampler,
  formatByteRate,
  severityOfExcess,
  type CgroupTrafficEvent,
} from '../../src/core/cgroup-traffic.ts';
import type { CgroupMetricName, SeverityName } from '../../src/core/contract.ts';
import type { CgroupTrafficTotals } from '../../src/core/native.ts';

const SECOND = 1e9;
const PATHS: Record<number, string> = { 1: '/', 42: '/system.slice/web.service', 43: '/batch' };
const resolvePath = (cgroupId: number) => PATHS[cgroupId];

/** [cgroupId, rxBytes, txBytes, rxPackets, txPackets] */
type Row = readonly [number, number, number, number, number];
const totals = (rows: readonly Row[]): CgroupTrafficTotals[] =>
  rows.map(([cgroupId, rxBytes, txBytes, rxPackets, txPackets]) => ({
    cgroupId,
    rxBytes,
    txBytes,
    rxPackets,
    txPackets,
  }));

const common = (cgroupId: number, nowNs: number) => ({
  timestampNs: nowNs,
  tgid: 0,
  tid: 0,
  ppid: 0,
  uid: 0,
  cgroupId,
  comm: '',
});

/** The four metric events of one cgroup's window: rates [rx B/s, tx B/s, rx pkt/s, tx pkt/s]. */
function metrics(
  cgroupId: number,
  nowNs: number,
  windowNs: number,
  rates: readonly [number, number, number, number],
  threshold = 0,
): CgroupTrafficEvent[] {
  const names: CgroupMetricName[] = ['rx-bytes', 'tx-bytes', 'rx-packets', 'tx-packets'];
  return names.map((metric, index) => ({
    kind: 'cgroup',
    ...common(cgroupId, nowNs),
    metric,
    value: rates[index]!,
    threshold: index < 2 ? threshold : 0,
    windowNs,
    thresholdCrossed: false,
  }));
}

/** The threshold event and the anomaly of one crossing. */
function crossing(
  cgroupId: number,
  nowNs: number,
  windowNs: number,
  metric: 'rx-bytes' | 'tx-bytes',
  rate: number,
  threshold: number,
  severity: SeverityName,
  message: string,
): CgroupTrafficEvent[] {
  return [
    {
      kind: 'cgroup',
      ...common(cgroupId, nowNs),
      metric,
      value: rate,
      threshold,
      windowNs,
      thresholdCrossed: true,
    },
    {
      kind: 'anomaly',
      ...common(cgroupId, nowNs),
      severity,
      sourceKind: 'cgroup',
      subjectPid: 0,
      subjectCgroupId: cgroupId,
      observed: rate,
      limit: threshold,
      message,
    },
  ];
}

interface Step {
  readonly nowNs: number;
  readonly rows: readonly Row[];
  /** setThreshold calls made before this sample. */
  readonly thresholds?: readonly (readonly [number, number | null])[];
  readonly expected: readonly CgroupTrafficEvent[];
}

const CASES: { name: string; steps: Step[] }[] = [
  {
    name: 'the first sample only sets the baseline; rates come from the deltas after it',
    steps: [
      { nowNs: 5 * SECOND, rows: [[42, 1e6, 2e6, 100, 200]], expected: [] },
      {
        nowNs: 7 * SECOND,
        rows: [[42, 1e6 + 4000, 2e6 + 1000, 110, 203]],
        expected: metrics(42, 7 * SECOND, 2 * SECOND, [2000, 500, 5, 2]),
      },
    ],
  },
  {
    name: 'a cgroup whose counters did not move produces nothing',
    steps: [
      { nowNs: 0, rows: [[42, 10, 20, 1, 2], [43, 0, 0, 0, 0]], expected: [] },
      {
        nowNs: SECOND,
        rows: [[42, 10, 20, 1, 2], [43, 0, 300, 0, 3]],
        expected: metrics(43, SECOND, SECOND, [0, 300, 0, 3]),
      },
    ],
  },
  {
    name: 'a cgroup first seen after the baseline counts from zero',
    steps: [
      { nowNs: 0, rows: [[1, 5, 5, 1, 1]], expected: [] },
      {
        nowNs: SECOND / 2,
        rows: [[1, 5, 5, 1, 1], [43, 100, 50, 2, 1]],
        expected: metrics(43, SECOND / 2, SECOND / 2, [200, 100, 4, 2]),
      },
    ],
  },
  {
    name: 'a crossing fires once while above, re-arms at or below the threshold, fires again',
    steps: [
      { nowNs: 0, thresholds: [[42, 1000]], rows: [[42, 0, 0, 0, 0]], expected: [] },
      {
        nowNs: SECOND,
        rows: [[42, 0, 1500, 0, 1]],
        expected: [
          ...metrics(42, SECOND, SECOND, [0, 1500, 0, 1], 1000),
          ...crossing(42, SECOND, SECOND, 'tx-bytes', 1500, 1000, 'medium',
            'cgroup /system.slice/web.service sends 1.5 KiB/s, over its threshold of 1000 B/s'),
        ],
      },
      {
        nowNs: 2 * SECOND,
        rows: [[42, 0, 3500, 0, 2]],
        expected: metrics(42, 2 * SECOND, SECOND, [0, 2000, 0, 1], 1000),
      },
      {
        nowNs: 3 * SECOND,
        rows: [[42, 0, 4500, 0, 3]],
        expected: metrics(42, 3 * SECOND, SECOND, [0, 1000, 0, 1], 1000),
      },
      {
        nowNs: 4 * SECOND,
        rows: [[42, 0, 8500, 0, 4]],
        expected: [
          ...metrics(42, 4 * SECOND, SECOND, [0, 4000, 0, 1], 1000),
          ...crossing(42, 4 * SECOND, SECOND, 'tx-bytes', 4000, 1000, 'critical',
            'cgroup /system.slice/web.service sends 3.9 KiB/s, over its threshold of 1000 B/s'),
        ],
      },
    ],
  },
  {
    name: 'a quiet window re-arms too: no traffic is a rate of zero',
    steps: [
      { nowNs: 0, thresholds: [[43, 100]], rows: [[43, 0, 0, 0, 0]], expected: [] },
      {
        nowNs: SECOND,
        rows: [[43, 300, 0, 3, 0]],
        expected: [
          ...metrics(43, SECOND, SECOND, [300, 0, 3, 0], 100),
          ...crossing(43, SECOND, SECOND, 'rx-bytes', 300, 100, 'high',
            'cgroup /batch receives 300 B/s, over its threshold of 100 B/s'),
        ],
      },
      { nowNs: 2 * SECOND, rows: [[43, 300, 0, 3, 0]], expected: [] },
      {
        nowNs: 3 * SECOND,
        rows: [[43, 500, 0, 4, 0]],
        expected: [
          ...metrics(43, 3 * SECOND, SECOND, [200, 0, 1, 0], 100),
          ...crossing(43, 3 * SECOND, SECOND, 'rx-bytes', 200, 100, 'high',
            'cgroup /batch receives 200 B/s, over its threshold of 100 B/s'),
        ],
      },
    ],
  },
  {
    name: 'rx and tx cross on their own; an unknown path is shown as the id',
    steps: [
      { nowNs: 0, thresholds: [[7, 1024]], rows: [[7, 0, 0, 0, 0]], expected: [] },
      {
        nowNs: SECOND / 4,
        rows: [[7, 512, 1024 * 1024, 8, 20]],
        expected: [
          ...metrics(7, SECOND / 4, SECOND / 4, [2048, 4194304, 32, 80], 1024),
          ...crossing(7, SECOND / 4, SECOND / 4, 'rx-bytes', 2048, 1024, 'high',
            'cgroup #7 receives 2.0 KiB/s, over its threshold of 1.0 KiB/s'),
          ...crossing(7, SECOND / 4, SECOND / 4, 'tx-bytes', 4194304, 1024, 'critical',
            'cgroup #7 sends 4.0 MiB/s, over its threshold of 1.0 KiB/s'),
        ],
      },
    ],
  },
  {
    name: 'thresholds set and removed at runtime take effect at the next sample',
    steps: [
      { nowNs: 0, rows: [[1, 0, 0, 0, 0]], expected: [] },
      {
        nowNs: SECOND,
        rows: [[1, 0, 5000, 0, 5]],
        expected: metrics(1, SECOND, SECOND, [0, 5000, 0, 5]),
      },
      {
        nowNs: 2 * SECOND,
        thresholds: [[1, 4000]],
        rows: [[1, 0, 10000, 0, 10]],
        expected: [
          ...metrics(1, 2 * SECOND, SECOND, [0, 5000, 0, 5], 4000),
          ...crossing(1, 2 * SECOND, SECOND, 'tx-bytes', 5000, 4000, 'medium',
            'cgroup / sends 4.9 KiB/s, over its threshold of 3.9 KiB/s'),
        ],
      },
      {
        nowNs: 3 * SECOND,
        thresholds: [[1, null]],
        rows: [[1, 0, 15000, 0, 15]],
        expected: metrics(1, 3 * SECOND, SECOND, [0, 5000, 0, 5]),
      },
      {
        nowNs: 4 * SECOND,
        thresholds: [[1, 4000]],
        rows: [[1, 0, 20000, 0, 20]],
        expected: [
          ...metrics(1, 4 * SECOND, SECOND, [0, 5000, 0, 5], 4000),
          ...crossing(1, 4 * SECOND, SECOND, 'tx-bytes', 5000, 4000, 'medium',
            'cgroup / sends 4.9 KiB/s, over its threshold of 3.9 KiB/s'),
        ],
      },
    ],
  },
  {
    name: 'counters that went backwards (LRU eviction, entry made again) never give negative rates',
    steps: [
      { nowNs: 0, thresholds: [[42, 1000]], rows: [[42, 9000, 90000, 90, 900]], expected: [] },
      {
        nowNs: SECOND,
        rows: [[42, 9500, 300, 95, 3]],
        expected: metrics(42, SECOND, SECOND, [500, 300, 5, 3], 1000),
      },
    ],
  },
  {
    name: 'a cgroup missing from a reading counts from zero when it comes back',
    steps: [
      { nowNs: 0, rows: [[43, 1000, 1000, 10, 10]], expected: [] },
      { nowNs: SECOND, rows: [], expected: [] },
      {
        nowNs: 2 * SECOND,
        rows: [[43, 1200, 1000, 12, 10]],
        expected: metrics(43, 2 * SECOND, SECOND, [1200, 1000, 12, 10]),
      },
    ],
  },
  {
    name: 'a reading with no window (same or earlier time) is ignored; the baseline stays',
    steps: [
      { nowNs: SECOND, rows: [[42, 0, 0, 0, 0]], expected: [] },
      { nowNs: SECOND, rows: [[42, 100, 0, 1, 0]], expected: [] },
      { nowNs: SECOND / 2, rows: [[42, 200, 0, 2, 0]], expected: [] },
      {
        nowNs: 3 * SECOND,
        rows: [[42, 400, 0, 4, 0]],
        expected: metrics(42, 3 * SECOND, 2 * SECOND, [200, 0, 2, 0]),
      },
    ],
  },
  {
    name: 'rates are rounded to whole units per second',
    steps: [
      { nowNs: 0, rows: [[42, 0, 0, 0, 0]], expected: [] },
      {
        nowNs: 3 * SECOND,
        rows: [[42, 1000, 2, 1, 1]],
        expected: metrics(42, 3 * SECOND, 3 * SECOND, [333, 1, 0, 0]),
      },
    ],
  },
];

for (const { name, steps } of CASES) {
  test(name, () => {
    const sampler = new CgroupTrafficSampler(resolvePath);
    steps.forEach((step, index) => {
      for (const [cgroupId, threshold] of step.thresholds ?? []) sampler.setThreshold(cgroupId, threshold);
      assert.deepEqual(sampler.sample(totals(step.rows), step.nowNs), step.expected, `sample ${index}`);
    });
  });
}

test('without a path lookup, messages name the cgroup by id', () => {
  const sampler = new CgroupTrafficSampler();
  sampler.setThreshold(42, 0);
  sampler.sample(totals([[42, 0, 0, 0, 0]]), 0);
  const anomaly = sampler.sample(totals([[42, 0, 10, 0, 1]]), SECOND).find((event) => event.kind === 'anomaly');
  assert.equal(anomaly?.message, 'cgroup #42 sends 10 B/s, over its threshold of 0 B/s');
  assert.equal(anomaly?.severity, 'critical');
});

test('setThreshold rejects what is not a rate or not a cgroup id', () => {
  const sampler = new CgroupTrafficSampler();
  for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => sampler.setThreshold(42, bad), RangeError);
  }
  assert.throws(() => sampler.setThreshold(-1, 100), RangeError);
  assert.throws(() => sampler.setThreshold(1.5, 100), RangeError);
  sampler.setThreshold(42, 100);
  assert.equal(sampler.threshold(42), 100);
  sampler.setThreshold(42, null);
  assert.equal(sampler.threshold(42), null);
});

test('severity grows with how far over the threshold the rate is', () => {
  const cases: [number, number, SeverityName][] = [
    [1001, 1000, 'medium'],
    [1999, 1000, 'medium'],
    [2000, 1000, 'high'],
    [3999, 1000, 'high'],
    [4000, 1000, 'critical'],
    [1, 0, 'critical'],
  ];
  for (const [rate, threshold, expected] of cases) {
    assert.equal(severityOfExcess(rate, threshold), expected, `${rate} over ${threshold}`);
  }
});

test('byte rates are printed in binary units', () => {
  const cases: [number, string][] = [
    [0, '0 B/s'],
    [1023, '1023 B/s'],
    [1024, '1.0 KiB/s'],
    [1536, '1.5 KiB/s'],
    [4 * 1024 ** 2, '4.0 MiB/s'],
    [3 * 1024 ** 3, '3.0 GiB/s'],
    [2 * 1024 ** 5, '2048.0 TiB/s'],
  ];
  for (const [rate, expected] of cases) assert.equal(formatByteRate(rate), expected);
});
