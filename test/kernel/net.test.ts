// The net monitor against the real kernel: loopback connections the test makes, seen from both ends.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import type { NetEvent } from '../../src/core/decode.ts';
import type { KernelSession } from '../../src/core/native.ts';
import { kernelPrerequisiteMissing, missingFileReason, notRootReason } from './gate.ts';
import { addonMissingReason, watchEvents } from './session.ts';
import { temporaryDirectory, uniqueProgram, waitFor, exitOf } from './workload.ts';

const PYTHON = '/usr/bin/python3';

function prerequisiteMissing(t: TestContext): boolean {
  return kernelPrerequisiteMissing(
    t,
    notRootReason() ?? addonMissingReason() ?? missingFileReason(PYTHON, 'apt-get install python3'),
  );
}

/**
 * Binds every port the test uses, so none is reused by anyone while it runs: listening TCP
 * sockets (accepting until killed), one bound TCP socket that never listens (connects to it
 * are refused) and one bound UDP socket. Prints them as one JSON line.
 */
const SERVER = `
import json, select, socket, sys
family = socket.AF_INET6 if sys.argv[1] == '6' else socket.AF_INET
def bound(kind):
    s = socket.socket(family, kind)
    s.bind((sys.argv[2], 0))
    return s
listeners = [bound(socket.SOCK_STREAM) for _ in range(int(sys.argv[3]))]
for s in listeners:
    s.listen()
closed = bound(socket.SOCK_STREAM)
udp = bound(socket.SOCK_DGRAM)
print(json.dumps({'listening': [s.getsockname()[1] for s in listeners],
                  'closed': closed.getsockname()[1], 'udp': udp.getsockname()[1]}), flush=True)
accepted = []
while True:
    for s in select.select(listeners, [], [])[0]:
        accepted.append(s.accept()[0])
`;

/** Connects once and prints its own port, or 'refused'. */
const CLIENT = `
import socket, sys
family = socket.AF_INET6 if sys.argv[1] == '6' else socket.AF_INET
kind = socket.SOCK_DGRAM if sys.argv[4] == 'udp' else socket.SOCK_STREAM
s = socket.socket(family, kind)
try:
    s.connect((sys.argv[2], int(sys.argv[3])))
except ConnectionRefusedError:
    print('refused')
    sys.exit(0)
print(s.getsockname()[1])
`;

type Family = '4' | '6';
const LOOPBACK: Record<Family, string> = { '4': '127.0.0.1', '6': '::1' };
const FAMILY_NAME: Record<Family, NetEvent['family']> = { '4': 'ipv4', '6': 'ipv6' };

interface Server {
  readonly pid: number;
  readonly listening: number[];
  readonly closed: number;
  readonly udp: number;
}

interface Peers {
  readonly server: (family: Family, listeners?: number) => Promise<Server>;
  /** Connects from a new process; returns its pid and what it printed. */
  readonly connect: (family: Family, port: number, kind?: 'tcp' | 'udp') => { pid: number; output: string };
}

/** Server and client run as uniquely named copies of python3: not the test process, which is never reported. */
function peers(t: TestContext): Peers {
  const directory = temporaryDirectory(t);
  const serverProgram = uniqueProgram(directory, PYTHON);
  const clientProgram = uniqueProgram(directory, PYTHON);
  return {
    async server(family, listeners = 1) {
      const child = spawn(serverProgram.path, ['-c', SERVER, family, LOOPBACK[family], String(listeners)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      t.after(async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGKILL');
          await exitOf(child);
        }
      });
      const lines = createInterface({ input: child.stdout });
      const [line] = (await Promise.race([
        once(lines, 'line'),
        exitOf(child).then(() => assert.fail('the server exited before binding its ports')),
      ])) as [string];
      lines.close();
      return { pid: child.pid!, ...(JSON.parse(line) as Omit<Server, 'pid'>) };
    },
    connect(family, port, kind = 'tcp') {
      const result = spawnSync(clientProgram.path, ['-c', CLIENT, family, LOOPBACK[family], String(port), kind], {
        encoding: 'utf8',
        timeout: 10_000,
      });
      assert.equal(result.status, 0, `client failed: ${result.stderr}`);
      return { pid: result.pid, output: result.stdout.trim() };
    },
  };
}

interface Watch {
  readonly session: KernelSession;
  /** NET events with one of `ports` at either end. */
  readonly seen: NetEvent[];
  readonly ports: Set<number>;
}

function watchPorts(t: TestContext): Watch {
  const ports = new Set<number>();
  const { session, seen } = watchEvents(
    t,
    ['net'],
    (event): event is NetEvent =>
      event.kind === 'net' && (ports.has(event.sourcePort) || ports.has(event.destinationPort)),
  );
  return { session, seen, ports };
}

