import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  fit,
  formatAge,
  formatBytes,
  formatCount,
  formatDuration,
  formatRate,
  formatResult,
  formatThresholdBar,
  formatUptime,
  printable,
  thresholdFraction,
  truncate,
  wrap,
} from '../../src/ui/format.ts';

test('bytes in powers of 1024, one decimal under 10', () => {
  assert.deepEqual([0, 512, 1024, 1_258_291, 49_152, 5 * 1024 ** 3].map(formatBytes), ['0B', '512B', '1.0K', '1.2M', '48K', '5.0G']);
});

test('counts whole up to 9999, then k and M', () => {
  assert.deepEqual([0, 42, 9999, 15_300, 1_234_567].map(formatCount), ['0', '42', '9999', '15k', '1.2M']);
});

test('rates with one decimal under 100', () => {
  assert.deepEqual([0, 0.4, 12.5, 340, 15_300].map(formatRate), ['0', '0.4', '12.5', '340', '15k']);
});

test('durations in ms, s, m, h and d; ages and uptime in their largest unit', () => {
  assert.deepEqual(
    [850, 1234, 42_000, 65_000, 2 * 3600_000 + 5 * 60_000, 3 * 86_400_000 + 4 * 3600_000].map(formatDuration),
    ['850ms', '1.2s', '42s', '1m05s', '2h05m', '3d04h'],
  );
  assert.deepEqual([-5, 3000, 150_000, 5 * 3600_000, 3 * 86_400_000].map(formatAge), ['0s', '3s', '2m', '5h', '3d']);
  assert.deepEqual([720, 7500, 3 * 86_400 + 4 * 3600].map(formatUptime), ['12m', '2h 5m', '3d 4h']);
});

test('a result is OK, its errno, or the raw negative number', () => {
  assert.deepEqual([formatResult(3, null), formatResult(-2, 'ENOENT'), formatResult(-200, null)], ['OK', 'ENOENT', '-200']);
});

test('the threshold bar fills by tenths and goes past 100%, and a zero threshold does not divide by zero', () => {
  assert.equal(formatThresholdBar(0.48), '[#####-----]  48%');
  assert.equal(formatThresholdBar(0), '[----------]   0%');
  assert.equal(formatThresholdBar(2.5), '[##########] 250%');
  assert.equal(formatThresholdBar(thresholdFraction(10, 0)), '[##########] 999%');
  assert.equal(thresholdFraction(0, 0), 0);
});

test('text is cut with an ellipsis at either end, padded to its width, and never carries control characters', () => {
  assert.equal(truncate('/var/log/nginx/access.log', 12), '/var/log/ng…');
  assert.equal(truncate('/var/log/nginx/access.log', 12, 'start'), '…/access.log');
  assert.equal(fit('42', 6, 'right'), '    42');
  assert.equal(printable('evil\u001B[2Jname\n'), 'evil?[2Jname?');
  assert.deepEqual(wrap('one two three four', 9), ['one two', 'three', 'four']);
  assert.deepEqual(wrap('abcdefghij', 4), ['abcd', 'efgh', 'ij']);
});
