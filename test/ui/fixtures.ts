// A snapshot with a few rows in every pane, the header that goes with it, and a fake
// controller that serves them and records what the screen asks of it.
import type { Alert } from '../../src/core/alerts.ts';
import { describeFilter, FilterError } from '../../src/core/filter.ts';
import type { CgroupRow, ConnectionRow, FileRow, ModelSnapshot, ProcessRow } from '../../src/core/model.ts';
import type { MonitorName } from '../../src/core/native.ts';
import { buildSnapshotDocument, compilePaneFilters } from '../../src/core/snapshot-document.ts';
import type { SnapshotDocument, SnapshotSort } from '../../src/core/snapshot-file.ts';
import type {
  FilterResult,
  HeaderInfo,
  MonitorStatus,
  PaneName,
  UiController,
  ViewState,
} from '../../src/ui/controller.ts';

/** The snapshot's CLOCK_MONOTONIC time, in ms; rows are dated before it. */
export const TAKEN_MS = 5_000_000;
const secondsAgo = (seconds: number) => TAKEN_MS - seconds * 1000;

function processRow(fields: Partial<ProcessRow> & Pick<ProcessRow, 'pid' | 'ppid' | 'comm'>): ProcessRow {
  return {
    uid: 0,
    user: 'root',
    filename: `/usr/bin/${fields.comm}`,
    argv: [fields.comm],
    cgroupPath: '/system.slice',
    state: 'running',
    exitCode: null,
    exitSignal: null,
    runtimeNs: null,
    commandExecsPerSecond: 0,
    firstSeenMs: secondsAgo(600),
    lastSeenMs: secondsAgo(600),
    ...fields,
  };
}

export const PROCESSES: readonly ProcessRow[] = [
  processRow({ pid: 1, ppid: 0, comm: 'systemd', filename: '/sbin/init', argv: ['/sbin/init'], cgroupPath: '/init.scope' }),
  processRow({
    pid: 812,
    ppid: 1,
    comm: 'sshd',
    filename: '/usr/sbin/sshd',
    argv: ['sshd: /usr/sbin/sshd -D [listener]'],
    cgroupPath: '/system.slice/ssh.service',
  }),
  processRow({
    pid: 4100,
    ppid: 812,
    uid: 1000,
    user: 'alice',
    comm: 'bash',
    filename: '/usr/bin/bash',
    argv: ['-bash'],
    cgroupPath: '/user.slice/user-1000.slice/session-3.scope',
  }),
  processRow({
    pid: 4242,
    ppid: 4100,
    uid: 1000,
    user: 'alice',
    comm: 'curl',
    argv: ['curl', '-sS', 'https://example.com/status'],
    cgroupPath: '/user.slice/user-1000.slice/session-3.scope',
    state: 'exited',
    exitCode: 7,
    exitSignal: 0,
    runtimeNs: 1_234_000_000,
    commandExecsPerSecond: 0.4,
    firstSeenMs: secondsAgo(12),
    lastSeenMs: secondsAgo(11),
  }),
  processRow({
    pid: 4300,
    ppid: 1,
    uid: 33,
    user: 'www-data',
    comm: 'nginx',
    argv: ['nginx: worker process'],
    cgroupPath: '/system.slice/nginx.service',
    commandExecsPerSecond: 0,
  }),
  processRow({
    pid: 4301,
    ppid: 4100,
    uid: 1000,
    user: 'alice',
    comm: 'sleep',
    argv: ['sleep', '600'],
    cgroupPath: '/user.slice/user-1000.slice/session-3.scope',
    state: 'exited',
    exitCode: 0,
    exitSignal: 9,
    runtimeNs: 65_000_000_000,
    commandExecsPerSecond: 12.5,
    firstSeenMs: secondsAgo(70),
    lastSeenMs: secondsAgo(5),
  }),
];

function fileRow(fields: Partial<FileRow> & Pick<FileRow, 'path'>): FileRow {
  return {
    opens: 1,
    opensOverestimate: 0,
    failures: 0,
    opensPerSecond1: 0,
    opensPerSecond10: 0,
    opensPerSecond60: 0,
    processes: [],
    lastResult: 3,
    lastErrno: null,
    operation: 'read',
    firstSeenMs: secondsAgo(30),
    lastSeenMs: secondsAgo(2),
    ...fields,
  };
}

export const FILES: readonly FileRow[] = [
  fileRow({ path: '/etc/hosts', opens: 12, opensPerSecond10: 0.4, processes: ['curl[4242]', 'bash[4100]'] }),
  fileRow({ path: '/etc/ssl/certs/ca-certificates.crt', opens: 3, opensPerSecond10: 0.3, processes: ['curl[4242]'] }),
  fileRow({
    path: '/var/log/nginx/access.log',
    opens: 15_300,
    opensPerSecond10: 340,
    processes: ['nginx[4300]'],
    operation: 'append',
  }),
  fileRow({
    path: '/home/alice/.config/missing.yaml',
    opens: 5,
    failures: 5,
    opensPerSecond10: 0.5,
    processes: ['bash[4100]'],
    lastResult: -2,
    lastErrno: 'ENOENT',
  }),
];

