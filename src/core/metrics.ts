// --metrics: the running core as Prometheus metrics (docs/METRICS.md), served over HTTP.
// Every value is read from the engine when Prometheus scrapes, never counted per event.
import { createServer, type Server } from 'node:http';

import { Counter, Gauge, Registry } from 'prom-client';

import { monotonicNowNs, type Engine, type KindTotals } from './engine.ts';
import { userFacingHooks } from './hook-report.ts';
import type { ModelSnapshot } from './model.ts';
import { MONITOR_OF_KIND } from './monitor-rates.ts';
import type { CgroupTrafficTotals, HookStatus, KernelCounters } from './native.ts';

export const DEFAULT_METRICS_HOST = '127.0.0.1';
export const METRICS_PATH = '/metrics';
/** The label value of what the core's bounded tables could not keep a row for. */
export const OTHER_LABEL = 'other';
/** Far below any scrape interval, far above the time one scrape takes. */
const SNAPSHOT_REUSE_MS = 250;

export interface MetricsAddress {
  readonly host: string;
  readonly port: number;
}

/** Thrown for --metrics text that is not [HOST:]PORT; the message is the whole complaint. */
export class MetricsAddressError extends Error {}

/**
 * "9090" (on 127.0.0.1), "0.0.0.0:9090", "localhost:9090", "[::1]:9090". An IPv6 host needs
 * brackets, and an empty host is refused: listening on every interface must be written out.
 */
export function parseMetricsAddress(text: string): MetricsAddress {
  const problem = (why: string) =>
    new MetricsAddressError(`--metrics must be [HOST:]PORT such as 9090 or 0.0.0.0:9090 (${why}), got "${text}"`);
  const separator = text.lastIndexOf(':');
  const portText = text.slice(separator + 1);
  let host = separator < 0 ? DEFAULT_METRICS_HOST : text.slice(0, separator);
  if (!/^\d+$/.test(portText)) throw problem('PORT is not a number');
  const port = Number(portText);
  if (port < 1 || port > 65535) throw problem('PORT must be from 1 to 65535');
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  else if (host.includes(':')) throw problem('write an IPv6 HOST in brackets');
  if (host === '') throw problem('HOST is empty');
  return { host, port };
}

export function formatMetricsAddress({ host, port }: MetricsAddress): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** What the metrics are read from at each scrape; an Engine in clawtop, a fixture in tests. */
export interface MetricsSource {
  snapshot(): ModelSnapshot;
  kindTotals(): readonly KindTotals[];
  hooks(): readonly HookStatus[];
  counters(): KernelCounters;
  /** The kernel's traffic totals since load, per cgroup id. */
  cgroupTraffic(): readonly CgroupTrafficTotals[];
  cgroupPath(cgroupId: number): string | undefined;
}

/**
 * The engine as a metrics source. The model's snapshot is taken at the scrape itself: the
 * publisher's is frozen while the screen is paused and is not refreshed in headless modes.
 */
export function engineMetricsSource(engine: Engine): MetricsSource {
  return {
    snapshot: () => engine.model.snapshot(monotonicNowNs() / 1e6),
    kindTotals: () => engine.kindTotals(),
    hooks: () => userFacingHooks(engine.session.report).hooks,
    counters: () => engine.session.readCounters(),
    cgroupTraffic: () => engine.session.readCgroupTraffic(),
    cgroupPath: (cgroupId) => engine.cgroupPath(cgroupId),
  };
}

/**
 * A registry whose metrics each read the source when collected. Counters are reset and
 * set to the source's totals at every collection, so a row the core dropped disappears.
 */
