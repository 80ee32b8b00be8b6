// The --json lines are written by hand, as bytes, for speed; they must stay the UTF-8 of
// what JSON.stringify({ time, ...event, cgroupPath }) gives, for every kind and every
// value, and reach the output as whole lines.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { CgroupTrafficSampler } from '../../src/core/cgroup-traffic.ts';
import {
  CgroupMetric,
  EXEC_FLAG_ARGS_TRUNCATED,
  EventKind,
  FileOperation,
  NetworkDirection,
  NetworkProtocol,
  Severity,
} from '../../src/core/contract.ts';
import { decodeEvent, type ClawtopEvent } from '../../src/core/decode.ts';
import { NdjsonWriter } from '../../src/core/ndjson.ts';
import { AF_INET, AF_INET6, buildRecord } from './records.ts';

/** The line as --json wrote it before the formatter was written by hand. */
function referenceLine(event: ClawtopEvent, wallClockMs: number, cgroupPath: string | undefined): string {
  const time = new Date(wallClockMs).toISOString();
  return `${JSON.stringify({ time, ...event, cgroupPath: cgroupPath ?? null })}\n`;
}

const WALL_CLOCK_AT_BOOT_MS = Date.UTC(2026, 10, 25, 6, 0, 0);
const toWallClockMs = (timestampNs: number) => WALL_CLOCK_AT_BOOT_MS + timestampNs / 1e6;

const CGROUP_PATHS = new Map<number, string>([
  [1, '/'],
  [7777, '/system.slice/clawtop.service'],
]);
const resolveCgroupPath = (cgroupId: number) => CGROUP_PATHS.get(cgroupId);

function referenceLines(events: readonly ClawtopEvent[]): string {
  return events.map((event) => referenceLine(event, toWallClockMs(event.timestampNs), resolveCgroupPath(event.cgroupId))).join('');
}

/** A writer whose output is kept, chunk by chunk. */
function collectingWriter(wallClockMs = toWallClockMs) {
  const chunks: Buffer[] = [];
  const writer = new NdjsonWriter((bytes) => chunks.push(bytes), resolveCgroupPath, wallClockMs);
  return { writer, chunks };
}

/** Writes each event with one writer (its time cache carries over) against the reference. */
function assertSameLines(events: readonly ClawtopEvent[], what: string, wallClockMs = toWallClockMs): void {
  const { writer, chunks } = collectingWriter(wallClockMs);
  for (const event of events) {
    const expected = referenceLine(event, wallClockMs(event.timestampNs), resolveCgroupPath(event.cgroupId));
    writer.append(event);
    writer.flush();
    assert.equal(chunks.length, 1, what);
    assert.equal(chunks.pop()!.toString('utf8'), expected, what);
  }
}

const decode = (record: Uint8Array) => decodeEvent(new DataView(record.buffer), 0);

/** Events of every kind, as decodeEvent builds them: the field order the lines must keep. */
const DECODED: readonly ClawtopEvent[] = [
  decode(
    buildRecord(
      'exec_event',
      { argc: 4, args_size: 13, filename: '/usr/bin/ls', args: 'ls\0-la\0/tmp\0' },
      { flags: EXEC_FLAG_ARGS_TRUNCATED },
    ),
  ),
  decode(buildRecord('exec_event', { argc: 0, args_size: 0, filename: '/sbin/init' })),
  decode(buildRecord('exit_event', { exit_code: -1, exit_signal: 9, runtime_ns: 1_500_000_000n })),
  decode(
    buildRecord('syscall_event', {
      nr: 257,
      ret: -2n,
      duration_ns: 4200n,
      args: [0xffffffffffffff9cn, 0x7ffd12345678n, 0x80000n, 0n, 0n, 0xffffffffffffffffn],
      path: '/etc/shadow',
    }),
  ),
  decode(buildRecord('syscall_event', { nr: 59, ret: 0n, path: '/bin/true' })),
  decode(
    buildRecord('file_event', {
      result: 3,
      open_flags: 0o101,
      mode: 0o100644,
      dev: (8 << 20) | 1,
      inode: 123456n,
      operation: FileOperation.CREATE,
      path: '/tmp/café/日本語.txt',
    }),
  ),
  decode(buildRecord('file_event', { result: -13, operation: 9, path: '/nonexistent' }, { cgroup_id: 1n })),
  decode(
    buildRecord('net_event', {
      family: AF_INET,
      protocol: NetworkProtocol.TCP,
      direction: NetworkDirection.OUTBOUND,
      result: -111,
      source_port: 43210,
      destination_port: 8080,
      source_address: Uint8Array.of(127, 0, 0, 1),
      destination_address: Uint8Array.of(10, 0, 0, 1),
    }),
  ),
  decode(
    buildRecord('net_event', {
      family: AF_INET6,
      protocol: 7,
      direction: NetworkDirection.INBOUND,
      source_port: 443,
      source_address: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
    }),
  ),
  decode(
    buildRecord('cgroup_event', {
      metric: CgroupMetric.TX_BYTES,
      value: 2_000_000n,
      threshold: 1_000_000n,
      window_ns: 1_000_000_000n,
    }),
  ),
  decode(
    buildRecord('anomaly_event', {
      severity: Severity.HIGH,
      source_kind: EventKind.NET,
      subject_pid: 4242,
      subject_cgroup_id: 9001n,
      observed: 250n,
      limit: 100n,
      message: 'connects/s 250 > 100',
    }),
  ),
];

