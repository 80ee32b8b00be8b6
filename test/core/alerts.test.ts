import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  AlertLog,
  EwmaDetector,
  ThresholdRules,
  severityOfZ,
  type Alert,
  type AlertCandidate,
  type EwmaOptions,
  type RateSample,
  type ThresholdRuleKind,
} from '../../src/core/alerts.ts';
import type { SeverityName } from '../../src/core/contract.ts';

const SECOND = 1e9;
const EPSILON = 1e-9;

function assertClose(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) < EPSILON, `${what}: expected ${expected}, got ${actual}`);
}

/** 10, 14, 10, 14 ...: a steady series with a deviation of about 2. */
const noisy = (length: number): number[] => Array.from({ length }, (_, index) => (index % 2 === 0 ? 10 : 14));
const flat = (length: number, value: number): number[] => Array.from({ length }, () => value);

// ---------------------------------------------------------------------------------------------
// EwmaDetector

/** [z, anomalous, mean before, deviation before] */
type Reading = readonly [number, boolean, number, number];

const stateCases: {
  name: string;
  options: EwmaOptions;
  values: readonly number[];
  readings: readonly Reading[];
  state: { mean: number; variance: number; samples: number };
}[] = [
  {
    // First sample: mean 0, var 0. Then 4: z 4/max(0,1) = 4 (not > 4), mean 2, var 0.5·(0 + 0.5·16) = 4.
    // Then 0: z −2/2 = −1, mean 1, var 0.5·(4 + 0.5·4) = 3. Then 10: z 9/√3, mean 5.5, var 0.5·(3 + 0.5·81) = 21.75.
    name: 'alpha 0.5 by hand',
    options: { alpha: 0.5, warmupSamples: 0 },
    values: [0, 4, 0, 10],
    readings: [
      [0, false, 0, 0],
      [4, false, 0, 0],
      [-1, false, 2, 2],
      [9 / Math.sqrt(3), true, 1, Math.sqrt(3)],
    ],
    state: { mean: 5.5, variance: 21.75, samples: 4 },
  },
  {
    // 110 after 100: z 10, mean 101, var 0.9·(0 + 0.1·100) = 9. Then 101: z 0, var 0.9·9 = 8.1.
    name: 'default alpha 0.1 by hand',
    options: { warmupSamples: 1 },
    values: [100, 110, 101],
    readings: [
      [0, false, 100, 0],
      [10, true, 100, 0],
      [0, false, 101, 3],
    ],
    state: { mean: 101, variance: 8.1, samples: 3 },
  },
  {
    // alpha 1 forgets everything: the mean is the last value and the variance stays 0.
    name: 'alpha 1 keeps only the last value',
    options: { alpha: 1, warmupSamples: 0 },
    values: [3, 7, 7],
    readings: [
      [0, false, 3, 0],
      [4, false, 3, 0],
      [0, false, 7, 0],
    ],
    state: { mean: 7, variance: 0, samples: 3 },
  },
];

for (const { name, options, values, readings, state } of stateCases) {
  test(`EwmaDetector state: ${name}`, () => {
    const detector = new EwmaDetector(options);
    values.forEach((value, index) => {
      const reading = detector.observe('k', value);
      const [z, anomalous, mean, deviation] = readings[index]!;
      assertClose(reading.z, z, `z of sample ${index}`);
      assert.equal(reading.anomalous, anomalous, `anomalous of sample ${index}`);
      assertClose(reading.mean, mean, `mean before sample ${index}`);
      assertClose(reading.deviation, deviation, `deviation before sample ${index}`);
    });
    const after = detector.stateOf('k')!;
    assertClose(after.mean, state.mean, 'mean');
    assertClose(after.variance, state.variance, 'variance');
    assert.equal(after.samples, state.samples);
  });
}

const warmupCases: { warmupSamples: number; anomalous: boolean }[] = [
  { warmupSamples: 2, anomalous: true }, // two samples before the spike: warm
  { warmupSamples: 3, anomalous: false }, // still warming up
];

for (const { warmupSamples, anomalous } of warmupCases) {
  test(`EwmaDetector warm-up of ${warmupSamples}: 0, 0, 100 ${anomalous ? 'alerts' : 'does not alert'}`, () => {
    const detector = new EwmaDetector({ warmupSamples });
    detector.observe('k', 0);
    detector.observe('k', 0);
    const spike = detector.observe('k', 100);
    assert.equal(spike.z, 100);
    assert.equal(spike.anomalous, anomalous);
  });
}

