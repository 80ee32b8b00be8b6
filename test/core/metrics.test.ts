// The Prometheus metrics from a model fed fixed events: exact lines, the "other" row of the
// bounded tables, promtool's verdict on the whole text, the --metrics address grammar, and
// the HTTP endpoint.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

import type { ExecEvent, NetEvent } from '../../src/core/decode.ts';
import type { KindTotals } from '../../src/core/engine.ts';
import {
  MetricsAddressError,
  createMetricsRegistry,
  parseMetricsAddress,
  startMetricsServer,
  type MetricsSource,
} from '../../src/core/metrics.ts';
import { Model } from '../../src/core/model.ts';
import type { HookStatus } from '../../src/core/native.ts';
import { freePort } from '../kernel/workload.ts';

const common = { tid: 0, ppid: 1, uid: 0 };
const CGROUP_PATHS = new Map([
  [1, '/'],
  [77, '/system.slice/nginx.service'],
]);

function exec(comm: string, cgroupId: number): ExecEvent {
  return {
    kind: 'exec',
    ...common,
    tgid: 100,
    cgroupId,
    comm,
    timestampNs: 1e9,
    filename: `/usr/bin/${comm}`,
    argv: [comm],
    argc: 1,
    argsTruncated: false,
    filenameTruncated: false,
  };
}

function connect(comm: string, remotePort: number): NetEvent {
  return {
    kind: 'net',
    ...common,
    tgid: 200,
    cgroupId: 77,
    comm,
    timestampNs: 1e9,
    family: 'ipv4',
    protocol: 'tcp',
    direction: 'outbound',
    result: 0,
    errno: null,
    sourceAddress: '10.0.0.1',
    sourcePort: 40000,
    destinationAddress: '10.0.0.2',
    destinationPort: remotePort,
  };
}

const HOOKS: HookStatus[] = [
  { monitor: 'exec', hook: 'tp_btf/sched_process_{exec,exit}', mode: 'preferred', attached: true, reason: null },
  { monitor: 'files', hook: 'tracepoint/syscalls/sys_exit_openat', mode: 'fallback', attached: false, reason: 'no bpf LSM' },
];

const KIND_TOTALS: KindTotals[] = [
  { kind: 'exec', emitted: 12, dropped: 2, received: 10 },
  { kind: 'exit', emitted: 9, dropped: 0, received: 9 },
  { kind: 'syscall', emitted: 0, dropped: 0, received: 0 },
  { kind: 'file', emitted: 500, dropped: 7, received: 493 },
  { kind: 'net', emitted: 6, dropped: 0, received: 6 },
  { kind: 'cgroup', emitted: 0, dropped: 0, received: 0 },
  { kind: 'anomaly', emitted: 0, dropped: 0, received: 0 },
];

/**
 * Two command rows and two connection rows at most: make x3, then cc x1, then ld evicts cc
 * (cc's 1 goes to "other"); curl to :80 x2 and :443 x1, then wget evicts the :443 row.
 */
function fixtureSource(): MetricsSource {
  const model = new Model({ capacity: { commands: 2, connections: 2 }, cgroupPath: (id) => CGROUP_PATHS.get(id) });
  for (const event of [exec('make', 77), exec('make', 77), exec('make', 77), exec('cc', 1), exec('ld', 1)]) model.ingest(event, 1);
  for (const event of [connect('curl', 80), connect('curl', 80), connect('curl', 443), connect('wget', 8080)]) {
    model.ingest(event, 1);
  }
  model.sampleCgroupTraffic([{ cgroupId: 77, rxBytes: 2048, txBytes: 1048576, rxPackets: 3, txPackets: 20 }], 2e9);
  return {
    snapshot: () => model.snapshot(2000),
    kindTotals: () => KIND_TOTALS,
    hooks: () => HOOKS,
    counters: () => ({ emitted: [], dropped: [], ringFillBytes: 4096, ringSizeBytes: 8388608 }),
    cgroupTraffic: () => [
      { cgroupId: 77, rxBytes: 2048, txBytes: 1048576, rxPackets: 3, txPackets: 20 },
      { cgroupId: 999, rxBytes: 1, txBytes: 2, rxPackets: 1, txPackets: 1 },
    ],
    cgroupPath: (id) => CGROUP_PATHS.get(id),
  };
}

async function renderFixture(): Promise<string[]> {
  return (await createMetricsRegistry(fixtureSource()).metrics()).split('\n');
}

test('events per kind and monitor: emitted, dropped and received counters', async () => {
  const lines = await renderFixture();
  for (const line of [
    '# TYPE clawtop_events_emitted_total counter',
    'clawtop_events_emitted_total{kind="exec",monitor="exec"} 12',
    'clawtop_events_emitted_total{kind="exit",monitor="exec"} 9',
    'clawtop_events_emitted_total{kind="file",monitor="files"} 500',
    'clawtop_events_dropped_total{kind="exec",monitor="exec"} 2',
    'clawtop_events_dropped_total{kind="file",monitor="files"} 7',
    'clawtop_events_received_total{kind="file",monitor="files"} 493',
    'clawtop_events_received_total{kind="syscall",monitor="syscalls"} 0',
  ]) {
    assert.ok(lines.includes(line), `missing: ${line}`);
  }
  // Cgroup traffic is counted in kernel maps, never as records: no kind without a monitor.
  assert.ok(!lines.some((line) => /kind="(cgroup|anomaly)"/.test(line)));
});

