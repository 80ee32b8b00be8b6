// What a kernel-test VM checks (scripts/test-kernels.sh boots one per kernel of the matrix):
// on a kernel with the bpf LSM, clawtop serves files with lsm/file_open and connects with
// lsm/socket_connect, and every monitor sees what this test causes. It runs in the project
// directory as built JavaScript (scripts/build-vm-checks.ts), with the built addon; node is
// many times slower under emulation, so one session serves every check and the workload
// stays small. Not a *.test.ts: npm test runs on the host, where LSM programs cannot load.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import { statSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { release } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import type { ClawtopEvent, NetEvent } from '../../src/core/decode.ts';
import { findCgroup2Root } from '../../src/core/cgroups.ts';
import { KernelSession, type MonitorName } from '../../src/core/native.ts';
import { syscallName } from '../../src/core/syscalls.ts';
import { watchEvents } from '../kernel/session.ts';
import {
  MIB,
  countingListener,
  sendMebibyteFromCgroup,
  temporaryCgroup,
  temporaryDirectory,
  uniqueName,
  uniqueProgram,
  waitFor,
} from '../kernel/workload.ts';

const MONITORS: readonly MonitorName[] = ['exec', 'files', 'net', 'cgroup', 'syscalls'];
/** Five seconds on the host; emulation is many times slower. */
const ARRIVAL_TIMEOUT_MS = 30_000;
/** Where test/vm/init.sh mounts it, as on most machines. */
const GUEST_CGROUP2_ROOT = '/sys/fs/cgroup';

function assertServedBy(session: KernelSession, monitor: MonitorName, hook: string): void {
  const status = session.report.hooks.find((candidate) => candidate.monitor === monitor);
  assert.deepEqual(
    { hook: status?.hook, mode: status?.mode, attached: status?.attached },
    { hook, mode: 'preferred', attached: true },
    `${monitor}: ${status?.reason ?? ''}`,
  );
}

type EventOf<Kind extends ClawtopEvent['kind']> = Extract<ClawtopEvent, { kind: Kind }>;

/** The first event of a kind that matches, once it has arrived. */
async function arrival<Kind extends ClawtopEvent['kind']>(
  seen: readonly ClawtopEvent[],
  kind: Kind,
  matches: (event: EventOf<Kind>) => boolean,
  what: string,
): Promise<EventOf<Kind>> {
  const isKind = (event: ClawtopEvent): event is EventOf<Kind> => event.kind === kind;
  const find = (): EventOf<Kind> | undefined => {
    for (const event of seen) if (isKind(event) && matches(event)) return event;
    return undefined;
  };
  assert.ok(await waitFor(() => find() !== undefined, ARRIVAL_TIMEOUT_MS), `no ${kind} event: ${what}`);
  return find()!;
}

/** A loopback UDP socket bound to a port of its own, closed at the end. */
async function boundUdp(type: 'udp4' | 'udp6', address: string): Promise<UdpSocket> {
  const socket = createSocket(type);
  socket.bind(0, address);
  await once(socket, 'listening');
  return socket;
}