/** Default options (alpha 0.1, z > 4, 30 warm-up samples, minDeviation 1). */
const seriesCases: {
  name: string;
  values: readonly number[];
  /** Index, z, severity of each anomalous sample. */
  alerts: readonly (readonly [number, number, SeverityName])[];
}[] = [
  // After 30 samples of 10/14: mean before the spike 12.016018614157439, deviation 1.9999358499713127.
  { name: 'a spike to 22 after a noisy series', values: [...noisy(30), 22, 10], alerts: [[30, 4.992150816230317, 'medium']] },
  { name: 'a spike to 30 after a noisy series', values: [...noisy(30), 30, 10], alerts: [[30, 8.99227912040305, 'high']] },
  { name: 'a spike to 50 after a noisy series', values: [...noisy(30), 50, 10], alerts: [[30, 18.99259988083488, 'critical']] },
  { name: 'a rise within the noise', values: [...noisy(30), 19, 14], alerts: [] },
  { name: 'a spike during warm-up (29 samples before it)', values: [...noisy(29), 50, 10], alerts: [] },
  { name: 'a drop to zero', values: [...noisy(30), 0, 0, 0], alerts: [] },
  { name: 'a fall from a high level', values: [...flat(40, 1000), 5], alerts: [] },
  // The deviation of a flat series is 0; minDeviation 1 makes a step of 1 z = 1, of 5 z = 5.
  { name: 'a flat zero series, then 1', values: [...flat(40, 0), 1], alerts: [] },
  { name: 'a flat zero series, then 5', values: [...flat(40, 0), 5], alerts: [[40, 5, 'medium']] },
];

for (const { name, values, alerts } of seriesCases) {
  test(`EwmaDetector series: ${name}`, () => {
    const detector = new EwmaDetector();
    const seen: [number, number, SeverityName][] = [];
    values.forEach((value, index) => {
      const reading = detector.observe('k', value);
      if (reading.anomalous) seen.push([index, reading.z, severityOfZ(reading.z)]);
    });
    assert.equal(seen.length, alerts.length, `alerting samples: ${JSON.stringify(seen)}`);
    seen.forEach(([index, z, severity], at) => {
      const [expectedIndex, expectedZ, expectedSeverity] = alerts[at]!;
      assert.equal(index, expectedIndex);
      assertClose(z, expectedZ, 'z');
      assert.equal(severity, expectedSeverity);
    });
  });
}

test('EwmaDetector reports the limit it measured against: mean + zThreshold·max(deviation, minDeviation)', () => {
  const detector = new EwmaDetector();
  for (const value of noisy(30)) detector.observe('k', value);
  assertClose(detector.observe('k', 30).limit, 12.016018614157439 + 4 * 1.9999358499713127, 'noisy limit');
  const flatDetector = new EwmaDetector();
  for (const value of flat(3, 7)) flatDetector.observe('k', value);
  assert.equal(flatDetector.observe('k', 7).limit, 7 + 4 * 1);
});

test('EwmaDetector keeps each key apart', () => {
  const detector = new EwmaDetector({ warmupSamples: 1 });
  detector.observe('a', 0);
  detector.observe('b', 100);
  assert.equal(detector.observe('a', 10).z, 10);
  assert.equal(detector.observe('b', 100).z, 0);
});

test('EwmaDetector forgets the least recently observed key beyond maxKeys', () => {
  const detector = new EwmaDetector({ maxKeys: 2 });
  detector.observe('a', 1);
  detector.observe('b', 2);
  detector.observe('a', 3); // a is now more recent than b
  detector.observe('c', 4); // evicts b
  assert.equal(detector.stateOf('b'), undefined);
  assert.equal(detector.stateOf('a')?.samples, 2);
  assert.equal(detector.stateOf('c')?.samples, 1);
  // b comes back as new: its baseline starts at its value. a is now the least recent and goes.
  const back = detector.observe('b', 50);
  assert.deepEqual([back.z, back.mean, back.deviation], [0, 50, 0]);
  assert.equal(detector.stateOf('a'), undefined);
  assert.deepEqual(detector.stateOf('c'), { mean: 4, variance: 0, samples: 1 });
  // stateOf is not an observation: it does not make c recent.
  detector.stateOf('c');
  detector.observe('d', 1);
  assert.equal(detector.stateOf('c'), undefined);
  assert.equal(detector.stateOf('b')?.samples, 1);
});

const badDetectorOptions: EwmaOptions[] = [
  { alpha: 0 },
  { alpha: 1.5 },
  { alpha: Number.NaN },
  { zThreshold: -1 },
  { warmupSamples: 1.5 },
  { warmupSamples: -1 },
  { minDeviation: 0 },
  { maxKeys: 0 },
];

