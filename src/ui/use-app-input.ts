// What each key does, per mode (modes.ts lists them for the footer and the help). Calls
// on the controller happen here; what they change in the screen's state goes through
// the reducer (use-ui-state.ts).
import type { Dispatch } from 'react';

import type { MonitorStatus, UiController } from './controller.ts';
import { PANE_NAMES } from './controller.ts';
import { viewSort } from './pane-rows.ts';
import { useKeys, type Keypress, type NamedKey } from './use-keys.ts';
import type { SelectionMove, UiAction, UiState } from './use-ui-state.ts';

export interface AppInput {
  readonly state: UiState;
  readonly dispatch: Dispatch<UiAction>;
  readonly controller: UiController;
  readonly onQuit: () => void;
  /** The keys of the current pane's rows, as shown (filtered, sorted). */
  readonly rowKeys: readonly string[];
  /** Rows in view: what PgUp and PgDn move by. */
  readonly pageSize: number;
  /** The selected row's key, or null when the pane is empty. */
  readonly selectedKey: string | null;
  /** The detail view's largest scroll, and its lines in view. */
  readonly detailMaxScroll: number;
  readonly detailPageSize: number;
  readonly monitors: readonly MonitorStatus[];
  /** Clears the terminal and draws the screen again (Ctrl-L). */
  readonly redraw: () => void;
}

const MOVES: Partial<Record<NamedKey, SelectionMove>> = {
  up: { by: -1 },
  down: { by: 1 },
  pageUp: { pages: -1 },
  pageDown: { pages: 1 },
  home: 'first',
  end: 'last',
};
const LETTER_MOVES: Readonly<Record<string, SelectionMove>> = { k: { by: -1 }, j: { by: 1 } };

function moveOf(key: Keypress): SelectionMove | undefined {
  if (key.kind === 'key') return MOVES[key.name];
  return key.kind === 'text' ? LETTER_MOVES[key.text] : undefined;
}

function isKey(key: Keypress, name: NamedKey): boolean {
  return key.kind === 'key' && key.name === name;
}

