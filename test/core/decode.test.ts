import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  BENCH_RECORD_KIND,
  CGROUP_FLAG_THRESHOLD_CROSSED,
  CgroupMetric,
  EXEC_FLAG_ARGS_TRUNCATED,
  EXEC_FLAG_FILENAME_TRUNCATED,
  EventKind,
  FILE_FLAG_FROM_FOLD_SLOT,
  FILE_FLAG_PATH_TRUNCATED,
  FILE_FLAG_REPEATS,
  FileOperation,
  HEADER_SIZE,
  NetworkDirection,
  NetworkProtocol,
  RECORD_VERSION,
  STRUCT_LAYOUTS,
  Severity,
} from '../../src/core/contract.ts';
import {
  createDecodeStats,
  decodeEvent,
  decodeFileInto,
  walkBatch,
  type ClawtopEvent,
  type ReusableFileEvent,
  type DecodeStats,
} from '../../src/core/decode.ts';
import { AF_INET, AF_INET6, COMMON_EXPECTED, buildRecord, concat, type Fields } from './records.ts';

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!, (pair) => parseInt(pair, 16));
}

interface Visit {
  readonly kind: number;
  readonly offset: number;
}

function walk(batch: Uint8Array, stats: DecodeStats = createDecodeStats()) {
  const visits: Visit[] = [];
  const events: ClawtopEvent[] = [];
  walkBatch(
    batch,
    (kind, view, offset) => {
      visits.push({ kind, offset });
      if (kind !== BENCH_RECORD_KIND) events.push(decodeEvent(view, offset));
    },
    stats,
  );
  return { visits, events, stats };
}

/** Decodes a batch of exactly one valid event record. */
function decodeOne(record: Uint8Array): ClawtopEvent {
  const { events, stats } = walk(record);
  assert.equal(stats.malformedRecords, 0, 'the record is valid');
  assert.equal(events.length, 1);
  return events[0]!;
}

// --- decodeEvent ---------------------------------------------------------------------

