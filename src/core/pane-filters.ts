// What each filter field means on each pane's rows and on streamed events: one filter
// text applies to every pane, and a row that lacks a field fails that field's terms.
import type { Alert } from './alerts.ts';
import type { ClawtopEvent } from './decode.ts';
import type { FilterAccess, RowFieldName } from './filter.ts';
import type { CgroupRow, CommandRow, ConnectionRow, FileRow, ProcessRow } from './model.ts';

type FieldReader<Row> = Partial<Record<RowFieldName, (row: Row) => string | number | undefined>>;

/** The row text free-text terms search is built once per row object, not per match. */
function accessOf<Row extends object>(fields: FieldReader<Row>, text: (row: Row) => string): FilterAccess<Row> {
  const texts = new WeakMap<Row, string>();
  return {
    field: (row, name) => fields[name]?.(row),
    text: (row) => {
      let cached = texts.get(row);
      if (cached === undefined) {
        cached = text(row);
        texts.set(row, cached);
      }
      return cached;
    },
  };
}

export const processFilterAccess = accessOf<ProcessRow>(
  {
    comm: (row) => row.comm,
    pid: (row) => row.pid,
    ppid: (row) => row.ppid,
    uid: (row) => row.uid,
    user: (row) => row.user,
    argv: (row) => row.argv.join(' '),
    filename: (row) => row.filename,
    exit: (row) => row.exitCode ?? undefined,
    cgroup: (row) => row.cgroupPath,
    kind: () => 'process',
  },
  (row) => `${row.pid} ${row.user} ${row.comm} ${row.argv.join(' ')} ${row.cgroupPath}`,
);

export const commandFilterAccess = accessOf<CommandRow>(
  { comm: (row) => row.comm, argv: (row) => row.lastArgv.join(' '), kind: () => 'command' },
  (row) => `${row.comm} ${row.lastArgv.join(' ')}`,
);

export const fileFilterAccess = accessOf<FileRow>(
  {
    path: (row) => row.path,
    op: (row) => row.operation,
    result: (row) => row.lastResult,
    errno: (row) => row.lastErrno ?? undefined,
    kind: () => 'file',
  },
  (row) => `${row.path} ${row.operation} ${row.lastErrno ?? ''} ${row.processes.join(' ')}`,
);

export const connectionFilterAccess = accessOf<ConnectionRow>(
  {
    comm: (row) => row.comm,
    pid: (row) => row.pid,
    proto: (row) => row.protocol,
    dir: (row) => row.direction,
    src: (row) => row.local,
    dst: (row) => row.remote,
    sport: (row) => row.localPort || undefined,
    dport: (row) => row.remotePort || undefined,
    result: (row) => row.lastResult,
    errno: (row) => row.lastErrno ?? undefined,
    kind: () => 'connection',
  },
  (row) => `${row.comm} ${row.protocol} ${row.direction} ${row.local} ${row.remote} ${row.lastErrno ?? ''}`,
);

export const cgroupFilterAccess = accessOf<CgroupRow>(
  { cgroup: (row) => row.path, kind: () => 'cgroup' },
  (row) => row.path,
);

export const alertFilterAccess = accessOf<Alert>(
  {
    severity: (row) => row.severity,
    pid: (row) => row.subjectPid,
    kind: () => 'alert',
  },
  (row) => `${row.severity} ${row.message}`,
);

/** Streamed events: the fields each kind has. */
export function eventFilterAccess(cgroupPath: (cgroupId: number) => string | undefined): FilterAccess<ClawtopEvent> {
  const common: FieldReader<ClawtopEvent> = {
    kind: (event) => event.kind,
    comm: (event) => event.comm,
    pid: (event) => event.tgid || undefined,
    ppid: (event) => event.ppid,
    uid: (event) => event.uid,
    cgroup: (event) => cgroupPath(event.cgroupId),
  };
  const byKind: FieldReader<ClawtopEvent> = {
    argv: (event) => (event.kind === 'exec' ? event.argv.join(' ') : undefined),
    filename: (event) => (event.kind === 'exec' ? event.filename : undefined),
    exit: (event) => (event.kind === 'exit' ? event.exitCode : undefined),
    path: (event) => (event.kind === 'file' || event.kind === 'syscall' ? event.path : undefined),
    op: (event) => (event.kind === 'file' ? event.operation : undefined),
    result: (event) =>
      event.kind === 'file' || event.kind === 'net' ? event.result : event.kind === 'syscall' ? event.ret : undefined,
    errno: (event) =>
      (event.kind === 'file' || event.kind === 'net' || event.kind === 'syscall' ? event.errno : undefined) ??
      undefined,
    proto: (event) => (event.kind === 'net' ? event.protocol : undefined),
    dir: (event) => (event.kind === 'net' ? event.direction : undefined),
    src: (event) => (event.kind === 'net' ? event.sourceAddress : undefined),
    dst: (event) => (event.kind === 'net' ? event.destinationAddress : undefined),
    sport: (event) => (event.kind === 'net' ? event.sourcePort : undefined),
    dport: (event) => (event.kind === 'net' ? event.destinationPort : undefined),
    severity: (event) => (event.kind === 'anomaly' ? event.severity : undefined),
  };
  return accessOf<ClawtopEvent>({ ...common, ...byKind }, (event) => Object.values(event).join(' '));
}

