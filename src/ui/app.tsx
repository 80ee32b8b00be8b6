// The interactive screen: the header, the pane (a table, or the detail of a row, the
// monitors list or the help), the filter bar, the status line and the footer. It reads
// the core's published snapshots through the controller and never the kernel.
import { Box, useStdout } from 'ink';
import { useCallback, useEffect, useMemo } from 'react';

import type { UiController } from './controller.ts';
import { detailLines, detailSections } from './detail.ts';
import { DetailView, maxDetailScroll } from './detail-view.tsx';
import { FilterBar, filterBarHeight } from './filter-bar.tsx';
import { Footer } from './footer.tsx';
import { Header, headerHeight } from './header.tsx';
import { HelpOverlay } from './help-overlay.tsx';
import { MonitorsList } from './monitors-list.tsx';
import { paneRows } from './pane-rows.ts';
import { paneOf } from './panes.ts';
import { StatusLine } from './status-line.tsx';
import { Table } from './table.tsx';
import { scrollFor } from './table-layout.ts';
import { applyFilter, useAppInput } from './use-app-input.ts';
import { useSnapshot } from './use-snapshot.ts';
import { useTerminalSize } from './use-terminal-size.ts';
import { selectedIndex, useUiState } from './use-ui-state.ts';

export interface AppProps {
  /** The running core (or a fake with fixture snapshots). */
  readonly controller: UiController;
  /** Called on q or Ctrl-C (Ink's exitOnCtrlC must be off); the caller cleans up and exits. */
  readonly onQuit: () => void;
}

/** Clears the screen and homes the cursor; Ink then draws its last frame again. */
const CLEAR_SCREEN = '\u001B[2J\u001B[H';

export function App({ controller, onQuit }: AppProps) {
  const snapshot = useSnapshot(controller);
  const { columns: width, rows: height } = useTerminalSize();
  const [state, dispatch] = useUiState(controller.paused, controller.initialSort);
  const { write } = useStdout();
  const info = controller.header();
  const readOnly = controller.readOnly !== undefined;

  useEffect(() => {
    controller.showPane(state.pane);
  }, [controller, state.pane]);

  useEffect(() => {
    if (controller.initialFilter) applyFilter({ controller, dispatch }, controller.initialFilter);
  }, [controller, dispatch]);

  const pane = paneOf(state.pane);
  const sort = state.sort[state.pane];
  const filters = state.filter?.filters ?? null;
  const rows = useMemo(() => paneRows(pane, snapshot, filters, sort), [pane, snapshot, filters, sort]);
  const rowKeys = useMemo(() => rows.map((row) => pane.key(row)), [pane, rows]);
  const totalRows = pane.rows(snapshot).length;

  // Ink redraws the whole terminal when a frame fills it, so the screen keeps its last line free.
  const screenHeight = Math.max(1, height - 1);
  const editing = state.mode === 'filter';
  const bottomHeight =
    filterBarHeight({ editing, error: state.filterError, applied: state.filter }) + (state.status ? 1 : 0) + 1;
  const topHeight = state.mode === 'help' ? 0 : headerHeight(info);
  const bodyHeight = Math.max(2, screenHeight - topHeight - bottomHeight);
  const tableHeight = bodyHeight - 1;

  const selection = state.selection[state.pane];
  const selected = selectedIndex(selection, rowKeys);
  const scroll = scrollFor(selected, tableHeight, rows.length, selection.scroll);

  const detail = state.detail;
  const detailText = useMemo(() => {
    if (detail === null) return null;
    const detailPane = paneOf(detail.pane);
    const row = detailPane.rows(snapshot).find((candidate) => detailPane.key(candidate) === detail.key);
    return row === undefined ? null : detailLines(detailSections(detail.pane, row, snapshot));
  }, [detail, snapshot]);

  const redraw = useCallback(() => write(CLEAR_SCREEN), [write]);

  useAppInput({
    state,
    dispatch,
    controller,
    onQuit,
    rowKeys,
    pageSize: tableHeight,
    selectedKey: selected >= 0 ? rowKeys[selected]! : null,
    detailMaxScroll: detailText === null ? 0 : maxDetailScroll(detailText, width, bodyHeight),
    detailPageSize: bodyHeight,
    monitors: info.monitors,
    redraw,
  });

  const body = (() => {
    switch (state.mode) {
      case 'help':
        return <HelpOverlay readOnly={readOnly} width={width} height={bodyHeight} />;
      case 'detail':
        return <DetailView lines={detailText} scroll={detail?.scroll ?? 0} width={width} height={bodyHeight} />;
      case 'monitors':
        return <MonitorsList monitors={info.monitors} selected={state.monitorIndex} width={width} height={bodyHeight} />;
      case 'normal':
      case 'filter':
        return (
          <Table
            pane={pane}
            rows={rows}
            sort={sort}
            selected={selected}
            scroll={scroll}
            height={tableHeight}
            width={width}
            context={snapshot}
            emptyText={state.filter === null ? '(no rows yet)' : '(no rows match the filter)'}
          />
        );
    }
  })();

  return (
    <Box flexDirection="column" width={width} height={screenHeight}>
      {state.mode === 'help' ? null : (
        <Header
          info={info}
          paused={state.paused}
          pane={state.pane}
          shownRows={rows.length}
          totalRows={totalRows}
          width={width}
        />
      )}
      {body}
      <FilterBar
        editing={editing}
        draft={state.filterDraft}
        error={state.filterError}
        applied={state.filter}
        width={width}
      />
      {state.status ? <StatusLine status={state.status} width={width} /> : null}
      <Footer mode={state.mode} readOnly={readOnly} width={width} />
    </Box>
  );
}