/** The cgroup and anomaly events the traffic sampler builds (with a spread, not decoded). */
function sampledTrafficEvents(): ClawtopEvent[] {
  const sampler = new CgroupTrafficSampler((cgroupId) => CGROUP_PATHS.get(cgroupId));
  sampler.setThreshold(7777, 1000);
  sampler.sample([{ cgroupId: 7777, rxBytes: 0, txBytes: 0, rxPackets: 0, txPackets: 0 }], 1e9);
  return sampler.sample([{ cgroupId: 7777, rxBytes: 5000, txBytes: 300, rxPackets: 7, txPackets: 3 }], 2.5e9 + 0.5);
}

/** Strings with each kind of character JSON escapes, alone and together, and some it leaves alone. */
const AWKWARD_STRINGS = [
  '',
  'say "hi"',
  'back\\slash\\',
  '\n',
  'a\ttab',
  '\u0000',
  'unit separator \u001f',
  'more controls: \r\b\f\u0001\u0010',
  '\u007f is not escaped, nor \u2028 or \u2029',
  'café 日本語',
  'a pair: 😀',
  'lone high \ud800',
  'lone low \udfff',
  'the wrong way round: \udc00\ud83d',
  '\ud83d',
  '</script>',
  'all at once: "\\\n😀\ud800\u0000',
];

/** Numbers at the edges of what the fields hold: u64s are rounded past 2^53. */
const AWKWARD_NUMBERS = [0, -0, -1, -4095, 2 ** 31, 2 ** 32 - 1, 2 ** 53 - 1, 2 ** 53 + 2, 2 ** 64, 1e21, 0.5];

/** The event with one field replaced, keeping the field order. */
function withField(event: ClawtopEvent, key: string, value: unknown): ClawtopEvent {
  return { ...event, [key]: value } as ClawtopEvent;
}

