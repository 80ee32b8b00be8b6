/**
 * Alerts on per-second rates, and the log that keeps them. Pure: the caller computes its
 * series once a second (execs/s per cgroup, failed opens/s per process, host-wide rates) and
 * hands them in with the time; fixed thresholds (ThresholdRules) and an adaptive detector
 * (EwmaDetector) turn them into candidate alerts, and AlertLog deduplicates and rate-limits
 * those per key. Cgroup byte-rate thresholds live in cgroup-traffic.ts, which shares its
 * severity scale (severityOfExcess) with the rules here.
 */
import { severityOfExcess } from './cgroup-traffic.ts';
import { SEVERITY_NAMES, type SeverityName } from './contract.ts';

export interface Alert {
  /** What is alerting, e.g. 'cgroup-execs:42'; one alert per key per cooldown. */
  readonly key: string;
  /** The worst severity raised for this key within the alert's cooldown. */
  readonly severity: SeverityName;
  readonly source: 'threshold' | 'detector' | 'loss';
  /** Describes the latest raise folded into this alert. */
  readonly message: string;
  /** When the alert was first raised, and last repeated (CLOCK_MONOTONIC ns, as nowNs). */
  readonly firstNs: number;
  readonly lastNs: number;
  /** Raises folded into this alert after the first: 0 for one that fired once. */
  readonly repeats: number;
  /** The latest rate, and the rate it was measured against (threshold, or detector limit). */
  readonly observed: number;
  readonly limit: number;
  readonly subjectPid?: number;
  readonly subjectCgroupId?: number;
}

/** An alert as a rule or the detector proposes it, before the log dates and counts it. */
export type AlertCandidate = Omit<Alert, 'firstNs' | 'lastNs' | 'repeats'>;

/** One value of one per-second series. */
export interface RateSample {
  /** Identifies the series, e.g. a cgroup id or a pid, as a string. */
  readonly key: string;
  /** Names the subject (or the series, for the detector) in messages, e.g. '/batch' or 'nginx[42]'. */
  readonly label: string;
  /** Per second. */
  readonly value: number;
  readonly subjectPid?: number;
  readonly subjectCgroupId?: number;
}

/** 250, 0.5, 12.3: a rate to one decimal at most. */
function formatRate(value: number): string {
  return String(Number(value.toFixed(1)));
}

/** The subject fields of a sample or candidate, without keys for the ones it lacks. */
function subjectOf(from: {
  readonly subjectPid?: number;
  readonly subjectCgroupId?: number;
}): Pick<Alert, 'subjectPid' | 'subjectCgroupId'> {
  return {
    ...(from.subjectPid !== undefined && { subjectPid: from.subjectPid }),
    ...(from.subjectCgroupId !== undefined && { subjectCgroupId: from.subjectCgroupId }),
  };
}

// ---------------------------------------------------------------------------------------------
// Adaptive detector

export interface EwmaOptions {
  /** Weight of each new sample, in (0, 1]. 0.1: the baseline reflects about the last 10 s. */
  readonly alpha?: number;
  /** A sample alerts when it is more than this many deviations above the mean. */
  readonly zThreshold?: number;
  /** Samples a key must have seen before it can alert: the baseline needs time to settle. */
  readonly warmupSamples?: number;
  /** Floor of the deviation z divides by, so a flat series does not alert on a small step. */
  readonly minDeviation?: number;
  /** Keys remembered at most; beyond it the least recently observed is forgotten. */
  readonly maxKeys?: number;
}

export interface EwmaReading {
  /** Deviations above (negative: below) the baseline this sample was measured against. */
  readonly z: number;
  readonly anomalous: boolean;
  /** The baseline this sample was measured against: the state BEFORE it. */
  readonly mean: number;
  /** sqrt(variance), not floored by minDeviation. */
  readonly deviation: number;
  /** The value above which this sample would have been anomalous: mean + zThreshold·max(deviation, minDeviation). */
  readonly limit: number;
}

