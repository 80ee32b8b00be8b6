// The screen's state: mode, pane, per-pane selection and sort, the filter (applied and
// being edited), the detail being read, the monitors list's cursor, the paused flag and
// the status line. A reducer over a typed union of actions; the input hook dispatches
// them after it has asked the controller for whatever the action needs.
import { useReducer, type Dispatch } from 'react';

import type { PaneFilters } from '../core/snapshot-document.ts';
import { PANE_NAMES, type PaneName, type ViewState } from './controller.ts';
import type { Mode } from './modes.ts';
import { sortStates } from './pane-rows.ts';
import { PANES, type SortState } from './panes.ts';
import { scrollFor } from './table-layout.ts';

/** The selected row of a pane: by key, so it follows its row; by index when the row is gone. */
export interface Selection {
  readonly key: string | null;
  readonly index: number;
  /** The first row in view. */
  readonly scroll: number;
}

export interface AppliedFilter {
  readonly text: string;
  readonly filters: PaneFilters;
  /** Which terms run in the kernel and which in clawtop, e.g. "kernel: pid==42 · user: comm==nginx". */
  readonly description: string;
}

export interface StatusMessage {
  readonly text: string;
  readonly isError: boolean;
}

export interface DetailTarget {
  readonly pane: PaneName;
  readonly key: string;
  /** The first line in view. */
  readonly scroll: number;
}

export interface UiState {
  readonly mode: Mode;
  /** Where closing the help overlay returns to. */
  readonly modeBeforeHelp: Mode;
  readonly pane: PaneName;
  readonly selection: Readonly<Record<PaneName, Selection>>;
  readonly sort: Readonly<Record<PaneName, SortState>>;
  /** The filter in force; null shows every row. */
  readonly filter: AppliedFilter | null;
  /** The filter bar's text while editing. */
  readonly filterDraft: string;
  /** Why the last filter typed was refused; the previous filter stays in force. */
  readonly filterError: string | null;
  readonly detail: DetailTarget | null;
  readonly monitorIndex: number;
  readonly paused: boolean;
  readonly status: StatusMessage | null;
}

export type UiAction =
  | { readonly type: 'showPane'; readonly pane: PaneName }
  | { readonly type: 'cyclePane'; readonly step: 1 | -1 }
  /** Moves the selection among rowKeys (the pane's rows as shown), by rows, by pages or to an end. */
  | { readonly type: 'moveSelection'; readonly move: SelectionMove; readonly rowKeys: readonly string[]; readonly pageSize: number }
  | { readonly type: 'moveSort'; readonly step: 1 | -1; readonly wrap: boolean }
  | { readonly type: 'invertSort' }
  | { readonly type: 'openFilter' }
  | { readonly type: 'typeFilter'; readonly text: string }
  | { readonly type: 'eraseFilterCharacter' }
  | { readonly type: 'filterApplied'; readonly filter: AppliedFilter | null }
  | { readonly type: 'filterRejected'; readonly error: string }
  | { readonly type: 'cancelFilter' }
  | { readonly type: 'openHelp' }
  | { readonly type: 'closeHelp' }
  | { readonly type: 'openDetail'; readonly key: string }
  | { readonly type: 'scrollDetail'; readonly move: SelectionMove; readonly maxScroll: number; readonly pageSize: number }
  | { readonly type: 'closeDetail' }
  | { readonly type: 'openMonitors' }
  | { readonly type: 'moveMonitor'; readonly step: 1 | -1; readonly count: number }
  | { readonly type: 'closeMonitors' }
  | { readonly type: 'setPaused'; readonly paused: boolean }
  | { readonly type: 'showStatus'; readonly status: StatusMessage };

export type SelectionMove = { readonly by: number } | { readonly pages: number } | 'first' | 'last';

/** Where a selection lands, within [0, count - 1]. */
export function moveIndex(index: number, move: SelectionMove, count: number, pageSize: number): number {
  const target =
    move === 'first'
      ? 0
      : move === 'last'
        ? count - 1
        : 'by' in move
          ? index + move.by
          : index + move.pages * Math.max(1, pageSize);
  return Math.max(0, Math.min(count - 1, target));
}

/** The selected row's index among rowKeys: its key's, or where it was when its row has gone. */
export function selectedIndex(selection: Selection, rowKeys: readonly string[]): number {
  if (rowKeys.length === 0) return -1;
  const byKey = selection.key === null ? -1 : rowKeys.indexOf(selection.key);
  return byKey >= 0 ? byKey : Math.min(selection.index, rowKeys.length - 1);
}