describe('decodeEvent', () => {
  const cases: { name: string; record: Uint8Array; expected: ClawtopEvent }[] = [
    {
      name: 'exec',
      record: buildRecord('exec_event', {
        argc: 3,
        args_size: 12,
        filename: '/usr/bin/ls',
        args: 'ls\0-la\0/tmp\0',
      }),
      expected: {
        kind: 'exec',
        ...COMMON_EXPECTED,
        filename: '/usr/bin/ls',
        argv: ['ls', '-la', '/tmp'],
        argc: 3,
        argsTruncated: false,
        filenameTruncated: false,
      },
    },
    {
      name: 'exit',
      record: buildRecord('exit_event', {
        exit_code: 3,
        exit_signal: 0,
        runtime_ns: 1_500_000_000n,
      }),
      expected: {
        kind: 'exit',
        ...COMMON_EXPECTED,
        exitCode: 3,
        exitSignal: 0,
        runtimeNs: 1_500_000_000,
      },
    },
    {
      name: 'syscall (failed openat)',
      record: buildRecord('syscall_event', {
        nr: 257,
        ret: -2n,
        duration_ns: 4200n,
        args: [0xffffffffffffff9cn, 0x7ffd12345678n, 0x80000n, 0n, 0n, 0xffffffffffffffffn],
        path: '/etc/shadow',
      }),
      expected: {
        kind: 'syscall',
        ...COMMON_EXPECTED,
        nr: 257,
        ret: -2,
        errno: 'ENOENT',
        durationNs: 4200,
        args: [
          '0xffffffffffffff9c',
          '0x7ffd12345678',
          '0x80000',
          '0x0',
          '0x0',
          '0xffffffffffffffff',
        ],
        path: '/etc/shadow',
      },
    },
    {
      name: 'syscall (execve that succeeded)',
      record: buildRecord('syscall_event', { nr: 59, ret: 0n, path: '/bin/true' }),
      expected: {
        kind: 'syscall',
        ...COMMON_EXPECTED,
        nr: 59,
        ret: 0,
        errno: null,
        durationNs: 0,
        args: ['0x0', '0x0', '0x0', '0x0', '0x0', '0x0'],
        path: '/bin/true',
      },
    },
    {
      name: 'file (O_CREAT|O_WRONLY: create + write, non-ASCII path)',
      record: buildRecord('file_event', {
        result: 3,
        open_flags: 0o101,
        mode: 0o100644,
        dev: (8 << 20) | 1,
        inode: 123456n,
        operation: FileOperation.CREATE,
        path: '/tmp/café/日本語.txt',
      }),
      expected: {
        kind: 'file',
        ...COMMON_EXPECTED,
        result: 3,
        errno: null,
        openFlags: 0o101,
        mode: 0o100644,
        dev: (8 << 20) | 1,
        inode: 123456,
        operation: 'create',
        access: 'write',
        path: '/tmp/café/日本語.txt',
        pathTruncated: false,
        // count 0: a record from before the field, one open.
        count: 1,
        repeats: false,
      },
    },
    {
      name: 'file (denied, path truncated)',
      record: buildRecord(
        'file_event',
        { result: -13, operation: FileOperation.READ_WRITE, path: '/very/long' },
        { flags: FILE_FLAG_PATH_TRUNCATED },
      ),
      expected: {
        kind: 'file',
        ...COMMON_EXPECTED,
        result: -13,
        errno: 'EACCES',
        openFlags: 0,
        mode: 0,
        dev: 0,
        inode: 0,
        operation: 'read-write',
        access: 'read',
        path: '/very/long',
        pathTruncated: true,
        count: 1,
        repeats: false,
      },
    },
    {
      name: 'file (repeats the reader took from a fold slot)',
      record: buildRecord(
        'file_event',
        { result: 3, operation: FileOperation.READ, path: '/proc/stat', count: 4_999 },
        { flags: FILE_FLAG_REPEATS | FILE_FLAG_FROM_FOLD_SLOT },
      ),
      expected: {
        kind: 'file',
        ...COMMON_EXPECTED,
        result: 3,
        errno: null,
        openFlags: 0,
        mode: 0,
        dev: 0,
        inode: 0,
        operation: 'read',
        access: 'read',
        path: '/proc/stat',
        pathTruncated: false,
        count: 4_999,
        repeats: true,
      },
    },
    {
      name: 'net (refused IPv4 connect)',
      record: buildRecord('net_event', {
        family: AF_INET,
        protocol: NetworkProtocol.TCP,
        direction: NetworkDirection.OUTBOUND,
        result: -111,
        source_port: 43210,
        destination_port: 8080,
        source_address: hexBytes('7f000001'),
        destination_address: hexBytes('7f000001'),
      }),
      expected: {
        kind: 'net',
        ...COMMON_EXPECTED,
        family: 'ipv4',
        protocol: 'tcp',
        direction: 'outbound',
        result: -111,
        errno: 'ECONNREFUSED',
        sourceAddress: '127.0.0.1',
        sourcePort: 43210,
        destinationAddress: '127.0.0.1',
        destinationPort: 8080,
      },
    },
    {
      name: 'net (accepted IPv6)',
      record: buildRecord('net_event', {
        family: AF_INET6,
        protocol: NetworkProtocol.TCP,
        direction: NetworkDirection.INBOUND,
        result: 0,
        source_port: 443,
        destination_port: 50000,
        source_address: hexBytes('00000000000000000000000000000001'),
        destination_address: hexBytes('20010db8000000000000000000000042'),
      }),
      expected: {
        kind: 'net',
        ...COMMON_EXPECTED,
        family: 'ipv6',
        protocol: 'tcp',
        direction: 'inbound',
        result: 0,
        errno: null,
        sourceAddress: '::1',
        sourcePort: 443,
        destinationAddress: '2001:db8::42',
        destinationPort: 50000,
      },
    },
    {
      name: 'cgroup (threshold crossed)',
      record: buildRecord(
        'cgroup_event',
        {
          metric: CgroupMetric.TX_BYTES,
          value: 2_000_000n,
          threshold: 1_000_000n,
          window_ns: 1_000_000_000n,
        },
        { flags: CGROUP_FLAG_THRESHOLD_CROSSED },
      ),
      expected: {
        kind: 'cgroup',
        ...COMMON_EXPECTED,
        metric: 'tx-bytes',
        value: 2_000_000,
        threshold: 1_000_000,
        windowNs: 1_000_000_000,
        thresholdCrossed: true,
      },
    },
    {
      name: 'anomaly',
      record: buildRecord('anomaly_event', {
        severity: Severity.HIGH,
        source_kind: EventKind.NET,
        subject_pid: 4242,
        subject_cgroup_id: 9001n,
        observed: 250n,
        limit: 100n,
        message: 'connects/s 250 > 100',
      }),
      expected: {
        kind: 'anomaly',
        ...COMMON_EXPECTED,
        severity: 'high',
        sourceKind: 'net',
        subjectPid: 4242,
        subjectCgroupId: 9001,
        observed: 250,
        limit: 100,
        message: 'connects/s 250 > 100',
      },
    },
  ];

  for (const { name, record, expected } of cases) {
    test(name, () => {
      const event = decodeOne(record);
      assert.deepEqual(event, expected);
      assert.deepEqual(JSON.parse(JSON.stringify(event)), expected, 'survives JSON');
    });
  }

  test('decodeFileInto reads each file record into the one object as decodeEvent reads it', () => {
    const batch = concat(
      buildRecord('file_event', { result: 3, open_flags: 0o101, inode: 123456n, operation: FileOperation.CREATE, path: '/tmp/café' }),
      buildRecord('file_event', { result: -13, path: '/very/long' }, { flags: FILE_FLAG_PATH_TRUNCATED, comm: 'other', tgid: 7 }),
      buildRecord('file_event', { result: -2, mode: 0o600, dev: 42, path: '/etc/passwd' }, { uid: 1000, cgroup_id: 2n ** 40n }),
      buildRecord('file_event', { result: 3, path: '/tmp/café' }),
    );
    const fresh: ClawtopEvent[] = [];
    const reused: ClawtopEvent[] = [];
    let event: ReusableFileEvent | undefined;
    walkBatch(
      batch,
      (_kind, view, offset) => {
        fresh.push(decodeEvent(view, offset));
        event ??= { ...(decodeEvent(view, offset) as ReusableFileEvent), path: 'from before' };
        assert.equal(decodeFileInto(view, offset, event), event, 'the same object back');
        reused.push({ ...event });
      },
      createDecodeStats(),
    );
    assert.equal(reused.length, 4);
    assert.deepEqual(reused, fresh);
  });

  test('a comm of the full 16 bytes, with no NUL, is read whole', () => {
    const event = decodeOne(buildRecord('exit_event', {}, { comm: 'abcdefghijklmnop' }));
    assert.equal(event.comm, 'abcdefghijklmnop');
  });

  test('enum values the contract does not name print as unknown-N', () => {
    const file = decodeOne(buildRecord('file_event', { operation: 9 }));
    assert.ok(file.kind === 'file');
    assert.equal(file.operation, 'unknown-9');
    const net = decodeOne(buildRecord('net_event', { family: 3, protocol: 7, direction: 5 }));
    assert.ok(net.kind === 'net');
    assert.deepEqual(
      [net.family, net.protocol, net.direction],
      ['unknown-3', 'unknown-7', 'unknown-5'],
    );
  });

  test('a benchmark record is not an event', () => {
    const record = buildRecord('event_header');
    assert.throws(() => decodeEvent(new DataView(record.buffer), 0), /kind 255 is not an event/);
  });
});

