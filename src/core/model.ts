// The model behind every pane: bounded tables fed by decoded events and by the cgroup
// traffic sampler, with rolling rates, and the alerts found in them. It counts all the
// time; views read the immutable snapshots it publishes (snapshot()).
import { AlertLog, EwmaDetector, ThresholdRules, type Alert } from './alerts.ts';
import { CgroupTrafficSampler, type CgroupTrafficEvent } from './cgroup-traffic.ts';
import type { ClawtopEvent, ExecEvent, ExitEvent, FileEvent, NetEvent } from './decode.ts';
import type { CgroupTrafficTotals } from './native.ts';
import type { ProcessInfo } from './procinfo.ts';
import { RollingCounter } from './rolling-counter.ts';
import { TopK } from './top-k.ts';

export interface ModelCapacity {
  readonly processes: number;
  readonly commands: number;
  readonly files: number;
  readonly connections: number;
  readonly cgroups: number;
}

export const DEFAULT_CAPACITY: ModelCapacity = {
  processes: 2000,
  commands: 1000,
  files: 2000,
  connections: 2000,
  cgroups: 1000,
};

/** How many processes a file row names; the rest are only counted. */
const PROCESSES_PER_FILE = 5;
const NO_PROCESSES: readonly string[] = Object.freeze([]);
const NS_PER_MS = 1e6;

export interface ProcessRow {
  readonly pid: number;
  readonly ppid: number;
  readonly uid: number;
  readonly user: string;
  readonly comm: string;
  readonly filename: string;
  readonly argv: readonly string[];
  readonly cgroupPath: string;
  readonly state: 'running' | 'exited';
  readonly exitCode: number | null;
  readonly exitSignal: number | null;
  readonly runtimeNs: number | null;
  /** Execs per second of this process's command over the last 10 s. */
  readonly commandExecsPerSecond: number;
  readonly firstSeenMs: number;
  readonly lastSeenMs: number;
}

export interface CommandRow {
  readonly comm: string;
  readonly execs: number;
  /** execs may exceed the true count by up to this (it took over an evicted row's count). */
  readonly execsOverestimate: number;
  readonly exits: number;
  readonly failedExits: number;
  readonly execsPerSecond1: number;
  readonly execsPerSecond10: number;
  readonly execsPerSecond60: number;
  readonly lastArgv: readonly string[];
  readonly firstSeenMs: number;
  readonly lastSeenMs: number;
}

export interface FileRow {
  readonly path: string;
  readonly opens: number;
  /** opens may exceed the true count by up to this (it took over an evicted row's count). */
  readonly opensOverestimate: number;
  readonly failures: number;
  readonly opensPerSecond1: number;
  readonly opensPerSecond10: number;
  readonly opensPerSecond60: number;
  /** "comm[pid]" of the last few processes that opened it. */
  readonly processes: readonly string[];
  readonly lastResult: number;
  readonly lastErrno: string | null;
  readonly operation: string;
  readonly firstSeenMs: number;
  readonly lastSeenMs: number;
}

export interface ConnectionRow {
  readonly comm: string;
  readonly pid: number;
  readonly protocol: string;
  readonly direction: string;
  readonly local: string;
  readonly remote: string;
  /** 0 where the row gathers many ports (the ephemeral end of its connections). */
  readonly localPort: number;
  readonly remotePort: number;
  readonly count: number;
  /** count may exceed the true count by up to this (it took over an evicted row's count). */
  readonly countOverestimate: number;
  readonly failures: number;
  readonly perSecond1: number;
  readonly perSecond10: number;
  readonly perSecond60: number;
  readonly lastResult: number;
  readonly lastErrno: string | null;
  readonly firstSeenMs: number;
  readonly lastSeenMs: number;
}

export interface CgroupRow {
  readonly cgroupId: number;
  readonly path: string;
  readonly rxBytesPerSecond: number;
  readonly txBytesPerSecond: number;
  readonly rxPacketsPerSecond: number;
  readonly txPacketsPerSecond: number;
  readonly rxBytes: number;
  readonly txBytes: number;
  readonly execs: number;
  readonly opens: number;
  readonly connects: number;
  readonly thresholdBytesPerSecond: number | null;
  readonly lastSeenMs: number;
}

