// The rows a pane shows: the snapshot's rows that pass the applied filter, in the pane's
// sort order. Pure, so the App can memoize it on (snapshot, filter, sort).
import type { ModelSnapshot } from '../core/model.ts';
import type { PaneFilters } from '../core/snapshot-document.ts';
import { sortRowsBy } from '../core/sort.ts';
import type { PaneName, ViewState } from './controller.ts';
import { PANES, type PaneDefinition, type SortState } from './panes.ts';

/** The property order a column's order stands for: an age column runs against its timestamp. */
function propertyDescending<Row>(pane: PaneDefinition<Row>, sort: SortState): boolean {
  return pane.columns[sort.column]?.sortReversed ? !sort.descending : sort.descending;
}

export function paneRows<Row extends object>(
  pane: PaneDefinition<Row>,
  snapshot: ModelSnapshot,
  filters: PaneFilters | null,
  sort: SortState,
): Row[] {
  const all = pane.rows(snapshot);
  const filter = filters === null ? null : pane.filterOf(filters);
  const kept = filter === null ? all : all.filter((row) => filter.matches(row));
  const column = pane.columns[sort.column];
  if (column === undefined) return [...kept];
  const descending = propertyDescending(pane, sort);
  const valueOf =
    column.sortValue === undefined
      ? (row: Row) => (row as Record<string, unknown>)[column.sortBy]
      : column.sortValue.bind(column);
  return sortRowsBy(kept, valueOf, descending);
}

/**
 * The other way: a recorded sort as each pane's column and direction. A pane not listed,
 * or sorted by a property none of its columns sorts by, keeps its own default.
 */
export function sortStates(sort: ViewState['sort']): Record<PaneName, SortState> {
  const states = {} as Record<PaneName, SortState>;
  for (const name of Object.keys(PANES) as PaneName[]) {
    const pane = PANES[name] as PaneDefinition<object>;
    const order = sort.find((candidate) => candidate.pane === name);
    const column = order === undefined ? -1 : pane.columns.findIndex((candidate) => candidate.sortBy === order.column);
    states[name] =
      order === undefined || column < 0
        ? pane.defaultSort
        : { column, descending: propertyDescending(pane, { column, descending: order.descending }) };
  }
  return states;
}

/** The sort of every pane as a snapshot file records it: by row property. */
export function viewSort(sort: Readonly<Record<PaneName, SortState>>): ViewState['sort'] {
  return (Object.keys(PANES) as PaneName[]).map((name) => {
    const pane = PANES[name] as PaneDefinition<object>;
    const order = sort[name];
    return {
      pane: name,
      column: pane.columns[order.column]?.sortBy ?? '',
      descending: propertyDescending(pane, order),
    };
  });
}
