import assert from 'node:assert/strict';
import { test } from 'node:test';

import { PANE_NAMES } from '../../src/ui/controller.ts';
import { PANES, type Column } from '../../src/ui/panes.ts';
import { fitColumns, scrollFor } from '../../src/ui/table-layout.ts';

function lineWidth(widths: readonly number[]): number {
  return widths.reduce((total, width) => total + width, 0) + widths.length - 1;
}

test('every pane fills 80 and 120 columns exactly, and never passes 200', () => {
  for (const name of PANE_NAMES) {
    const widthAt = (width: number) =>
      lineWidth(fitColumns(PANES[name].columns as readonly Column<object>[], width).map((column) => column.width));
    assert.equal(widthAt(80), 80, `${name} at 80`);
    assert.equal(widthAt(120), 120, `${name} at 120`);
    assert.ok(widthAt(200) <= 200, `${name} at 200`);
  }
});

test('a flexible column stops at its max, and what it turns away goes to the others', () => {
  const widths = (width: number) =>
    Object.fromEntries(fitColumns(PANES.files.columns, width).map(({ column, width: columnWidth }) => [column.header, columnWidth]));
  assert.deepEqual(widths(200), { PATH: 64, 'OPENS/S': 8, COUNT: 7, FAIL: 6, LAST: 8, OP: 10, PROCESSES: 200 - 64 - 39 - 6 });
  // The connections' addresses both stop: the line ends short of the width.
  const connections = fitColumns(PANES.connections.columns, 250);
  assert.deepEqual(
    connections.filter(({ column }) => typeof column.width !== 'number').map(({ width }) => width),
    [48, 48],
  );
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
  // Fixed: 8 + 7 + 6 + 8 + 10, and 6 spaces; PATH (flex 2) and PROCESSES (flex 1) share the other 39.
  assert.deepEqual(Object.fromEntries(widths), { PATH: 24 + 26, 'OPENS/S': 8, COUNT: 7, FAIL: 6, LAST: 8, OP: 10, PROCESSES: 12 + 13 });
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
