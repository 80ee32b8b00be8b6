// A snapshot document's rows as the model's rows again, so the screen can show a snapshot
// file the way it shows the live model: the reverse of buildSnapshotDocument. The file
// layer (snapshot-file.ts) only checks that rows are flat; the screen needs each pane's
// columns, so they are checked here, a failure naming the cell (panes.files[3].opens).
// The reopened snapshot's clock is the wall clock: its takenMs is the document's time and
// each row's times are their dates, so ages come out as they were when it was taken.
import type { Alert } from './alerts.ts';
import { SEVERITY_NAMES } from './contract.ts';
import type { CgroupRow, CommandRow, ConnectionRow, FileRow, ModelSnapshot, ProcessRow } from './model.ts';
import { WALL_CLOCK_FIELDS, modelColumnName } from './snapshot-document.ts';
import { readSnapshotFile, type SnapshotDocument, type SnapshotPaneName, type SnapshotRow } from './snapshot-file.ts';

/** What a cell must hold: a time is a date in the document and a monotonic number in the row. */
type ColumnType =
  | 'number'
  | 'string'
  | 'strings'
  | 'number or null'
  | 'string or null'
  | 'number or absent'
  | 'time'
  | { readonly oneOf: readonly string[] };

/** The document's name of a row property: the monotonic times are dates under another name. */
type DocumentName<Key> = Key extends 'firstSeenMs'
  ? 'firstSeen'
  : Key extends 'lastSeenMs'
    ? 'lastSeen'
    : Key extends 'firstNs'
      ? 'first'
      : Key extends 'lastNs'
        ? 'last'
        : Key;

/** Every property of the model's row, by its document name: the compiler keeps the two in step. */
type Columns<Row> = { readonly [Key in keyof Row as DocumentName<Key>]-?: ColumnType };

const PROCESS_COLUMNS: Columns<ProcessRow> = {
  pid: 'number',
  ppid: 'number',
  uid: 'number',
  user: 'string',
  comm: 'string',
  filename: 'string',
  argv: 'strings',
  cgroupPath: 'string',
  state: { oneOf: ['running', 'exited'] },
  exitCode: 'number or null',
  exitSignal: 'number or null',
  runtimeNs: 'number or null',
  commandExecsPerSecond: 'number',
  firstSeen: 'time',
  lastSeen: 'time',
};

const COMMAND_COLUMNS: Columns<CommandRow> = {
  comm: 'string',
  execs: 'number',
  execsOverestimate: 'number',
  exits: 'number',
  failedExits: 'number',
  execsPerSecond1: 'number',
  execsPerSecond10: 'number',
  execsPerSecond60: 'number',
  lastArgv: 'strings',
  firstSeen: 'time',
  lastSeen: 'time',
};

const FILE_COLUMNS: Columns<FileRow> = {
  path: 'string',
  opens: 'number',
  opensOverestimate: 'number',
  failures: 'number',
  opensPerSecond1: 'number',
  opensPerSecond10: 'number',
  opensPerSecond60: 'number',
  processes: 'strings',
  lastResult: 'number',
  lastErrno: 'string or null',
  operation: 'string',
  firstSeen: 'time',
  lastSeen: 'time',
};

const CONNECTION_COLUMNS: Columns<ConnectionRow> = {
  comm: 'string',
  pid: 'number',
  protocol: 'string',
  direction: 'string',
  local: 'string',
  remote: 'string',
  localPort: 'number',
  remotePort: 'number',
  count: 'number',
  countOverestimate: 'number',
  failures: 'number',
  perSecond1: 'number',
  perSecond10: 'number',
  perSecond60: 'number',
  lastResult: 'number',
  lastErrno: 'string or null',
  firstSeen: 'time',
  lastSeen: 'time',
};

const CGROUP_COLUMNS: Columns<CgroupRow> = {
  cgroupId: 'number',
  path: 'string',
  rxBytesPerSecond: 'number',
  txBytesPerSecond: 'number',
  rxPacketsPerSecond: 'number',
  txPacketsPerSecond: 'number',
  rxBytes: 'number',
  txBytes: 'number',
  execs: 'number',
  opens: 'number',
  connects: 'number',
  thresholdBytesPerSecond: 'number or null',
  lastSeen: 'time',
};

const ALERT_COLUMNS: Columns<Alert> = {
  key: 'string',
  severity: { oneOf: SEVERITY_NAMES },
  source: { oneOf: ['threshold', 'detector', 'loss'] },
  message: 'string',
  first: 'time',
  last: 'time',
  repeats: 'number',
  observed: 'number',
  limit: 'number',
  subjectPid: 'number or absent',
  subjectCgroupId: 'number or absent',
};