export interface ModelSnapshot {
  /** Monotonic milliseconds (CLOCK_MONOTONIC) when it was taken. */
  readonly takenMs: number;
  readonly processes: readonly ProcessRow[];
  readonly commands: readonly CommandRow[];
  readonly files: readonly FileRow[];
  readonly connections: readonly ConnectionRow[];
  readonly cgroups: readonly CgroupRow[];
  readonly alerts: readonly Alert[];
  /** Events the bounded tables could not keep a row for, per table. */
  readonly otherCounts: { readonly commands: number; readonly files: number; readonly connections: number };
}

interface ProcessState {
  pid: number;
  ppid: number;
  uid: number;
  comm: string;
  filename: string;
  argv: readonly string[];
  cgroupId: number | null;
  cgroupPath: string | undefined;
  state: 'running' | 'exited';
  exitCode: number | null;
  exitSignal: number | null;
  runtimeNs: number | null;
  firstSeenMs: number;
  lastSeenMs: number;
}

interface CommandState {
  comm: string;
  exits: number;
  failedExits: number;
  readonly execs: RollingCounter;
  lastArgv: readonly string[];
  firstSeenMs: number;
  lastSeenMs: number;
}

interface FileState {
  path: string;
  failures: number;
  readonly opens: RollingCounter;
  /**
   * "comm[pid]" of the last few processes that opened it, the last first. Snapshots share
   * the array: it is replaced, never changed.
   */
  processes: readonly string[];
  /** The comm and pid of processes[0]. */
  lastOpenerComm: string;
  lastOpenerPid: number;
  lastResult: number;
  lastErrno: string | null;
  operation: string;
  firstSeenMs: number;
  lastSeenMs: number;
}

interface ConnectionState {
  comm: string;
  pid: number;
  protocol: string;
  direction: string;
  local: string;
  remote: string;
  localPort: number;
  remotePort: number;
  failures: number;
  readonly connects: RollingCounter;
  lastResult: number;
  lastErrno: string | null;
  firstSeenMs: number;
  lastSeenMs: number;
}

interface CgroupState {
  cgroupId: number;
  rates: { rxBytes: number; txBytes: number; rxPackets: number; txPackets: number };
  totals: { rxBytes: number; txBytes: number };
  execs: number;
  opens: number;
  connects: number;
  lastSeenMs: number;
}

export interface ModelOptions {
  readonly capacity?: Partial<ModelCapacity>;
  readonly userName?: (uid: number) => string;
  readonly cgroupPath?: (cgroupId: number) => string | undefined;
}

function endpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

export class Model {
  private readonly capacity: ModelCapacity;
  private readonly userName: (uid: number) => string;
  private readonly cgroupPath: (cgroupId: number) => string | undefined;
  /** Least recently seen first: a Map keeps insertion order, and a touch re-inserts. */
  private readonly processes = new Map<number, ProcessState>();
  private commands: TopK<CommandState>;
  private files: TopK<FileState>;
  private connections: TopK<ConnectionState>;
  private readonly cgroups = new Map<number, CgroupState>();
  private readonly trafficSampler: CgroupTrafficSampler;
  private alertLog = new AlertLog();
  private readonly detector = new EwmaDetector();
  readonly thresholds = new ThresholdRules();
  /** Counts of the current second, turned into per-second series by tick(). */
  private secondExecsByCgroup = new Map<number, number>();
  private secondFailedOpensByPid = new Map<number, { comm: string; count: number }>();
  private secondTotals = { execs: 0, opens: 0, connects: 0 };
  private lastOpener = { comm: '', pid: -1, name: '' };

  constructor(options: ModelOptions = {}) {
    this.capacity = { ...DEFAULT_CAPACITY, ...options.capacity };
    this.userName = options.userName ?? String;
    this.cgroupPath = options.cgroupPath ?? (() => undefined);
    this.commands = new TopK(this.capacity.commands);
    this.files = new TopK(this.capacity.files);
    this.connections = new TopK(this.capacity.connections);
    this.trafficSampler = new CgroupTrafficSampler(this.cgroupPath);
  }

  /**
   * Forgets the rows of every table and the alerts (the c key); processes still running
   * stay, exited ones go. Thresholds, detectors and cgroup traffic baselines are kept.
   */
  clear(): void {
    this.commands = new TopK(this.capacity.commands);
    this.files = new TopK(this.capacity.files);
    this.connections = new TopK(this.capacity.connections);
    this.alertLog = new AlertLog();
    for (const [pid, state] of this.processes) if (state.state === 'exited') this.processes.delete(pid);
  }

