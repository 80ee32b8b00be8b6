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

/**
 * Each line also names the event's cgroup by path, when it can be found. The line is the
 * text JSON.stringify({ time, ...event, cgroupPath }) gives, byte for byte (the test holds
 * it to that), but written by hand: the copy, the stringify and a Date per event cost half
 * a core at 100k events/s.
 */
export function createNdjsonFormatter(
  resolveCgroupPath: (cgroupId: number) => string | undefined = () => undefined,
  toWallClockMs = monotonicToWallClockMs(),
) {
  const isoTime = createIsoTimeFormatter();
  return (event: ClawtopEvent): string => {
    const cgroupPath = resolveCgroupPath(event.cgroupId) ?? null;
    return (
      `{"time":"${isoTime(toWallClockMs(event.timestampNs))}","kind":"${event.kind}",` +
      `"timestampNs":${event.timestampNs},"tgid":${event.tgid},"tid":${event.tid},"ppid":${event.ppid},` +
      `"uid":${event.uid},"cgroupId":${event.cgroupId},"comm":"${escaped(event.comm)}"` +
      kindFields(event) +
      `,"cgroupPath":${jsonStringOrNull(cgroupPath)}}\n`
    );
  };
}

/**
 * new Date(wallClockMs).toISOString(), built once per millisecond: events come many to a
 * millisecond. Date truncates the fraction, so the cache is keyed on the truncated value.
 */
function createIsoTimeFormatter(): (wallClockMs: number) => string {
  let cachedMs = NaN;
  let cachedTime = '';
  return (wallClockMs) => {
    const ms = Math.trunc(wallClockMs);
    if (ms !== cachedMs) {
      cachedTime = new Date(ms).toISOString();
      cachedMs = ms;
    }
    return cachedTime;
  };
}

/**
 * The fields of each kind after the common ones, in the order decodeEvent (and the cgroup
 * traffic sampler) give them. Numbers print as JSON.stringify prints them: every number
 * an event holds is finite.
 */
function kindFields(event: ClawtopEvent): string {
  switch (event.kind) {
    case 'exec':
      return (
        `,"filename":"${escaped(event.filename)}","argv":${jsonStrings(event.argv)},"argc":${event.argc}` +
        `,"argsTruncated":${event.argsTruncated},"filenameTruncated":${event.filenameTruncated}`
      );
    case 'exit':
      return `,"exitCode":${event.exitCode},"exitSignal":${event.exitSignal},"runtimeNs":${event.runtimeNs}`;
    case 'syscall':
      return (
        `,"nr":${event.nr},"ret":${event.ret},"errno":${jsonStringOrNull(event.errno)}` +
        `,"durationNs":${event.durationNs},"args":${jsonStrings(event.args)},"path":"${escaped(event.path)}"`
      );
    case 'file':
      return (
        `,"result":${event.result},"errno":${jsonStringOrNull(event.errno)},"openFlags":${event.openFlags}` +
        `,"mode":${event.mode},"dev":${event.dev},"inode":${event.inode}` +
        `,"operation":"${escaped(event.operation)}","access":"${escaped(event.access)}"` +
        `,"path":"${escaped(event.path)}","pathTruncated":${event.pathTruncated}`
      );
    case 'net':
      return (
        `,"family":"${escaped(event.family)}","protocol":"${escaped(event.protocol)}"` +
        `,"direction":"${escaped(event.direction)}","result":${event.result},"errno":${jsonStringOrNull(event.errno)}` +
        `,"sourceAddress":"${escaped(event.sourceAddress)}","sourcePort":${event.sourcePort}` +
        `,"destinationAddress":"${escaped(event.destinationAddress)}","destinationPort":${event.destinationPort}`
      );
    case 'cgroup':
      return (
        `,"metric":"${escaped(event.metric)}","value":${event.value},"threshold":${event.threshold}` +
        `,"windowNs":${event.windowNs},"thresholdCrossed":${event.thresholdCrossed}`
      );
    case 'anomaly':
      return (
        `,"severity":"${escaped(event.severity)}","sourceKind":"${escaped(event.sourceKind)}"` +
        `,"subjectPid":${event.subjectPid},"subjectCgroupId":${event.subjectCgroupId}` +
        `,"observed":${event.observed},"limit":${event.limit},"message":"${escaped(event.message)}"`
      );
  }
}

/**
 * What JSON.stringify escapes (quotes, backslashes, control characters), and surrogates:
 * it escapes a lone one but not a pair, and it is left to tell them apart.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NEEDS_ESCAPING = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * A string as JSON writes it, without its quotes (which the lines hold in their constant
 * parts: two concatenations less per string). Most strings need no escaping and come back
 * as they are.
 */
function escaped(text: string): string {
  return NEEDS_ESCAPING.test(text) ? JSON.stringify(text).slice(1, -1) : text;
}

function jsonStringOrNull(text: string | null): string {
  return text === null ? 'null' : `"${escaped(text)}"`;
}

function jsonStrings(texts: readonly string[]): string {
  return `[${texts.map((text) => `"${escaped(text)}"`).join(',')}]`;
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
