// Turns a model snapshot, with what clawtop knows about the kernel and the view, into the
// versioned snapshot document (src/core/snapshot-file.ts writes and reads it).
import { hostname, release, uptime } from 'node:os';

import type { Alert } from './alerts.ts';
import type { KindTotals } from './engine.ts';
import type { CompiledFilter } from './filter.ts';
import { compileFilter } from './filter.ts';
import type { ModelSnapshot } from './model.ts';
import type { HookReport } from './native.ts';
import {
  alertFilterAccess,
  cgroupFilterAccess,
  commandFilterAccess,
  connectionFilterAccess,
  fileFilterAccess,
  processFilterAccess,
} from './pane-filters.ts';
import { userFacingHooks } from './hook-report.ts';
import {
  SNAPSHOT_FORMAT,
  SNAPSHOT_VERSION,
  type SnapshotDocument,
  type SnapshotPaneName,
  type SnapshotRow,
  type SnapshotSort,
  type SnapshotValue,
} from './snapshot-file.ts';
import { sortRows } from './sort.ts';

/** How each pane is sorted unless the view says otherwise. */
export const DEFAULT_SORT: readonly SnapshotSort[] = [
  { pane: 'processes', column: 'lastSeen', descending: true },
  { pane: 'commands', column: 'execs', descending: true },
  { pane: 'files', column: 'opens', descending: true },
  { pane: 'connections', column: 'count', descending: true },
  { pane: 'cgroups', column: 'txBytesPerSecond', descending: true },
  { pane: 'alerts', column: 'last', descending: true },
];

/** The same filter text, compiled once per pane (each pane's rows have their own fields). */
export interface PaneFilters {
  readonly text: string;
  readonly processes: CompiledFilter<ModelSnapshot['processes'][number]>;
  readonly commands: CompiledFilter<ModelSnapshot['commands'][number]>;
  readonly files: CompiledFilter<ModelSnapshot['files'][number]>;
  readonly connections: CompiledFilter<ModelSnapshot['connections'][number]>;
  readonly cgroups: CompiledFilter<ModelSnapshot['cgroups'][number]>;
  readonly alerts: CompiledFilter<ModelSnapshot['alerts'][number]>;
}

/**
 * Lost events are about clawtop, not about any row a filter selects: a filter never hides
 * that what is shown may be incomplete.
 */
function keepingLossAlerts(filter: CompiledFilter<Alert>): CompiledFilter<Alert> {
  return { ...filter, matches: (alert) => alert.source === 'loss' || filter.matches(alert) };
}

/** Throws FilterError, with the position, for a bad filter. */
export function compilePaneFilters(
  text: string,
  resolveCgroupId?: (path: string) => number | undefined,
): PaneFilters {
  const options = { resolveCgroupId };
  return {
    text,
    processes: compileFilter(text, processFilterAccess, options),
    commands: compileFilter(text, commandFilterAccess, options),
    files: compileFilter(text, fileFilterAccess, options),
    connections: compileFilter(text, connectionFilterAccess, options),
    cgroups: compileFilter(text, cgroupFilterAccess, options),
    alerts: keepingLossAlerts(compileFilter(text, alertFilterAccess, options)),
  };
}

/** Monotonic times in rows, and the wall-clock ISO field each becomes in the document. */
export const WALL_CLOCK_FIELDS: Readonly<Record<string, { readonly name: string; readonly perMs: number }>> = {
  firstSeenMs: { name: 'firstSeen', perMs: 1 },
  lastSeenMs: { name: 'lastSeen', perMs: 1 },
  firstNs: { name: 'first', perMs: 1e6 },
  lastNs: { name: 'last', perMs: 1e6 },
};

/** A row property's name in the document, where monotonic times become wall-clock fields. */
export function documentColumnName(column: string): string {
  return WALL_CLOCK_FIELDS[column]?.name ?? column;
}

/** The other way: a document column's row property (lastSeen is lastSeenMs again). */
export function modelColumnName(column: string): string {
  return Object.entries(WALL_CLOCK_FIELDS).find(([, time]) => time.name === column)?.[0] ?? column;
}

function toSnapshotRow(row: object, toWallClockMs: (monotonicMs: number) => number): SnapshotRow {
  const converted: Record<string, SnapshotValue> = {};
  for (const [key, value] of Object.entries(row) as [string, unknown][]) {
    const time = WALL_CLOCK_FIELDS[key];
    if (time !== undefined && typeof value === 'number') {
      converted[time.name] = new Date(toWallClockMs(value / time.perMs)).toISOString();
    } else if (value !== undefined) {
      converted[key] = value as SnapshotValue;
    }
  }
  return converted;
}

export interface SnapshotContext {
  readonly report: HookReport;
  readonly totals: readonly KindTotals[];
  readonly filters: PaneFilters;
  readonly sort?: readonly SnapshotSort[];
  readonly durationSeconds: number;
  readonly toWallClockMs: (monotonicMs: number) => number;
  readonly now?: Date;
}

export function buildSnapshotDocument(snapshot: ModelSnapshot, context: SnapshotContext): SnapshotDocument {
  // The view's sort, in the document's column names, and the default for panes it has none for.
  const viewSort = (context.sort ?? []).map((order) => ({ ...order, column: documentColumnName(order.column) }));
  const sort = [...viewSort, ...DEFAULT_SORT.filter((order) => !viewSort.some((view) => view.pane === order.pane))];
  const { filters } = context;
  const pane = <Row extends object>(name: SnapshotPaneName, rows: readonly Row[], filter: CompiledFilter<Row>) => {
    const converted = rows.filter((row) => filter.matches(row)).map((row) => toSnapshotRow(row, context.toWallClockMs));
    const order = sort.find((candidate) => candidate.pane === name);
    return order ? sortRows(converted, order) : converted;
  };
  const hooks = userFacingHooks(context.report);
  const terms = filters.processes.terms;
  return {
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    time: (context.now ?? new Date()).toISOString(),
    host: hostname(),
    kernel: release(),
    uptimeSeconds: Math.round(uptime()),
    durationSeconds: context.durationSeconds,
    hooks: hooks.hooks.map(({ monitor, hook, mode, attached, reason }) => ({ monitor, hook, mode, attached, reason })),
    features: hooks.features.map(({ feature, available, reason }) => ({ feature, available, reason })),
    counters: context.totals.map(({ kind, emitted, dropped, received }) => ({ kind, emitted, dropped, received })),
    filter: {
      text: filters.text,
      kernel: terms.filter((term) => term.runsIn === 'kernel+user').map((term) => term.text),
      user: terms.filter((term) => term.runsIn === 'user').map((term) => term.text),
    },
    sort,
    panes: {
      processes: pane('processes', snapshot.processes, filters.processes),
      commands: pane('commands', snapshot.commands, filters.commands),
      files: pane('files', snapshot.files, filters.files),
      connections: pane('connections', snapshot.connections, filters.connections),
      cgroups: pane('cgroups', snapshot.cgroups, filters.cgroups),
      alerts: pane('alerts', snapshot.alerts, filters.alerts),
    },
  };
}