function perPane<Value>(value: (pane: PaneName) => Value): Record<PaneName, Value> {
  return Object.fromEntries(PANE_NAMES.map((pane) => [pane, value(pane)])) as Record<PaneName, Value>;
}

/** The screen as it starts: paused or not, each pane sorted as sort says (its own default otherwise). */
export function initialUiState(paused: boolean, sort: ViewState['sort'] = []): UiState {
  return {
    mode: 'normal',
    modeBeforeHelp: 'normal',
    pane: 'processes',
    selection: perPane(() => ({ key: null, index: 0, scroll: 0 })),
    sort: sortStates(sort),
    filter: null,
    filterDraft: '',
    filterError: null,
    detail: null,
    monitorIndex: 0,
    paused,
    status: null,
  };
}

function moveSort(sort: SortState, columnCount: number, step: 1 | -1, wrap: boolean): SortState {
  const next = wrap
    ? (sort.column + step + columnCount) % columnCount
    : Math.min(columnCount - 1, Math.max(0, sort.column + step));
  return next === sort.column ? sort : { column: next, descending: sort.descending };
}

function reduce(state: UiState, action: UiAction): UiState {
  switch (action.type) {
    case 'showPane':
      return { ...state, pane: action.pane };
    case 'cyclePane': {
      const index = PANE_NAMES.indexOf(state.pane);
      return { ...state, pane: PANE_NAMES[(index + action.step + PANE_NAMES.length) % PANE_NAMES.length]! };
    }
    case 'moveSelection': {
      const { rowKeys, pageSize } = action;
      if (rowKeys.length === 0) return state;
      const current = state.selection[state.pane];
      const index = moveIndex(selectedIndex(current, rowKeys), action.move, rowKeys.length, pageSize);
      const selection = {
        key: rowKeys[index]!,
        index,
        scroll: scrollFor(index, pageSize, rowKeys.length, current.scroll),
      };
      return { ...state, selection: { ...state.selection, [state.pane]: selection } };
    }
    case 'moveSort':
    case 'invertSort': {
      const current = state.sort[state.pane];
      const next =
        action.type === 'invertSort'
          ? { ...current, descending: !current.descending }
          : moveSort(current, PANES[state.pane].columns.length, action.step, action.wrap);
      return { ...state, sort: { ...state.sort, [state.pane]: next } };
    }
    case 'openFilter':
      return { ...state, mode: 'filter', filterDraft: state.filter?.text ?? '', filterError: null };
    case 'typeFilter':
      return { ...state, filterDraft: state.filterDraft + action.text };
    case 'eraseFilterCharacter':
      return { ...state, filterDraft: state.filterDraft.slice(0, -1) };
    case 'filterApplied':
      return { ...state, mode: 'normal', filter: action.filter, filterDraft: '', filterError: null };
    case 'filterRejected':
      return { ...state, filterError: action.error };
    case 'cancelFilter':
      return { ...state, mode: 'normal', filterDraft: '', filterError: null };
    case 'openHelp':
      return { ...state, mode: 'help', modeBeforeHelp: state.mode };
    case 'closeHelp':
      return { ...state, mode: state.modeBeforeHelp };
    case 'openDetail':
      return { ...state, mode: 'detail', detail: { pane: state.pane, key: action.key, scroll: 0 } };
    case 'scrollDetail': {
      if (state.detail === null) return state;
      const scroll = moveIndex(state.detail.scroll, action.move, action.maxScroll + 1, action.pageSize);
      return { ...state, detail: { ...state.detail, scroll } };
    }
    case 'closeDetail':
      return { ...state, mode: 'normal', detail: null };
    case 'openMonitors':
      return { ...state, mode: 'monitors' };
    case 'moveMonitor':
      return { ...state, monitorIndex: moveIndex(state.monitorIndex, { by: action.step }, action.count, 1) };
    case 'closeMonitors':
      return { ...state, mode: 'normal' };
    case 'setPaused':
      return { ...state, paused: action.paused };
    case 'showStatus':
      return { ...state, status: action.status };
  }
}

/** A status message lasts until the next key that does something else. */
export function uiReducer(state: UiState, action: UiAction): UiState {
  const next = reduce(state, action);
  return action.type === 'showStatus' || next.status === null ? next : { ...next, status: null };
}

export function useUiState(paused: boolean, sort: ViewState['sort'] = []): [UiState, Dispatch<UiAction>] {
  return useReducer(uiReducer, { paused, sort }, (start) => initialUiState(start.paused, start.sort));
}
