import assert from 'node:assert/strict';
import { test } from 'node:test';

import { NO_COLOR_THEME, COLOR_THEME, themeFor } from '../../src/ui/theme.ts';
import { initialUiState, selectedIndex, uiReducer, type UiAction } from '../../src/ui/use-ui-state.ts';

const reduce = (...actions: UiAction[]) => actions.reduce(uiReducer, initialUiState(false));

test('the selection follows its row by key, and stays where it was when the row goes', () => {
  const state = reduce({ type: 'moveSelection', move: { by: 2 }, rowKeys: ['a', 'b', 'c', 'd'], pageSize: 10 });
  const selection = state.selection.processes;
  assert.deepEqual(selection, { key: 'c', index: 2, scroll: 0 });
  assert.equal(selectedIndex(selection, ['c', 'a', 'b']), 0);
  assert.equal(selectedIndex(selection, ['a', 'b']), 1);
  assert.equal(selectedIndex(selection, []), -1);
});

test('a status message lasts until the next action', () => {
  const shown = reduce({ type: 'showStatus', status: { text: 'snapshot written to /tmp/x.json', isError: false } });
  assert.equal(shown.status?.text, 'snapshot written to /tmp/x.json');
  assert.equal(uiReducer(shown, { type: 'cyclePane', step: 1 }).status, null);
});

test('the filter bar opens on the filter in force, and a refused filter leaves it in force', () => {
  const state = reduce({ type: 'openFilter' }, { type: 'typeFilter', text: 'x' }, { type: 'filterRejected', error: 'at 1: bad' });
  assert.equal(state.mode, 'filter');
  assert.equal(state.filter, null);
  assert.equal(state.filterError, 'at 1: bad');
  assert.equal(uiReducer(state, { type: 'cancelFilter' }).filterError, null);
});

test('NO_COLOR set to anything but empty turns colors off', () => {
  assert.equal(themeFor({ NO_COLOR: '1' }), NO_COLOR_THEME);
  assert.equal(themeFor({ NO_COLOR: '' }), COLOR_THEME);
  assert.equal(themeFor({}), COLOR_THEME);
});
