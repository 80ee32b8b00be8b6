// The UiController of a snapshot file reopened with --replay FILE: the document's tables
// as they were when it was taken, frozen. Nothing ticks and nothing reaches a kernel; the
// keys that would change the kernel or the stream are refused (readOnly). Filter, sort
// and detail work on the frozen rows, and W writes a copy with only the rows shown.
import { join } from 'node:path';

import type { KindTotals } from '../core/engine.ts';
import { FilterError, type CompiledFilter } from '../core/filter.ts';
import type { ModelSnapshot } from '../core/model.ts';
import { receivedPerSecondByMonitor } from '../core/monitor-rates.ts';
import { compilePaneFilters, documentColumnName, modelColumnName, type PaneFilters } from '../core/snapshot-document.ts';
import {
  snapshotFileName,
  writeSnapshotFile,
  type SnapshotDocument,
  type SnapshotPaneName,
  type SnapshotSort,
} from '../core/snapshot-file.ts';
import type { OpenedSnapshot } from '../core/snapshot-model.ts';
import { sortRows } from '../core/sort.ts';
import {
  PANE_NAMES,
  type FilterResult,
  type HeaderInfo,
  type MonitorStatus,
  type PaneName,
  type UiController,
  type ViewState,
} from './controller.ts';

export const SNAPSHOT_READ_ONLY = 'a snapshot is read-only';

export interface SnapshotControllerOptions {
  /** Where W writes its copies. */
  readonly snapshotDirectory: string;
  /** The time a copy is named after: now, unless a test fixes it. */
  readonly now?: () => Date;
  /** --filter, which the screen starts with. */
  readonly initialFilter?: string;
}

function isPaneName(name: string): name is PaneName {
  return (PANE_NAMES as readonly string[]).includes(name);
}

function headerOf(document: SnapshotDocument): HeaderInfo {
  const monitors: MonitorStatus[] = document.hooks.map((hook) => ({
    monitor: hook.monitor,
    hook: hook.hook,
    // snapshot-model.ts checked the modes.
    mode: hook.mode as MonitorStatus['mode'],
    attached: hook.attached,
    note: hook.reason,
    switchable: false,
  }));
  // The document keeps totals over the watch, not the last second's rate: the header shows their average.
  const seconds = document.durationSeconds;
  const perSecond = seconds > 0 ? receivedPerSecondByMonitor([], document.counters as readonly KindTotals[], seconds) : new Map<string, number>();
  return {
    host: document.host,
    kernel: document.kernel,
    uptimeSeconds: document.uptimeSeconds,
    eventsPerSecond: [...perSecond].map(([monitor, rate]) => ({ monitor, perSecond: rate })),
    dropped: document.counters.reduce((sum, counter) => sum + counter.dropped, 0),
    // Not recorded in a snapshot; the header does not show it for one.
    ringFillRatio: 0,
    monitors,
    snapshot: { takenAt: document.time, watchedSeconds: seconds, filter: document.filter.text },
  };
}

export class SnapshotController implements UiController {
  readonly readOnly = SNAPSHOT_READ_ONLY;
  readonly paused = false;
  readonly initialSort: ViewState['sort'];
  readonly initialFilter: string | undefined;
  private readonly document: SnapshotDocument;
  private readonly snapshot: ModelSnapshot;
  private readonly headerInfo: HeaderInfo;
  private filters: PaneFilters = compilePaneFilters('');

  constructor(
    opened: OpenedSnapshot,
    private readonly options: SnapshotControllerOptions,
  ) {
    this.document = opened.document;
    this.snapshot = opened.snapshot;
    this.headerInfo = headerOf(opened.document);
    this.initialFilter = options.initialFilter;
    this.initialSort = opened.document.sort.flatMap(({ pane, column, descending }) =>
      isPaneName(pane) ? [{ pane, column: modelColumnName(column), descending }] : [],
    );
  }

  current(): ModelSnapshot {
    return this.snapshot;
  }

  /** A snapshot never publishes another. */
  subscribe(): () => void {
    return () => undefined;
  }

  header(): HeaderInfo {
    return this.headerInfo;
  }

  pause(): void {
    throw new Error(SNAPSHOT_READ_ONLY);
  }

  resume(): void {
    throw new Error(SNAPSHOT_READ_ONLY);
  }

  /** Every term runs here, on the frozen rows: there is no kernel to push any down to. */
  applyFilter(text: string): FilterResult {
    let filters: PaneFilters;
    try {
      filters = compilePaneFilters(text);
    } catch (error) {
      if (error instanceof FilterError) return { ok: false, error: error.message };
      throw error;
    }
    this.filters = filters;
    return { ok: true, filters, description: '' };
  }

  showPane(): void {
    // Nothing is attached on demand: nothing is attached at all.
  }

  /**
   * A copy of the snapshot with only the rows the filter keeps, sorted as shown: the same
   * time, host and counters (it is the same snapshot), its filter the two filters joined.
   */
  writeSnapshot(view: ViewState): string {
    const { document, snapshot, filters } = this;
    const viewSort = view.sort.map((order) => ({ ...order, column: documentColumnName(order.column) }));
    const sort: SnapshotSort[] = [
      ...viewSort,
      ...document.sort.filter((order) => !viewSort.some((shown) => shown.pane === order.pane)),
    ];
    const kept = <Row>(pane: SnapshotPaneName, rows: readonly Row[], filter: CompiledFilter<Row>) => {
      const documentRows = document.panes[pane].filter((_, index) => filter.matches(rows[index]!));
      const order = sort.find((candidate) => candidate.pane === pane);
      return order === undefined ? documentRows : sortRows(documentRows, order);
    };
    const copy: SnapshotDocument = {
      ...document,
      filter: {
        text: [document.filter.text, filters.text].filter((text) => text.trim() !== '').join(', '),
        kernel: document.filter.kernel,
        user: [...document.filter.user, ...filters.processes.terms.map((term) => term.text)],
      },
      sort,
      panes: {
        processes: kept('processes', snapshot.processes, filters.processes),
        commands: kept('commands', snapshot.commands, filters.commands),
        files: kept('files', snapshot.files, filters.files),
        connections: kept('connections', snapshot.connections, filters.connections),
        cgroups: kept('cgroups', snapshot.cgroups, filters.cgroups),
        alerts: kept('alerts', snapshot.alerts, filters.alerts),
      },
    };
    const path = join(this.options.snapshotDirectory, snapshotFileName(this.options.now?.() ?? new Date()));
    writeSnapshotFile(path, copy);
    return path;
  }

  toggleMonitor(): void {
    throw new Error(SNAPSHOT_READ_ONLY);
  }

  clear(): void {
    throw new Error(SNAPSHOT_READ_ONLY);
  }
}