function connectionRow(fields: Partial<ConnectionRow> & Pick<ConnectionRow, 'comm' | 'pid' | 'remote'>): ConnectionRow {
  return {
    protocol: 'tcp',
    direction: 'outbound',
    local: '10.0.2.15',
    localPort: 0,
    remotePort: 443,
    count: 1,
    countOverestimate: 0,
    failures: 0,
    perSecond1: 0,
    perSecond10: 0.1,
    perSecond60: 0,
    lastResult: 0,
    lastErrno: null,
    firstSeenMs: secondsAgo(11),
    lastSeenMs: secondsAgo(11),
    ...fields,
  };
}

export const CONNECTIONS: readonly ConnectionRow[] = [
  connectionRow({ comm: 'curl', pid: 4242, remote: '93.184.216.34:443' }),
  connectionRow({
    comm: 'curl',
    pid: 4242,
    remote: '[2606:2800:220:1::1]:443',
    local: '[fd00::15]',
    failures: 1,
    lastResult: -111,
    lastErrno: 'ECONNREFUSED',
  }),
  connectionRow({
    comm: 'nginx',
    pid: 4300,
    direction: 'inbound',
    local: '0.0.0.0:80',
    localPort: 80,
    remote: '10.0.2.2',
    remotePort: 0,
    count: 40,
    perSecond10: 4,
    lastSeenMs: secondsAgo(1),
  }),
];

function cgroupRow(fields: Partial<CgroupRow> & Pick<CgroupRow, 'cgroupId' | 'path'>): CgroupRow {
  return {
    rxBytesPerSecond: 0,
    txBytesPerSecond: 0,
    rxPacketsPerSecond: 0,
    txPacketsPerSecond: 0,
    rxBytes: 0,
    txBytes: 0,
    execs: 0,
    opens: 0,
    connects: 0,
    thresholdBytesPerSecond: null,
    lastSeenMs: secondsAgo(1),
    ...fields,
  };
}

export const CGROUPS: readonly CgroupRow[] = [
  cgroupRow({
    cgroupId: 10,
    path: '/system.slice/nginx.service',
    rxBytesPerSecond: 1_258_291,
    txBytesPerSecond: 49_152,
    rxPacketsPerSecond: 850,
    txPacketsPerSecond: 420,
    rxBytes: 734_003_200,
    txBytes: 52_428_800,
    opens: 15_300,
    connects: 40,
    thresholdBytesPerSecond: 2_621_440,
  }),
  cgroupRow({
    cgroupId: 11,
    path: '/user.slice/user-1000.slice/session-3.scope',
    rxBytesPerSecond: 2048,
    txBytesPerSecond: 512,
    rxPacketsPerSecond: 3,
    txPacketsPerSecond: 2.5,
    execs: 3,
    opens: 20,
    connects: 2,
  }),
  cgroupRow({ cgroupId: 12, path: '/system.slice/ssh.service', rxBytesPerSecond: 300, txBytesPerSecond: 900, execs: 1 }),
];

export const ALERTS: readonly Alert[] = [
  {
    key: 'cgroup-bytes:10',
    severity: 'high',
    source: 'threshold',
    message: 'cgroup /system.slice/nginx.service rx 3.1 MB/s, over its threshold of 2.5 MB/s',
    firstNs: secondsAgo(40) * 1e6,
    lastNs: secondsAgo(5) * 1e6,
    repeats: 2,
    observed: 3_250_000,
    limit: 2_621_440,
    subjectCgroupId: 10,
  },
  {
    key: 'host-opens',
    severity: 'medium',
    source: 'detector',
    message: 'host opens 340/s, 4.2 deviations above its baseline of 120/s',
    firstNs: secondsAgo(150) * 1e6,
    lastNs: secondsAgo(150) * 1e6,
    repeats: 0,
    observed: 340,
    limit: 200,
  },
];

export const SNAPSHOT: ModelSnapshot = {
  takenMs: TAKEN_MS,
  processes: PROCESSES,
  commands: [],
  files: FILES,
  connections: CONNECTIONS,
  cgroups: CGROUPS,
  alerts: ALERTS,
  otherCounts: { commands: 0, files: 0, connections: 0 },
};

export const EMPTY_SNAPSHOT: ModelSnapshot = {
  ...SNAPSHOT,
  processes: [],
  files: [],
  connections: [],
  cgroups: [],
  alerts: [],
};

export const MONITORS: readonly MonitorStatus[] = [
  { monitor: 'exec', hook: 'tp_btf/sched_process_{exec,exit}', mode: 'preferred', attached: true, note: null, switchable: false },
  {
    monitor: 'files',
    hook: 'tracepoint/syscalls/sys_exit_openat',
    mode: 'fallback',
    attached: true,
    note: 'no BPF LSM; attached while Files is shown',
    switchable: true,
  },
  {
    monitor: 'net',
    hook: 'cgroup/connect{4,6} + tp_btf/inet_sock_set_state',
    mode: 'fallback',
    attached: true,
    note: 'no BPF LSM',
    switchable: true,
  },
  { monitor: 'cgroup', hook: 'cgroup_skb/{ingress,egress}', mode: 'preferred', attached: true, note: null, switchable: true },
];