function withPort(events: NetEvent[], port: number): NetEvent[] {
  return events.filter((event) => event.sourcePort === port || event.destinationPort === port);
}

/** Events come in the poll after the connection: wait for the expected ones, then a little for extras. */
async function settle(condition: () => boolean): Promise<void> {
  assert.ok(await waitFor(condition, 5000), 'the expected NET events did not arrive');
  await sleep(100);
}

for (const family of ['4', '6'] as const) {
  test(`a TCP connect over IPv${family} is reported once outbound and once inbound, mirrored`, async (t) => {
    if (prerequisiteMissing(t)) return;
    const { seen, ports } = watchPorts(t);
    const { server, connect } = peers(t);
    const listener = await server(family);
    const [port] = listener.listening as [number];
    ports.add(port);

    const client = connect(family, port);
    const clientPort = Number(client.output);
    await settle(() => seen.length >= 2);

    const address = LOOPBACK[family];
    const byDirection = [...seen].sort((a, b) => a.direction.localeCompare(b.direction));
    assert.deepEqual(
      byDirection.map((event) => [event.direction, event.tgid]),
      [
        ['inbound', listener.pid],
        ['outbound', client.pid],
      ],
    );
    const [inbound, outbound] = byDirection as [NetEvent, NetEvent];
    for (const event of seen) {
      assert.equal(event.family, FAMILY_NAME[family]);
      assert.equal(event.protocol, 'tcp');
      assert.equal(event.result, 0);
      assert.equal(event.errno, null);
      assert.equal(event.ppid, process.pid);
      assert.equal(event.uid, 0);
    }
    assert.deepEqual(
      [outbound.sourceAddress, outbound.sourcePort, outbound.destinationAddress, outbound.destinationPort],
      [address, clientPort, address, port],
    );
    // The listener's side of the same connection: its own end is the source.
    assert.deepEqual(
      [inbound.sourceAddress, inbound.sourcePort, inbound.destinationAddress, inbound.destinationPort],
      [address, port, address, clientPort],
    );
  });
}

test('a connect to a closed port is reported refused, with no inbound side', async (t) => {
  if (prerequisiteMissing(t)) return;
  const { seen, ports } = watchPorts(t);
  const { server, connect } = peers(t);
  const { closed } = await server('4', 0);
  ports.add(closed);

  const client = connect('4', closed);
  assert.equal(client.output, 'refused');
  await settle(() => seen.length >= 1);

  assert.equal(seen.length, 1);
  const [refused] = seen as [NetEvent];
  assert.equal(refused.tgid, client.pid);
  assert.equal(refused.direction, 'outbound');
  assert.equal(refused.protocol, 'tcp');
  assert.equal(refused.errno, 'ECONNREFUSED');
  assert.ok(refused.result < 0, `result ${refused.result}`);
  assert.equal(refused.sourceAddress, '127.0.0.1');
  assert.ok(refused.sourcePort > 0, 'the source port survives the close');
  assert.equal(refused.destinationAddress, '127.0.0.1');
  assert.equal(refused.destinationPort, closed);
});

for (const family of ['4', '6'] as const) {
  test(`a UDP connect over IPv${family} is reported as udp, from the connect`, async (t) => {
    if (prerequisiteMissing(t)) return;
    const { seen, ports } = watchPorts(t);
    const { server, connect } = peers(t);
    const { udp } = await server(family, 0);
    ports.add(udp);

    const client = connect(family, udp, 'udp');
    await settle(() => seen.length >= 1);

    assert.equal(seen.length, 1);
    const [event] = seen as [NetEvent];
    assert.equal(event.tgid, client.pid);
    assert.equal(event.family, FAMILY_NAME[family]);
    assert.equal(event.protocol, 'udp');
    assert.equal(event.direction, 'outbound');
    assert.equal(event.result, 0);
    assert.equal(event.destinationAddress, LOOPBACK[family]);
    assert.equal(event.destinationPort, udp);
  });
}

test('the in-kernel port filter lets only its port through, until lifted', async (t) => {
  if (prerequisiteMissing(t)) return;
  const { session, seen, ports } = watchPorts(t);
  const { server, connect } = peers(t);
  const [kept, filtered] = (await server('4', 2)).listening as [number, number];
  ports.add(kept).add(filtered);

  session.setFilter('filterPort', kept);
  connect('4', filtered);
  connect('4', kept);
  await settle(() => withPort(seen, kept).length >= 2);
  assert.equal(withPort(seen, filtered).length, 0, 'an event of the filtered-out port got through');
  assert.deepEqual(seen.map((event) => event.direction).sort(), ['inbound', 'outbound']);

  session.setFilter('filterPort', null);
  connect('4', filtered);
  await settle(() => withPort(seen, filtered).length >= 2);
  assert.deepEqual(withPort(seen, filtered).map((event) => event.direction).sort(), ['inbound', 'outbound']);
});
