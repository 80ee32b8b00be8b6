// Workloads the kernel tests cause themselves, named so nothing else on the host matches.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { findCgroup2Root } from '../../src/core/cgroups.ts';

/** A name that fits a 15-character comm whole and that no other process has. */
export function uniqueName(prefix = 'ct'): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

/** A temporary directory removed when the test ends. */
export function temporaryDirectory(t: TestContext): string {
  const directory = mkdtempSync(join(tmpdir(), 'clawtop-test-'));
  t.after(() => rmSync(directory, { recursive: true, force: true }));
  return directory;
}

/** A copy of an executable under a unique name, so its execs carry that comm. */
export function uniqueProgram(directory: string, source: string): { path: string; name: string } {
  const name = uniqueName();
  const path = join(directory, name);
  copyFileSync(source, path);
  chmodSync(path, 0o755);
  return { path, name };
}

export async function waitFor(condition: () => boolean, timeoutMs: number, intervalMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(intervalMs);
  }
  return true;
}

export const MIB = 1024 * 1024;

/** Waits for one byte on stdin, then sends exactly 1 MiB to 127.0.0.1:<port> and exits. */
const MEBIBYTE_SENDER = `
const net = require('node:net');
process.stdin.once('data', () => {
  process.stdin.destroy();
  const socket = net.connect(Number(process.argv[1]), '127.0.0.1', () => socket.end(Buffer.alloc(${MIB}, 1)));
  socket.on('error', (error) => { console.error(error.message); process.exit(1); });
});
`;

/**
 * A new child cgroup of the v2 root, removed when the test ends: its processes are killed
 * and awaited first, since a cgroup with processes cannot be removed.
 */
export function temporaryCgroup(t: TestContext, root: string): { path: string; id: number; members: ChildProcess[] } {
  const path = join(root, `clawtop-test-${uniqueName()}`);
  mkdirSync(path);
  const members: ChildProcess[] = [];
  t.after(async () => {
    for (const member of members) {
      if (member.exitCode === null && member.signalCode === null) {
        member.kill('SIGKILL');
        await exitOf(member);
      }
    }
    await waitFor(() => readFileSync(join(path, 'cgroup.procs'), 'utf8').trim() === '', 5000);
    for (let attempt = 0; ; attempt++) {
      try {
        rmdirSync(path);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EBUSY' || attempt >= 50) throw error;
        await sleep(100);
      }
    }
  });
  return { path, id: statSync(path).ino, members };
}

/** A loopback listener that counts what it receives; closed when the test ends. */
export async function countingListener(t: TestContext): Promise<{ port: number; received: () => number }> {
  let received = 0;
  const server: Server = createServer((socket) => socket.on('data', (chunk) => (received += chunk.length)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, received: () => received };
}

/**
 * Runs a process in the cgroup that sends exactly 1 MiB to 127.0.0.1:<port>. It joins the
 * cgroup before it makes its socket: a socket belongs to its creator's cgroup.
 */
export async function sendMebibyteFromCgroup(cgroup: { path: string; members: ChildProcess[] }, port: number) {
  const sender = spawn(process.execPath, ['-e', MEBIBYTE_SENDER, String(port)], { stdio: ['pipe', 'ignore', 'inherit'] });
  cgroup.members.push(sender);
  await once(sender, 'spawn');
  writeFileSync(join(cgroup.path, 'cgroup.procs'), String(sender.pid));
  sender.stdin!.end('go');
  const [exitCode] = await exitOf(sender);
  assert.equal(exitCode, 0, 'the sender failed');
}

/**
 * The child's exit: at once if it has already exited, where once(child, 'exit') would wait
 * for an event that already came.
 */
export function exitOf(child: ChildProcess): Promise<[number | null, NodeJS.Signals | null]> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve([child.exitCode, child.signalCode]);
  return once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
}

export function cgroupV2MissingReason(): string | undefined {
  return findCgroup2Root() === undefined ? 'no cgroup v2 hierarchy is mounted' : undefined;
}

export async function connectAndClose(port: number): Promise<void> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.destroy();
}

/** A loopback port nobody listens on now. */
export async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * A workload whose every count is known: execs of a uniquely named program, opens of a
 * unique file, connects to a listener of its own, and 1 MiB sent from a child cgroup to
 * another. Everything it makes is removed when the test ends.
 */
export interface KnownWorkload {
  readonly program: { readonly path: string; readonly name: string };
  readonly file: string;
  readonly cgroup: { readonly path: string; readonly id: number; readonly members: ChildProcess[] };
  readonly connectPort: number;
  /** Makes the execs, opens and connects, then sends the cgroup's 1 MiB. */
  run(counts: { readonly execs: number; readonly opens: number; readonly connects: number }): Promise<void>;
}

export async function prepareKnownWorkload(t: TestContext, directory: string): Promise<KnownWorkload> {
  const program = uniqueProgram(directory, '/bin/true');
  const file = join(directory, `${uniqueName()}.data`);
  writeFileSync(file, 'clawtop');
  const cgroup = temporaryCgroup(t, findCgroup2Root()!);
  const connectListener = await countingListener(t);
  const trafficListener = await countingListener(t);
  return {
    program,
    file,
    cgroup,
    connectPort: connectListener.port,
    async run({ execs, opens, connects }) {
      for (let run = 0; run < execs; run++) execFileSync(program.path);
      for (let open = 0; open < opens; open++) closeSync(openSync(file, 'r'));
      for (let attempt = 0; attempt < connects; attempt++) await connectAndClose(connectListener.port);
      await sendMebibyteFromCgroup(cgroup, trafficListener.port);
      assert.ok(await waitFor(() => trafficListener.received() === MIB, 5000), 'the 1 MiB did not arrive');
    },
  };
}
