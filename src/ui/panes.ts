// The five panes as data: for each, its title, its columns (header, width, alignment, the
// row property it sorts by, a formatter), where its rows are in a snapshot, the filter that
// applies to them, and a key that names a row across snapshots (the selection follows it).
import type { Alert } from '../core/alerts.ts';
import { SEVERITY_NAMES } from '../core/contract.ts';
import type { CompiledFilter } from '../core/filter.ts';
import type { CgroupRow, ConnectionRow, FileRow, ModelSnapshot, ProcessRow } from '../core/model.ts';
import type { PaneFilters } from '../core/snapshot-document.ts';
import type { PaneName } from './controller.ts';
import {
  formatAge,
  formatBytes,
  formatCount,
  formatDuration,
  formatRate,
  formatResult,
  formatThresholdBar,
  signalName,
  thresholdFraction,
} from './format.ts';

/** What a formatter may need besides the row: ages are measured from the snapshot's time. */
export interface FormatContext {
  /** CLOCK_MONOTONIC milliseconds, the clock of the rows' firstSeenMs and lastSeenMs. */
  readonly takenMs: number;
}

/** A share of the width the fixed columns leave, never under min characters nor over max. */
export interface FlexibleWidth {
  readonly flex: number;
  readonly min: number;
  /** Wider would only put blanks between a value and the next column (a path, an address). */
  readonly max?: number;
}

export interface Column<Row> {
  readonly header: string;
  /** Characters (room for the header and its sort mark), or flexible. */
  readonly width: number | FlexibleWidth;
  readonly align: 'left' | 'right';
  /** The row property this column sorts by; a snapshot file's sort names it too. */
  readonly sortBy: string;
  /** When the property's own order is not the column's (a severity's rank, a fraction); null sorts last. */
  sortValue?(row: Row): number | string | null;
  /** The property runs the other way round from what the column shows (an age against lastSeenMs). */
  readonly sortReversed?: boolean;
  /** On a narrow terminal, columns with a hideOrder are hidden, lowest first, until the rest fit. */
  readonly hideOrder?: number;
  /** Which end an over-long value loses: a path or an address keeps its tail. */
  readonly truncate?: 'start' | 'end';
  format(row: Row, context: FormatContext): string;
}

export interface PaneDefinition<Row> {
  readonly name: PaneName;
  readonly title: string;
  readonly columns: readonly Column<Row>[];
  /** The column (an index into columns) and direction the pane starts sorted by. */
  readonly defaultSort: SortState;
  rows(snapshot: ModelSnapshot): readonly Row[];
  filterOf(filters: PaneFilters): CompiledFilter<Row>;
  /** Names the row in every snapshot it appears in. */
  key(row: Row): string;
}

/** How a pane is sorted, as the user sees it: descending means the column's values go down. */
export interface SortState {
  readonly column: number;
  readonly descending: boolean;
}

export interface PaneRows {
  readonly processes: ProcessRow;
  readonly files: FileRow;
  readonly connections: ConnectionRow;
  readonly cgroups: CgroupRow;
  readonly alerts: Alert;
}

const dash = '-';

function processState(row: ProcessRow): string {
  if (row.state === 'running') return 'running';
  if (row.exitSignal) return signalName(row.exitSignal);
  return row.exitCode === null ? 'exited' : `exit ${row.exitCode}`;
}

/** running first, then clean exits, failed exits, and deaths by signal. */
function processStateRank(row: ProcessRow): number {
  if (row.state === 'running') return -1;
  if (row.exitSignal) return 1000 + row.exitSignal;
  return row.exitCode ?? 999;
}

const DIRECTION_LABELS: Readonly<Record<string, string>> = { outbound: 'out', inbound: 'in' };

function cgroupThresholdFraction(row: CgroupRow): number | null {
  if (row.thresholdBytesPerSecond === null) return null;
  return thresholdFraction(Math.max(row.rxBytesPerSecond, row.txBytesPerSecond), row.thresholdBytesPerSecond);
}