export function createMetricsRegistry(source: MetricsSource): Registry {
  const registry = new Registry();
  registerProcessMetrics(registry);

  // The metrics that read tables share one snapshot per scrape (their collect() calls run
  // back to back): the model is copied once, not once per metric.
  let shared: { snapshot: ModelSnapshot; takenAtMs: number } | undefined;
  const snapshot = () => {
    const nowMs = performance.now();
    if (shared === undefined || nowMs - shared.takenAtMs > SNAPSHOT_REUSE_MS) {
      shared = { snapshot: source.snapshot(), takenAtMs: nowMs };
    }
    return shared.snapshot;
  };

  const counterOf = <Label extends string>(
    name: string,
    help: string,
    labelNames: readonly Label[],
    read: () => Iterable<[Record<Label, string>, number]>,
  ) =>
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const [labels, value] of read()) this.inc(labels as never, value);
      },
    });

  const perKind = (field: 'emitted' | 'dropped' | 'received') =>
    function* (): Iterable<[Record<'kind' | 'monitor', string>, number]> {
      for (const totals of source.kindTotals()) {
        const monitor = MONITOR_OF_KIND[totals.kind];
        if (monitor !== undefined) yield [{ kind: totals.kind, monitor }, totals[field]];
      }
    };
  counterOf('clawtop_events_emitted_total', 'Records the kernel programs emitted, per record kind.', ['kind', 'monitor'], perKind('emitted'));
  counterOf(
    'clawtop_events_dropped_total',
    'Records lost because the ring buffer was full, per record kind.',
    ['kind', 'monitor'],
    perKind('dropped'),
  );
  counterOf('clawtop_events_received_total', 'Records clawtop read from the ring buffer, per record kind.', ['kind', 'monitor'], perKind('received'));

  new Gauge({
    name: 'clawtop_hook_info',
    help: 'The program serving each monitor: mode is preferred, fallback or unavailable; attached is whether it runs now.',
    labelNames: ['monitor', 'hook', 'mode', 'attached'],
    registers: [registry],
    collect() {
      this.reset();
      for (const hook of source.hooks()) {
        this.set({ monitor: hook.monitor, hook: hook.hook, mode: hook.mode, attached: String(hook.attached) }, 1);
      }
    },
  });

  new Gauge({
    name: 'clawtop_ring_buffer_size_bytes',
    help: 'Size of the kernel ring buffer (--ring-size).',
    registers: [registry],
    collect() {
      this.set(source.counters().ringSizeBytes);
    },
  });
  new Gauge({
    name: 'clawtop_ring_buffer_used_bytes',
    help: 'Bytes queued in the ring buffer, not yet read; a ring near full is about to drop records.',
    registers: [registry],
    collect() {
      this.set(source.counters().ringFillBytes);
    },
  });

  // Per cgroup traffic, from the kernel's totals; two ids with one path (a cgroup removed and
  // made again) are summed into one series.
  const perCgroupTraffic = (field: keyof Omit<CgroupTrafficTotals, 'cgroupId'>) =>
    function* (): Iterable<[Record<'cgroup', string>, number]> {
      for (const totals of source.cgroupTraffic()) {
        yield [{ cgroup: source.cgroupPath(totals.cgroupId) ?? `#${totals.cgroupId}` }, totals[field]];
      }
    };
  counterOf('clawtop_cgroup_network_receive_bytes_total', 'Bytes received by sockets of the cgroup (cgroup_skb ingress).', ['cgroup'], perCgroupTraffic('rxBytes'));
  counterOf('clawtop_cgroup_network_transmit_bytes_total', 'Bytes sent by sockets of the cgroup (cgroup_skb egress).', ['cgroup'], perCgroupTraffic('txBytes'));
  counterOf('clawtop_cgroup_network_receive_packets_total', 'Packets received by sockets of the cgroup.', ['cgroup'], perCgroupTraffic('rxPackets'));
  counterOf('clawtop_cgroup_network_transmit_packets_total', 'Packets sent by sockets of the cgroup.', ['cgroup'], perCgroupTraffic('txPackets'));

  const perCgroupActivity = (field: 'execs' | 'opens' | 'connects') =>
    function* (): Iterable<[Record<'cgroup', string>, number]> {
      for (const row of snapshot().cgroups) yield [{ cgroup: row.path }, row[field]];
    };
  counterOf('clawtop_cgroup_execs_total', 'Programs executed by processes of the cgroup.', ['cgroup'], perCgroupActivity('execs'));
  counterOf('clawtop_cgroup_file_opens_total', 'Files opened by processes of the cgroup.', ['cgroup'], perCgroupActivity('opens'));
  counterOf('clawtop_cgroup_connects_total', 'Connections made or accepted by processes of the cgroup.', ['cgroup'], perCgroupActivity('connects'));

  // Per command, bounded by the core's top-K tables. Each row counts what is certainly its
  // own (count - overestimate), and "other" what evicted rows certainly had, so the series
  // add up to the table's total.
  counterOf('clawtop_command_execs_total', 'Programs executed, per command (comm); "other" for commands the table did not keep.', ['command'], function* () {
    const { commands, otherCounts } = snapshot();
    for (const row of commands) yield [{ command: row.comm }, row.execs - row.execsOverestimate];
    yield [{ command: OTHER_LABEL }, otherCounts.commands];
  });
  counterOf('clawtop_command_connects_total', 'Connections made or accepted, per command (comm); "other" for rows the table did not keep.', ['command'], function* () {
    const { connections, otherCounts } = snapshot();
    for (const row of connections) yield [{ command: row.comm }, row.count - row.countOverestimate];
    yield [{ command: OTHER_LABEL }, otherCounts.connections];
  });

  return registry;
}