test(`clawtop on ${release()}`, async (t) => {
  // Every record the kernel sends (cgroup traffic is read from a map instead). clawtop leaves
  // its own process out; here the test process is the workload of the connects.
  const { session, seen } = watchEvents(t, MONITORS, (event): event is ClawtopEvent => event.kind !== 'cgroup', {
    selfTgid: 0,
  });

  await t.test('hook report: files by lsm/file_open, connects by lsm/socket_connect, fentry loads (clawtop --probe)', () => {
    assertServedBy(session, 'files', 'lsm/file_open');
    assertServedBy(session, 'net', 'lsm/socket_connect + tp_btf/inet_sock_set_state');
    const probe = execFileSync(process.execPath, ['dist/cli.js', '--probe'], { encoding: 'utf8' });
    assert.match(probe, /^files +lsm\/file_open +preferred *$/m, probe);
    assert.match(probe, /^net +lsm\/socket_connect \+ tp_btf\/inet_sock_set_state +preferred *$/m, probe);
    assert.match(probe, /^lsm +yes *$/m, probe);
    // No monitor uses fentry yet; the probe must still find that it loads here.
    assert.match(probe, /^fentry +yes *$/m, probe);
  });

  // One child, a uniquely named copy of sh: it execs, opens a file by a relative path from
  // its working directory, and creates one. Its exit status says nothing was denied.
  const directory = temporaryDirectory(t);
  const shell = uniqueProgram(directory, '/bin/sh');
  const existing = uniqueName('read');
  const created = uniqueName('new');
  writeFileSync(join(directory, existing), 'clawtop\n');
  const child = spawnSync(shell.path, ['-c', `cd ${directory} && exec 3< ${existing} && : > ${created}`]);
  const fromChild = (event: ClawtopEvent) => event.tgid === child.pid && event.comm === shell.name;

  await t.test('files (lsm/file_open): a relative open arrives once, with its absolute path; a create as a create; neither denied', async () => {
    assertServedBy(session, 'files', 'lsm/file_open');
    assert.equal(child.status, 0, `the opens failed: ${child.stderr}`);
    // One ring, one CPU: once the child's exit is here, every event of its opens is too.
    await arrival(seen, 'exit', fromChild, shell.name);
    const opensOf = (name: string) =>
      seen.filter((event) => event.kind === 'file' && fromChild(event) && event.path.endsWith(`/${name}`));
    // The guest's root is an overlay: its layer below must not add a second event.
    const [opened, ...extraOpens] = opensOf(existing);
    assert.ok(opened?.kind === 'file', `no file event for ${existing}`);
    assert.deepEqual(extraOpens, [], 'one open, one event');
    assert.equal(opened.path, join(directory, existing), 'the absolute path, from bpf_d_path');
    assert.equal(opened.operation, 'read');
    assert.equal(opened.result, 0);
    assert.equal(opened.inode, statSync(join(directory, existing)).ino);
    const [create, ...extraCreates] = opensOf(created);
    assert.ok(create?.kind === 'file', `no file event for ${created}`);
    assert.deepEqual(extraCreates, [], 'one create, one event');
    assert.equal(create.path, join(directory, created));
    assert.equal(create.operation, 'create');
    assert.equal(create.access, 'write');
  });

  await t.test('exec: the exec and exit of a uniquely named program arrive', async () => {
    const exec = await arrival(seen, 'exec', fromChild, shell.name);
    assert.equal(exec.filename, shell.path);
    assert.equal(exec.ppid, process.pid);
    assert.equal(exec.argv[0], shell.path);
    const exit = await arrival(seen, 'exit', fromChild, shell.name);
    assert.equal(exit.exitCode, 0);
  });

  await t.test('syscalls: its execve and its relative openat arrive, enter and exit merged', async () => {
    const execve = await arrival(seen, 'syscall', (event) => syscallName(event.nr) === 'execve' && event.path === shell.path, 'execve');
    assert.equal(execve.ret, 0);
    const openat = await arrival(seen, 'syscall', (event) => fromChild(event) && event.path === existing, 'openat');
    assert.equal(syscallName(openat.nr), 'openat');
    assert.ok(openat.ret >= 0, `openat returned ${openat.ret}`);
  });

  for (const [family, loopback] of [
    ['ipv4', '127.0.0.1'],
    ['ipv6', '::1'],
  ] as const) {
    await t.test(`net (lsm/socket_connect): ${family} loopback connects arrive, UDP from the LSM, TCP at its outcome, neither denied`, async (check) => {
      assertServedBy(session, 'net', 'lsm/socket_connect + tp_btf/inet_sock_set_state');
      const ours = (event: NetEvent, port: number) =>
        event.tgid === process.pid && event.family === family && event.destinationPort === port;

      const receiver = await boundUdp(family === 'ipv4' ? 'udp4' : 'udp6', loopback);
      const sender = createSocket(family === 'ipv4' ? 'udp4' : 'udp6');
      check.after(() => {
        receiver.close();
        sender.close();
      });
      const udpPort = (receiver.address() as AddressInfo).port;
      sender.connect(udpPort, loopback);
      await once(sender, 'connect');
      const datagram = once(receiver, 'message');
      sender.send('clawtop');
      await datagram;
      const udp = await arrival(seen, 'net', (event) => ours(event, udpPort) && event.protocol === 'udp', `udp to ${udpPort}`);
      assert.equal(udp.direction, 'outbound');
      assert.equal(udp.result, 0);
      assert.equal(udp.destinationAddress, loopback);
      assert.equal(udp.sourcePort, sender.address().port, 'node binds before it connects');

      const server = createServer((socket) => socket.end());
      server.listen(0, loopback);
      await once(server, 'listening');
      check.after(() => server.close());
      const tcpPort = (server.address() as AddressInfo).port;
      const client = connect(tcpPort, loopback);
      await once(client, 'connect');
      const clientPort = client.localPort;
      client.destroy();
      const outbound = await arrival(seen, 'net', (event) => ours(event, tcpPort) && event.direction === 'outbound', `tcp to ${tcpPort}`);
      assert.deepEqual(
        [outbound.protocol, outbound.result, outbound.sourceAddress, outbound.sourcePort, outbound.destinationAddress],
        ['tcp', 0, loopback, clientPort, loopback],
      );
      const inbound = await arrival(
        seen,
        'net',
        (event) => event.family === family && event.sourcePort === tcpPort && event.direction === 'inbound',
        `tcp accepted on ${tcpPort}`,
      );
      assert.deepEqual([inbound.tgid, inbound.destinationPort], [process.pid, clientPort]);
    });
  }

  await t.test('cgroup (cgroup_skb): 1 MiB sent from a child cgroup is counted for it', async (check) => {
    assert.equal(findCgroup2Root(), GUEST_CGROUP2_ROOT);
    const cgroup = temporaryCgroup(check, GUEST_CGROUP2_ROOT);
    const listener = await countingListener(check);
    await sendMebibyteFromCgroup(cgroup, listener.port);
    assert.ok(await waitFor(() => listener.received() === MIB, ARRIVAL_TIMEOUT_MS), `received ${listener.received()} bytes`);
    const sent = session.readCgroupTraffic().find((row) => row.cgroupId === cgroup.id);
    assert.ok(sent, `no traffic counted for cgroup ${cgroup.id}`);
    assert.ok(sent.txBytes >= MIB, `tx bytes ${sent.txBytes} < 1 MiB`);
    assert.ok(sent.txPackets > 0 && sent.rxPackets > 0, 'egress data and ingress acknowledgements');
  });

  // Last: it takes securityfs away from the whole guest.
  await t.test('without securityfs, which alone says the bpf LSM is active, the fallbacks serve files and connects; a relative open arrives with its absolute path, and to the syscalls monitor too', async (check) => {
    execFileSync('umount', ['/sys/kernel/security']);
    const fallback = watchEvents(
      check,
      ['files', 'net', 'syscalls'],
      (event): event is ClawtopEvent => event.kind === 'file' || event.kind === 'syscall',
    );
    const reasons = new Map(fallback.session.report.hooks.map((hook) => [hook.monitor, `${hook.hook}: ${hook.mode}: ${hook.reason}`]));
    assert.match(reasons.get('files')!, /^tracepoint\/syscalls\/sys_exit_openat: fallback: .*cannot tell whether the bpf LSM is active/);
    assert.match(reasons.get('net')!, /^cgroup\/connect\{4,6\} \+ tp_btf\/inet_sock_set_state: fallback: .*cannot tell whether the bpf LSM is active/);
    // Before 6.2 the fallback's direct-load program cannot load and its probe-read twin serves.
    const opener = spawnSync(shell.path, ['-c', `cd ${directory} && exec 3< ${existing}`]);
    assert.equal(opener.status, 0, `the open failed: ${opener.stderr}`);
    const opened = await arrival(fallback.seen, 'file', (event) => event.tgid === opener.pid && event.path.endsWith(`/${existing}`), existing);
    assert.equal(opened.path, join(directory, existing), 'the absolute path, from the dentry walk');
    assert.equal(opened.inode, statSync(join(directory, existing)).ino);
    // The files fallback's program at openat's exit serves the syscalls monitor too.
    const openat = await arrival(fallback.seen, 'syscall', (event) => event.tgid === opener.pid && event.path === existing, existing);
    assert.equal(openat.ret, 3);
  });
});
