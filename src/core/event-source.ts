// Where the Engine's events come from: the kernel (LiveSource, a KernelSession drained
// as it runs) or a recording played back (RecordingPlayer, src/core/recording-player.ts).
// Both hand over raw ring batches, so the same decoder reads them, and both say when the
// Engine's once-a-second tick is due, so a recording's ticks fall where they fell live.
import { hostname, release } from 'node:os';

import { CgroupPathResolver, findCgroup2Root } from './cgroups.ts';
import {
  KernelSession,
  MONITOR_NAMES,
  type CgroupTrafficTotals,
  type HookReport,
  type KernelCounters,
  type KernelFilterSetting,
  type MonitorName,
  type ProgramSetName,
} from './native.ts';
import { createUserNameLookup, listProcesses, type ProcessInfo } from './procinfo.ts';

/** After the programs are detached, how long the ring reader gets to hand over what is queued. */
const FINAL_DRAIN_MS = 50;
const TICK_INTERVAL_MS = 1000;

export function monotonicNowNs(): number {
  return Number(process.hrtime.bigint());
}

export interface SourceHandlers {
  /** One ring buffer batch, raw, as the native reader hands it over. */
  readonly onBatch: (batch: Uint8Array) => void;
  /** Once a second: read readCgroupTraffic() and readCounters() now. */
  readonly onTick: () => void;
  /** A recording played to its end; never called by the kernel. */
  readonly onEnd?: () => void;
}

/** The host the events come from, and how its monotonic clock maps to dates. */
export interface SourceHost {
  readonly host: string;
  readonly kernel: string;
  /** Wall-clock milliseconds of CLOCK_MONOTONIC zero (boot), so event timestamps map to dates. */
  readonly bootTimeWallMs: number;
}

export interface EventSource {
  /** 'kernel': live, switchable; 'recording': played back, nothing reaches the kernel. */
  readonly kind: 'kernel' | 'recording';
  readonly host: SourceHost;
  /** Which hook serves each monitor, and whether it is attached now. */
  readonly report: HookReport;
  /** CLOCK_MONOTONIC ns of the source: now for the kernel, the playback position for a recording. */
  nowNs(): number;
  /** The processes running when it started (the process table's seed). */
  initialProcesses(): readonly ProcessInfo[];
  cgroupPath(cgroupId: number): string | undefined;
  userName(uid: number): string;
  start(handlers: SourceHandlers): void;
  /** Throws "not available in replay" on a recording. */
  setMonitor(name: ProgramSetName, on: boolean): HookReport;
  /** Sets the listed in-kernel filters, every other one off; a recording ignores them (every term is also checked in user space). */
  setFilters(filters: readonly KernelFilterSetting[]): void;
  readCounters(): KernelCounters;
  readCgroupTraffic(): CgroupTrafficTotals[];
  /** Stops delivering: the kernel's monitors detached and its ring drained. */
  stop(): Promise<void>;
  close(): void;
}

export interface LiveSourceOptions {
  readonly monitors: readonly MonitorName[];
  readonly ringSizeBytes: number;
  readonly log?: (line: string) => void;
  readonly kernelFilters?: readonly KernelFilterSetting[];
}

/** The kernel as a source: a KernelSession, this host's /proc, cgroupfs and users, a 1 s timer. */
export class LiveSource implements EventSource {
  readonly kind = 'kernel' as const;
  readonly session: KernelSession;
  readonly host: SourceHost;
  private readonly cgroupPaths: CgroupPathResolver | undefined;
  private readonly userNames = createUserNameLookup();
  private tickTimer: NodeJS.Timeout | undefined;

  constructor(options: LiveSourceOptions) {
    const cgroupRoot = findCgroup2Root();
    this.cgroupPaths = cgroupRoot === undefined ? undefined : new CgroupPathResolver(cgroupRoot);
    this.session = new KernelSession({
      ringSizeBytes: options.ringSizeBytes,
      monitors: options.monitors,
      kernelFilters: options.kernelFilters,
      log: options.log,
    });
    this.host = { host: hostname(), kernel: release(), bootTimeWallMs: Date.now() - monotonicNowNs() / 1e6 };
  }

  get report(): HookReport {
    return this.session.report;
  }

  nowNs(): number {
    return monotonicNowNs();
  }

  initialProcesses(): readonly ProcessInfo[] {
    return listProcesses().filter((info) => info.pid !== process.pid);
  }

  cgroupPath(cgroupId: number): string | undefined {
    return this.cgroupPaths?.resolve(cgroupId);
  }

  userName(uid: number): string {
    return this.userNames(uid);
  }

  start(handlers: SourceHandlers): void {
    this.session.start(handlers.onBatch);
    handlers.onTick();
    this.tickTimer = setInterval(handlers.onTick, TICK_INTERVAL_MS);
    this.tickTimer.unref();
  }

  setMonitor(name: ProgramSetName, on: boolean): HookReport {
    return this.session.setMonitor(name, on);
  }

  setFilters(filters: readonly KernelFilterSetting[]): void {
    this.session.setFilters(filters);
  }

  readCounters(): KernelCounters {
    return this.session.readCounters();
  }

  readCgroupTraffic(): CgroupTrafficTotals[] {
    return this.session.readCgroupTraffic();
  }

  /** Detaches every monitor, lets the reader hand over what the ring still holds. */
  async stop(): Promise<void> {
    clearInterval(this.tickTimer);
    for (const monitor of MONITOR_NAMES) this.session.setMonitor(monitor, false);
    this.session.handOverNow();
    await new Promise((resolve) => setTimeout(resolve, FINAL_DRAIN_MS));
  }

  close(): void {
    clearInterval(this.tickTimer);
    this.session.close();
  }
}

/**
 * What a snapshot document says of the host, when the events are a recording's: the
 * recorded host, kernel and uptime, not this machine's. Nothing for the kernel.
 */
export function recordedSnapshotFields(source: EventSource): { host?: string; kernel?: string; uptimeSeconds?: number } {
  if (source.kind === 'kernel') return {};
  return { host: source.host.host, kernel: source.host.kernel, uptimeSeconds: Math.round(source.nowNs() / 1e9) };
}