for (const options of badDetectorOptions) {
  test(`EwmaDetector rejects ${JSON.stringify(options)}`, () => {
    assert.throws(() => new EwmaDetector(options), RangeError);
  });
}

test('EwmaDetector rejects a non-finite value and keeps its state', () => {
  const detector = new EwmaDetector();
  detector.observe('k', 5);
  assert.throws(() => detector.observe('k', Number.NaN), RangeError);
  assert.throws(() => detector.observe('k', Number.POSITIVE_INFINITY), RangeError);
  assert.deepEqual(detector.stateOf('k'), { mean: 5, variance: 0, samples: 1 });
});

const zSeverities: [number, SeverityName][] = [
  [-6, 'low'],
  [3, 'low'],
  [4, 'low'],
  [4.5, 'medium'],
  [8, 'medium'],
  [8.5, 'high'],
  [16, 'high'],
  [16.5, 'critical'],
];

for (const [z, severity] of zSeverities) {
  test(`severityOfZ(${z}) is ${severity}`, () => {
    assert.equal(severityOfZ(z), severity);
  });
}

test('EwmaDetector.evaluate proposes a detector alert for each anomalous sample only', () => {
  const detector = new EwmaDetector();
  const host = (value: number): RateSample => ({ key: 'host-execs', label: 'host execs', value });
  const batch = (value: number): RateSample => ({
    key: 'cgroup-execs:43',
    label: 'execs in cgroup /batch',
    value,
    subjectCgroupId: 43,
  });
  for (const value of noisy(30)) assert.deepEqual(detector.evaluate([host(value), batch(value)]), []);
  const candidates = detector.evaluate([host(30), batch(13)]);
  assert.equal(candidates.length, 1);
  const [candidate] = candidates;
  assert.ok(candidate !== undefined);
  const { limit, ...rest } = candidate;
  assertClose(limit, 20.01576201404269, 'limit');
  assert.deepEqual(rest, {
    key: 'detector:host-execs',
    severity: 'high',
    source: 'detector',
    message: 'host execs at 30/s, usually 12 ± 2/s (z 9.0)',
    observed: 30,
  });
  const [withSubject] = detector.evaluate([batch(60)]);
  assert.equal(withSubject?.subjectCgroupId, 43);
  assert.equal(withSubject?.key, 'detector:cgroup-execs:43');
  assert.equal('subjectPid' in withSubject!, false);
});

// ---------------------------------------------------------------------------------------------
// ThresholdRules

const CGROUP_EXECS: RateSample[] = [
  { key: '43', label: '/batch', value: 250, subjectCgroupId: 43 },
  { key: '42', label: '/system.slice/web.service', value: 100, subjectCgroupId: 42 },
  { key: '1', label: '/', value: 450, subjectCgroupId: 1 },
  { key: '44', label: '/idle', value: 0, subjectCgroupId: 44 },
];
const FAILED_OPENS: RateSample[] = [
  { key: '42', label: 'nginx[42]', value: 12.5, subjectPid: 42, subjectCgroupId: 42 },
  { key: '7', label: 'cron[7]', value: 9.96, subjectPid: 7 },
  { key: '8', label: 'find[8]', value: 39.96, subjectPid: 8 },
];

const thresholdCases: {
  name: string;
  thresholds: readonly [ThresholdRuleKind, number | null][];
  kind: ThresholdRuleKind;
  samples: readonly RateSample[];
  expected: AlertCandidate[];
}[] = [
  {
    name: 'cgroup execs over 100/s: 250 is high, 450 critical, 100 is not over',
    thresholds: [['cgroup-execs', 100]],
    kind: 'cgroup-execs',
    samples: CGROUP_EXECS,
    expected: [
      {
        key: 'cgroup-execs:43',
        severity: 'high',
        source: 'threshold',
        message: 'cgroup /batch runs 250 execs/s, over its threshold of 100/s',
        observed: 250,
        limit: 100,
        subjectCgroupId: 43,
      },
      {
        key: 'cgroup-execs:1',
        severity: 'critical',
        source: 'threshold',
        message: 'cgroup / runs 450 execs/s, over its threshold of 100/s',
        observed: 450,
        limit: 100,
        subjectCgroupId: 1,
      },
    ],
  },
  {
    name: 'cgroup execs under a threshold of 500/s',
    thresholds: [['cgroup-execs', 500]],
    kind: 'cgroup-execs',
    samples: CGROUP_EXECS,
    expected: [],
  },
  {
    name: 'failed opens over 10/s: 12.5 is medium, 39.96 (under 4x) high, 9.96 is not over',
    thresholds: [['process-failed-opens', 10]],
    kind: 'process-failed-opens',
    samples: FAILED_OPENS,
    expected: [
      {
        key: 'process-failed-opens:42',
        severity: 'medium',
        source: 'threshold',
        message: 'process nginx[42] fails 12.5 opens/s, over its threshold of 10/s',
        observed: 12.5,
        limit: 10,
        subjectPid: 42,
        subjectCgroupId: 42,
      },
      {
        key: 'process-failed-opens:8',
        severity: 'high',
        source: 'threshold',
        message: 'process find[8] fails 40 opens/s, over its threshold of 10/s',
        observed: 39.96,
        limit: 10,
        subjectPid: 8,
      },
    ],
  },
  {
    name: 'a kind without a threshold never alerts',
    thresholds: [['process-failed-opens', 1]],
    kind: 'cgroup-execs',
    samples: CGROUP_EXECS,
    expected: [],
  },
  {
    name: 'a removed threshold no longer alerts',
    thresholds: [
      ['cgroup-execs', 100],
      ['cgroup-execs', null],
    ],
    kind: 'cgroup-execs',
    samples: CGROUP_EXECS,
    expected: [],
  },
];

