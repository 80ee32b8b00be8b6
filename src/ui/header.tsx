// The top of the screen: host, kernel, uptime, drops, ring fill and PAUSED on the first
// line (for a snapshot file, a second line: READ-ONLY, and when it was taken); then one
// line per monitor with its events/s, whether it is attached, the hook serving it and any
// fallback or on-demand note; then the pane tabs.
import { Box } from 'ink';

import { PANE_NAMES, type HeaderInfo, type MonitorStatus, type PaneName, type SnapshotHeader } from './controller.ts';
import { formatCount, formatDuration, formatRate, formatUptime } from './format.ts';
import { Line, type Segment } from './line.tsx';
import { PANES } from './panes.ts';
import type { Theme } from './theme.ts';

/** A ring this full is shown as a warning: events are about to be dropped. */
const RING_WARNING_RATIO = 0.8;
const MONITOR_NAME_WIDTH = 9;
const RATE_WIDTH = 9;

export interface HeaderView {
  readonly paused: boolean;
  readonly pane: PaneName;
  /** Rows the pane shows (after the filter) and rows it has. */
  readonly shownRows: number;
  readonly totalRows: number;
  readonly width: number;
}

export interface HeaderProps {
  /** headerLines(): what the header draws. */
  readonly lines: readonly (readonly Segment[])[];
  readonly width: number;
}

/** How many lines the header takes: the summary, a snapshot's line, one per monitor, the tabs. */
export function headerHeight(info: HeaderInfo): number {
  return 2 + (info.snapshot ? 1 : 0) + info.monitors.length;
}

function summarySegments(info: HeaderInfo, paused: boolean, width: number, theme: Theme): Segment[] {
  const pausedFlag = paused ? ' PAUSED ' : '';
  const left: Segment[] = [
    { text: 'clawtop', bold: true },
    { text: ` · ${info.snapshot ? 'snapshot of ' : ''}${info.host} · ${info.kernel} · up ${formatUptime(info.uptimeSeconds)} · ` },
    { text: `drops ${formatCount(info.dropped)}`, color: info.dropped > 0 ? theme.error : undefined },
  ];
  // A snapshot does not record the ring's fill.
  if (!info.snapshot) {
    left.push(
      { text: ' · ' },
      {
        text: `ring ${Math.round(info.ringFillRatio * 100)}%`,
        color: info.ringFillRatio >= RING_WARNING_RATIO ? theme.warning : undefined,
      },
    );
  }
  if (!paused) return left;
  const leftLength = left.reduce((total, segment) => total + segment.text.length, 0);
  const gap = Math.max(1, width - leftLength - pausedFlag.length);
  return [...left, { text: ' '.repeat(gap) }, { text: pausedFlag, inverse: true, bold: true, color: theme.warning }];
}

/** 2026-11-25 01:46:00 UTC: the document's time, to the second, in UTC whatever its offset. */
function formatTakenAt(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** That it is read-only, when it was taken, after how long, and the filter that chose its rows. */
function snapshotSegments(snapshot: SnapshotHeader, theme: Theme): Segment[] {
  return [
    { text: ' READ-ONLY ', inverse: true, bold: true, color: theme.warning },
    { text: ` taken ${formatTakenAt(snapshot.takenAt)} after watching ${formatDuration(snapshot.watchedSeconds * 1000)}` },
    ...(snapshot.filter === '' ? [] : [{ text: ` · filtered when taken: ${snapshot.filter}` }]),
    { text: ' · events/s are averages over it', dim: theme.dim },
  ];
}

/** "tracepoint/syscalls/sys_exit_openat + tp_btf/x" as "tracepoint + tp_btf": the program types. */
export function shortHook(hook: string): string {
  return hook
    .split(' + ')
    .map((program) => program.split('/')[0])
    .join(' + ');
}

function monitorSegments(
  monitor: MonitorStatus,
  perSecond: number | undefined,
  width: number,
  theme: Theme,
): Segment[] {
  const rate = perSecond === undefined ? '-' : `${formatRate(perSecond)}/s`;
  const state = monitor.mode === 'unavailable' ? 'n/a' : monitor.attached ? 'on' : 'off';
  const segments: Segment[] = [
    { text: monitor.monitor.padEnd(MONITOR_NAME_WIDTH), bold: true },
    { text: `${rate.padStart(RATE_WIDTH)}  ` },
    {
      text: state.padEnd(4),
      color: monitor.mode === 'unavailable' ? theme.error : undefined,
      dim: !monitor.attached && theme.dim,
    },
  ];
  const note: Segment[] = [];
  if (monitor.mode === 'fallback') note.push({ text: ` · fallback${monitor.note ? `: ${monitor.note}` : ''}`, color: theme.warning });
  else if (monitor.note) note.push({ text: ` · ${monitor.note}`, dim: theme.dim });
  const length = [...segments, ...note].reduce((total, segment) => total + segment.text.length, monitor.hook.length);
  // Where the line is too narrow, the program types leave room for the note (m has it all).
  const hook = length <= width ? monitor.hook : shortHook(monitor.hook);
  return [...segments, { text: hook }, ...note];
}

function tabSegments(active: PaneName, shownRows: number, totalRows: number, width: number, theme: Theme): Segment[] {
  const tabs: Segment[] = PANE_NAMES.flatMap((name, index) => {
    const label = `${index + 1} ${PANES[name].title}`;
    const tab: Segment =
      name === active ? { text: `[${label}]`, bold: true, inverse: true, color: theme.accent } : { text: ` ${label} ` };
    return index === 0 ? [tab] : [{ text: ' ' }, tab];
  });
  const count = shownRows === totalRows ? `${totalRows} rows` : `${shownRows} of ${totalRows} rows`;
  const tabsLength = tabs.reduce((total, segment) => total + segment.text.length, 0);
  const gap = width - tabsLength - count.length;
  return gap >= 1 ? [...tabs, { text: ' '.repeat(gap) }, { text: count, dim: theme.dim }] : tabs;
}

/** The header's lines as segments: the summary, a snapshot's line, one per monitor, the tabs. */
export function headerLines(info: HeaderInfo, view: HeaderView, theme: Theme): Segment[][] {
  const { paused, pane, shownRows, totalRows, width } = view;
  const rates = new Map(info.eventsPerSecond.map(({ monitor, perSecond }) => [monitor, perSecond]));
  return [
    summarySegments(info, paused, width, theme),
    ...(info.snapshot ? [snapshotSegments(info.snapshot, theme)] : []),
    ...info.monitors.map((monitor) => monitorSegments(monitor, rates.get(monitor.monitor), width, theme)),
    tabSegments(pane, shownRows, totalRows, width, theme),
  ];
}

export function Header({ lines, width }: HeaderProps) {
  return (
    <Box flexDirection="column">
      {lines.map((segments, index) => (
        <Line key={index} segments={segments} width={width} />
      ))}
    </Box>
  );
}