export const HEADER: HeaderInfo = {
  host: 'testhost',
  kernel: '6.1.0-18-amd64',
  uptimeSeconds: 3 * 86_400 + 4 * 3600 + 12 * 60,
  eventsPerSecond: [
    { monitor: 'exec', perSecond: 12.5 },
    { monitor: 'files', perSecond: 340 },
    { monitor: 'net', perSecond: 3 },
  ],
  dropped: 0,
  ringFillRatio: 0.03,
  monitors: MONITORS,
};

/** When the fixtures' snapshot file was taken: TAKEN_MS on the wall clock. */
export const DOCUMENT_TIME = '2026-11-25T01:46:00.000Z';
/** From the fixtures' monotonic clock to the wall clock of their snapshot file. */
export const WALL_CLOCK_OFFSET_MS = Date.parse(DOCUMENT_TIME) - TAKEN_MS;

/**
 * The fixtures as a snapshot file holds them, as W writes it: taken on testhost at
 * DOCUMENT_TIME after 30 s of watching, with 12 file events dropped, sorted as sort says.
 */
export function snapshotDocument(snapshot: ModelSnapshot = SNAPSHOT, sort: readonly SnapshotSort[] = []): SnapshotDocument {
  const document = buildSnapshotDocument(snapshot, {
    report: {
      hooks: MONITORS.map(({ monitor, hook, mode, attached, note }) => ({
        monitor: monitor as MonitorName,
        hook,
        mode,
        attached,
        reason: note,
      })),
      features: [],
    },
    totals: [
      { kind: 'exec', emitted: 375, dropped: 0, received: 375 },
      { kind: 'file', emitted: 10_200, dropped: 12, received: 10_188 },
      { kind: 'net', emitted: 90, dropped: 0, received: 90 },
    ],
    filters: compilePaneFilters(''),
    sort,
    durationSeconds: 30,
    toWallClockMs: (monotonicMs) => monotonicMs + WALL_CLOCK_OFFSET_MS,
    now: new Date(DOCUMENT_TIME),
  });
  return { ...document, host: 'testhost', kernel: '6.1.0-18-amd64', uptimeSeconds: HEADER.uptimeSeconds };
}

/** Serves fixtures, and records every call the screen makes, in order. */
export class FakeController implements UiController {
  readonly calls: string[] = [];
  paused = false;
  snapshotPath = '/tmp/clawtop-snapshot.json';
  snapshotError: string | null = null;
  toggleError: string | null = null;
  lastView: ViewState | null = null;
  initialFilter: string | undefined;
  private snapshot: ModelSnapshot;
  private info: HeaderInfo;
  private readonly listeners = new Set<(snapshot: ModelSnapshot) => void>();

  constructor(snapshot: ModelSnapshot = SNAPSHOT, info: HeaderInfo = HEADER) {
    this.snapshot = snapshot;
    this.info = info;
  }

  /** As the core does, at most 30 times a second. */
  publish(snapshot: ModelSnapshot): void {
    this.snapshot = snapshot;
    for (const listener of this.listeners) listener(snapshot);
  }

  current(): ModelSnapshot {
    return this.snapshot;
  }

  subscribe(listener: (snapshot: ModelSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  header(): HeaderInfo {
    return this.info;
  }

  /** What header() says from now on, as the live one's once-a-second figures. */
  setHeader(info: HeaderInfo): void {
    this.info = info;
  }

  pause(): void {
    this.calls.push('pause');
    this.paused = true;
  }

  resume(): void {
    this.calls.push('resume');
    this.paused = false;
  }

  applyFilter(text: string): FilterResult {
    this.calls.push(`applyFilter ${text}`);
    try {
      const filters = compilePaneFilters(text);
      return { ok: true, filters, description: describeFilter(filters.processes) };
    } catch (error) {
      if (error instanceof FilterError) return { ok: false, error: error.message };
      throw error;
    }
  }

  showPane(pane: PaneName): void {
    this.calls.push(`showPane ${pane}`);
  }

  writeSnapshot(view: ViewState): string {
    this.calls.push('writeSnapshot');
    this.lastView = view;
    if (this.snapshotError !== null) throw new Error(this.snapshotError);
    return this.snapshotPath;
  }

  toggleMonitor(monitor: string): void {
    this.calls.push(`toggleMonitor ${monitor}`);
    if (this.toggleError !== null) throw new Error(this.toggleError);
    this.info = {
      ...this.info,
      monitors: this.info.monitors.map((status) =>
        status.monitor === monitor ? { ...status, attached: !status.attached } : status,
      ),
    };
  }

  clear(): void {
    this.calls.push('clear');
    this.publish(EMPTY_SNAPSHOT);
  }
}