for (const { name, thresholds, kind, samples, expected } of thresholdCases) {
  test(`ThresholdRules: ${name}`, () => {
    const rules = new ThresholdRules();
    for (const [ruleKind, perSecond] of thresholds) rules.setThreshold(ruleKind, perSecond);
    assert.deepEqual(rules.evaluate(kind, samples), expected);
  });
}

test('ThresholdRules reports its thresholds and rejects bad ones', () => {
  const rules = new ThresholdRules();
  assert.equal(rules.threshold('cgroup-execs'), null);
  rules.setThreshold('cgroup-execs', 100);
  assert.equal(rules.threshold('cgroup-execs'), 100);
  assert.throws(() => rules.setThreshold('cgroup-execs', -1), RangeError);
  assert.throws(() => rules.setThreshold('cgroup-execs', Number.NaN), RangeError);
  assert.throws(() => rules.setThreshold('bogus' as ThresholdRuleKind, 1), RangeError);
  assert.equal(rules.threshold('cgroup-execs'), 100);
});

// ---------------------------------------------------------------------------------------------
// AlertLog

const candidate = (key: string, severity: SeverityName = 'medium', observed = 150): AlertCandidate => ({
  key,
  severity,
  source: 'threshold',
  message: `${key} at ${observed}/s`,
  observed,
  limit: 100,
});

/** The fields that change as raises fold: [key, severity, firstNs, lastNs, repeats, observed]. */
const summary = (alerts: readonly Alert[]) =>
  alerts.map((alert) => [alert.key, alert.severity, alert.firstNs, alert.lastNs, alert.repeats, alert.observed]);

test('AlertLog: the first raise of a key makes an alert', () => {
  const log = new AlertLog();
  const alert = log.raise({ ...candidate('a'), subjectPid: 42 }, 5 * SECOND);
  const expected: Alert = {
    key: 'a',
    severity: 'medium',
    source: 'threshold',
    message: 'a at 150/s',
    firstNs: 5 * SECOND,
    lastNs: 5 * SECOND,
    repeats: 0,
    observed: 150,
    limit: 100,
    subjectPid: 42,
  };
  assert.deepEqual(alert, expected);
  assert.ok(Object.isFrozen(alert));
  assert.deepEqual(log.list(), [expected]);
  assert.equal(log.suppressedCount, 0);
});

