// What the detail view says about one row: for a process, its arguments, its parent chain,
// its files and its connections; for a cgroup, its traffic and its processes; for the
// others, every field. Pure: sections of plain lines, which the view wraps and scrolls.
import type { Alert } from '../core/alerts.ts';
import type { CgroupRow, ConnectionRow, FileRow, ModelSnapshot, ProcessRow } from '../core/model.ts';
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
import type { AnyRow } from './panes.ts';

export interface DetailSection {
  readonly title: string;
  readonly lines: readonly string[];
}

/** Parent links followed at most: a chain longer than this has a loop the rows made up. */
const MAX_PARENT_CHAIN = 64;
const LABEL_WIDTH = 12;

function field(label: string, value: string): string {
  return `${label.padEnd(LABEL_WIDTH)}${value}`;
}

function processLine(row: ProcessRow): string {
  return `${String(row.pid).padStart(7)}  ${row.comm.padEnd(15)}  ${row.argv.join(' ') || row.filename}`;
}

function exitText(row: ProcessRow): string {
  if (row.state === 'running') return 'running';
  if (row.exitSignal) return `killed by ${signalName(row.exitSignal)}`;
  return row.exitCode === null ? 'exited' : `exited with ${row.exitCode}`;
}

function processDetail(row: ProcessRow, snapshot: ModelSnapshot): DetailSection[] {
  const byPid = new Map(snapshot.processes.map((process) => [process.pid, process]));
  const chain: string[] = [];
  const visited = new Set([row.pid]);
  let parentPid = row.ppid;
  while (parentPid > 0 && chain.length < MAX_PARENT_CHAIN && !visited.has(parentPid)) {
    visited.add(parentPid);
    const parent = byPid.get(parentPid);
    if (parent === undefined) {
      chain.push(`${String(parentPid).padStart(7)}  (not seen)`);
      break;
    }
    chain.push(processLine(parent));
    parentPid = parent.ppid;
  }
  const opener = `${row.comm}[${row.pid}]`;
  const files = snapshot.files.filter((file) => file.processes.includes(opener));
  const connections = snapshot.connections.filter((connection) => connection.pid === row.pid);
  const age = (ms: number) => `${formatAge(snapshot.takenMs - ms)} ago`;
  return [
    {
      title: `Process ${row.pid} ${row.comm}`,
      lines: [
        field('user', `${row.user} (uid ${row.uid})`),
        field('parent', String(row.ppid)),
        field('state', exitText(row)),
        field('runtime', row.runtimeNs === null ? '-' : formatDuration(row.runtimeNs / 1e6)),
        field('filename', row.filename || '-'),
        field('cgroup', row.cgroupPath || '-'),
        field('execs/s', `${formatRate(row.commandExecsPerSecond)} (${row.comm}, over 10 s)`),
        field('seen', `first ${age(row.firstSeenMs)}, last ${age(row.lastSeenMs)}`),
      ],
    },
    { title: 'Arguments', lines: row.argv.length > 0 ? row.argv.map((arg, index) => `[${index}] ${arg}`) : ['(none seen)'] },
    { title: 'Parent chain', lines: chain.length > 0 ? chain : ['(none)'] },
    {
      title: `Files (${files.length})`,
      lines: files.map(
        (file) => `${formatResult(file.lastResult, file.lastErrno).padEnd(8)} ${formatCount(file.opens).padStart(6)}  ${file.path}`,
      ),
    },
    {
      title: `Connections (${connections.length})`,
      lines: connections.map(
        (connection) =>
          `${connection.protocol} ${connection.direction} ${connection.local} -> ${connection.remote}  ` +
          `${formatCount(connection.count)} × ${formatResult(connection.lastResult, connection.lastErrno)}`,
      ),
    },
  ];
}

function cgroupDetail(row: CgroupRow, snapshot: ModelSnapshot): DetailSection[] {
  const processes = snapshot.processes.filter((process) => process.cgroupPath === row.path);
  const threshold = row.thresholdBytesPerSecond;
  return [
    { title: `Cgroup ${row.path}`, lines: [field('id', String(row.cgroupId))] },
    {
      title: 'Traffic',
      lines: [
        field('received', `${formatBytes(row.rxBytesPerSecond)}/s, ${formatRate(row.rxPacketsPerSecond)} packets/s, ${formatBytes(row.rxBytes)} in all`),
        field('sent', `${formatBytes(row.txBytesPerSecond)}/s, ${formatRate(row.txPacketsPerSecond)} packets/s, ${formatBytes(row.txBytes)} in all`),
        field(
          'threshold',
          threshold === null
            ? 'none'
            : `${formatBytes(threshold)}/s each way ${formatThresholdBar(thresholdFraction(Math.max(row.rxBytesPerSecond, row.txBytesPerSecond), threshold))}`,
        ),
        field('activity', `${formatCount(row.execs)} execs, ${formatCount(row.opens)} opens, ${formatCount(row.connects)} connects`),
      ],
    },
    { title: `Processes (${processes.length})`, lines: processes.map(processLine) },
  ];
}

const TIME_FIELDS: Readonly<Record<string, number>> = { firstSeenMs: 1, lastSeenMs: 1, firstNs: 1e6, lastNs: 1e6 };

function valueText(key: string, value: unknown, takenMs: number): string {
  const perMs = TIME_FIELDS[key];
  if (perMs !== undefined && typeof value === 'number') return `${formatAge(takenMs - value / perMs)} ago`;
  if (Array.isArray(value)) return value.length > 0 ? value.join(', ') : '-';
  if (typeof value === 'number' && !Number.isInteger(value)) return value.toFixed(2);
  return value === null || value === undefined ? '-' : String(value);
}

/** Every field of the row, by its property name (the names filters and snapshot files use). */
function fieldsDetail(title: string, row: object, takenMs: number): DetailSection[] {
  const width = Math.max(...Object.keys(row).map((key) => key.length)) + 2;
  return [
    {
      title,
      lines: Object.entries(row).map(([key, value]) => `${key.padEnd(width)}${valueText(key, value, takenMs)}`),
    },
  ];
}

export function detailSections(pane: PaneName, row: AnyRow, snapshot: ModelSnapshot): DetailSection[] {
  switch (pane) {
    case 'processes':
      return processDetail(row as ProcessRow, snapshot);
    case 'cgroups':
      return cgroupDetail(row as CgroupRow, snapshot);
    case 'files':
      return fieldsDetail(`File ${(row as FileRow).path}`, row, snapshot.takenMs);
    case 'connections': {
      const connection = row as ConnectionRow;
      return fieldsDetail(`Connection ${connection.comm} -> ${connection.remote}`, row, snapshot.takenMs);
    }
    case 'alerts':
      return fieldsDetail(`Alert ${(row as Alert).key}`, row, snapshot.takenMs);
  }
}

/** The sections as lines: a title, its lines indented, a blank line between sections. */
export function detailLines(sections: readonly DetailSection[]): string[] {
  return sections.flatMap((section, index) => [
    ...(index > 0 ? [''] : []),
    section.title,
    ...(section.lines.length > 0 ? section.lines.map((line) => `  ${line}`) : ['  (none)']),
  ]);
}
