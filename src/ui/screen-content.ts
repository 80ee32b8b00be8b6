// What the screen shows of the running core: the header's figures, the layout they leave
// room for, the pane's rows as shown (filtered, sorted, the ones in view formatted) and the
// detail being read. Pure, so the same function serves drawing and deciding whether a
// publication would change what is drawn (sameOnScreen).
import { isDeepStrictEqual } from 'node:util';

import type { ModelSnapshot } from '../core/model.ts';
import type { HeaderInfo } from './controller.ts';
import { detailLines, detailSections } from './detail.ts';
import { filterBarHeight } from './filter-bar.tsx';
import { headerHeight, headerLines } from './header.tsx';
import type { Segment } from './line.tsx';
import { paneRows } from './pane-rows.ts';
import { paneOf } from './panes.ts';
import { fitColumns, rowLine, scrollFor } from './table-layout.ts';
import type { Theme } from './theme.ts';
import { selectedIndex, type UiState } from './use-ui-state.ts';

export interface ScreenLayout {
  /** Lines the screen draws: all but the terminal's last. */
  readonly screenHeight: number;
  /** Lines between the header and the bottom lines: the table, the detail, a list. */
  readonly bodyHeight: number;
  /** Rows the table shows under its header row. */
  readonly tableHeight: number;
}

export interface ScreenContent {
  readonly mode: UiState['mode'];
  readonly info: HeaderInfo;
  readonly layout: ScreenLayout;
  /** The header as drawn: its figures formatted (the uptime to the minute, rates to a decimal). */
  readonly headerLines: readonly (readonly Segment[])[];
  /** The keys of the pane's rows as shown (filtered, sorted). */
  readonly rowKeys: readonly string[];
  /** The pane's rows before the filter. */
  readonly totalRows: number;
  /** Index into rowKeys; -1 when there are none. */
  readonly selected: number;
  /** The first row in view. */
  readonly scroll: number;
  /** The rows in view, formatted to the width: the table's lines under its header row. */
  readonly rowLines: readonly string[];
  /** The detail being read as lines; null when none is, or when its row has gone. */
  readonly detailText: readonly string[] | null;
}

/** Where the screen's lines go; the screen keeps its last line free (Ink redraws the whole terminal when a frame fills it). */
export function screenLayout(info: HeaderInfo, state: UiState, height: number): ScreenLayout {
  const screenHeight = Math.max(1, height - 1);
  const editing = state.mode === 'filter';
  const bottomHeight =
    filterBarHeight({ editing, error: state.filterError, applied: state.filter }) + (state.status ? 1 : 0) + 1;
  const topHeight = state.mode === 'help' ? 0 : headerHeight(info);
  const bodyHeight = Math.max(2, screenHeight - topHeight - bottomHeight);
  return { screenHeight, bodyHeight, tableHeight: bodyHeight - 1 };
}

export function screenContent(
  snapshot: ModelSnapshot,
  info: HeaderInfo,
  view: { readonly state: UiState; readonly width: number; readonly height: number; readonly theme: Theme },
): ScreenContent {
  const { state, width } = view;
  const layout = screenLayout(info, state, view.height);
  const pane = paneOf(state.pane);
  const rows = paneRows(pane, snapshot, state.filter?.filters ?? null, state.sort[state.pane]);
  const rowKeys = rows.map((row) => pane.key(row));
  const selection = state.selection[state.pane];
  const selected = selectedIndex(selection, rowKeys);
  const scroll = scrollFor(selected, layout.tableHeight, rows.length, selection.scroll);
  const columns = fitColumns(pane.columns, width);
  const rowLines = rows.slice(scroll, scroll + layout.tableHeight).map((row) => rowLine(columns, row, snapshot, width));
  const detail = state.detail;
  let detailText: string[] | null = null;
  if (detail !== null) {
    const detailPane = paneOf(detail.pane);
    const row = detailPane.rows(snapshot).find((candidate) => detailPane.key(candidate) === detail.key);
    detailText = row === undefined ? null : detailLines(detailSections(detail.pane, row, snapshot));
  }
  const totalRows = pane.rows(snapshot).length;
  const headerView = { paused: state.paused, pane: state.pane, shownRows: rows.length, totalRows, width };
  return {
    mode: state.mode,
    info,
    layout,
    headerLines: headerLines(info, headerView, view.theme),
    rowKeys,
    totalRows,
    selected,
    scroll,
    rowLines,
    detailText,
  };
}

/** The part of the content the screen draws in its mode; the rest only steers the keys. */
function drawn(content: ScreenContent): unknown {
  switch (content.mode) {
    case 'help':
      return null;
    case 'detail':
      return [content.headerLines, content.detailText];
    case 'monitors':
      return [content.headerLines, content.info.monitors];
    case 'normal':
    case 'filter':
      return [content.headerLines, content.rowLines, content.selected - content.scroll];
  }
}

/** Whether the two contents draw the same screen (with the same UI state and size). */
export function sameOnScreen(one: ScreenContent, other: ScreenContent): boolean {
  return one.mode === other.mode && isDeepStrictEqual(drawn(one), drawn(other));
}