describe('decodeEvent exec argv', () => {
  const tenArgs = Array.from({ length: 10 }, (_, index) => `a${index}`);
  const tenArgsBytes = `${tenArgs.join('\0')}\0`;
  const cases: { name: string; fields: Fields; header: Fields; expected: object }[] = [
    {
      name: 'capped at EXEC_MAX_ARGS (8)',
      fields: { argc: 10, args_size: tenArgsBytes.length, args: tenArgsBytes },
      header: {},
      expected: {
        argv: tenArgs.slice(0, 8),
        argc: 10,
        argsTruncated: true,
        filenameTruncated: false,
      },
    },
    {
      name: 'cut by the kernel inside an argument, filename too long',
      fields: { argc: 2, args_size: 256, args: `cat\0${'x'.repeat(252)}` },
      header: { flags: EXEC_FLAG_ARGS_TRUNCATED | EXEC_FLAG_FILENAME_TRUNCATED },
      expected: {
        argv: ['cat', 'x'.repeat(252)],
        argc: 2,
        argsTruncated: true,
        filenameTruncated: true,
      },
    },
    {
      name: 'argv unreadable in the kernel (args_size 0)',
      fields: { argc: 2, args_size: 0 },
      header: {},
      expected: { argv: [], argc: 2, argsTruncated: true, filenameTruncated: false },
    },
    {
      name: 'empty arguments kept',
      fields: { argc: 3, args_size: 5, args: 'a\0\0b\0' },
      header: {},
      expected: { argv: ['a', '', 'b'], argc: 3, argsTruncated: false, filenameTruncated: false },
    },
    {
      name: 'args_size past the array is clamped to it',
      fields: { argc: 1, args_size: 100_000, args: 'y'.repeat(256) },
      header: {},
      expected: {
        argv: ['y'.repeat(256)],
        argc: 1,
        argsTruncated: false,
        filenameTruncated: false,
      },
    },
  ];

  for (const { name, fields, header, expected } of cases) {
    test(name, () => {
      const event = decodeOne(buildRecord('exec_event', fields, header));
      assert.ok(event.kind === 'exec');
      const { argv, argc, argsTruncated, filenameTruncated } = event;
      assert.deepEqual({ argv, argc, argsTruncated, filenameTruncated }, expected);
    });
  }
});

