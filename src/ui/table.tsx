// A pane as a table: the header row with the sort column marked, then the rows in view
// (the window follows the selection), the selected one in inverse.
import { Box, Text } from 'ink';

import type { FormatContext, PaneDefinition, SortState } from './panes.ts';
import { fitColumns, headerLine, rowLine } from './table-layout.ts';

export interface TableProps<Row> {
  readonly pane: PaneDefinition<Row>;
  /** Every row of the pane, filtered and sorted. */
  readonly rows: readonly Row[];
  readonly sort: SortState;
  /** Index into rows; -1 when there are none. */
  readonly selected: number;
  /** The first row in view. */
  readonly scroll: number;
  /** Lines for the rows, the header row not counted. */
  readonly height: number;
  readonly width: number;
  readonly context: FormatContext;
  /** Shown instead of rows when there are none (e.g. "no rows match the filter"). */
  readonly emptyText: string;
}

export function Table<Row>({ pane, rows, sort, selected, scroll, height, width, context, emptyText }: TableProps<Row>) {
  const columns = fitColumns(pane.columns, width);
  const visible = rows.slice(scroll, scroll + height);
  return (
    <Box flexDirection="column" height={height + 1}>
      <Text bold wrap="truncate-end">
        {headerLine(columns, sort, width)}
      </Text>
      {visible.length === 0 ? (
        <Text dimColor wrap="truncate-end">
          {emptyText}
        </Text>
      ) : (
        visible.map((row, index) => (
          <Text key={pane.key(row)} inverse={scroll + index === selected} wrap="truncate-end">
            {rowLine(columns, row, context, width)}
          </Text>
        ))
      )}
    </Box>
  );
}
