import assert from 'node:assert/strict';
import { test } from 'node:test';

import { decodeKeys } from '../../src/ui/use-keys.ts';
import { backspace, ctrlC, deleteKey, end, enter, escape, home, pageDown, shiftTab, tab } from './keys.ts';

test('Backspace and Delete are told apart (Ink reports both as delete)', () => {
  assert.deepEqual(decodeKeys(backspace), [{ kind: 'key', name: 'backspace' }]);
  assert.deepEqual(decodeKeys('\b'), [{ kind: 'key', name: 'backspace' }]);
  assert.deepEqual(decodeKeys(deleteKey), [{ kind: 'key', name: 'delete' }]);
});

test('named keys, in their xterm and vt forms', () => {
  const names = [tab, shiftTab, enter, escape, home, '\u001BOH', '\u001B[1~', end, pageDown, '\u001B[1;5A'].map(
    (sequence) => decodeKeys(sequence),
  );
  assert.deepEqual(
    names.map(([key]) => (key?.kind === 'key' ? key.name : key?.kind)),
    ['tab', 'backTab', 'enter', 'escape', 'home', 'home', 'home', 'end', 'pageDown', 'up'],
  );
});

test('keys read together come apart, one per character', () => {
  assert.deepEqual(decodeKeys(`/ab${enter}`), [
    { kind: 'text', text: '/' },
    { kind: 'text', text: 'a' },
    { kind: 'text', text: 'b' },
    { kind: 'key', name: 'enter' },
  ]);
});

test('Ctrl and a letter; unknown sequences are named as such', () => {
  assert.deepEqual(decodeKeys(ctrlC), [{ kind: 'ctrl', letter: 'c' }]);
  assert.deepEqual(decodeKeys('\u001B[15~'), [{ kind: 'unknown', sequence: '\u001B[15~' }]);
});
