// clawtop --metrics scraped by a real Prometheus server on loopback: a cgroup of the test's
// own sends 1 MiB, and Prometheus's query API must show that cgroup's traffic by its path.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { findCgroup2Root } from '../../src/core/cgroups.ts';
import { kernelPrerequisiteMissing, notRootReason } from './gate.ts';
import { CLAWTOP, PROJECT } from './process.ts';
import { addonMissingReason } from './session.ts';
import {
  MIB,
  cgroupV2MissingReason,
  countingListener,
  exitOf,
  freePort,
  sendMebibyteFromCgroup,
  temporaryCgroup,
} from './workload.ts';


function missingProgram(name: string): string | undefined {
  return spawnSync(name, ['--version']).error ? `${name} not found: run scripts/setup.sh (Debian package prometheus)` : undefined;
}

function prerequisiteMissing(t: TestContext): boolean {
  return kernelPrerequisiteMissing(
    t,
    notRootReason() ??
      addonMissingReason() ??
      cgroupV2MissingReason() ??
      missingProgram('prometheus') ??
      missingProgram('promtool'),
  );
}

/** A process of the test's, ended by its pid when the test ends (SIGTERM, then SIGKILL). */
function startProcess(t: TestContext, command: string, args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(command, args, { cwd: PROJECT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  t.after(() => stopProcess(child));
  return { child, output: () => output };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = exitOf(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Polls until read() returns a value, or fails with what was last seen. */
async function poll<Value>(what: string, read: () => Promise<Value | undefined>, timeoutMs: number): Promise<Value> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await read();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) assert.fail(`${what} within ${timeoutMs} ms${lastError ? `: ${String(lastError)}` : ''}`);
    await sleep(200);
  }
}

interface QueryResult {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

async function query(prometheusUrl: string, promql: string): Promise<QueryResult[]> {
  const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await response.json()) as { status: string; data?: { result: QueryResult[] }; error?: string };
  assert.equal(body.status, 'success', `query ${promql}: ${body.error}`);
  return body.data!.result;
}

test('Prometheus scrapes clawtop --metrics and finds the 1 MiB a cgroup of the test sent', async (t) => {
  if (prerequisiteMissing(t)) return;
  const cgroup = temporaryCgroup(t, findCgroup2Root()!);
  const cgroupLabel = `/${basename(cgroup.path)}`;
  const listener = await countingListener(t);
  const workDirectory = mkdtempSync(join(tmpdir(), 'clawtop-prometheus-'));
  // Registered before the processes are started, so it runs after they are stopped.
  t.after(() => rmSync(workDirectory, { recursive: true, force: true }));

  const metricsPort = await freePort();
  const clawtop = startProcess(t, process.execPath, [...CLAWTOP, '--metrics', String(metricsPort), '--monitors', 'cgroup']);
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  await poll(`clawtop serving ${metricsUrl} (output: ${clawtop.output()})`, async () => ((await fetch(metricsUrl)).ok ? true : undefined), 15_000);

  await sendMebibyteFromCgroup(cgroup, listener.port);
  assert.equal(listener.received(), MIB);

  // promtool on what clawtop really serves.
  const scraped = await (await fetch(metricsUrl)).text();
  const check = spawnSync('promtool', ['check', 'metrics'], { input: scraped, encoding: 'utf8' });
  assert.equal(check.status, 0, `promtool check metrics: ${check.stdout}${check.stderr}`);

  const prometheusPort = await freePort();
  writeFileSync(
    join(workDirectory, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      'scrape_configs:',
      '  - job_name: clawtop',
      '    static_configs:',
      `      - targets: ['127.0.0.1:${metricsPort}']`,
      '',
    ].join('\n'),
  );
  const prometheus = startProcess(t, 'prometheus', [
    `--config.file=${join(workDirectory, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(workDirectory, 'data')}`,
    `--web.listen-address=127.0.0.1:${prometheusPort}`,
  ]);
  const prometheusUrl = `http://127.0.0.1:${prometheusPort}`;

  // Two successful scrapes of clawtop.
  await poll(
    'two successful scrapes of clawtop',
    async () => {
      const [samples] = await query(prometheusUrl, 'sum_over_time(up{job="clawtop"}[1m])');
      return samples !== undefined && Number(samples.value[1]) >= 2 ? true : undefined;
    },
    30_000,
  ).catch((error: Error) => assert.fail(`${error.message}; prometheus said: ${prometheus.output().slice(-2000)}`));

  const [transmitted] = await poll(
    `clawtop_cgroup_network_transmit_bytes_total{cgroup="${cgroupLabel}"} in Prometheus`,
    async () => {
      const result = await query(prometheusUrl, `clawtop_cgroup_network_transmit_bytes_total{job="clawtop",cgroup="${cgroupLabel}"}`);
      return result.length > 0 ? result : undefined;
    },
    10_000,
  );
  assert.ok(Number(transmitted!.value[1]) >= MIB, `tx bytes ${transmitted!.value[1]} < 1 MiB`);
  t.diagnostic(`Prometheus saw ${cgroupLabel} send ${transmitted!.value[1]} bytes; the scrape was ${scraped.length} bytes`);
  const [packets] = await query(prometheusUrl, `clawtop_cgroup_network_transmit_packets_total{cgroup="${cgroupLabel}"}`);
  assert.ok(Number(packets?.value[1]) > 0, 'tx packets counted');
  const [hook] = await query(prometheusUrl, 'clawtop_hook_info{monitor="cgroup"}');
  assert.equal(hook?.metric.attached, 'true');

  // SIGTERM is a normal end for the headless exporter: it exits 0 and the port is free again.
  await stopProcess(prometheus.child);
  const exited = exitOf(clawtop.child);
  clawtop.child.kill('SIGTERM');
  const [exitCode] = await exited;
  assert.equal(exitCode, 0, `clawtop: ${clawtop.output()}`);
  await assert.rejects(fetch(metricsUrl), 'the metrics port is closed');
});
