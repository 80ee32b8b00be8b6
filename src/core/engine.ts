// The running core: a kernel session whose batches are decoded into the model, the
// cgroup traffic read on a timer, the model's once-a-second tick, and the counters of
// what was emitted, dropped and received. Every mode (stream, snapshot, the screen) runs one.
import { CgroupPathResolver, findCgroup2Root } from './cgroups.ts';
import { BENCH_RECORD_KIND, EVENT_KIND_NAMES, type EventKindName } from './contract.ts';
import { createDecodeStats, decodeEvent, walkBatch, type ClawtopEvent, type DecodeStats } from './decode.ts';
import { Model } from './model.ts';
import { KernelSession, MONITOR_NAMES, type KernelCounters, type MonitorName } from './native.ts';
import { createUserNameLookup, listProcesses } from './procinfo.ts';
import { SnapshotPublisher } from './publisher.ts';

/** After the programs are detached, how long the ring reader gets to hand over what is queued. */
const FINAL_DRAIN_MS = 50;
const TICK_INTERVAL_MS = 1000;

export function monotonicNowNs(): number {
  return Number(process.hrtime.bigint());
}

export interface KindTotals {
  readonly kind: EventKindName;
  readonly emitted: number;
  readonly dropped: number;
  readonly received: number;
}

/** Per event kind: what the kernel emitted, what a full ring dropped, what clawtop received. */
export function kindTotals(counters: KernelCounters, stats: DecodeStats): KindTotals[] {
  const totals: KindTotals[] = [];
  EVENT_KIND_NAMES.forEach((kind, slot) => {
    if (kind === undefined) return;
    totals.push({
      kind,
      emitted: counters.emitted[slot] ?? 0,
      dropped: counters.dropped[slot] ?? 0,
      received: stats.recordsByKind[slot] ?? 0,
    });
  });
  return totals;
}

export interface EngineOptions {
  readonly monitors: readonly MonitorName[];
  readonly ringSizeBytes: number;
  readonly log?: (line: string) => void;
  /** Every event, kernel records and cgroup samples alike, as it reaches the model. */
  readonly onEvent?: (event: ClawtopEvent) => void;
  readonly cgroupThresholds?: readonly { readonly cgroupId: number; readonly bytesPerSecond: number }[];
}

export class Engine {
  readonly session: KernelSession;
  readonly model: Model;
  readonly publisher: SnapshotPublisher;
  readonly decodeStats = createDecodeStats();
  readonly cgroupPaths: CgroupPathResolver | undefined;
  readonly startedNs = monotonicNowNs();
  private readonly onEvent: (event: ClawtopEvent) => void;
  private readonly monitors: readonly MonitorName[];
  private tickTimer: NodeJS.Timeout | undefined;
  private droppedBefore = 0;

  constructor(options: EngineOptions) {
    const cgroupRoot = findCgroup2Root();
    this.cgroupPaths = cgroupRoot === undefined ? undefined : new CgroupPathResolver(cgroupRoot);
    const cgroupPath = (cgroupId: number) => this.cgroupPaths?.resolve(cgroupId);
    this.model = new Model({ userName: createUserNameLookup(), cgroupPath });
    for (const { cgroupId, bytesPerSecond } of options.cgroupThresholds ?? []) {
      this.model.setCgroupThreshold(cgroupId, bytesPerSecond);
    }
    this.onEvent = options.onEvent ?? (() => undefined);
    this.monitors = options.monitors;
    this.session = new KernelSession({ ringSizeBytes: options.ringSizeBytes, monitors: options.monitors, log: options.log });
    const nowMs = this.startedNs / 1e6;
    this.model.seedProcesses(listProcesses().filter((info) => info.pid !== process.pid), nowMs);
    this.publisher = new SnapshotPublisher(this.model, nowMs);
  }

  start(): void {
    this.session.start((batch) => {
      const nowSecond = Math.floor(monotonicNowNs() / 1e9);
      walkBatch(
        batch,
        (kind, view, offset) => {
          if (kind === BENCH_RECORD_KIND) return;
          const event = decodeEvent(view, offset);
          this.model.ingest(event, nowSecond);
          this.onEvent(event);
        },
        this.decodeStats,
      );
      this.publisher.markChanged();
    });
    this.tick();
    this.tickTimer = setInterval(() => this.tick(), TICK_INTERVAL_MS);
    this.tickTimer.unref();
  }

  private tick(): void {
    const nowNs = monotonicNowNs();
    if (this.monitors.includes('cgroup')) {
      for (const event of this.model.sampleCgroupTraffic(this.session.readCgroupTraffic(), nowNs)) this.onEvent(event);
    }
    const dropped = this.session.readCounters().dropped.reduce((sum, count) => sum + count, 0);
    this.model.tick(nowNs, dropped - this.droppedBefore);
    this.droppedBefore = dropped;
    this.publisher.markChanged();
  }

  kindTotals(): KindTotals[] {
    return kindTotals(this.session.readCounters(), this.decodeStats);
  }

  /** Detaches every monitor, lets the reader hand over what the ring still holds, then closes. */
  async stop(): Promise<void> {
    clearInterval(this.tickTimer);
    for (const monitor of MONITOR_NAMES) this.session.setMonitor(monitor, false);
    await new Promise((resolve) => setTimeout(resolve, FINAL_DRAIN_MS));
  }

  close(): void {
    clearInterval(this.tickTimer);
    this.session.close();
  }
}
