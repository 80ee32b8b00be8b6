// Human formats for the screen: short enough for a table cell, exact enough to compare rows.
import { constants } from 'node:os';

const BYTE_UNITS = ['B', 'K', 'M', 'G', 'T'] as const;
const COUNT_UNITS = ['', 'k', 'M', 'G', 'T'] as const;

/** 512B, 1.2K, 48K, 1.0M: powers of 1024, one decimal under 10. Used for bytes and bytes/s. */
export function formatBytes(bytes: number): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)}B`;
  return `${value < 10 ? value.toFixed(1) : Math.round(value)}${BYTE_UNITS[unit]}`;
}

/** 42, 9999, 12k, 1.2M: whole counts, powers of 1000 from 10 000 on. */
export function formatCount(count: number): string {
  if (count < 10_000) return String(Math.round(count));
  let value = count;
  let unit = 0;
  while (value >= 1000 && unit < COUNT_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)}${COUNT_UNITS[unit]}`;
}

/** A per-second rate: 0, 0.4, 12.5, 340, 1.2k. */
export function formatRate(perSecond: number): string {
  if (perSecond === 0) return '0';
  if (perSecond < 100) return perSecond.toFixed(1);
  return formatCount(perSecond);
}

/** 850ms, 4.2s, 42s, 3m05s, 2h05m, 3d04h. */
export function formatDuration(milliseconds: number): string {
  const ms = Math.max(0, milliseconds);
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = ms / 1000;
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  if (seconds < 60) return `${Math.floor(seconds)}s`;
  const pad = (value: number) => String(value).padStart(2, '0');
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${pad(Math.floor(seconds % 60))}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h${pad(minutes % 60)}m`;
  return `${Math.floor(hours / 24)}d${pad(hours % 24)}h`;
}

/** How long ago, in its largest unit: 0s, 3s, 2m, 5h, 3d. */
export function formatAge(milliseconds: number): string {
  const seconds = Math.max(0, Math.floor(milliseconds / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** up 3d 4h, up 2h 5m, up 12m. */
export function formatUptime(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  const hours = Math.floor(minutes / 60);
  const days = Math.floor(hours / 24);
  if (days > 0) return `${days}d ${hours % 24}h`;
  if (hours > 0) return `${hours}h ${minutes % 60}m`;
  return `${minutes}m`;
}

const SIGNAL_NAMES = new Map<number, string>(
  Object.entries(constants.signals).map(([name, number]) => [number, name] as [number, string]),
);

/** SIGKILL for 9, or "signal 77" for a number without a name. */
export function signalName(signal: number): string {
  return SIGNAL_NAMES.get(signal) ?? `signal ${signal}`;
}

/** "OK", or the errno name (ENOENT), or the raw negative result when it has no name. */
export function formatResult(result: number, errno: string | null): string {
  if (errno !== null) return errno;
  return result < 0 ? String(result) : 'OK';
}

/** How much of a threshold a rate uses; 0 when there is no rate, Infinity over a zero threshold. */
export function thresholdFraction(rate: number, threshold: number): number {
  if (rate <= 0) return 0;
  return threshold > 0 ? rate / threshold : Number.POSITIVE_INFINITY;
}

const BAR_CELLS = 10;

/** `[#####-----]  48%`; the bar is full and the percentage goes on past 100, up to 999. */
export function formatThresholdBar(fraction: number): string {
  const filled = Math.min(BAR_CELLS, Math.round(fraction * BAR_CELLS));
  const percent = Math.min(999, Math.round(fraction * 100));
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_CELLS - filled)}] ${String(percent).padStart(3)}%`;
}

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;

/** Control characters (a newline in a file name, an escape in argv) shown as '?', never sent to the terminal. */
export function printable(text: string): string {
  return text.replace(CONTROL_CHARACTERS, '?');
}

/** Printable text fitted to a width: cut with an ellipsis at its end (or its start, keeping the tail). */
export function truncate(raw: string, width: number, from: 'start' | 'end' = 'end'): string {
  if (width <= 0) return '';
  const text = printable(raw);
  if (text.length <= width) return text;
  if (width === 1) return '…';
  return from === 'end' ? `${text.slice(0, width - 1)}…` : `…${text.slice(text.length - width + 1)}`;
}

/** Truncated, then padded to exactly width. */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left', from: 'start' | 'end' = 'end'): string {
  const cut = truncate(text, width, from);
  return align === 'left' ? cut.padEnd(width) : cut.padStart(width);
}

/** Printable text broken into lines of at most width characters, at spaces where it can be. */
export function wrap(raw: string, width: number): string[] {
  const text = printable(raw);
  if (width <= 0) return [];
  if (text.length <= width) return [text];
  const lines: string[] = [];
  let rest = text;
  while (rest.length > width) {
    const space = rest.lastIndexOf(' ', width);
    const cut = space > 0 ? space : width;
    lines.push(rest.slice(0, cut));
    rest = rest.slice(space > 0 ? cut + 1 : cut);
  }
  lines.push(rest);
  return lines;
}
