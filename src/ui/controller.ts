// What the screen may ask of the running core. The UI never touches the kernel or the
// model directly: it reads published snapshots and calls these methods. The live one
// (src/ui/engine-controller.ts) wraps the Engine; src/ui/snapshot-controller.ts serves a
// snapshot file, read-only; tests pass a fake with fixture snapshots.
import type { ModelSnapshot } from '../core/model.ts';
import type { PaneFilters } from '../core/snapshot-document.ts';

export const PANE_NAMES = ['processes', 'files', 'connections', 'cgroups', 'alerts'] as const;
export type PaneName = (typeof PANE_NAMES)[number];

export interface MonitorStatus {
  readonly monitor: string;
  /** The program(s) serving it, e.g. "tracepoint/syscalls/sys_exit_openat". */
  readonly hook: string;
  readonly mode: 'preferred' | 'fallback' | 'unavailable';
  readonly attached: boolean;
  /** Why a fallback was taken, why it is off, or why it is attached only on demand. */
  readonly note: string | null;
  /** Whether the user may switch it on and off (m key). */
  readonly switchable: boolean;
}

export interface HeaderInfo {
  readonly host: string;
  readonly kernel: string;
  readonly uptimeSeconds: number;
  /** Per monitor, over the last second or so. */
  readonly eventsPerSecond: readonly { readonly monitor: string; readonly perSecond: number }[];
  /** Events lost since start, all kinds: the kernel counted them when the ring was full. */
  readonly dropped: number;
  readonly ringFillRatio: number;
  readonly monitors: readonly MonitorStatus[];
  /** Set when the screen shows a snapshot file rather than a running core. */
  readonly snapshot?: SnapshotHeader;
}

/** What the header says of a snapshot file shown: when it was taken, after how long, under what filter. */
export interface SnapshotHeader {
  /** ISO 8601, as the document has it. */
  readonly takenAt: string;
  /** How long clawtop had watched: eventsPerSecond are averages over it. */
  readonly watchedSeconds: number;
  /** The filter in force when it was taken: the rows are only those it kept. Empty: none. */
  readonly filter: string;
}

export type FilterResult =
  | { readonly ok: true; readonly filters: PaneFilters; /** e.g. "kernel: pid==42 · user: comm==nginx" */ readonly description: string }
  | { readonly ok: false; readonly error: string };

export interface ViewState {
  readonly filter: string;
  readonly sort: readonly { readonly pane: PaneName; readonly column: string; readonly descending: boolean }[];
}

export interface UiController {
  /**
   * Set when nothing the screen shows can change (a snapshot file): why, in a few words.
   * The keys that would change the kernel or the stream (pause, monitors, clear) then say
   * it instead of acting.
   */
  readonly readOnly?: string;
  /** The filter the screen starts with (--filter), applied as if typed; the CLI has refused an invalid one. */
  readonly initialFilter?: string;
  /** The sort each pane starts with (a snapshot file's); a pane not listed starts with its own. */
  readonly initialSort?: ViewState['sort'];
  /** The latest published snapshot (the frozen one while paused). */
  current(): ModelSnapshot;
  /** Called on each publication (at most 30 a second); returns the unsubscribe function. */
  subscribe(listener: (snapshot: ModelSnapshot) => void): () => void;
  header(): HeaderInfo;
  readonly paused: boolean;
  pause(): void;
  /** Shows the present at once, not where the view was frozen. */
  resume(): void;
  /** Compiles a filter and, when valid, applies its kernel part; an invalid one changes nothing. */
  applyFilter(text: string): FilterResult;
  /** The pane on screen: some monitors are attached only while a pane needs them. */
  showPane(pane: PaneName): void;
  /** Writes a snapshot file of what is on screen; returns its path, or throws with a one-line message. */
  writeSnapshot(view: ViewState): string;
  /** Switches a monitor on or off; throws with a one-line message when it cannot. */
  toggleMonitor(monitor: string): void;
  /** Forgets the tables' rows and the alerts (c key); counting goes on. */
  clear(): void;
}