  /** The processes running when clawtop starts. */
  seedProcesses(processes: readonly ProcessInfo[], nowMs: number): void {
    for (const info of processes) {
      this.rememberProcess({
        pid: info.pid,
        ppid: info.ppid,
        uid: info.uid,
        comm: info.comm,
        filename: info.argv[0] ?? '',
        argv: info.argv,
        cgroupId: null,
        cgroupPath: info.cgroupPath,
        state: 'running',
        exitCode: null,
        exitSignal: null,
        runtimeNs: null,
        firstSeenMs: nowMs,
        lastSeenMs: nowMs,
      });
    }
  }

  /**
   * One decoded event; nowSecond is the integer monotonic second it arrived in. Keeps its
   * strings and arrays, never the event object: the engine hands every file event in one.
   */
  ingest(event: ClawtopEvent, nowSecond: number): void {
    switch (event.kind) {
      case 'exec':
        return this.ingestExec(event, nowSecond);
      case 'exit':
        return this.ingestExit(event);
      case 'file':
        return this.ingestFile(event, nowSecond);
      case 'net':
        return this.ingestNet(event, nowSecond);
      case 'cgroup':
      case 'anomaly':
      case 'syscall':
        return undefined;
    }
  }

  private rememberProcess(state: ProcessState): void {
    this.processes.delete(state.pid);
    this.processes.set(state.pid, state);
    if (this.processes.size > this.capacity.processes) {
      this.processes.delete(this.processes.keys().next().value!);
    }
  }

  private ingestExec(event: ExecEvent, nowSecond: number): void {
    const seenMs = event.timestampNs / NS_PER_MS;
    const previous = this.processes.get(event.tgid);
    this.rememberProcess({
      pid: event.tgid,
      ppid: event.ppid,
      uid: event.uid,
      comm: event.comm,
      filename: event.filename,
      argv: event.argv,
      cgroupId: event.cgroupId,
      cgroupPath: undefined,
      state: 'running',
      exitCode: null,
      exitSignal: null,
      runtimeNs: null,
      firstSeenMs: previous?.firstSeenMs ?? seenMs,
      lastSeenMs: seenMs,
    });
    const command = this.commands.touch(event.comm) ?? this.insertCommand(event, seenMs);
    command.execs.add(nowSecond);
    command.lastArgv = event.argv;
    command.lastSeenMs = seenMs;
    this.cgroupState(event.cgroupId, seenMs).execs++;
    this.secondExecsByCgroup.set(event.cgroupId, (this.secondExecsByCgroup.get(event.cgroupId) ?? 0) + 1);
    this.secondTotals.execs++;
  }

  private insertCommand(event: ExecEvent, seenMs: number): CommandState {
    return this.commands.insert(event.comm, (recycled) => {
      const fresh = recycled ?? { execs: new RollingCounter() };
      fresh.execs.reset();
      return Object.assign(fresh, {
        comm: event.comm,
        exits: 0,
        failedExits: 0,
        lastArgv: [],
        firstSeenMs: seenMs,
        lastSeenMs: seenMs,
      });
    });
  }

  private ingestExit(event: ExitEvent): void {
    const seenMs = event.timestampNs / NS_PER_MS;
    const process = this.processes.get(event.tgid);
    const state: ProcessState = process ?? {
      pid: event.tgid,
      ppid: event.ppid,
      uid: event.uid,
      comm: event.comm,
      filename: '',
      argv: [],
      cgroupId: event.cgroupId,
      cgroupPath: undefined,
      state: 'exited',
      exitCode: null,
      exitSignal: null,
      runtimeNs: null,
      firstSeenMs: seenMs,
      lastSeenMs: seenMs,
    };
    state.state = 'exited';
    state.exitCode = event.exitCode;
    state.exitSignal = event.exitSignal;
    state.runtimeNs = event.runtimeNs;
    state.lastSeenMs = seenMs;
    this.rememberProcess(state);
    // Only commands already seen to exec: a process that never exec'd is its parent's command.
    const command = this.commands.get(event.comm);
    if (command) {
      command.exits++;
      if (event.exitCode !== 0 || event.exitSignal !== 0) command.failedExits++;
    }
  }

