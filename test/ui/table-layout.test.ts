import assert from 'node:assert/strict';
import { test } from 'node:test';

import { PANE_NAMES } from '../../src/ui/controller.ts';
import { PANES, type Column } from '../../src/ui/panes.ts';
import { fitColumns, scrollFor } from '../../src/ui/table-layout.ts';

function lineWidth(widths: readonly number[]): number {
  return widths.reduce((total, width) => total + width, 0) + widths.length - 1;
}

test('every pane fills 80, 120 and 200 columns exactly', () => {
  for (const name of PANE_NAMES) {
    for (const width of [80, 120, 200]) {
      const fitted = fitColumns(PANES[name].columns as readonly Column<object>[], width);
      assert.equal(lineWidth(fitted.map((column) => column.width)), width, `${name} at ${width}`);
    }
  }
});

test('narrow terminals hide columns by hideOrder, lowest first', () => {
  const headers = (width: number) =>
    fitColumns(PANES.cgroups.columns, width).map(({ column }) => column.header);
  assert.deepEqual(headers(200), ['CGROUP', 'RX/s', 'TX/s', 'RX pkt/s', 'TX pkt/s', 'THRESHOLD', 'EXECS', 'OPENS', 'CONNECTS']);
  assert.deepEqual(headers(90), ['CGROUP', 'RX/s', 'TX/s', 'RX pkt/s', 'TX pkt/s', 'THRESHOLD', 'EXECS', 'OPENS']);
  assert.deepEqual(headers(80), ['CGROUP', 'RX/s', 'TX/s', 'RX pkt/s', 'TX pkt/s', 'THRESHOLD', 'EXECS']);
});

test('flexible columns share the room by their flex', () => {
  const widths = fitColumns(PANES.files.columns, 120).map(({ column, width }) => [column.header, width]);
  // Fixed: 8 + 7 + 6 + 8 + 10, and 6 spaces; PATH (flex 2) and PROCESSES (flex 1) share 75.
  assert.deepEqual(Object.fromEntries(widths), { PATH: 16 + 31, 'OPENS/S': 8, COUNT: 7, FAIL: 6, LAST: 8, OP: 10, PROCESSES: 12 + 16 });
});

test('the window moves only as far as it must to keep the selection in view', () => {
  assert.equal(scrollFor(0, 10, 40, 0), 0);
  assert.equal(scrollFor(12, 10, 40, 0), 3);
  assert.equal(scrollFor(11, 10, 40, 3), 3);
  assert.equal(scrollFor(2, 10, 40, 3), 2);
  // No empty lines at the end that rows could fill (the rows went, or the terminal grew).
  assert.equal(scrollFor(39, 10, 40, 35), 30);
  assert.equal(scrollFor(5, 10, 8, 4), 0);
  assert.equal(scrollFor(-1, 10, 0, 4), 0);
});
