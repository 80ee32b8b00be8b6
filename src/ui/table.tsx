// A pane as a table: the header row with the sort column marked, then the rows in view
// (formatted by screen-content.ts, whose window follows the selection), the selected one
// in inverse.
import { Box, Text } from 'ink';

import type { PaneDefinition, SortState } from './panes.ts';
import { fitColumns, headerLine } from './table-layout.ts';

export interface TableProps<Row> {
  readonly pane: PaneDefinition<Row>;
  /** The rows in view, formatted (rowLine): the lines under the header row. */
  readonly lines: readonly string[];
  /** Their rows' keys, in the same order. */
  readonly keys: readonly string[];
  readonly sort: SortState;
  /** Index into lines of the selected row; outside them when it is not in view. */
  readonly selectedLine: number;
  /** Lines for the rows, the header row not counted. */
  readonly height: number;
  readonly width: number;
  /** Shown instead of rows when there are none (e.g. "no rows match the filter"). */
  readonly emptyText: string;
}

export function Table<Row>({ pane, lines, keys, sort, selectedLine, height, width, emptyText }: TableProps<Row>) {
  const columns = fitColumns(pane.columns, width);
  return (
    <Box flexDirection="column" height={height + 1}>
      <Text bold wrap="truncate-end">
        {headerLine(columns, sort, width)}
      </Text>
      {lines.length === 0 ? (
        <Text dimColor wrap="truncate-end">
          {emptyText}
        </Text>
      ) : (
        lines.map((line, index) => (
          <Text key={keys[index]} inverse={index === selectedLine} wrap="truncate-end">
            {line}
          </Text>
        ))
      )}
    </Box>
  );
}