describe('NdjsonWriter', () => {
  test('every kind, as decoded', () => {
    assertSameLines(DECODED, 'decoded');
  });

  test('the cgroup traffic sampler events', () => {
    const events = sampledTrafficEvents();
    assert.deepEqual(
      events.map((event) => event.kind),
      ['cgroup', 'cgroup', 'cgroup', 'cgroup', 'cgroup', 'anomaly'],
    );
    assertSameLines(events, 'sampled');
  });

  // Every decoded event, and the sampler's threshold crossing and anomaly (its own objects).
  const bases = [...DECODED, ...sampledTrafficEvents().slice(-2)];
  for (const [index, base] of bases.entries()) {
    const name = `${base.kind} #${index}`;
    const fields = Object.entries(base).filter(([key]) => key !== 'kind');

    test(`${name}: awkward strings in every string field`, () => {
      const events: ClawtopEvent[] = [];
      for (const [key, value] of fields) {
        for (const text of AWKWARD_STRINGS) {
          if (typeof value === 'string') events.push(withField(base, key, text));
          if (Array.isArray(value)) events.push(withField(base, key, [text, 'plain', text]));
        }
      }
      assert.ok(events.length > 0);
      assertSameLines(events, name);
    });

    test(`${name}: awkward numbers in every number field`, () => {
      const events = fields
        .filter(([, value]) => typeof value === 'number')
        .flatMap(([key]) => AWKWARD_NUMBERS.map((number) => withField(base, key, number)));
      assertSameLines(events, name);
    });

    test(`${name}: both values of every boolean, no cgroup path, no errno, no arguments`, () => {
      const events = [withField(base, 'cgroupId', 404)];
      for (const [key, value] of fields) {
        if (typeof value === 'boolean') events.push(withField(base, key, !value));
        if (key === 'errno') events.push(withField(base, key, null), withField(base, key, 'EAGAIN'));
        if (Array.isArray(value)) events.push(withField(base, key, []), withField(base, key, ['']));
      }
      assertSameLines(events, name);
    });
  }

  test('the time, cached per millisecond, follows every millisecond and its truncation', () => {
    const [event] = DECODED;
    // Nanoseconds since 1970: within a millisecond, across one, backwards, and before 1970,
    // where Date truncates toward zero (-2.5 ms is -2, not -3).
    const timestamps = [
      0, 1, 999_999, 1_000_000, 1_000_001, 999_999, -1, -1_500_000, -2_000_000, -2_500_000, 1.7e18 + 5e5, 8.64e21,
    ];
    assertSameLines(
      timestamps.map((timestampNs) => withField(event!, 'timestampNs', timestampNs)),
      'time',
      (timestampNs) => timestampNs / 1e6,
    );
  });

  test('a time Date cannot hold throws, as toISOString does, and writes nothing', () => {
    const [before, after] = [DECODED[1]!, DECODED[2]!];
    for (const badTimeMs of [Number.NaN, 8.64e15 + 1]) {
      const { writer, chunks } = collectingWriter((timestampNs) => (timestampNs === 0 ? badTimeMs : toWallClockMs(timestampNs)));
      writer.append(before);
      assert.throws(() => writer.append(withField(DECODED[0]!, 'timestampNs', 0)), RangeError);
      writer.append(after);
      writer.flush();
      assert.equal(Buffer.concat(chunks).toString('utf8'), referenceLines([before, after]));
    }
  });

  test('output gets whole lines only: full chunks are handed over, a line longer than one too', () => {
    const events: ClawtopEvent[] = [];
    for (let index = 0; index < 2000; index++) {
      const base = DECODED[index % DECODED.length]!;
      const long = index % 500 === 7 ? 'x'.repeat(100_000) : index % 300 === 11 ? '\u0001'.repeat(20_000) : `${index}`;
      events.push(withField(base, 'comm', `${base.comm}-${long}`));
    }
    const { writer, chunks } = collectingWriter();
    for (const event of events) writer.append(event);
    assert.ok(writer.heldBytes > 0);
    writer.flush();
    assert.equal(writer.heldBytes, 0);
    writer.flush();
    assert.ok(chunks.length > 3, `${chunks.length} chunks`);
    for (const chunk of chunks) assert.equal(chunk.at(-1), 0x0a, 'a chunk ends its last line');
    assert.equal(Buffer.concat(chunks).toString('utf8'), referenceLines(events));
  });

  test("a line's process and cgroup path, kept from earlier lines, follow every change of them", () => {
    const file = DECODED.find((event) => event.kind === 'file')!;
    // Threads 5 and 21 share a kept part's slot, and so do cgroups 1 and 17.
    const threads = [5, 21, 5, 21].map((tid) => withField(file, 'tid', tid));
    const changes = (
      [
        ['tgid', 6],
        ['tid', 37],
        ['ppid', 2],
        ['uid', 1000],
        ['cgroupId', 17],
        ['cgroupId', 1],
        ['comm', 'other'],
      ] as const
    ).flatMap(([key, value]) => [withField(file, key, value), file]);
    // A cgroup whose path is found only later, and one renamed.
    let cgroupPaths = new Map<number, string>([[17, '/before']]);
    const resolveNow = (cgroupId: number) => cgroupPaths.get(cgroupId);
    const chunks: Buffer[] = [];
    const writer = new NdjsonWriter((bytes) => chunks.push(bytes), resolveNow, toWallClockMs);
    const expected: string[] = [];
    const write = (events: readonly ClawtopEvent[]) => {
      for (const event of events) {
        writer.append(event);
        expected.push(referenceLine(event, toWallClockMs(event.timestampNs), resolveNow(event.cgroupId)));
      }
    };
    write([...threads, ...changes]);
    cgroupPaths = new Map([
      [1, '/found'],
      [17, '/after'],
    ]);
    write(changes);
    writer.flush();
    assert.equal(Buffer.concat(chunks).toString('utf8'), expected.join(''));
  });
});
