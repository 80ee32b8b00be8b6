// A recording as an event source: its batches handed to the Engine at the recorded pace
// (or faster), its ticks' readings answered as the kernel answered them then. Needs no
// privilege and touches no kernel; the clock is the recording's, so rates, alerts and
// dates come out as they did live.
import type { EventSource, SourceHandlers, SourceHost } from './event-source.ts';
import type { CgroupTrafficTotals, HookReport, KernelCounters, MonitorName } from './native.ts';
import type { ProcessInfo } from './procinfo.ts';
import type { LabelsPayload, Recording, TickPayload } from './recording.ts';

/** At full speed, records handed over before yielding to timers and input. */
const RECORDS_PER_TURN = 64;

export const REPLAY_UNAVAILABLE = 'not available in replay';

export interface PlayerOptions {
  /** 1 = as recorded, 10 = ten times faster, Infinity = as fast as possible. */
  readonly speed: number;
}

export class RecordingPlayer implements EventSource {
  readonly kind = 'recording' as const;
  readonly host: SourceHost;
  private currentReport: HookReport;
  private positionNs: number;
  private counters: KernelCounters;
  private cgroupTraffic: CgroupTrafficTotals[] = [];
  private readonly cgroups = new Map<number, string>();
  private readonly users = new Map<number, string>();
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly recording: Recording,
    private readonly options: PlayerOptions,
  ) {
    const { header } = recording;
    this.host = { host: header.host, kernel: header.kernel, bootTimeWallMs: header.bootTimeWallMs };
    this.currentReport = header.hooks;
    this.positionNs = header.startedNs;
    this.counters = { emitted: [], dropped: [], ringFillBytes: 0, ringSizeBytes: header.ringSizeBytes };
    // Labels are known up front: a path recorded at the first tick names the cgroup of earlier events too.
    for (const record of recording.records) {
      if (record.type !== 'labels') continue;
      const labels = JSON.parse(record.payload.toString('utf8')) as LabelsPayload;
      for (const [id, path] of Object.entries(labels.cgroups)) this.cgroups.set(Number(id), path);
      for (const [uid, name] of Object.entries(labels.users)) this.users.set(Number(uid), name);
    }
  }

  get report(): HookReport {
    return this.currentReport;
  }

  /** The monitors that were running: the cgroup totals were read only when cgroup was one. */
  get monitors(): readonly MonitorName[] {
    return this.recording.header.monitors;
  }

  /** A recorded timestamp (monotonic ns on the recording host) as wall-clock ms. */
  readonly toWallClockMs = (timestampNs: number): number => this.host.bootTimeWallMs + timestampNs / 1e6;

  get truncated(): boolean {
    return this.recording.truncated;
  }

  /** Recorded seconds from the start to the last record. */
  get durationSeconds(): number {
    const last = this.recording.records.at(-1)?.timestampNs ?? this.recording.header.startedNs;
    return (last - this.recording.header.startedNs) / 1e9;
  }

  nowNs(): number {
    return this.positionNs;
  }

  initialProcesses(): readonly ProcessInfo[] {
    return this.recording.header.processes;
  }

  cgroupPath(cgroupId: number): string | undefined {
    return this.cgroups.get(cgroupId);
  }

  userName(uid: number): string {
    return this.users.get(uid) ?? String(uid);
  }

  start(handlers: SourceHandlers): void {
    const startedWallMs = performance.now();
    const startNs = this.recording.header.startedNs;
    const speed = this.options.speed;
    const play = () => {
      this.timer = undefined;
      let handed = 0;
      while (!this.stopped && this.next < this.recording.records.length) {
        const record = this.recording.records[this.next]!;
        if (speed === Infinity) {
          if (handed >= RECORDS_PER_TURN) {
            this.timer = setTimeout(play, 0);
            return;
          }
        } else {
          const dueMs = startedWallMs + (record.timestampNs - startNs) / 1e6 / speed;
          const waitMs = dueMs - performance.now();
          if (waitMs > 0) {
            this.timer = setTimeout(play, waitMs);
            return;
          }
        }
        this.next++;
        handed++;
        this.positionNs = Math.max(this.positionNs, record.timestampNs);
        this.deliver(record.type, record.payload, handlers);
      }
      if (!this.stopped) {
        this.stopped = true;
        handlers.onEnd?.();
      }
    };
    this.timer = setTimeout(play, 0);
  }

  private deliver(type: Recording['records'][number]['type'], payload: Buffer, handlers: SourceHandlers): void {
    if (type === 'batch') {
      handlers.onBatch(payload);
    } else if (type === 'tick') {
      const tick = JSON.parse(payload.toString('utf8')) as TickPayload;
      this.counters = tick.counters;
      this.cgroupTraffic = tick.cgroupTraffic === null ? [] : [...tick.cgroupTraffic];
      handlers.onTick();
    } else if (type === 'hooks') {
      this.currentReport = JSON.parse(payload.toString('utf8')) as HookReport;
    }
  }

  setMonitor(): HookReport {
    throw new Error(REPLAY_UNAVAILABLE);
  }

  /** Nothing to push down: every filter term is checked in user space too. */
  setFilters(): void {}

  readCounters(): KernelCounters {
    return this.counters;
  }

  readCgroupTraffic(): CgroupTrafficTotals[] {
    return this.cgroupTraffic;
  }

  async stop(): Promise<void> {
    this.close();
  }

  close(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
