/**
 * Per-cgroup traffic rates and threshold alerts from the kernel's running totals. Pure: the
 * caller reads the totals (KernelSession.readCgroupTraffic) on a timer and hands them in
 * with the time of reading; this turns each pair of readings into per-second CGROUP
 * metric events, and a rate that rises over its cgroup's threshold into one CGROUP
 * threshold event and one ANOMALY event.
 */
import type { CgroupMetricName, SeverityName } from './contract.ts';
import type { AnomalyEvent, CgroupEvent } from './decode.ts';
import type { CgroupTrafficTotals } from './native.ts';

/** A cgroup id's path for messages; undefined when it cannot be found (the cgroup is gone). */
export type CgroupPathLookup = (cgroupId: number) => string | undefined;

export type CgroupTrafficEvent = CgroupEvent | AnomalyEvent;

const NS_PER_SECOND = 1e9;

/** Each metric sampled, with the total it is the rate of. */
const TRAFFIC_METRICS = [
  ['rx-bytes', 'rxBytes'],
  ['tx-bytes', 'txBytes'],
  ['rx-packets', 'rxPackets'],
  ['tx-packets', 'txPackets'],
] as const satisfies readonly (readonly [CgroupMetricName, keyof CgroupTrafficTotals])[];
type TrafficMetric = (typeof TRAFFIC_METRICS)[number][0];

/** The two rates a threshold applies to, each on its own. */
const THRESHOLD_METRICS = ['rx-bytes', 'tx-bytes'] as const satisfies readonly CgroupMetricName[];
type ThresholdMetric = (typeof THRESHOLD_METRICS)[number];

interface CgroupState {
  totals: CgroupTrafficTotals;
  /** The threshold metrics whose last rate was over the threshold: they have fired already. */
  readonly over: Set<ThresholdMetric>;
}

/** How far over its threshold a rate is: medium under 2x, high under 4x, critical beyond. */
export function severityOfExcess(rate: number, threshold: number): SeverityName {
  if (rate < 2 * threshold) return 'medium';
  if (rate < 4 * threshold) return 'high';
  return 'critical';
}

const RATE_UNITS = ['B/s', 'KiB/s', 'MiB/s', 'GiB/s', 'TiB/s'];

/** 512 B/s, 1.5 KiB/s, 4.0 MiB/s. */
export function formatByteRate(bytesPerSecond: number): string {
  let value = bytesPerSecond;
  let unit = 0;
  while (value >= 1024 && unit < RATE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} ${RATE_UNITS[0]}` : `${value.toFixed(1)} ${RATE_UNITS[unit]}`;
}

/**
 * Keeps the previous reading of every cgroup and the thresholds. The first sample only sets
 * the baseline (totals since load cover an unknown time). A cgroup that appears later is
 * counted from zero: it was not in the map at the previous reading, so all its traffic
 * falls in the window. A counter that went backwards means the LRU map evicted the entry
 * and it was made again within the window, so its new value is the window's traffic.
 * Rates are whole units per second (rounded), as the records' u64 fields carry them; a
 * threshold is crossed when the rounded rate is above it.
 */
export class CgroupTrafficSampler {
  private readonly thresholds = new Map<number, number>();
  private states = new Map<number, CgroupState>();
  private previousNs: number | undefined;

  constructor(private readonly resolvePath: CgroupPathLookup = () => undefined) {}

  /** Sets a cgroup's threshold in bytes per second, each way; null removes it. Takes effect at the next sample. */
  setThreshold(cgroupId: number, bytesPerSecond: number | null): void {
    if (!Number.isSafeInteger(cgroupId) || cgroupId < 0) {
      throw new RangeError(`cgroup id must be a non-negative integer, got ${cgroupId}`);
    }
    if (bytesPerSecond === null) {
      this.thresholds.delete(cgroupId);
      return;
    }
    if (!Number.isFinite(bytesPerSecond) || bytesPerSecond < 0) {
      throw new RangeError(`threshold must be a non-negative number of bytes per second, got ${bytesPerSecond}`);
    }
    this.thresholds.set(cgroupId, bytesPerSecond);
  }

  threshold(cgroupId: number): number | null {
    return this.thresholds.get(cgroupId) ?? null;
  }

  /**
   * One reading of the totals, taken at nowNs (CLOCK_MONOTONIC in nanoseconds, as the
   * kernel's timestamps: Number(process.hrtime.bigint())). The events carry it. A
   * reading no later than the previous one has no window to divide by: it is ignored
   * and the previous reading stays the baseline.
   */
  sample(totals: readonly CgroupTrafficTotals[], nowNs: number): CgroupTrafficEvent[] {
    const previousNs = this.previousNs;
    if (previousNs !== undefined && !(nowNs > previousNs)) return [];
    this.previousNs = nowNs;
    const states = new Map<number, CgroupState>();
    const events: CgroupTrafficEvent[] = [];
    for (const current of totals) {
      const previous = this.states.get(current.cgroupId);
      const state = { totals: current, over: previous?.over ?? new Set<ThresholdMetric>() };
      states.set(current.cgroupId, state);
      if (previousNs !== undefined) this.rateEvents(state, previous?.totals, nowNs - previousNs, nowNs, events);
    }
    // A cgroup missing from this reading (evicted, or removed) starts from zero if it comes back.
    this.states = states;
    return events;
  }

  /** Appends the events of one cgroup's window to events, and updates which thresholds it is over. */
  private rateEvents(
    state: CgroupState,
    previous: CgroupTrafficTotals | undefined,
    windowNs: number,
    nowNs: number,
    events: CgroupTrafficEvent[],
  ): void {
    const current = state.totals;
    const cgroupId = current.cgroupId;
    const threshold = this.thresholds.get(cgroupId);
    const common = { timestampNs: nowNs, tgid: 0, tid: 0, ppid: 0, uid: 0, cgroupId, comm: '' };
    const rates = {} as Record<TrafficMetric, number>;
    let moved = false;
    for (const [metric, field] of TRAFFIC_METRICS) {
      const before = previous?.[field] ?? 0;
      const count = current[field] >= before ? current[field] - before : current[field];
      moved ||= count > 0;
      rates[metric] = Math.round((count * NS_PER_SECOND) / windowNs);
    }
    if (moved) {
      for (const [metric] of TRAFFIC_METRICS) {
        const isBytes = metric === 'rx-bytes' || metric === 'tx-bytes';
        events.push({
          kind: 'cgroup',
          ...common,
          metric,
          value: rates[metric],
          threshold: isBytes ? (threshold ?? 0) : 0,
          windowNs,
          thresholdCrossed: false,
        });
      }
    }

    const over = state.over;
    for (const metric of THRESHOLD_METRICS) {
      const rate = rates[metric];
      if (threshold === undefined || rate <= threshold) {
        over.delete(metric); // re-armed: the next rise fires again
        continue;
      }
      if (over.has(metric)) continue;
      over.add(metric);
      const path = this.resolvePath(cgroupId) ?? `#${cgroupId}`;
      const direction = metric === 'rx-bytes' ? 'receives' : 'sends';
      events.push(
        { kind: 'cgroup', ...common, metric, value: rate, threshold, windowNs, thresholdCrossed: true },
        {
          kind: 'anomaly',
          ...common,
          severity: severityOfExcess(rate, threshold),
          sourceKind: 'cgroup',
          subjectPid: 0,
          subjectCgroupId: cgroupId,
          observed: rate,
          limit: threshold,
          message: `cgroup ${path} ${direction} ${formatByteRate(rate)}, over its threshold of ${formatByteRate(threshold)}`,
        },
      );
    }
  }
}