  private ingestFile(event: FileEvent, nowSecond: number): void {
    const seenMs = event.timestampNs / NS_PER_MS;
    const opens = event.count;
    const file = this.files.touch(event.path, opens) ?? this.insertFile(event, seenMs, opens);
    file.opens.add(nowSecond, opens);
    file.lastResult = event.result;
    file.lastErrno = event.errno;
    file.operation = event.operation;
    file.lastSeenMs = seenMs;
    // Only when the opener changes: most opens are by the same process again.
    if (event.tgid !== file.lastOpenerPid || event.comm !== file.lastOpenerComm) {
      file.processes = withFirst(file.processes, this.openerName(event.comm, event.tgid), PROCESSES_PER_FILE);
      file.lastOpenerComm = event.comm;
      file.lastOpenerPid = event.tgid;
    }
    this.cgroupState(event.cgroupId, seenMs).opens += opens;
    this.secondTotals.opens += opens;
    if (event.result < 0) {
      file.failures += opens;
      const failed = this.secondFailedOpensByPid.get(event.tgid);
      if (failed) failed.count += opens;
      else this.secondFailedOpensByPid.set(event.tgid, { comm: event.comm, count: opens });
    }
  }

  private insertFile(event: FileEvent, seenMs: number, opens: number): FileState {
    return this.files.insert(event.path, (recycled) => {
      const fresh = recycled ?? { opens: new RollingCounter() };
      fresh.opens.reset();
      return Object.assign(fresh, {
        path: event.path,
        failures: 0,
        processes: NO_PROCESSES,
        lastOpenerComm: '',
        lastOpenerPid: -1,
        lastResult: 0,
        lastErrno: null,
        operation: event.operation,
        firstSeenMs: seenMs,
        lastSeenMs: seenMs,
      });
    }, opens);
  }

  /** "comm[pid]", the same string again while the same process keeps opening new paths. */
  private openerName(comm: string, pid: number): string {
    if (comm !== this.lastOpener.comm || pid !== this.lastOpener.pid) {
      this.lastOpener = { comm, pid, name: `${comm}[${pid}]` };
    }
    return this.lastOpener.name;
  }

  private ingestNet(event: NetEvent, nowSecond: number): void {
    const seenMs = event.timestampNs / NS_PER_MS;
    const local = endpoint(event.sourceAddress, event.sourcePort);
    const remote = endpoint(event.destinationAddress, event.destinationPort);
    // Outbound: one row per remote endpoint (local ports are ephemeral); inbound: per local
    // endpoint and remote address (remote ports are ephemeral).
    const key =
      event.direction === 'inbound'
        ? `${event.comm}|${event.protocol}|in|${local}|${event.destinationAddress}`
        : `${event.comm}|${event.protocol}|${event.direction}|${remote}`;
    const connection = this.connections.touch(key) ?? this.insertConnection(key, event, local, remote, seenMs);
    connection.connects.add(nowSecond);
    connection.pid = event.tgid;
    if (event.direction !== 'inbound' && connection.local !== local) {
      connection.local = local;
      connection.localPort = 0;
    }
    connection.lastResult = event.result;
    connection.lastErrno = event.errno;
    connection.lastSeenMs = seenMs;
    if (event.result < 0) connection.failures++;
    this.cgroupState(event.cgroupId, seenMs).connects++;
    this.secondTotals.connects++;
  }

  private insertConnection(key: string, event: NetEvent, local: string, remote: string, seenMs: number): ConnectionState {
    return this.connections.insert(key, (recycled) => {
      const fresh = recycled ?? { connects: new RollingCounter() };
      fresh.connects.reset();
      return Object.assign(fresh, {
        comm: event.comm,
        pid: event.tgid,
        protocol: event.protocol,
        direction: event.direction,
        local,
        remote: event.direction === 'inbound' ? event.destinationAddress : remote,
        localPort: event.sourcePort,
        remotePort: event.direction === 'inbound' ? 0 : event.destinationPort,
        failures: 0,
        lastResult: 0,
        lastErrno: null,
        firstSeenMs: seenMs,
        lastSeenMs: seenMs,
      });
    });
  }

  private cgroupState(cgroupId: number, seenMs: number): CgroupState {
    let state = this.cgroups.get(cgroupId);
    if (!state) {
      if (this.cgroups.size >= this.capacity.cgroups) this.cgroups.delete(this.cgroups.keys().next().value!);
      state = {
        cgroupId,
        rates: { rxBytes: 0, txBytes: 0, rxPackets: 0, txPackets: 0 },
        totals: { rxBytes: 0, txBytes: 0 },
        execs: 0,
        opens: 0,
        connects: 0,
        lastSeenMs: seenMs,
      };
      this.cgroups.set(cgroupId, state);
    }
    state.lastSeenMs = seenMs;
    return state;
  }