function textOf(key: Keypress): string | null {
  return key.kind === 'text' ? key.text : null;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Applies a filter as the filter bar does: refused with its reason, or in force on every pane. */
export function applyFilter(input: Pick<AppInput, 'controller' | 'dispatch'>, text: string): void {
  const result = input.controller.applyFilter(text);
  if (!result.ok) {
    input.dispatch({ type: 'filterRejected', error: result.error });
    return;
  }
  const filter = text.trim() === '' ? null : { text, filters: result.filters, description: result.description };
  input.dispatch({ type: 'filterApplied', filter });
}

/**
 * On a read-only screen (a snapshot file), a key that would change the kernel or the
 * stream says so in the status line rather than doing nothing; true when it was refused.
 */
function refusedReadOnly(input: AppInput, consequence: string): boolean {
  const reason = input.controller.readOnly;
  if (reason === undefined) return false;
  input.dispatch({ type: 'showStatus', status: { text: `${reason}: ${consequence}`, isError: true } });
  return true;
}

function togglePause(input: AppInput): void {
  const { controller, dispatch } = input;
  if (refusedReadOnly(input, 'nothing changes, so there is nothing to pause')) return;
  if (controller.paused) controller.resume();
  else controller.pause();
  dispatch({ type: 'setPaused', paused: controller.paused });
}

function writeSnapshot(input: AppInput): void {
  const { controller, dispatch, state } = input;
  try {
    const path = controller.writeSnapshot({ filter: state.filter?.text ?? '', sort: viewSort(state.sort) });
    dispatch({ type: 'showStatus', status: { text: `snapshot written to ${path}`, isError: false } });
  } catch (error) {
    dispatch({ type: 'showStatus', status: { text: `snapshot not written: ${errorMessage(error)}`, isError: true } });
  }
}

function toggleMonitor(input: AppInput): void {
  const monitor = input.monitors[input.state.monitorIndex];
  if (monitor === undefined) return;
  if (refusedReadOnly(input, 'its monitors cannot be switched on or off')) return;
  if (!monitor.switchable) {
    input.dispatch({ type: 'showStatus', status: { text: `${monitor.monitor} cannot be switched off or on`, isError: true } });
    return;
  }
  try {
    input.controller.toggleMonitor(monitor.monitor);
    input.dispatch({
      type: 'showStatus',
      status: { text: `${monitor.monitor} switched ${monitor.attached ? 'off' : 'on'}`, isError: false },
    });
  } catch (error) {
    input.dispatch({ type: 'showStatus', status: { text: errorMessage(error), isError: true } });
  }
}

function normalKey(key: Keypress, input: AppInput): void {
  const { dispatch, state } = input;
  const move = moveOf(key);
  if (move !== undefined) {
    dispatch({ type: 'moveSelection', move, rowKeys: input.rowKeys, pageSize: input.pageSize });
    return;
  }
  if (isKey(key, 'tab')) return dispatch({ type: 'cyclePane', step: 1 });
  if (isKey(key, 'backTab')) return dispatch({ type: 'cyclePane', step: -1 });
  if (isKey(key, 'enter')) {
    if (input.selectedKey !== null) dispatch({ type: 'openDetail', key: input.selectedKey });
    return;
  }
  if (isKey(key, 'delete')) {
    if (state.filter !== null) applyFilter(input, '');
    return;
  }
  if (key.kind === 'ctrl' && key.letter === 'l') return input.redraw();
  const text = textOf(key);
  if (text === null) return;
  const paneNumber = Number(text);
  if (Number.isInteger(paneNumber) && paneNumber >= 1 && paneNumber <= PANE_NAMES.length) {
    return dispatch({ type: 'showPane', pane: PANE_NAMES[paneNumber - 1]! });
  }
  switch (text) {
    case 'q':
      return input.onQuit();
    case 'h':
    case '?':
      return dispatch({ type: 'openHelp' });
    case '/':
    case 'f':
      return dispatch({ type: 'openFilter' });
    case '<':
      return dispatch({ type: 'moveSort', step: -1, wrap: false });
    case '>':
      return dispatch({ type: 'moveSort', step: 1, wrap: false });
    case 's':
      return dispatch({ type: 'moveSort', step: 1, wrap: true });
    case 'I':
      return dispatch({ type: 'invertSort' });
    case 'Z':
    case 'p':
      return togglePause(input);
    case 'W':
      return writeSnapshot(input);
    case 'm':
      return dispatch({ type: 'openMonitors' });
    case 'c':
      if (refusedReadOnly(input, 'c cannot clear its tables')) return;
      input.controller.clear();
      return dispatch({ type: 'showStatus', status: { text: 'tables and alerts cleared', isError: false } });
  }
}

function filterKey(key: Keypress, input: AppInput): void {
  const { dispatch, state } = input;
  if (isKey(key, 'enter')) return applyFilter(input, state.filterDraft);
  if (isKey(key, 'escape')) return dispatch({ type: 'cancelFilter' });
  if (isKey(key, 'delete')) return applyFilter(input, '');
  if (isKey(key, 'backspace')) return dispatch({ type: 'eraseFilterCharacter' });
  const text = textOf(key);
  if (text !== null) dispatch({ type: 'typeFilter', text });
}

function detailKey(key: Keypress, input: AppInput): void {
  const { dispatch } = input;
  if (isKey(key, 'backspace') || isKey(key, 'escape')) return dispatch({ type: 'closeDetail' });
  const move = moveOf(key);
  if (move !== undefined) {
    dispatch({ type: 'scrollDetail', move, maxScroll: input.detailMaxScroll, pageSize: input.detailPageSize });
    return;
  }
  if (key.kind === 'ctrl' && key.letter === 'l') return input.redraw();
  const text = textOf(key);
  if (text === 'q') return input.onQuit();
  if (text === 'h' || text === '?') return dispatch({ type: 'openHelp' });
}

function monitorsKey(key: Keypress, input: AppInput): void {
  const { dispatch } = input;
  if (isKey(key, 'escape') || isKey(key, 'backspace') || textOf(key) === 'm') return dispatch({ type: 'closeMonitors' });
  if (isKey(key, 'enter') || textOf(key) === ' ') return toggleMonitor(input);
  if (textOf(key) === 'q') return input.onQuit();
  const move = moveOf(key);
  if (typeof move === 'object' && 'by' in move) {
    dispatch({ type: 'moveMonitor', step: move.by < 0 ? -1 : 1, count: input.monitors.length });
  }
}

export function handleKey(key: Keypress, input: AppInput): void {
  if (key.kind === 'ctrl' && key.letter === 'c') return input.onQuit();
  switch (input.state.mode) {
    case 'normal':
      return normalKey(key, input);
    case 'filter':
      return filterKey(key, input);
    case 'help':
      return input.dispatch({ type: 'closeHelp' });
    case 'detail':
      return detailKey(key, input);
    case 'monitors':
      return monitorsKey(key, input);
  }
}

export function useAppInput(input: AppInput): void {
  useKeys((key) => handleKey(key, input));
}
