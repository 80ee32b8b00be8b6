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
  const direction = order.descending ? -1 : 1;
  return rows
    .map((row, index) => ({ row, index, value: (row as Record<string, unknown>)[order.column] }))
    .sort((left, right) => {
      const leftMissing = left.value === null || left.value === undefined;
      const rightMissing = right.value === null || right.value === undefined;
      if (leftMissing || rightMissing) return Number(leftMissing) - Number(rightMissing) || left.index - right.index;
      return direction * compareValues(left.value, right.value) || left.index - right.index;
    })
    .map(({ row }) => row);
}