  setCgroupThreshold(cgroupId: number, bytesPerSecond: number | null): void {
    this.trafficSampler.setThreshold(cgroupId, bytesPerSecond);
  }

  /**
   * The kernel's traffic totals, read on a timer: per-cgroup rates, and the CGROUP and
   * ANOMALY events of crossed thresholds (also raised as alerts), returned for streams.
   */
  sampleCgroupTraffic(totals: readonly CgroupTrafficTotals[], nowNs: number): CgroupTrafficEvent[] {
    const events = this.trafficSampler.sample(totals, nowNs);
    const nowMs = nowNs / NS_PER_MS;
    for (const total of totals) {
      const state = this.cgroupState(total.cgroupId, nowMs);
      state.totals = { rxBytes: total.rxBytes, txBytes: total.txBytes };
    }
    // A cgroup whose counters did not move has no event this time: its rates are 0.
    for (const state of this.cgroups.values()) state.rates = { rxBytes: 0, txBytes: 0, rxPackets: 0, txPackets: 0 };
    for (const event of events) {
      if (event.kind === 'anomaly') {
        this.alertLog.raise(
          {
            key: `cgroup-bytes:${event.subjectCgroupId}`,
            severity: event.severity === 'critical' || event.severity === 'high' ? event.severity : 'medium',
            source: 'threshold',
            message: event.message,
            observed: event.observed,
            limit: event.limit,
            subjectCgroupId: event.subjectCgroupId,
          },
          nowNs,
        );
      } else if (!event.thresholdCrossed) {
        const state = this.cgroupState(event.cgroupId, nowMs);
        if (event.metric === 'rx-bytes') state.rates.rxBytes = event.value;
        else if (event.metric === 'tx-bytes') state.rates.txBytes = event.value;
        else if (event.metric === 'rx-packets') state.rates.rxPackets = event.value;
        else if (event.metric === 'tx-packets') state.rates.txPackets = event.value;
      }
    }
    return events;
  }

  /**
   * Once a second: the per-second series of the second that ended go to the threshold
   * rules and the detector; lost events (the ring was full) are an alert of their own,
   * since a flood can hide activity.
   */
  tick(nowNs: number, lostEvents: number): void {
    const execSamples = [...this.secondExecsByCgroup].map(([cgroupId, count]) => ({
      key: String(cgroupId),
      label: this.cgroupPath(cgroupId) ?? `#${cgroupId}`,
      value: count,
      subjectCgroupId: cgroupId,
    }));
    const failedOpenSamples = [...this.secondFailedOpensByPid].map(([pid, { comm, count }]) => ({
      key: String(pid),
      label: `${comm}[${pid}]`,
      value: count,
      subjectPid: pid,
    }));
    for (const candidate of [
      ...this.thresholds.evaluate('cgroup-execs', execSamples),
      ...this.thresholds.evaluate('process-failed-opens', failedOpenSamples),
    ]) {
      this.alertLog.raise(candidate, nowNs);
    }
    const hostSamples = Object.entries(this.secondTotals).map(([series, value]) => ({
      key: `host-${series}`,
      label: `host ${series}`,
      value,
    }));
    for (const candidate of this.detector.evaluate(hostSamples)) this.alertLog.raise(candidate, nowNs);
    if (lostEvents > 0) {
      this.alertLog.raise(
        {
          key: 'loss',
          severity: 'high',
          source: 'loss',
          message: `${lostEvents} events lost: the ring buffer was full, so activity may be missing (try a larger --ring-size)`,
          observed: lostEvents,
          limit: 0,
        },
        nowNs,
      );
    }
    this.secondExecsByCgroup = new Map();
    this.secondFailedOpensByPid = new Map();
    this.secondTotals = { execs: 0, opens: 0, connects: 0 };
  }

