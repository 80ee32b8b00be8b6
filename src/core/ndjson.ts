// The --json stream: one event per line, with the wall-clock time it happened, then a
// summary of what was emitted, dropped and received; and the stats line on stderr.
import type { ClawtopEvent } from './decode.ts';
import type { KindTotals } from './engine.ts';
import { receivedPerSecondByMonitor } from './monitor-rates.ts';

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

/**
 * The last --json line: per event kind, what the kernel emitted, what the full ring
 * dropped (never silently) and what clawtop received.
 */
export function formatSummaryLine(totals: readonly KindTotals[], malformedRecords: number, now = new Date()): string {
  const events = Object.fromEntries(totals.map(({ kind, ...counts }) => [kind, counts]));
  return `${JSON.stringify({ time: now.toISOString(), kind: 'summary', events, malformedRecords })}\n`;
}

/**
 * The --json stats line on stderr: events/s per monitor over the interval, losses, and
 * how full the ring is (a ring near full is about to lose events).
 */
export function formatStatsLine(
  before: readonly KindTotals[],
  after: readonly KindTotals[],
  seconds: number,
  ringFillRatio: number,
): string {
  const dropped = after.reduce((sum, totals, index) => sum + totals.dropped - (before[index]?.dropped ?? 0), 0);
  const rates = [...receivedPerSecondByMonitor(before, after, seconds)].map(
    ([monitor, perSecond]) => `${monitor} ${formatRate(perSecond)}/s`,
  );
  return `clawtop: ${rates.join(', ')}; dropped ${dropped}; ring ${(ringFillRatio * 100).toFixed(1)}% full\n`;
}

function formatRate(perSecond: number): string {
  return perSecond >= 100 ? String(Math.round(perSecond)) : perSecond.toFixed(1);
}
