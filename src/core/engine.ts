// The running core: a source's batches (the kernel's, or a recording's) decoded into the
// model, the cgroup traffic read at each tick, the model's once-a-second tick, and the
// counters of what was emitted, dropped and received. Every mode (stream, snapshot, the
// screen, a replay) runs one.
import { BENCH_RECORD_KIND, EVENT_KIND_NAMES, EventKind, type EventKindName } from './contract.ts';
import {
  createDecodeStats,
  decodeEvent,
  decodeFileInto,
  walkBatch,
  type ClawtopEvent,
  type DecodeStats,
  type ReusableFileEvent,
} from './decode.ts';
import { LiveSource, type EventSource } from './event-source.ts';
import { Model } from './model.ts';
import type { CgroupTrafficTotals, KernelCounters, KernelFilterSetting, MonitorName } from './native.ts';
import type { ProcessInfo } from './procinfo.ts';
import { SnapshotPublisher } from './publisher.ts';

export { monotonicNowNs } from './event-source.ts';

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

/** What a recorder (--record) is told: every raw batch, every event's ids, every tick's readings. */
export interface EngineRecorder {
  batch(nowNs: number, batch: Uint8Array): void;
  event(event: ClawtopEvent): void;
  tick(nowNs: number, counters: KernelCounters, cgroupTraffic: readonly CgroupTrafficTotals[] | null): void;
}

export interface EngineOptions {
  readonly monitors: readonly MonitorName[];
  readonly ringSizeBytes: number;
  readonly log?: (line: string) => void;
  /** Every event, kernel records and cgroup samples alike, as it reaches the model. */
  readonly onEvent?: (event: ClawtopEvent) => void;
  readonly cgroupThresholds?: readonly { readonly cgroupId: number; readonly bytesPerSecond: number }[];
  /** Where events come from; the kernel (a LiveSource of these monitors) by default. */
  readonly source?: EventSource;
  /** Set in the kernel before the monitors attach. */
  readonly kernelFilters?: readonly KernelFilterSetting[];
  /**
   * Whether events update the model's tables (default true): the screen, --snapshot and
   * --metrics read them. A --json stream alone never does, and keeping them cost it as
   * much CPU as writing its lines. Cgroup traffic is sampled either way: its events are
   * part of the stream.
   */
  readonly keepTables?: boolean;
}

export class Engine {
  /** The source of events: the kernel session, or a recording played back. */
  readonly session: EventSource;
  readonly model: Model;
  readonly publisher: SnapshotPublisher;
  readonly decodeStats = createDecodeStats();
  readonly startedNs: number;
  /** The process table's seed: what ran when the source started. */
  readonly initialProcesses: readonly ProcessInfo[];
  private readonly onEvent: ((event: ClawtopEvent) => void) | undefined;
  private readonly keepTables: boolean;
  /** The file event the model is handed again and again while nothing else reads events. */
  private reusableFileEvent: ReusableFileEvent | undefined;
  private readonly monitors: readonly MonitorName[];
  private recorder: EngineRecorder | undefined;
  private droppedBefore = 0;
  private ended = false;
  private readonly endListeners: (() => void)[] = [];

  constructor(options: EngineOptions) {
    this.session =
      options.source ??
      new LiveSource({
        ringSizeBytes: options.ringSizeBytes,
        monitors: options.monitors,
        kernelFilters: options.kernelFilters,
        log: options.log,
      });
    const source = this.session;
    this.startedNs = source.nowNs();
    const cgroupPath = (cgroupId: number) => source.cgroupPath(cgroupId);
    this.model = new Model({ userName: (uid) => source.userName(uid), cgroupPath });
    for (const { cgroupId, bytesPerSecond } of options.cgroupThresholds ?? []) {
      this.model.setCgroupThreshold(cgroupId, bytesPerSecond);
    }
    this.onEvent = options.onEvent;
    this.keepTables = options.keepTables ?? true;
    this.monitors = options.monitors;
    const nowMs = this.startedNs / 1e6;
    this.initialProcesses = source.initialProcesses();
    this.model.seedProcesses(this.initialProcesses, nowMs);
    this.publisher = new SnapshotPublisher(this.model, nowMs);
  }

  /** The cgroup v2 path of an id, from the source's host. */
  cgroupPath(cgroupId: number): string | undefined {
    return this.session.cgroupPath(cgroupId);
  }

  /** Tells recorder about everything from now on; set before start() to record it all. */
  setRecorder(recorder: EngineRecorder | undefined): void {
    this.recorder = recorder;
  }

  /** Whether a recording played to its end (never, for the kernel). */
  get sourceEnded(): boolean {
    return this.ended;
  }

  /** Called once when a recording has played to its end. */
  onSourceEnd(listener: () => void): void {
    this.endListeners.push(listener);
  }

  start(): void {
    this.session.start({
      onBatch: (batch) => this.ingestBatch(batch),
      onTick: () => this.tick(),
      onEnd: () => {
        this.ended = true;
        for (const listener of this.endListeners) listener();
      },
    });
  }

  private ingestBatch(batch: Uint8Array): void {
    const nowNs = this.session.nowNs();
    const nowSecond = Math.floor(nowNs / 1e9);
    const recorder = this.recorder;
    const onEvent = this.onEvent;
    // The model keeps no event: when it is their only reader, file events (the flood of a
    // busy host) are all read into one object.
    const modelOnly = this.keepTables && recorder === undefined && onEvent === undefined;
    recorder?.batch(nowNs, batch);
    walkBatch(
      batch,
      (kind, view, offset) => {
        if (kind === BENCH_RECORD_KIND) return;
        if (modelOnly && kind === EventKind.FILE && this.reusableFileEvent !== undefined) {
          this.model.ingest(decodeFileInto(view, offset, this.reusableFileEvent), nowSecond);
          return;
        }
        const event = decodeEvent(view, offset);
        if (this.keepTables) this.model.ingest(event, nowSecond);
        recorder?.event(event);
        onEvent?.(event);
        if (modelOnly && event.kind === 'file') this.reusableFileEvent = event;
      },
      this.decodeStats,
    );
    this.publisher.markChanged();
  }

  private tick(): void {
    const nowNs = this.session.nowNs();
    const cgroupTraffic = this.monitors.includes('cgroup') ? this.session.readCgroupTraffic() : null;
    const counters = this.session.readCounters();
    this.recorder?.tick(nowNs, counters, cgroupTraffic);
    if (cgroupTraffic !== null) {
      for (const event of this.model.sampleCgroupTraffic(cgroupTraffic, nowNs)) this.onEvent?.(event);
    }
    const dropped = counters.dropped.reduce((sum, count) => sum + count, 0);
    this.model.tick(nowNs, dropped - this.droppedBefore);
    this.droppedBefore = dropped;
    this.publisher.markChanged();
  }

  kindTotals(): KindTotals[] {
    return kindTotals(this.session.readCounters(), this.decodeStats);
  }

  /** Stops the source: the kernel's monitors detached and what the ring still holds handed over. */
  async stop(): Promise<void> {
    await this.session.stop();
  }

  close(): void {
    this.session.close();
  }
}
