// Sorting any pane by any column: numbers by value, text by locale order, missing values last.

export interface SortOrder<Column extends string = string> {
  readonly column: Column;
  readonly descending: boolean;
}

function compareValues(left: unknown, right: unknown): number {
  if (typeof left === 'number' && typeof right === 'number') return left - right;
  return String(left).localeCompare(String(right));
}

/** A sorted copy; rows without the column (null or undefined) go last either way. */
export function sortRows<Row extends object>(rows: readonly Row[], order: SortOrder): Row[] {
  return sortRowsBy(rows, (row) => (row as Record<string, unknown>)[order.column], order.descending);
}

/**
 * A sorted copy by each row's value; rows whose value is null or undefined go last either
 * way, and equal values keep their order. The screen sorts its pane's rows at every
 * publication, so this sorts their indices against an array of the values, with no object
 * per row.
 */
export function sortRowsBy<Row>(rows: readonly Row[], valueOf: (row: Row) => unknown, descending: boolean): Row[] {
  const direction = descending ? -1 : 1;
  const values = rows.map(valueOf);
  const indices = rows.map((_, index) => index);
  indices.sort((left, right) => {
    const leftValue = values[left];
    const rightValue = values[right];
    const leftMissing = leftValue === null || leftValue === undefined;
    const rightMissing = rightValue === null || rightValue === undefined;
    if (leftMissing || rightMissing) return Number(leftMissing) - Number(rightMissing) || left - right;
    return direction * compareValues(leftValue, rightValue) || left - right;
  });
  return indices.map((index) => rows[index]!);
}