export interface EwmaState {
  readonly mean: number;
  readonly variance: number;
  /** Samples observed, this one included once observe() returns. */
  readonly samples: number;
}

/**
 * How far above its baseline a rate is: low up to 4 deviations, medium to 8, high to 16,
 * critical beyond. Doubling per level, as severityOfExcess doubles its ratio. Low only
 * reaches an alert when zThreshold is set under 4.
 */
export function severityOfZ(z: number): SeverityName {
  if (z > 16) return 'critical';
  if (z > 8) return 'high';
  if (z > 4) return 'medium';
  return 'low';
}

/**
 * An exponentially weighted mean and variance per key, and a z-score of each new sample
 * against them. For each sample, with the key's state before it:
 *   z = (value − mean) / max(sqrt(variance), minDeviation)
 *   diff = value − mean; mean += alpha·diff; variance = (1 − alpha)·(variance + alpha·diff²)
 *   anomalous = (samples seen before this one ≥ warmupSamples) && z > zThreshold
 * (the incremental EWMA variance of Finch, "Incremental calculation of weighted mean and
 * variance", 2009). A key's first sample starts its state at mean = value, variance = 0, so
 * its z is 0; starting from mean 0 instead would bias the baseline low for dozens of samples.
 * Only rises alert: a rate falling to zero is a quiet host, not an attack. Anomalous samples
 * still update the state, so a new level becomes the baseline instead of alerting forever.
 */
export class EwmaDetector {
  private readonly alpha: number;
  private readonly zThreshold: number;
  private readonly warmupSamples: number;
  private readonly minDeviation: number;
  private readonly maxKeys: number;
  /** In order of last observation, least recent first: the eviction order. */
  private readonly states = new Map<string, EwmaState>();

  constructor(options: EwmaOptions = {}) {
    const { alpha = 0.1, zThreshold = 4, warmupSamples = 30, minDeviation = 1, maxKeys = 10_000 } = options;
    if (!(alpha > 0 && alpha <= 1)) throw new RangeError(`alpha must be in (0, 1], got ${alpha}`);
    if (!(Number.isFinite(zThreshold) && zThreshold >= 0)) {
      throw new RangeError(`zThreshold must be a non-negative number, got ${zThreshold}`);
    }
    if (!(Number.isSafeInteger(warmupSamples) && warmupSamples >= 0)) {
      throw new RangeError(`warmupSamples must be a non-negative integer, got ${warmupSamples}`);
    }
    // Positive, so z never divides by zero.
    if (!(Number.isFinite(minDeviation) && minDeviation > 0)) {
      throw new RangeError(`minDeviation must be a positive number, got ${minDeviation}`);
    }
    if (!(Number.isSafeInteger(maxKeys) && maxKeys > 0)) {
      throw new RangeError(`maxKeys must be a positive integer, got ${maxKeys}`);
    }
    this.alpha = alpha;
    this.zThreshold = zThreshold;
    this.warmupSamples = warmupSamples;
    this.minDeviation = minDeviation;
    this.maxKeys = maxKeys;
  }

  /** Measures value against the key's baseline, then folds it in. Throws on a non-finite value. */
  observe(key: string, value: number): EwmaReading {
    if (!Number.isFinite(value)) throw new RangeError(`value of ${key} must be a finite number, got ${value}`);
    const before = this.states.get(key) ?? { mean: value, variance: 0, samples: 0 };
    const deviation = Math.sqrt(before.variance);
    const flooredDeviation = Math.max(deviation, this.minDeviation);
    const z = (value - before.mean) / flooredDeviation;
    const diff = value - before.mean;
    const after: EwmaState = {
      mean: before.mean + this.alpha * diff,
      variance: (1 - this.alpha) * (before.variance + this.alpha * diff * diff),
      samples: before.samples + 1,
    };
    this.remember(key, after);
    return {
      z,
      anomalous: before.samples >= this.warmupSamples && z > this.zThreshold,
      mean: before.mean,
      deviation,
      limit: before.mean + this.zThreshold * flooredDeviation,
    };
  }