const logCases: {
  name: string;
  options?: { cooldownNs?: number; capacity?: number };
  /** [candidate, nowNs, whether raise() returns a new alert] */
  raises: readonly [AlertCandidate, number, boolean][];
  list: ReturnType<typeof summary>;
  suppressed: number;
}[] = [
  {
    name: 'repeats within 30 s fold into one alert with a count',
    raises: [
      [candidate('a', 'medium', 150), 0, true],
      [candidate('a', 'medium', 160), 1 * SECOND, false],
      [candidate('a', 'medium', 170), 2 * SECOND, false],
      [candidate('a', 'medium', 180), 30 * SECOND - 1, false],
    ],
    list: [['a', 'medium', 0, 30 * SECOND - 1, 3, 180]],
    suppressed: 3,
  },
  {
    name: 'a raise 30 s after the first starts a new alert',
    raises: [
      [candidate('a'), 0, true],
      [candidate('a'), 10 * SECOND, false],
      [candidate('a'), 30 * SECOND, true],
      [candidate('a'), 45 * SECOND, false],
      [candidate('a'), 60 * SECOND, true],
    ],
    list: [
      ['a', 'medium', 60 * SECOND, 60 * SECOND, 0, 150],
      ['a', 'medium', 30 * SECOND, 45 * SECOND, 1, 150],
      ['a', 'medium', 0, 10 * SECOND, 1, 150],
    ],
    suppressed: 2,
  },
  {
    name: 'severity rises to the worst seen within the cooldown and does not fall back',
    raises: [
      [candidate('a', 'medium', 150), 0, true],
      [candidate('a', 'critical', 450), 1 * SECOND, false],
      [candidate('a', 'high', 250), 2 * SECOND, false],
    ],
    list: [['a', 'critical', 0, 2 * SECOND, 2, 250]],
    suppressed: 2,
  },
  {
    name: 'keys are rate-limited apart',
    raises: [
      [candidate('a'), 0, true],
      [candidate('b'), 1 * SECOND, true],
      [candidate('a'), 2 * SECOND, false],
      [candidate('b'), 3 * SECOND, false],
      [candidate('b'), 4 * SECOND, false],
    ],
    list: [
      ['b', 'medium', 1 * SECOND, 4 * SECOND, 2, 150],
      ['a', 'medium', 0, 2 * SECOND, 1, 150],
    ],
    suppressed: 3,
  },
  {
    name: 'a shorter cooldown',
    options: { cooldownNs: 5 * SECOND },
    raises: [
      [candidate('a'), 0, true],
      [candidate('a'), 4 * SECOND, false],
      [candidate('a'), 5 * SECOND, true],
    ],
    list: [
      ['a', 'medium', 5 * SECOND, 5 * SECOND, 0, 150],
      ['a', 'medium', 0, 4 * SECOND, 1, 150],
    ],
    suppressed: 1,
  },
  {
    name: 'capacity drops the oldest; a key whose alert was dropped alerts anew',
    options: { capacity: 2 },
    raises: [
      [candidate('a'), 0, true],
      [candidate('b'), 1 * SECOND, true],
      [candidate('c'), 2 * SECOND, true],
      [candidate('a'), 3 * SECOND, true],
      [candidate('c'), 4 * SECOND, false],
    ],
    list: [
      ['a', 'medium', 3 * SECOND, 3 * SECOND, 0, 150],
      ['c', 'medium', 2 * SECOND, 4 * SECOND, 1, 150],
    ],
    suppressed: 1,
  },
];

for (const { name, options, raises, list, suppressed } of logCases) {
  test(`AlertLog: ${name}`, () => {
    const log = new AlertLog(options);
    raises.forEach(([raised, nowNs, isNew], index) => {
      const result = log.raise(raised, nowNs);
      assert.equal(result !== undefined, isNew, `raise ${index} at ${nowNs}`);
    });
    assert.deepEqual(summary(log.list()), list);
    assert.equal(log.suppressedCount, suppressed);
  });
}

test('AlertLog: a folded raise replaces the alert, so an earlier list() is unchanged', () => {
  const log = new AlertLog();
  const first = log.raise(candidate('a', 'medium', 150), 0);
  const snapshot = log.list();
  log.raise(candidate('a', 'high', 250), 1 * SECOND);
  assert.deepEqual(summary(snapshot), [['a', 'medium', 0, 0, 0, 150]]);
  assert.equal(snapshot[0], first);
  const now = log.list();
  assert.deepEqual(summary(now), [['a', 'high', 0, 1 * SECOND, 1, 250]]);
  assert.equal(now[0]?.message, 'a at 250/s');
  assert.ok(Object.isFrozen(now[0]));
});

test('AlertLog: an alert carries only the Alert fields of a wider candidate object', () => {
  const log = new AlertLog();
  const wider = { ...candidate('a'), firstNs: 999, repeats: 7, extra: 'x' };
  assert.deepEqual(Object.keys(log.raise(wider, 0)!).sort(), [
    'firstNs',
    'key',
    'lastNs',
    'limit',
    'message',
    'observed',
    'repeats',
    'severity',
    'source',
  ]);
  assert.equal(log.list()[0]?.firstNs, 0);
  assert.equal(log.list()[0]?.repeats, 0);
});

for (const options of [{ cooldownNs: -1 }, { cooldownNs: Number.NaN }, { capacity: 0 }, { capacity: 2.5 }]) {
  test(`AlertLog rejects ${JSON.stringify(options)}`, () => {
    assert.throws(() => new AlertLog(options), RangeError);
  });
}