export const PROCESSES_PANE: PaneDefinition<ProcessRow> = {
  name: 'processes',
  title: 'Processes',
  columns: [
    { header: 'PID', width: 7, align: 'right', sortBy: 'pid', format: (row) => String(row.pid) },
    { header: 'PPID', width: 7, align: 'right', sortBy: 'ppid', format: (row) => String(row.ppid) },
    { header: 'USER', width: 8, align: 'left', sortBy: 'user', format: (row) => row.user },
    { header: 'COMMAND', width: 15, align: 'left', sortBy: 'comm', format: (row) => row.comm },
    {
      header: 'EXECS/S',
      width: 8,
      align: 'right',
      sortBy: 'commandExecsPerSecond',
      format: (row) => formatRate(row.commandExecsPerSecond),
    },
    {
      header: 'STATE/EXIT',
      width: 11,
      align: 'left',
      sortBy: 'state',
      sortValue: processStateRank,
      format: processState,
    },
    {
      header: 'RUNTIME',
      width: 8,
      align: 'right',
      sortBy: 'runtimeNs',
      hideOrder: 1,
      format: (row) => (row.runtimeNs === null ? dash : formatDuration(row.runtimeNs / 1e6)),
    },
    {
      header: 'ARGS',
      width: { flex: 1, min: 16 },
      align: 'left',
      sortBy: 'argv',
      sortValue: (row) => row.argv.join(' '),
      format: (row) => (row.argv.length > 0 ? row.argv.join(' ') : row.filename),
    },
  ],
  // PIDs grow with time, so the newest processes come first.
  defaultSort: { column: 0, descending: true },
  rows: (snapshot) => snapshot.processes,
  filterOf: (filters) => filters.processes,
  key: (row) => String(row.pid),
};

export const FILES_PANE: PaneDefinition<FileRow> = {
  name: 'files',
  title: 'Files',
  columns: [
    { header: 'PATH', width: { flex: 2, min: 24, max: 64 }, align: 'left', sortBy: 'path', truncate: 'start', format: (row) => row.path },
    {
      header: 'OPENS/S',
      width: 8,
      align: 'right',
      sortBy: 'opensPerSecond10',
      format: (row) => formatRate(row.opensPerSecond10),
    },
    { header: 'COUNT', width: 7, align: 'right', sortBy: 'opens', format: (row) => formatCount(row.opens) },
    { header: 'FAIL', width: 6, align: 'right', sortBy: 'failures', format: (row) => formatCount(row.failures) },
    {
      header: 'LAST',
      width: 8,
      align: 'left',
      sortBy: 'lastResult',
      format: (row) => formatResult(row.lastResult, row.lastErrno),
    },
    { header: 'OP', width: 10, align: 'left', sortBy: 'operation', hideOrder: 1, format: (row) => row.operation },
    {
      header: 'PROCESSES',
      width: { flex: 1, min: 12 },
      align: 'left',
      sortBy: 'processes',
      sortValue: (row) => row.processes.join(' '),
      format: (row) => row.processes.join(' '),
    },
  ],
  defaultSort: { column: 1, descending: true },
  rows: (snapshot) => snapshot.files,
  filterOf: (filters) => filters.files,
  key: (row) => row.path,
};

export const CONNECTIONS_PANE: PaneDefinition<ConnectionRow> = {
  name: 'connections',
  title: 'Connections',
  columns: [
    { header: 'COMMAND', width: 12, align: 'left', sortBy: 'comm', format: (row) => row.comm },
    { header: 'PID', width: 7, align: 'right', sortBy: 'pid', hideOrder: 1, format: (row) => String(row.pid) },
    { header: 'PROTO', width: 6, align: 'left', sortBy: 'protocol', format: (row) => row.protocol },
    {
      header: 'DIR',
      width: 4,
      align: 'left',
      sortBy: 'direction',
      format: (row) => DIRECTION_LABELS[row.direction] ?? '?',
    },
    {
      header: 'LOCAL',
      width: { flex: 1, min: 12, max: 48 },
      align: 'left',
      sortBy: 'local',
      truncate: 'start',
      hideOrder: 2,
      format: (row) => row.local,
    },
    {
      header: 'REMOTE',
      width: { flex: 1, min: 14, max: 48 },
      align: 'left',
      sortBy: 'remote',
      truncate: 'start',
      format: (row) => row.remote,
    },
    { header: 'COUNT', width: 6, align: 'right', sortBy: 'count', format: (row) => formatCount(row.count) },
    { header: 'FAIL', width: 5, align: 'right', sortBy: 'failures', hideOrder: 3, format: (row) => formatCount(row.failures) },
    {
      header: 'LAST',
      // ECONNREFUSED, EHOSTUNREACH
      width: 12,
      align: 'left',
      sortBy: 'lastResult',
      format: (row) => formatResult(row.lastResult, row.lastErrno),
    },
    {
      header: 'AGE',
      width: 5,
      align: 'right',
      sortBy: 'lastSeenMs',
      sortReversed: true,
      format: (row, context) => formatAge(context.takenMs - row.lastSeenMs),
    },
  ],
  defaultSort: { column: 6, descending: true },
  rows: (snapshot) => snapshot.connections,
  filterOf: (filters) => filters.connections,
  // As the model keys them: an outbound row gathers its local ports, an inbound one its peers.
  key: (row) =>
    row.direction === 'inbound'
      ? `${row.comm}|${row.protocol}|in|${row.local}|${row.remote}`
      : `${row.comm}|${row.protocol}|${row.direction}|${row.remote}`,
};

