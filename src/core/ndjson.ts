// The --json stream: one event per line, with the wall-clock time it happened, then a
// summary of what was emitted, dropped and received.
import { EVENT_KIND_NAMES } from './contract.ts';
import type { ClawtopEvent, DecodeStats } from './decode.ts';
import type { KernelCounters } from './native.ts';

/** Records carry CLOCK_MONOTONIC nanoseconds; node's hrtime reads the same clock. */
export function monotonicToWallClockMs(nowWallMs = Date.now(), nowMonotonicNs = process.hrtime.bigint()) {
  const offsetMs = nowWallMs - Number(nowMonotonicNs) / 1e6;
  return (timestampNs: number): number => offsetMs + timestampNs / 1e6;
}

/** Each line also names the event's cgroup by path, when it can be found. */
export function createNdjsonFormatter(
  resolveCgroupPath: (cgroupId: number) => string | undefined = () => undefined,
  toWallClockMs = monotonicToWallClockMs(),
) {
  return (event: ClawtopEvent): string => {
    const time = new Date(toWallClockMs(event.timestampNs)).toISOString();
    return `${JSON.stringify({ time, ...event, cgroupPath: resolveCgroupPath(event.cgroupId) ?? null })}\n`;
  };
}

export interface KindTotals {
  readonly emitted: number;
  readonly dropped: number;
  readonly received: number;
}

/**
 * The last --json line: per event kind, what the kernel emitted, what the full ring
 * dropped (never silently) and what clawtop received.
 */
export function formatSummaryLine(counters: KernelCounters, stats: DecodeStats, now = new Date()): string {
  const events: Record<string, KindTotals> = {};
  EVENT_KIND_NAMES.forEach((name, kind) => {
    if (name === undefined) return;
    events[name] = {
      emitted: counters.emitted[kind] ?? 0,
      dropped: counters.dropped[kind] ?? 0,
      received: stats.recordsByKind[kind] ?? 0,
    };
  });
  return `${JSON.stringify({ time: now.toISOString(), kind: 'summary', events, malformedRecords: stats.malformedRecords })}\n`;
}