  /** The key's state after its last sample, or undefined if unseen or forgotten. Does not count as an observation. */
  stateOf(key: string): EwmaState | undefined {
    return this.states.get(key);
  }

  /** Observes every sample (under its key) and proposes an alert for each anomalous one. */
  evaluate(samples: readonly RateSample[]): AlertCandidate[] {
    const candidates: AlertCandidate[] = [];
    for (const sample of samples) {
      const reading = this.observe(sample.key, sample.value);
      if (!reading.anomalous) continue;
      candidates.push({
        key: `detector:${sample.key}`,
        severity: severityOfZ(reading.z),
        source: 'detector',
        message:
          `${sample.label} at ${formatRate(sample.value)}/s, usually ${formatRate(reading.mean)} ` +
          `± ${formatRate(reading.deviation)}/s (z ${reading.z.toFixed(1)})`,
        observed: sample.value,
        limit: reading.limit,
        ...subjectOf(sample),
      });
    }
    return candidates;
  }

  private remember(key: string, state: EwmaState): void {
    // Delete first so the key moves to the most recent end of the map's order.
    if (!this.states.delete(key) && this.states.size >= this.maxKeys) {
      const leastRecent = this.states.keys().next();
      if (!leastRecent.done) this.states.delete(leastRecent.value);
    }
    this.states.set(key, state);
  }
}

// ---------------------------------------------------------------------------------------------
// Fixed thresholds

/** Each rule's wording: `${subject} ${label} ${verb} ${rate} ${unit}, over its threshold of ${limit}/s`. */
const THRESHOLD_RULES = {
  'cgroup-execs': { subject: 'cgroup', verb: 'runs', unit: 'execs/s' },
  'process-failed-opens': { subject: 'process', verb: 'fails', unit: 'opens/s' },
} as const satisfies Record<string, { subject: string; verb: string; unit: string }>;
export type ThresholdRuleKind = keyof typeof THRESHOLD_RULES;

/**
 * A per-second threshold per rule kind, applying to every subject of that kind (each cgroup's
 * execs/s, each process's failed opens/s). evaluate() proposes an alert for every sample over
 * its kind's threshold, every time: it keeps no memory of earlier crossings, since AlertLog
 * folds repeats. A rate is over when it is above the threshold, as in cgroup-traffic.ts.
 */
export class ThresholdRules {
  private readonly thresholds = new Map<ThresholdRuleKind, number>();

  /** Sets the threshold of a kind in events per second; null removes it (that kind never alerts). */
  setThreshold(kind: ThresholdRuleKind, perSecond: number | null): void {
    if (!(kind in THRESHOLD_RULES)) throw new RangeError(`unknown threshold rule ${String(kind)}`);
    if (perSecond === null) {
      this.thresholds.delete(kind);
      return;
    }
    if (!Number.isFinite(perSecond) || perSecond < 0) {
      throw new RangeError(`threshold must be a non-negative number per second, got ${perSecond}`);
    }
    this.thresholds.set(kind, perSecond);
  }

  threshold(kind: ThresholdRuleKind): number | null {
    return this.thresholds.get(kind) ?? null;
  }

  /** The candidate alerts of one second's samples of a kind; their keys are `${kind}:${sample.key}`. */
  evaluate(kind: ThresholdRuleKind, samples: readonly RateSample[]): AlertCandidate[] {
    const threshold = this.thresholds.get(kind);
    if (threshold === undefined) return [];
    const { subject, verb, unit } = THRESHOLD_RULES[kind];
    const candidates: AlertCandidate[] = [];
    for (const sample of samples) {
      if (!(sample.value > threshold)) continue;
      candidates.push({
        key: `${kind}:${sample.key}`,
        severity: severityOfExcess(sample.value, threshold),
        source: 'threshold',
        message:
          `${subject} ${sample.label} ${verb} ${formatRate(sample.value)} ${unit}, ` +
          `over its threshold of ${formatRate(threshold)}/s`,
        observed: sample.value,
        limit: threshold,
        ...subjectOf(sample),
      });
    }
    return candidates;
  }
}

