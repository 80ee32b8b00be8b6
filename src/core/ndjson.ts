// The --json stream: one event per line, with the wall-clock time it happened, then a
// summary of what was emitted, dropped and received; and the stats line on stderr.
import type { ClawtopEvent } from './decode.ts';
import type { KindTotals } from './engine.ts';

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

const MONITOR_OF_KIND: Readonly<Record<string, string>> = {
  exec: 'exec',
  exit: 'exec',
  file: 'files',
  net: 'net',
  syscall: 'syscalls',
};

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
  const perMonitor = new Map<string, number>();
  let dropped = 0;
  after.forEach((totals, index) => {
    const previous = before[index];
    dropped += totals.dropped - (previous?.dropped ?? 0);
    const monitor = MONITOR_OF_KIND[totals.kind];
    if (monitor === undefined) return;
    perMonitor.set(monitor, (perMonitor.get(monitor) ?? 0) + totals.received - (previous?.received ?? 0));
  });
  const rates = [...perMonitor].map(([monitor, count]) => `${monitor} ${formatRate(seconds > 0 ? count / seconds : 0)}/s`);
  return `clawtop: ${rates.join(', ')}; dropped ${dropped}; ring ${(ringFillRatio * 100).toFixed(1)}% full\n`;
}

function formatRate(perSecond: number): string {
  return perSecond >= 100 ? String(Math.round(perSecond)) : perSecond.toFixed(1);
}
