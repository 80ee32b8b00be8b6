// --metrics mistakes never reach the kernel: a bad address is a usage error (exit 2), an
// address that cannot be bound a runtime failure (exit 1) naming the address; one line each.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { exitOf } from '../kernel/workload.ts';

const PROJECT = new URL('../..', import.meta.url).pathname;

async function clawtop(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.tsx', ...args], { cwd: PROJECT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [status] = await exitOf(child);
  return { status, stdout, stderr };
}

const USAGE = '--metrics must be [HOST:]PORT such as 9090 or 0.0.0.0:9090';

for (const [value, why] of [
  ['70000', 'PORT must be from 1 to 65535'],
  ['nine', 'PORT is not a number'],
  [':9090', 'HOST is empty'],
] as const) {
  test(`clawtop --metrics ${value} -> exit 2: ${why}`, async () => {
    const result = await clawtop('--metrics', value);
    assert.equal(result.stderr, `clawtop: ${USAGE} (${why}), got "${value}"\n`);
    assert.equal(result.stdout, '');
    assert.equal(result.status, 2);
  });
}

test('clawtop --metrics on a taken port -> exit 1, naming the address', async (t) => {
  const taken = createServer().listen(0, '127.0.0.1');
  await once(taken, 'listening');
  t.after(() => new Promise((resolve) => taken.close(resolve)));
  const { port } = taken.address() as AddressInfo;
  const result = await clawtop('--json', '--metrics', String(port));
  assert.equal(result.stderr, `clawtop: failed to listen on 127.0.0.1:${port}: address already in use\n`);
  assert.equal(result.stdout, '');
  assert.equal(result.status, 1);
});
