import assert from 'node:assert/strict';
import { test } from 'node:test';

import { sortRows } from '../../src/core/sort.ts';

const rows = [
  { name: 'b', count: 2, code: null },
  { name: 'a', count: 10, code: 1 },
  { name: 'c', count: 2, code: 0 },
];

const CASES: [column: string, descending: boolean, names: string[]][] = [
  ['count', true, ['a', 'b', 'c']],
  ['count', false, ['b', 'c', 'a']],
  ['name', false, ['a', 'b', 'c']],
  ['name', true, ['c', 'b', 'a']],
  ['code', false, ['c', 'a', 'b']],
  ['code', true, ['a', 'c', 'b']],
  ['missing', true, ['b', 'a', 'c']],
];

for (const [column, descending, names] of CASES) {
  test(`sort by ${column}${descending ? ' descending' : ''}: numbers by value, ties stable, missing last`, () => {
    assert.deepEqual(
      sortRows(rows, { column, descending }).map((row) => row.name),
      names,
    );
  });
}