  /** An immutable copy of every table, for views, snapshot files and exporters. */
  snapshot(nowMs: number): ModelSnapshot {
    const nowSecond = Math.floor(nowMs / 1000);
    const commandRates = new Map<string, number>();
    const commands: CommandRow[] = [];
    this.commands.forEach((row, count, overestimate) => {
      const rates = row.execs.rates(nowSecond);
      commandRates.set(row.comm, rates.perSecond10);
      commands.push({
        comm: row.comm,
        execs: count,
        execsOverestimate: overestimate,
        exits: row.exits,
        failedExits: row.failedExits,
        execsPerSecond1: rates.perSecond1,
        execsPerSecond10: rates.perSecond10,
        execsPerSecond60: rates.perSecond60,
        lastArgv: row.lastArgv,
        firstSeenMs: row.firstSeenMs,
        lastSeenMs: row.lastSeenMs,
      });
    });
    const processes: ProcessRow[] = [];
    for (const state of this.processes.values()) {
      processes.push({
        pid: state.pid,
        ppid: state.ppid,
        uid: state.uid,
        user: this.userName(state.uid),
        comm: state.comm,
        filename: state.filename,
        argv: state.argv,
        cgroupPath: state.cgroupPath ?? (state.cgroupId === null ? undefined : this.cgroupPath(state.cgroupId)) ?? '',
        state: state.state,
        exitCode: state.exitCode,
        exitSignal: state.exitSignal,
        runtimeNs: state.runtimeNs,
        commandExecsPerSecond: commandRates.get(state.comm) ?? 0,
        firstSeenMs: state.firstSeenMs,
        lastSeenMs: state.lastSeenMs,
      });
    }
    const files: FileRow[] = [];
    this.files.forEach((row, count, overestimate) => {
      const rates = row.opens.rates(nowSecond);
      files.push({
        path: row.path,
        opens: count,
        opensOverestimate: overestimate,
        failures: row.failures,
        opensPerSecond1: rates.perSecond1,
        opensPerSecond10: rates.perSecond10,
        opensPerSecond60: rates.perSecond60,
        processes: row.processes,
        lastResult: row.lastResult,
        lastErrno: row.lastErrno,
        operation: row.operation,
        firstSeenMs: row.firstSeenMs,
        lastSeenMs: row.lastSeenMs,
      });
    });
    const connections: ConnectionRow[] = [];
    this.connections.forEach((row, count, overestimate) => {
      const rates = row.connects.rates(nowSecond);
      connections.push({
        comm: row.comm,
        pid: row.pid,
        protocol: row.protocol,
        direction: row.direction,
        local: row.local,
        remote: row.remote,
        localPort: row.localPort,
        remotePort: row.remotePort,
        count,
        countOverestimate: overestimate,
        failures: row.failures,
        perSecond1: rates.perSecond1,
        perSecond10: rates.perSecond10,
        perSecond60: rates.perSecond60,
        lastResult: row.lastResult,
        lastErrno: row.lastErrno,
        firstSeenMs: row.firstSeenMs,
        lastSeenMs: row.lastSeenMs,
      });
    });
    const cgroups: CgroupRow[] = [...this.cgroups.values()].map((state) => ({
      cgroupId: state.cgroupId,
      path: this.cgroupPath(state.cgroupId) ?? `#${state.cgroupId}`,
      rxBytesPerSecond: state.rates.rxBytes,
      txBytesPerSecond: state.rates.txBytes,
      rxPacketsPerSecond: state.rates.rxPackets,
      txPacketsPerSecond: state.rates.txPackets,
      rxBytes: state.totals.rxBytes,
      txBytes: state.totals.txBytes,
      execs: state.execs,
      opens: state.opens,
      connects: state.connects,
      thresholdBytesPerSecond: this.trafficSampler.threshold(state.cgroupId),
      lastSeenMs: state.lastSeenMs,
    }));
    return Object.freeze({
      takenMs: nowMs,
      processes: Object.freeze(processes),
      commands: Object.freeze(commands),
      files: Object.freeze(files),
      connections: Object.freeze(connections),
      cgroups: Object.freeze(cgroups),
      alerts: this.alertLog.list(),
      otherCounts: Object.freeze({
        commands: this.commands.otherCount,
        files: this.files.otherCount,
        connections: this.connections.otherCount,
      }),
    });
  }
}

/** first, then the others of names but first, at most limit in all: a new array. */
function withFirst(names: readonly string[], first: string, limit: number): readonly string[] {
  const result = [first];
  for (const name of names) {
    if (result.length === limit) break;
    if (name !== first) result.push(name);
  }
  return result;
}
