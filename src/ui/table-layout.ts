// Fitting a pane's columns to the terminal's width, formatting its lines, and choosing
// which rows are in view. Pure: the table view only draws what these return.
import { fit } from './format.ts';
import type { Column, FlexibleWidth, FormatContext, SortState } from './panes.ts';

export interface FittedColumn<Row> {
  readonly column: Column<Row>;
  /** Its index in the pane's columns (what SortState.column names). */
  readonly index: number;
  readonly width: number;
}

const SEPARATOR = ' ';

function minimumWidth<Row>(column: Column<Row>): number {
  return typeof column.width === 'number' ? column.width : column.width.min;
}

function neededWidth<Row>(columns: readonly { readonly column: Column<Row> }[]): number {
  return columns.reduce((total, { column }) => total + minimumWidth(column), 0) + Math.max(0, columns.length - 1);
}

/**
 * The columns that fit in width, with their widths: columns with a hideOrder go first,
 * lowest first, while the rest do not fit; flexible columns get their minimum and share
 * what is left by their flex, up to their max. The line fills width unless every
 * flexible column has reached its max.
 */
export function fitColumns<Row>(columns: readonly Column<Row>[], width: number): FittedColumn<Row>[] {
  let shown = columns.map((column, index) => ({ column, index }));
  const hideable = shown
    .filter(({ column }) => column.hideOrder !== undefined)
    .sort((left, right) => left.column.hideOrder! - right.column.hideOrder!);
  for (const candidate of hideable) {
    if (neededWidth(shown) <= width) break;
    shown = shown.filter((entry) => entry !== candidate);
  }
  const fixed = shown.reduce((total, { column }) => total + minimumWidth(column), 0);
  const widths = new Map<Column<Row>, number>(shown.map(({ column }) => [column, minimumWidth(column)]));
  let extra = Math.max(0, width - fixed - (shown.length - 1));
  // Share the extra by flex among the columns under their max; what a max turns away goes
  // round again to the others, and the last growing column takes what rounding leaves.
  for (;;) {
    const growing = shown
      .map(({ column }) => column)
      .filter((column): column is Column<Row> & { width: FlexibleWidth } => typeof column.width !== 'number')
      .filter((column) => widths.get(column)! < (column.width.max ?? Number.POSITIVE_INFINITY));
    if (extra === 0 || growing.length === 0) break;
    const shares = growing.reduce((total, column) => total + column.width.flex, 0);
    let given = 0;
    growing.forEach((column, position) => {
      const share = position === growing.length - 1 ? extra - given : Math.floor((extra * column.width.flex) / shares);
      const room = (column.width.max ?? Number.POSITIVE_INFINITY) - widths.get(column)!;
      const taken = Math.min(share, room);
      widths.set(column, widths.get(column)! + taken);
      given += taken;
    });
    extra -= given;
    if (given === 0) break;
  }
  return shown.map(({ column, index }) => ({ column, index, width: widths.get(column)! }));
}

export const SORT_MARKS = { descending: '▼', ascending: '▲' } as const;

/** The header line; the sort column carries ▼ (descending) or ▲ (ascending) after its name. */
export function headerLine<Row>(columns: readonly FittedColumn<Row>[], sort: SortState, width: number): string {
  const cells = columns.map(({ column, index, width: columnWidth }) => {
    const mark = index === sort.column ? (sort.descending ? SORT_MARKS.descending : SORT_MARKS.ascending) : '';
    return fit(`${column.header}${mark}`, columnWidth, column.align);
  });
  return fit(cells.join(SEPARATOR), width);
}

export function rowLine<Row>(
  columns: readonly FittedColumn<Row>[],
  row: Row,
  context: FormatContext,
  width: number,
): string {
  const cells = columns.map(({ column, width: columnWidth }) =>
    fit(column.format(row, context), columnWidth, column.align, column.truncate),
  );
  return fit(cells.join(SEPARATOR), width);
}

/**
 * The first row in view: it moves only as far as it must to keep the selection in view
 * (from where it was), and never leaves empty lines at the end that rows could fill.
 */
export function scrollFor(selected: number, height: number, count: number, previous: number): number {
  if (height <= 0 || count === 0) return 0;
  const start = Math.min(Math.max(previous, selected - height + 1), Math.max(0, selected));
  return Math.max(0, Math.min(start, count - height));
}
