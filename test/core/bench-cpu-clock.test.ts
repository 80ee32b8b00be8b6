// The benchmarks' CPU clock (bench/proc.ts), against a real process: it must count the
// time of a thread started after it began following, and agree with /proc/<pid>/stat.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { CpuClock } from '../../bench/proc.ts';

/**
 * On a line of stdin, spins its main thread for SPIN_MS, then starts a worker thread that
 * spins as long and stays: prints "ready", then "done".
 */
const SPINNER = `
const { Worker } = require('node:worker_threads');
const WORKER = 'const { parentPort } = require("node:worker_threads");' +
  'const end = Date.now() + Number(process.argv.at(-1)); while (Date.now() < end);' +
  'parentPort.postMessage("spun"); setInterval(() => {}, 60000);';
const spinMs = Number(process.argv.at(-1));
process.stdin.once('data', () => {
  const end = Date.now() + spinMs;
  while (Date.now() < end);
  new Worker(WORKER, { eval: true, argv: [spinMs] }).on('message', () => console.log('done'));
});
console.log('ready');
`;
const SPIN_MS = 200;

const statSeconds = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};

test('CpuClock counts every thread, one started after it too, as /proc/<pid>/stat does', async () => {
  const child = spawn(process.execPath, ['-e', SPINNER, String(SPIN_MS)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = child.stdout.setEncoding('utf8');
  try {
    await once(lines, 'data');
    const clock = new CpuClock(child.pid!);
    const before = clock.read()!;
    const statBefore = statSeconds(child.pid!);
    child.stdin.write('go\n');
    await once(lines, 'data');
    const after = clock.read()!;
    const statAfter = statSeconds(child.pid!);
    clock.stop();

    const spent = after.totalSeconds - before.totalSeconds;
    assert.ok(spent >= (2 * SPIN_MS) / 1000, `both spins counted: ${spent} s`);
    assert.ok(Math.abs(spent - (statAfter - statBefore)) < 0.05, `${spent} s against stat's ${statAfter - statBefore} s`);
    assert.ok((after.secondsByName.get('main') ?? 0) - (before.secondsByName.get('main') ?? 0) >= SPIN_MS / 1000);
  } finally {
    child.kill();
  }
});

test('CpuClock reads nothing once the process is gone', async () => {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  await once(child, 'spawn');
  const clock = new CpuClock(child.pid!);
  assert.ok(clock.read() !== undefined);
  child.kill();
  await once(child, 'exit');
  // Reaped: /proc/<pid> is gone.
  assert.equal(clock.read(), undefined);
  clock.stop();
});