export const CGROUPS_PANE: PaneDefinition<CgroupRow> = {
  name: 'cgroups',
  title: 'Cgroups',
  columns: [
    { header: 'CGROUP', width: { flex: 1, min: 16, max: 80 }, align: 'left', sortBy: 'path', truncate: 'start', format: (row) => row.path },
    { header: 'RX/s', width: 7, align: 'right', sortBy: 'rxBytesPerSecond', format: (row) => formatBytes(row.rxBytesPerSecond) },
    { header: 'TX/s', width: 7, align: 'right', sortBy: 'txBytesPerSecond', format: (row) => formatBytes(row.txBytesPerSecond) },
    {
      header: 'RX pkt/s',
      width: 9,
      align: 'right',
      sortBy: 'rxPacketsPerSecond',
      format: (row) => formatRate(row.rxPacketsPerSecond),
    },
    {
      header: 'TX pkt/s',
      width: 9,
      align: 'right',
      sortBy: 'txPacketsPerSecond',
      format: (row) => formatRate(row.txPacketsPerSecond),
    },
    {
      header: 'THRESHOLD',
      width: 17,
      align: 'left',
      sortBy: 'thresholdBytesPerSecond',
      sortValue: cgroupThresholdFraction,
      format: (row) => {
        const fraction = cgroupThresholdFraction(row);
        return fraction === null ? dash : formatThresholdBar(fraction);
      },
    },
    { header: 'EXECS', width: 6, align: 'right', sortBy: 'execs', hideOrder: 3, format: (row) => formatCount(row.execs) },
    { header: 'OPENS', width: 6, align: 'right', sortBy: 'opens', hideOrder: 2, format: (row) => formatCount(row.opens) },
    {
      header: 'CONNECTS',
      width: 9,
      align: 'right',
      sortBy: 'connects',
      hideOrder: 1,
      format: (row) => formatCount(row.connects),
    },
  ],
  defaultSort: { column: 2, descending: true },
  rows: (snapshot) => snapshot.cgroups,
  filterOf: (filters) => filters.cgroups,
  key: (row) => String(row.cgroupId),
};

export const ALERTS_PANE: PaneDefinition<Alert> = {
  name: 'alerts',
  title: 'Alerts',
  columns: [
    {
      header: 'SEVERITY',
      width: 9,
      align: 'left',
      sortBy: 'severity',
      sortValue: (row) => SEVERITY_NAMES.indexOf(row.severity),
      format: (row) => row.severity,
    },
    {
      header: 'TIME',
      width: 6,
      align: 'right',
      sortBy: 'lastNs',
      sortReversed: true,
      format: (row, context) => formatAge(context.takenMs - row.lastNs / 1e6),
    },
    { header: 'REPEATS', width: 8, align: 'right', sortBy: 'repeats', format: (row) => formatCount(row.repeats) },
    { header: 'MESSAGE', width: { flex: 1, min: 20 }, align: 'left', sortBy: 'message', format: (row) => row.message },
  ],
  // The latest first: the smallest age.
  defaultSort: { column: 1, descending: false },
  rows: (snapshot) => snapshot.alerts,
  filterOf: (filters) => filters.alerts,
  key: (row) => row.key,
};

export const PANES: { readonly [Name in PaneName]: PaneDefinition<PaneRows[Name]> } = {
  processes: PROCESSES_PANE,
  files: FILES_PANE,
  connections: CONNECTIONS_PANE,
  cgroups: CGROUPS_PANE,
  alerts: ALERTS_PANE,
};

/** Any pane, for code that treats them alike (tables, sorting, keys). */
export type AnyPane = PaneDefinition<PaneRows[PaneName]>;
export type AnyRow = PaneRows[PaneName];

export function paneOf(name: PaneName): AnyPane {
  return PANES[name] as AnyPane;
}