// ---------------------------------------------------------------------------------------------
// The log

export interface AlertLogOptions {
  /** A key alerts at most once per this many ns (from its alert's firstNs); default 30 s. */
  readonly cooldownNs?: number;
  /** Alerts kept at most; the oldest is dropped beyond it. Default 500. */
  readonly capacity?: number;
}

const NS_PER_SECOND = 1e9;

function worseSeverity(a: SeverityName, b: SeverityName): SeverityName {
  return SEVERITY_NAMES.indexOf(a) >= SEVERITY_NAMES.indexOf(b) ? a : b;
}

/**
 * The alerts raised, deduplicated and rate-limited per key: a key raised again within the
 * cooldown of its alert's first raise is folded into it (repeats + 1, lastNs, the worse
 * severity, the latest observed, limit, message and subject) instead of making a new one; after
 * the cooldown, it starts a new alert. So a rate that stays over its threshold shows one alert
 * per cooldown, each with how often it recurred. Alerts are frozen and replaced, never
 * changed, so a list() handed out earlier keeps showing what it showed.
 */
export class AlertLog {
  private readonly cooldownNs: number;
  private readonly capacity: number;
  /** Oldest first. */
  private readonly alerts: Alert[] = [];
  /** Each key's newest alert, while it is still in the log. */
  private readonly newestByKey = new Map<string, Alert>();
  private suppressed = 0;

  constructor(options: AlertLogOptions = {}) {
    const { cooldownNs = 30 * NS_PER_SECOND, capacity = 500 } = options;
    if (!(Number.isFinite(cooldownNs) && cooldownNs >= 0)) {
      throw new RangeError(`cooldownNs must be a non-negative number, got ${cooldownNs}`);
    }
    if (!(Number.isSafeInteger(capacity) && capacity > 0)) {
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    }
    this.cooldownNs = cooldownNs;
    this.capacity = capacity;
  }

  /**
   * Records a candidate raised at nowNs: returns the new alert, or undefined when it was
   * folded into the key's current one.
   */
  raise(candidate: AlertCandidate, nowNs: number): Alert | undefined {
    const current = this.newestByKey.get(candidate.key);
    if (current !== undefined && nowNs - current.firstNs < this.cooldownNs) {
      const folded = alertOf(candidate, {
        severity: worseSeverity(current.severity, candidate.severity),
        firstNs: current.firstNs,
        lastNs: Math.max(current.lastNs, nowNs),
        repeats: current.repeats + 1,
      });
      // The key's newest alert is usually near the end: search from there.
      this.alerts[this.alerts.lastIndexOf(current)] = folded;
      this.newestByKey.set(candidate.key, folded);
      this.suppressed++;
      return undefined;
    }
    const alert = alertOf(candidate, { severity: candidate.severity, firstNs: nowNs, lastNs: nowNs, repeats: 0 });
    this.alerts.push(alert);
    this.newestByKey.set(candidate.key, alert);
    if (this.alerts.length > this.capacity) {
      const dropped = this.alerts.shift()!;
      if (this.newestByKey.get(dropped.key) === dropped) this.newestByKey.delete(dropped.key);
    }
    return alert;
  }

  /** Newest first; a new array each call. */
  list(): readonly Alert[] {
    return [...this.alerts].reverse();
  }

  /** Raises folded into an existing alert since the log was made. */
  get suppressedCount(): number {
    return this.suppressed;
  }
}

/** A frozen alert with exactly the Alert fields, whatever else the candidate object carries. */
function alertOf(
  candidate: AlertCandidate,
  dated: Pick<Alert, 'severity' | 'firstNs' | 'lastNs' | 'repeats'>,
): Alert {
  return Object.freeze({
    key: candidate.key,
    severity: dated.severity,
    source: candidate.source,
    message: candidate.message,
    firstNs: dated.firstNs,
    lastNs: dated.lastNs,
    repeats: dated.repeats,
    observed: candidate.observed,
    limit: candidate.limit,
    ...subjectOf(candidate),
  });
}
