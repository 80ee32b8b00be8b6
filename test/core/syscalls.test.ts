import assert from 'node:assert/strict';
import { test } from 'node:test';

import { syscallName } from '../../src/core/syscalls.ts';

test('the traced syscalls are named per architecture', () => {
  assert.equal(syscallName(59, 'x64'), 'execve');
  assert.equal(syscallName(257, 'x64'), 'openat');
  assert.equal(syscallName(221, 'arm64'), 'execve');
  assert.equal(syscallName(56, 'arm64'), 'openat');
});

test('other numbers and architectures fall back to the number', () => {
  assert.equal(syscallName(56, 'x64'), 'syscall 56');
  assert.equal(syscallName(59, 'arm64'), 'syscall 59');
  assert.equal(syscallName(59, 'riscv64'), 'syscall 59');
  assert.equal(syscallName(0, 'x64'), 'syscall 0');
});

test('the default architecture is this process’s', () => {
  assert.equal(syscallName(59), syscallName(59, process.arch));
});
