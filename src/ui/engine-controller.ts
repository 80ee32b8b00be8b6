// The UiController of a running clawtop: the screen's requests turned into calls on the
// Engine, and the header's figures read from it. Owns the publish timer (at most 30
// snapshots a second) and the on-demand attachment of the files monitor.
import { join } from 'node:path';
import { uptime } from 'node:os';

import { Engine, type KindTotals } from '../core/engine.ts';
import { recordedSnapshotFields } from '../core/event-source.ts';
import { FilterError, describeFilter } from '../core/filter.ts';
import type { ModelSnapshot } from '../core/model.ts';
import { receivedPerSecondByMonitor } from '../core/monitor-rates.ts';
import type { MonitorName } from '../core/native.ts';
import { REPLAY_UNAVAILABLE } from '../core/recording-player.ts';
import { buildSnapshotDocument, compilePaneFilters, type PaneFilters } from '../core/snapshot-document.ts';
import { snapshotFileName, writeSnapshotFile } from '../core/snapshot-file.ts';
import type { FilterResult, HeaderInfo, MonitorStatus, PaneName, UiController, ViewState } from './controller.ts';

/**
 * How often the tables on screen follow the events: twice a second, as top and htop do.
 * At 30 a second the screen spent 20-25% of a core re-rendering counts nobody can read
 * that fast; keys still redraw at once.
 */
const PUBLISH_INTERVAL_MS = 500;
const RATE_INTERVAL_MS = 1000;
/** Filter terms about files, which only the files monitor can satisfy. */
const FILE_TERM = /^\s*(path|op)\s*(==|!=|!~|~)/;
const ON_DEMAND_NOTE =
  'on demand: its syscall tracepoints slow every syscall on the host, so they are attached only while the Files pane is shown or a files filter is set';

export interface EngineControllerOptions {
  /** Files served by syscall tracepoints, and not asked for by --monitors: attach only when needed. */
  readonly filesOnDemand: boolean;
  readonly resolveCgroupId: (path: string) => number | undefined;
  /** Where W writes its snapshot files. */
  readonly snapshotDirectory: string;
  /** --filter, which the screen starts with. */
  readonly initialFilter?: string;
}

