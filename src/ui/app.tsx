// The interactive screen: the header, the pane (a table, or the detail of a row, the
// monitors list or the help), the filter bar, the status line and the footer. It reads
// the core's published snapshots through the controller and never the kernel.
import { Box, useStdout } from 'ink';
import { useCallback, useEffect } from 'react';

import type { ModelSnapshot } from '../core/model.ts';
import type { UiController } from './controller.ts';
import { DetailView, maxDetailScroll } from './detail-view.tsx';
import { FilterBar } from './filter-bar.tsx';
import { Footer } from './footer.tsx';
import { Header } from './header.tsx';
import { HelpOverlay } from './help-overlay.tsx';
import { MonitorsList } from './monitors-list.tsx';
import { paneOf } from './panes.ts';
import { sameOnScreen, screenContent } from './screen-content.ts';
import { StatusLine } from './status-line.tsx';
import { Table } from './table.tsx';
import { useTheme } from './theme.ts';
import { applyFilter, useAppInput } from './use-app-input.ts';
import { useSnapshot } from './use-snapshot.ts';
import { useTerminalSize } from './use-terminal-size.ts';
import { useUiState } from './use-ui-state.ts';

export interface AppProps {
  /** The running core (or a fake with fixture snapshots). */
  readonly controller: UiController;
  /** Called on q or Ctrl-C (Ink's exitOnCtrlC must be off); the caller cleans up and exits. */
  readonly onQuit: () => void;
}

/** Clears the screen and homes the cursor; Ink then draws its last frame again. */
const CLEAR_SCREEN = '\u001B[2J\u001B[H';

export function App({ controller, onQuit }: AppProps) {
  const { columns: width, rows: height } = useTerminalSize();
  const [state, dispatch] = useUiState(controller.paused, controller.initialSort);
  const { write } = useStdout();
  const readOnly = controller.readOnly !== undefined;
  const theme = useTheme();
  const show = useCallback(
    (snapshot: ModelSnapshot) => screenContent(snapshot, controller.header(), { state, width, height, theme }),
    [controller, state, width, height, theme],
  );
  const { info, layout, headerLines, rowKeys, selected, scroll, rowLines, detailText } = useSnapshot(
    controller,
    show,
    sameOnScreen,
  );

  useEffect(() => {
    controller.showPane(state.pane);
  }, [controller, state.pane]);

  useEffect(() => {
    if (controller.initialFilter) applyFilter({ controller, dispatch }, controller.initialFilter);
  }, [controller, dispatch]);

  const pane = paneOf(state.pane);
  const sort = state.sort[state.pane];
  const editing = state.mode === 'filter';
  const { screenHeight, bodyHeight, tableHeight } = layout;
  const detail = state.detail;

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
            lines={rowLines}
            keys={rowKeys.slice(scroll, scroll + rowLines.length)}
            sort={sort}
            selectedLine={selected - scroll}
            height={tableHeight}
            width={width}
            emptyText={state.filter === null ? '(no rows yet)' : '(no rows match the filter)'}
          />
        );
    }
  })();

  return (
    <Box flexDirection="column" width={width} height={screenHeight}>
      {state.mode === 'help' ? null : (
        <Header lines={headerLines} width={width} />
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