test('hook info names the program serving each monitor, and whether it is attached', async () => {
  const lines = await renderFixture();
  assert.deepEqual(
    lines.filter((line) => line.startsWith('clawtop_hook_info')),
    [
      'clawtop_hook_info{monitor="exec",hook="tp_btf/sched_process_{exec,exit}",mode="preferred",attached="true"} 1',
      'clawtop_hook_info{monitor="files",hook="tracepoint/syscalls/sys_exit_openat",mode="fallback",attached="false"} 1',
    ],
  );
  assert.ok(lines.includes('clawtop_ring_buffer_size_bytes 8388608'));
  assert.ok(lines.includes('clawtop_ring_buffer_used_bytes 4096'));
});

test('per-cgroup traffic from the kernel totals, by path; an id without a path by #id', async () => {
  const lines = await renderFixture();
  for (const line of [
    '# TYPE clawtop_cgroup_network_transmit_bytes_total counter',
    'clawtop_cgroup_network_receive_bytes_total{cgroup="/system.slice/nginx.service"} 2048',
    'clawtop_cgroup_network_transmit_bytes_total{cgroup="/system.slice/nginx.service"} 1048576',
    'clawtop_cgroup_network_receive_packets_total{cgroup="/system.slice/nginx.service"} 3',
    'clawtop_cgroup_network_transmit_packets_total{cgroup="/system.slice/nginx.service"} 20',
    'clawtop_cgroup_network_transmit_bytes_total{cgroup="#999"} 2',
    'clawtop_cgroup_execs_total{cgroup="/system.slice/nginx.service"} 3',
    'clawtop_cgroup_execs_total{cgroup="/"} 2',
    'clawtop_cgroup_connects_total{cgroup="/system.slice/nginx.service"} 4',
  ]) {
    assert.ok(lines.includes(line), `missing: ${line}`);
  }
});

test('per command, the top-K rows and an "other" row: together they add up to every event', async () => {
  const lines = await renderFixture();
  const execs = lines.filter((line) => line.startsWith('clawtop_command_execs_total'));
  assert.deepEqual(execs.sort(), [
    'clawtop_command_execs_total{command="ld"} 1',
    'clawtop_command_execs_total{command="make"} 3',
    'clawtop_command_execs_total{command="other"} 1',
  ]);
  const connects = lines.filter((line) => line.startsWith('clawtop_command_connects_total'));
  assert.deepEqual(connects.sort(), [
    'clawtop_command_connects_total{command="curl"} 2',
    'clawtop_command_connects_total{command="other"} 1',
    'clawtop_command_connects_total{command="wget"} 1',
  ]);
});

test('clawtop\'s own CPU seconds and resident memory', async () => {
  const text = await createMetricsRegistry(fixtureSource()).metrics();
  assert.match(text, /^# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total \d+(\.\d+)?$/m);
  const rss = Number(/^process_resident_memory_bytes (\d+)$/m.exec(text)?.[1]);
  assert.ok(rss > 10 * 1024 * 1024, `resident memory ${rss} bytes`);
});

test('promtool check metrics accepts the whole text', async (t) => {
  const promtool = spawnSync('promtool', ['--version']);
  if (promtool.error) {
    // scripts/setup.sh installs it (Debian package prometheus); CI must not pass without it.
    if (process.env.CLAWTOP_REQUIRE_BPF === '1') assert.fail('promtool not found: run scripts/setup.sh');
    t.skip('promtool not found: run scripts/setup.sh');
    return;
  }
  const text = await createMetricsRegistry(fixtureSource()).metrics();
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(result.stdout + result.stderr, '');
  assert.equal(result.status, 0);
});

test('--metrics [HOST:]PORT: 127.0.0.1 unless a host is written', () => {
  assert.deepEqual(parseMetricsAddress('9090'), { host: '127.0.0.1', port: 9090 });
  assert.deepEqual(parseMetricsAddress('0.0.0.0:9100'), { host: '0.0.0.0', port: 9100 });
  assert.deepEqual(parseMetricsAddress('localhost:1'), { host: 'localhost', port: 1 });
  assert.deepEqual(parseMetricsAddress('[::1]:65535'), { host: '::1', port: 65535 });
  for (const [text, why] of [
    ['0', 'PORT must be from 1 to 65535'],
    ['65536', 'PORT must be from 1 to 65535'],
    ['http', 'PORT is not a number'],
    ['9090.5', 'PORT is not a number'],
    ['', 'PORT is not a number'],
    [':9090', 'HOST is empty'],
    ['::1:9090', 'write an IPv6 HOST in brackets'],
  ] as const) {
    assert.throws(
      () => parseMetricsAddress(text),
      new MetricsAddressError(`--metrics must be [HOST:]PORT such as 9090 or 0.0.0.0:9090 (${why}), got "${text}"`),
    );
  }
});

test('the endpoint: 503 until served, then the text at /metrics, 404 elsewhere, and a taken port named', async (t) => {
  const server = await startMetricsServer({ host: '127.0.0.1', port: await freePort() });
  t.after(() => server.close());
  const url = `http://127.0.0.1:${server.address.port}`;
  assert.equal((await fetch(`${url}/metrics`)).status, 503);
  server.serve(createMetricsRegistry(fixtureSource()));
  const response = await fetch(`${url}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  assert.ok((await response.text()).includes('clawtop_command_execs_total{command="make"} 3\n'));
  assert.equal((await fetch(`${url}/other`)).status, 404);
  await assert.rejects(
    startMetricsServer(server.address),
    new Error(`failed to listen on 127.0.0.1:${server.address.port}: address already in use`),
  );
  // close() resolves even with a kept-alive connection open, and the port is free again.
  await server.close();
  const again = await startMetricsServer(server.address);
  await again.close();
});