/**
 * clawtop's own cost, under the names every Prometheus client library uses. prom-client's
 * default metrics are not used: some of its gauges end in _total, which promtool rejects.
 */
function registerProcessMetrics(registry: Registry): void {
  new Counter({
    name: 'process_cpu_seconds_total',
    help: 'User and system CPU time spent by clawtop, in seconds.',
    registers: [registry],
    collect() {
      const { user, system } = process.cpuUsage();
      this.reset();
      this.inc((user + system) / 1e6);
    },
  });
  new Gauge({
    name: 'process_resident_memory_bytes',
    help: 'Resident memory size of clawtop, in bytes.',
    registers: [registry],
    collect() {
      this.set(process.memoryUsage.rss());
    },
  });
  const startTimeSeconds = Math.round(Date.now() / 1000 - process.uptime());
  new Gauge({
    name: 'process_start_time_seconds',
    help: 'When clawtop started, in seconds since the Unix epoch.',
    registers: [registry],
    collect() {
      this.set(startTimeSeconds);
    },
  });
}

/**
 * The HTTP endpoint: GET /metrics. It listens before the kernel work starts, so a taken port
 * fails at once, and answers 503 until serve() hands it the registry.
 */
export interface MetricsServer {
  readonly address: MetricsAddress;
  serve(registry: Registry): void;
  /** Stops listening and ends open connections; resolves once closed. */
  close(): Promise<void>;
}

/** Node's error codes as the words a user knows them by. */
const LISTEN_ERRORS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available on this host',
  EACCES: 'permission denied',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'unknown host',
};

/** Listens on address; rejects with "failed to listen on HOST:PORT: why" when it cannot. */
export async function startMetricsServer(address: MetricsAddress): Promise<MetricsServer> {
  let registry: Registry | undefined;
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD' }).end();
    } else if (path !== METRICS_PATH) {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end(`clawtop serves ${METRICS_PATH} only\n`);
    } else if (registry === undefined) {
      response.writeHead(503, { 'Content-Type': 'text/plain' }).end('clawtop is starting\n');
    } else {
      const { contentType } = registry;
      registry.metrics().then(
        (text) => response.writeHead(200, { 'Content-Type': contentType }).end(text),
        (error: Error) => response.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${error.message}\n`),
      );
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const why = LISTEN_ERRORS[error.code ?? ''] ?? error.code ?? error.message;
      reject(new Error(`failed to listen on ${formatMetricsAddress(address)}: ${why}`));
    });
    server.listen(address.port, address.host, resolve);
  });
  return {
    address,
    serve: (served) => {
      registry = served;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Prometheus keeps its connection alive between scrapes: close() would wait for it.
        server.closeAllConnections();
      }),
  };
}