const HOOK_MODES = ['preferred', 'fallback', 'unavailable'] as const;

/** A document the screen cannot show; the message names the cell. */
export class SnapshotColumnError extends Error {}

function expected(type: ColumnType): string {
  if (typeof type === 'object') return `one of ${type.oneOf.join(', ')}`;
  switch (type) {
    case 'number':
      return 'a number';
    case 'string':
      return 'a string';
    case 'strings':
      return 'an array of strings';
    case 'number or null':
      return 'a number or null';
    case 'string or null':
      return 'a string or null';
    case 'number or absent':
      return 'a number, or no such column';
    case 'time':
      return 'an ISO 8601 time such as 2026-01-31T12:00:00.000Z';
  }
}

function fits(value: unknown, type: ColumnType): boolean {
  if (typeof type === 'object') return typeof value === 'string' && type.oneOf.includes(value);
  switch (type) {
    case 'number':
      return typeof value === 'number';
    case 'string':
      return typeof value === 'string';
    case 'strings':
      return Array.isArray(value) && value.every((item) => typeof item === 'string');
    case 'number or null':
      return typeof value === 'number' || value === null;
    case 'string or null':
      return typeof value === 'string' || value === null;
    case 'number or absent':
      return typeof value === 'number' || value === undefined;
    case 'time':
      // The file layer checked the document's own time; a row's dates are only flat strings there.
      return typeof value === 'string' && !Number.isNaN(Date.parse(value));
  }
}

/**
 * One document row as the model's row: its columns checked, its dates back to numbers on
 * the wall clock (ms, or ns for an alert's first and last). Columns the model does not
 * know (a newer clawtop's) are kept, in their place, as the detail view shows every one.
 */
function modelRow<Row>(row: SnapshotRow, columns: Columns<Row>, path: string): Row {
  for (const [column, type] of Object.entries(columns) as [string, ColumnType][]) {
    const value = row[column];
    if (!fits(value, type)) {
      const what = value === undefined ? `missing (expected ${expected(type)})` : `expected ${expected(type)}`;
      throw new SnapshotColumnError(`${path}.${column}: ${what}`);
    }
  }
  const converted: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) {
    const name = modelColumnName(column);
    const time = WALL_CLOCK_FIELDS[name];
    converted[name] = time !== undefined && name !== column ? Date.parse(value as string) * time.perMs : value;
  }
  return converted as Row;
}

function paneRows<Row>(document: SnapshotDocument, pane: SnapshotPaneName, columns: Columns<Row>): Row[] {
  return document.panes[pane].map((row, index) => modelRow(row, columns, `panes.${pane}[${index}]`));
}

/** The document as the model's snapshot, taken at the document's time. Throws SnapshotColumnError. */
export function modelSnapshotOf(document: SnapshotDocument): ModelSnapshot {
  document.hooks.forEach((hook, index) => {
    if (!(HOOK_MODES as readonly string[]).includes(hook.mode)) {
      throw new SnapshotColumnError(`hooks[${index}].mode: expected one of ${HOOK_MODES.join(', ')}`);
    }
  });
  return {
    takenMs: Date.parse(document.time),
    processes: paneRows(document, 'processes', PROCESS_COLUMNS),
    commands: paneRows(document, 'commands', COMMAND_COLUMNS),
    files: paneRows(document, 'files', FILE_COLUMNS),
    connections: paneRows(document, 'connections', CONNECTION_COLUMNS),
    cgroups: paneRows(document, 'cgroups', CGROUP_COLUMNS),
    alerts: paneRows(document, 'alerts', ALERT_COLUMNS),
    // What the bounded tables could not keep is not in the document.
    otherCounts: { commands: 0, files: 0, connections: 0 },
  };
}

export interface OpenedSnapshot {
  readonly document: SnapshotDocument;
  readonly snapshot: ModelSnapshot;
}

/**
 * Reads the snapshot file at path for the screen. Throws an Error with one line
 * `failed to read snapshot <path>: <reason>`: the file's own reasons (readSnapshotFile),
 * or the first cell the screen cannot show.
 */
export function openSnapshot(path: string): OpenedSnapshot {
  const document = readSnapshotFile(path);
  try {
    return { document, snapshot: modelSnapshotOf(document) };
  } catch (error) {
    if (error instanceof SnapshotColumnError) {
      throw new Error(`failed to read snapshot ${path}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}