describe('decodeEvent file access', () => {
  const O_WRONLY = 0o1;
  const O_RDWR = 0o2;
  const O_CREAT = 0o100;
  const O_TRUNC = 0o1000;
  const O_APPEND = 0o2000;
  const O_CLOEXEC = 0o2000000;
  const cases: { name: string; openFlags: number; access: string }[] = [
    { name: 'O_RDONLY|O_CLOEXEC is read', openFlags: O_CLOEXEC, access: 'read' },
    { name: 'O_WRONLY|O_CREAT|O_TRUNC is write', openFlags: O_WRONLY | O_CREAT | O_TRUNC, access: 'write' },
    { name: 'O_RDWR|O_APPEND is read-write', openFlags: O_RDWR | O_APPEND, access: 'read-write' },
    // The kernel checks O_ACCMODE 3 (ioctl-only opens) for both read and write permission.
    { name: 'O_ACCMODE 3 is read-write', openFlags: 3, access: 'read-write' },
  ];

  for (const { name, openFlags, access } of cases) {
    test(name, () => {
      const event = decodeOne(buildRecord('file_event', { open_flags: openFlags }));
      assert.ok(event.kind === 'file');
      assert.equal(event.access, access);
    });
  }
});

describe('decodeEvent addresses', () => {
  const cases: { family: number; bytes: string; text: string }[] = [
    { family: AF_INET, bytes: '7f000001', text: '127.0.0.1' },
    { family: AF_INET, bytes: 'c0a80afe', text: '192.168.10.254' },
    { family: AF_INET, bytes: '00000000', text: '0.0.0.0' },
    { family: AF_INET6, bytes: '00000000000000000000000000000001', text: '::1' },
    { family: AF_INET6, bytes: '00000000000000000000000000000000', text: '::' },
    { family: AF_INET6, bytes: 'fe800000000000000000000000000001', text: 'fe80::1' },
    { family: AF_INET6, bytes: '20010db8000100020003000400050006', text: '2001:db8:1:2:3:4:5:6' },
    // RFC 5952: one zero group stays, the longest run (the first of equals) becomes '::'.
    { family: AF_INET6, bytes: '20010db8000000010001000100010001', text: '2001:db8:0:1:1:1:1:1' },
    { family: AF_INET6, bytes: '20010000000000010000000000000001', text: '2001:0:0:1::1' },
    { family: AF_INET6, bytes: '20010db8000000000001000000000001', text: '2001:db8::1:0:0:1' },
    { family: AF_INET6, bytes: '00000000000000000000ffffc0000201', text: '::ffff:192.0.2.1' },
  ];

  for (const { family, bytes, text } of cases) {
    test(`${text}`, () => {
      const event = decodeOne(
        buildRecord('net_event', {
          family,
          source_address: hexBytes(bytes),
          destination_address: hexBytes(bytes),
        }),
      );
      assert.ok(event.kind === 'net');
      assert.equal(event.sourceAddress, text);
      assert.equal(event.destinationAddress, text);
    });
  }
});

// --- walkBatch -----------------------------------------------------------------------

