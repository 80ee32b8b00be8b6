// The --json stream: one event per line, with the wall-clock time it happened.
import type { ClawtopEvent } from './decode.ts';

/** Records carry CLOCK_MONOTONIC nanoseconds; node's hrtime reads the same clock. */
export function monotonicToWallClockMs(nowWallMs = Date.now(), nowMonotonicNs = process.hrtime.bigint()) {
  const offsetMs = nowWallMs - Number(nowMonotonicNs) / 1e6;
  return (timestampNs: number): number => offsetMs + timestampNs / 1e6;
}

export function createNdjsonFormatter(toWallClockMs = monotonicToWallClockMs()) {
  return (event: ClawtopEvent): string =>
    `${JSON.stringify({ time: new Date(toWallClockMs(event.timestampNs)).toISOString(), ...event })}\n`;
}