export class EngineController implements UiController {
  private filters: PaneFilters;
  private filesPaneShown = false;
  private filesManual: boolean | undefined;
  private readonly publishTimer: NodeJS.Timeout;
  private readonly rateTimer: NodeJS.Timeout;
  private totalsBefore: readonly KindTotals[];
  private perSecond = new Map<MonitorName, number>();
  private cachedHeader: HeaderInfo | undefined;
  /** A replay: nothing can be switched, the clock and the host are the recording's. */
  private readonly replaying: boolean;
  readonly initialFilter: string | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly options: EngineControllerOptions,
  ) {
    this.filters = compilePaneFilters('', options.resolveCgroupId);
    this.replaying = engine.session.kind === 'recording';
    this.initialFilter = options.initialFilter;
    this.totalsBefore = engine.kindTotals();
    this.publishTimer = setInterval(() => engine.publisher.publishIfDue(engine.session.nowNs() / 1e6), PUBLISH_INTERVAL_MS);
    this.rateTimer = setInterval(() => this.measureRates(), RATE_INTERVAL_MS);
    this.publishTimer.unref();
    this.rateTimer.unref();
    this.updateFilesAttachment();
  }

  /** Stops the timers; the Engine is closed by its owner. */
  dispose(): void {
    clearInterval(this.publishTimer);
    clearInterval(this.rateTimer);
  }

  current(): ModelSnapshot {
    return this.engine.publisher.current();
  }

  subscribe(listener: (snapshot: ModelSnapshot) => void): () => void {
    return this.engine.publisher.subscribe(listener);
  }

  private measureRates(): void {
    const totals = this.engine.kindTotals();
    const perSecond = receivedPerSecondByMonitor(this.totalsBefore, totals, RATE_INTERVAL_MS / 1000);
    this.perSecond = perSecond;
    this.totalsBefore = totals;
    this.cachedHeader = undefined;
  }

  /** Drawn on every frame: computed once a second, and when the monitors change. */
  header(): HeaderInfo {
    this.cachedHeader ??= this.readHeader();
    return this.cachedHeader;
  }

  private readHeader(): HeaderInfo {
    const counters = this.engine.session.readCounters();
    const { host, kernel } = this.engine.session.host;
    return {
      host: this.replaying ? `replay of ${host}${this.engine.sourceEnded ? ' (ended)' : ''}` : host,
      kernel,
      uptimeSeconds: Math.round(this.replaying ? this.engine.session.nowNs() / 1e9 : uptime()),
      eventsPerSecond: [...this.perSecond].map(([monitor, perSecond]) => ({ monitor, perSecond })),
      dropped: counters.dropped.reduce((sum, count) => sum + count, 0),
      ringFillRatio: counters.ringSizeBytes > 0 ? counters.ringFillBytes / counters.ringSizeBytes : 0,
      monitors: this.monitors(),
    };
  }

  private monitors(): MonitorStatus[] {
    return this.engine.session.report.hooks
      .filter((hook) => hook.monitor !== 'bench')
      .map((hook) => ({
        monitor: hook.monitor,
        hook: hook.hook,
        mode: hook.mode,
        attached: hook.attached,
        note: hook.monitor === 'files' && this.options.filesOnDemand ? ON_DEMAND_NOTE : hook.reason,
        switchable: hook.mode !== 'unavailable' && !this.replaying,
      }));
  }

  get paused(): boolean {
    return this.engine.publisher.paused;
  }

  pause(): void {
    this.engine.publisher.pause();
  }

  resume(): void {
    this.engine.publisher.resume(this.engine.session.nowNs() / 1e6);
  }

  applyFilter(text: string): FilterResult {
    let filters: PaneFilters;
    try {
      filters = compilePaneFilters(text, this.options.resolveCgroupId);
    } catch (error) {
      if (error instanceof FilterError) return { ok: false, error: error.message };
      throw error;
    }
    this.engine.session.setFilters(filters.processes.kernelFilters);
    this.filters = filters;
    this.updateFilesAttachment();
    this.engine.publisher.markChanged();
    return { ok: true, filters, description: describeFilter(filters.processes) };
  }

  showPane(pane: PaneName): void {
    this.filesPaneShown = pane === 'files';
    this.updateFilesAttachment();
  }

  /** Pay for what you watch: the files tracepoints are attached only while something needs them. */
  private updateFilesAttachment(): void {
    if (!this.options.filesOnDemand) return;
    const filterNeedsFiles = this.filters.processes.terms.some((term) => FILE_TERM.test(term.text));
    const wanted = this.filesManual ?? (this.filesPaneShown || filterNeedsFiles);
    const attached = this.engine.session.report.hooks.find((hook) => hook.monitor === 'files')?.attached;
    if (wanted !== attached) this.engine.session.setMonitor('files', wanted);
    this.cachedHeader = undefined;
  }

  writeSnapshot(view: ViewState): string {
    const now = new Date();
    const path = join(this.options.snapshotDirectory, snapshotFileName(now));
    const source = this.engine.session;
    const nowNs = source.nowNs();
    const toWallClockMs = (timestampNs: number) => source.host.bootTimeWallMs + timestampNs / 1e6;
    const document = buildSnapshotDocument(this.current(), {
      report: this.engine.session.report,
      totals: this.engine.kindTotals(),
      filters: this.filters,
      sort: view.sort,
      durationSeconds: Math.round((nowNs - this.engine.startedNs) / 1e7) / 100,
      toWallClockMs: (monotonicMs) => toWallClockMs(monotonicMs * 1e6),
      now: this.replaying ? new Date(toWallClockMs(nowNs)) : now,
    });
    writeSnapshotFile(path, { ...document, ...recordedSnapshotFields(source) });
    return path;
  }

  toggleMonitor(monitor: string): void {
    if (this.replaying) throw new Error(REPLAY_UNAVAILABLE);
    const status = this.monitors().find((candidate) => candidate.monitor === monitor);
    if (status === undefined) throw new Error(`no monitor ${monitor}`);
    if (monitor === 'files' && this.options.filesOnDemand) {
      this.filesManual = !status.attached;
      this.updateFilesAttachment();
      return;
    }
    this.engine.session.setMonitor(monitor as MonitorName, !status.attached);
    this.cachedHeader = undefined;
  }

  clear(): void {
    this.engine.model.clear();
    this.engine.publisher.markChanged();
  }
}