describe('walkBatch', () => {
  test('visits each record of a batch once and counts them per kind', () => {
    const parts = [
      buildRecord('exec_event', { argc: 1, args_size: 3, args: 'ls\0' }),
      buildRecord('exit_event'),
      buildRecord('event_header'),
      buildRecord('net_event', { family: AF_INET }),
      buildRecord('exit_event'),
    ];
    const { visits, stats } = walk(concat(...parts));
    const offsets = parts.map((_, index) =>
      parts.slice(0, index).reduce((total, part) => total + part.length, 0),
    );
    assert.deepEqual(visits, [
      { kind: EventKind.EXEC, offset: offsets[0] },
      { kind: EventKind.EXIT, offset: offsets[1] },
      { kind: BENCH_RECORD_KIND, offset: offsets[2] },
      { kind: EventKind.NET, offset: offsets[3] },
      { kind: EventKind.EXIT, offset: offsets[4] },
    ]);
    assert.equal(stats.records, 5);
    const byKind = Object.fromEntries(
      stats.recordsByKind.flatMap((count, kind) => (count > 0 ? [[kind, count]] : [])),
    );
    assert.deepEqual(byKind, {
      [EventKind.EXEC]: 1,
      [EventKind.EXIT]: 2,
      [EventKind.NET]: 1,
      [BENCH_RECORD_KIND]: 1,
    });
    assert.equal(stats.malformedRecords, 0);
    assert.equal(stats.malformedBytes, 0);
  });

  test('reads a batch that starts at an odd offset of its buffer', () => {
    const record = buildRecord('exit_event', { exit_code: 7 });
    const backing = new Uint8Array(3 + record.length);
    backing.set(record, 3);
    const { events, stats } = walk(backing.subarray(3));
    assert.equal(stats.records, 1);
    assert.ok(events[0]?.kind === 'exit');
    assert.equal(events[0].exitCode, 7);
  });

  test('an empty batch visits nothing and counts nothing', () => {
    const { visits, stats } = walk(new Uint8Array(0));
    assert.deepEqual(visits, []);
    assert.deepEqual(stats, createDecodeStats());
  });

  const exitRecord = (header: Fields = {}) => buildRecord('exit_event', {}, header);
  const exitSize = STRUCT_LAYOUTS.exit_event.size;
  /** Each bad record follows a good one; unless it ends the batch, a good one follows it. */
  const malformations: { name: string; bad: Uint8Array; endsBatch?: boolean }[] = [
    {
      name: 'fewer bytes left than a header',
      bad: new Uint8Array(HEADER_SIZE - 8),
      endsBatch: true,
    },
    {
      name: 'size larger than the rest of the batch',
      bad: exitRecord().subarray(0, exitSize - 8),
      endsBatch: true,
    },
    { name: 'size not a multiple of 8', bad: exitRecord({ size: exitSize - 4 }) },
    { name: 'size smaller than a header', bad: exitRecord({ size: HEADER_SIZE - 8 }) },
    { name: 'size 0', bad: exitRecord({ size: 0 }) },
    { name: 'wrong version', bad: exitRecord({ version: RECORD_VERSION + 1 }) },
    { name: 'unknown kind 0', bad: exitRecord({ kind: 0 }) },
    { name: 'unknown kind 9', bad: exitRecord({ kind: 9 }) },
    { name: 'unknown kind 258 (not kind 2)', bad: exitRecord({ kind: 256 + EventKind.EXIT }) },
    { name: 'size of another kind', bad: buildRecord('exec_event', {}, { kind: EventKind.EXIT }) },
    { name: 'benchmark record with a body', bad: exitRecord({ kind: BENCH_RECORD_KIND }) },
  ];

  for (const { name, bad, endsBatch = false } of malformations) {
    test(`malformed: ${name} is counted and ends the batch`, () => {
      const good = exitRecord();
      const batch = endsBatch ? concat(good, bad) : concat(good, bad, good);
      const stats = createDecodeStats();
      const { visits } = walk(batch, stats);
      assert.deepEqual(visits, [{ kind: EventKind.EXIT, offset: 0 }], 'only the record before it');
      assert.equal(stats.records, 1);
      assert.equal(stats.malformedRecords, 1);
      assert.equal(stats.malformedBytes, batch.length - good.length);
    });
  }

  test('stats add up over batches', () => {
    const stats = createDecodeStats();
    walk(concat(buildRecord('exit_event'), new Uint8Array(8)), stats);
    walk(buildRecord('exit_event', {}, { version: 0 }), stats);
    walk(buildRecord('exit_event'), stats);
    assert.equal(stats.records, 2);
    assert.equal(stats.recordsByKind[EventKind.EXIT], 2);
    assert.equal(stats.malformedRecords, 2);
    assert.equal(stats.malformedBytes, 8 + STRUCT_LAYOUTS.exit_event.size);
  });
});
