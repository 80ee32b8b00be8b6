// The decoder's fuzz cases and the property they must hold, shared by the CI test
// (decode-fuzz.test.ts, 100k cases) and the benchmark (bench/fuzz.ts, 10M cases).
//
// A case is a batch built from valid records of every kind (fields as a program would send
// them, or random bytes behind a valid header), then changed as a broken or hostile ring
// could: size, kind and version fields that lie, flipped bits, overwritten or inserted
// bytes, cut at the start or the end; or plain random bytes.
import assert from 'node:assert/strict';

import fc from 'fast-check';

import {
  BENCH_RECORD_KIND,
  RECORD_STRUCT_BY_KIND,
  RECORD_VERSION,
  STRUCT_LAYOUTS,
  structMembers,
  type StructName,
} from '../../src/core/contract.ts';
import { createDecodeStats, decodeEvent, walkBatch, type ClawtopEvent, type DecodeStats } from '../../src/core/decode.ts';
import { AF_INET6, LITTLE_ENDIAN, buildRecord, concat, writeStruct, type Fields } from './records.ts';

const HEADER = structMembers('event_header');
const STRUCT_OF_KIND = new Map<number, StructName>(
  Object.entries(RECORD_STRUCT_BY_KIND).map(([kind, struct]) => [Number(kind), struct]),
);
const RECORD_KINDS = [...STRUCT_OF_KIND.keys()];
const RECORD_SIZES = [...new Set([...STRUCT_OF_KIND.values()].map((struct) => STRUCT_LAYOUTS[struct].size))];
const MAX_RECORDS = 8;
const MAX_RANDOM_BATCH = 2048;

/** Fields a program would really send, per struct; a record without them is all zeros. */
const TYPICAL_FIELDS: Partial<Record<StructName, Fields>> = {
  exec_event: { argc: 3, args_size: 12, filename: '/usr/bin/ls', args: 'ls\0-la\0/tmp\0' },
  exit_event: { exit_code: 3, runtime_ns: 1_500_000_000n },
  syscall_event: { nr: 257, ret: -2n, duration_ns: 1200n, path: '/etc/missing', args: [1n, 2n, 3n, 4n, 5n, 6n] },
  file_event: { result: 3, open_flags: 0o1101, mode: 0o644, inode: 42n, operation: 2, path: '/var/log/x' },
  net_event: { family: AF_INET6, protocol: 1, direction: 1, destination_port: 443, source_port: 51000 },
  cgroup_event: { metric: 1, value: 1_000_000n, threshold: 500_000n, window_ns: 1_000_000_000n },
  anomaly_event: { severity: 3, source_kind: 6, observed: 10n, limit: 5n, message: 'too much traffic' },
};

/** A cheap, seeded byte source (xorshift32): random bytes cost fast-check one integer. */
function randomBytes(seed: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed | 0 || 0x9e3779b9;
  for (let index = 0; index < length; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[index] = state & 0xff;
  }
  return bytes;
}

type Fill = 'zeros' | 'typical' | 'random';

function validRecord(kind: number, fill: Fill, seed: number): Uint8Array {
  const struct = STRUCT_OF_KIND.get(kind)!;
  if (fill !== 'random') return buildRecord(struct, fill === 'typical' ? (TYPICAL_FIELDS[struct] ?? {}) : {});
  // Anything at all behind a valid kind, version and size: strings without NUL or with
  // broken UTF-8, argument sizes beyond their array, unknown enum values.
  const record = randomBytes(seed, STRUCT_LAYOUTS[struct].size);
  const view = new DataView(record.buffer);
  writeStruct(view, 'event_header', { kind, version: RECORD_VERSION, size: record.length });
  return record;
}

type Mutation =
  | { readonly type: 'size' | 'kind' | 'version'; readonly record: number; readonly value: number }
  | { readonly type: 'flip'; readonly at: number; readonly bit: number }
  | { readonly type: 'set'; readonly at: number; readonly value: number }
  | { readonly type: 'insert'; readonly at: number; readonly seed: number; readonly length: number }
  | { readonly type: 'cut-end' | 'cut-start'; readonly at: number };

/** A size that lies: another kind's, a little off, zero, huge, or anything. */
const lyingSize = fc.oneof(
  fc.constantFrom(...RECORD_SIZES, 0, 8, 0x7fffffff, 0x80000000, 0xffffffff),
  fc.integer({ min: 0, max: 1024 }),
  fc.nat().map((value) => value >>> 0),
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ type: fc.constant('size' as const), record: fc.nat(), value: lyingSize }),
  fc.record({ type: fc.constant('kind' as const), record: fc.nat(), value: fc.integer({ min: 0, max: 0xffff }) }),
  fc.record({ type: fc.constant('version' as const), record: fc.nat(), value: fc.integer({ min: 0, max: 0xff }) }),
  fc.record({ type: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ type: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 0xff }) }),
  fc.record({ type: fc.constant('insert' as const), at: fc.nat(), seed: fc.integer(), length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ type: fc.constant('cut-end' as const), at: fc.nat() }),
  fc.record({ type: fc.constant('cut-start' as const), at: fc.nat() }),
);

/** Field edits first, at record starts; then byte edits; cuts last. */
const MUTATION_ORDER: Record<Mutation['type'], number> = {
  size: 0, kind: 0, version: 0, flip: 1, set: 1, insert: 1, 'cut-end': 2, 'cut-start': 2,
};

function mutate(records: readonly Uint8Array[], mutations: readonly Mutation[]): Uint8Array {
  let batch = concat(...records);
  const starts = records.map((_, index) => records.slice(0, index).reduce((total, record) => total + record.length, 0));
  const ordered = [...mutations].sort((a, b) => MUTATION_ORDER[a.type] - MUTATION_ORDER[b.type]);
  for (const change of ordered) {
    const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
    switch (change.type) {
      case 'size':
      case 'kind':
      case 'version': {
        if (starts.length === 0) break;
        const start = starts[change.record % starts.length]!;
        if (change.type === 'size') view.setUint32(start + HEADER.size.offset, change.value, LITTLE_ENDIAN);
        else if (change.type === 'kind') view.setUint16(start + HEADER.kind.offset, change.value, LITTLE_ENDIAN);
        else view.setUint8(start + HEADER.version.offset, change.value);
        break;
      }
      case 'flip':
        if (batch.length > 0) batch[change.at % batch.length]! ^= 1 << change.bit;
        break;
      case 'set':
        if (batch.length > 0) batch[change.at % batch.length] = change.value;
        break;
      case 'insert': {
        const at = change.at % (batch.length + 1);
        batch = concat(batch.subarray(0, at), randomBytes(change.seed, change.length), batch.subarray(at));
        break;
      }
      case 'cut-end':
        batch = batch.slice(0, change.at % (batch.length + 1));
        break;
      case 'cut-start':
        batch = batch.slice(change.at % (batch.length + 1));
        break;
    }
  }
  return batch;
}

export interface FuzzCase {
  readonly batch: Uint8Array;
  /** Valid records in the batch when nothing was changed; undefined for a changed batch. */
  readonly intactRecords: number | undefined;
  /** Where the batch starts in the second buffer it is decoded from. */
  readonly placement: number;
}

const changedBatch: fc.Arbitrary<Omit<FuzzCase, 'placement'>> = fc
  .record({
    records: fc.array(
      fc.record({
        kind: fc.constantFrom(...RECORD_KINDS),
        fill: fc.constantFrom<Fill>('zeros', 'typical', 'random'),
        seed: fc.integer(),
      }),
      { maxLength: MAX_RECORDS },
    ),
    mutations: fc.array(mutation, { maxLength: 4 }),
  })
  .map(({ records, mutations }) => {
    const built = records.map(({ kind, fill, seed }) => validRecord(kind, fill, seed));
    return {
      batch: mutate(built, mutations),
      intactRecords: mutations.length === 0 ? built.length : undefined,
    };
  });

const randomBatch: fc.Arbitrary<Omit<FuzzCase, 'placement'>> = fc
  .record({ seed: fc.integer(), length: fc.integer({ min: 0, max: MAX_RANDOM_BATCH }) })
  .map(({ seed, length }) => ({ batch: randomBytes(seed, length), intactRecords: undefined }));

export const fuzzCase: fc.Arbitrary<FuzzCase> = fc
  .tuple(fc.oneof({ weight: 1, arbitrary: randomBatch }, { weight: 6, arbitrary: changedBatch }), fc.integer({ min: 1, max: 7 }))
  .map(([generated, placement]) => ({ ...generated, placement }));

interface Decoded {
  readonly stats: DecodeStats;
  readonly visits: readonly { readonly kind: number; readonly offset: number; readonly size: number }[];
  readonly events: readonly ClawtopEvent[];
}

/** walkBatch + decodeEvent as the engine runs them: every visited record but the benchmark's is decoded. */
function decodeAll(batch: Uint8Array): Decoded {
  const stats = createDecodeStats();
  const visits: { kind: number; offset: number; size: number }[] = [];
  const events: ClawtopEvent[] = [];
  walkBatch(
    batch,
    (kind, view, offset) => {
      const size = view.getUint32(offset + HEADER.size.offset, LITTLE_ENDIAN);
      const version = view.getUint8(offset + HEADER.version.offset);
      visits.push({ kind, offset, size });
      assert.equal(version, RECORD_VERSION, 'a visited record has the contract version');
      if (kind !== BENCH_RECORD_KIND) events.push(decodeEvent(view, offset));
    },
    stats,
  );
  return { stats, visits, events };
}

/**
 * The property: decoding never throws (a DataView or typed array read out of bounds throws
 * RangeError, so the batch is decoded from a buffer of exactly its size, where any byte read
 * outside it throws); every byte is accounted for, visited or counted malformed; a visited
 * record is one the contract defines, whole; a batch that ends early counts one malformed
 * record; an unchanged batch decodes whole; and where the batch lies in its buffer does not
 * change what is decoded. Returns the stats, for the benchmark's totals.
 */
export function checkFuzzCase({ batch, intactRecords, placement }: FuzzCase): DecodeStats {
  const exact = new Uint8Array(batch.length);
  exact.set(batch);
  let decoded: Decoded;
  try {
    decoded = decodeAll(exact);
  } catch (error) {
    if (error instanceof RangeError) assert.fail(`read out of bounds: ${error.message}`);
    throw error;
  }
  const { stats, visits } = decoded;

  let expectedOffset = 0;
  for (const visit of visits) {
    assert.equal(visit.offset, expectedOffset, 'records are visited back to back from the start');
    const struct = STRUCT_OF_KIND.get(visit.kind);
    assert.ok(struct !== undefined, `visited kind ${visit.kind} is not in the contract`);
    assert.equal(visit.size, STRUCT_LAYOUTS[struct].size, 'a visited record has its kind\'s size');
    expectedOffset += visit.size;
  }
  assert.equal(expectedOffset + stats.malformedBytes, batch.length, 'visited + malformed bytes == batch length');
  assert.equal(stats.records, visits.length);
  assert.equal(stats.recordsByKind.reduce((total, count) => total + count, 0), visits.length);
  assert.equal(stats.malformedRecords, stats.malformedBytes > 0 ? 1 : 0, 'a batch that ends early counts one malformed record');
  if (intactRecords !== undefined) {
    assert.equal(stats.malformedRecords, 0, 'an unchanged batch has no malformed record');
    assert.equal(visits.length, intactRecords, 'an unchanged batch is visited whole');
  }

  // The same bytes at an odd place of a larger buffer, between bytes that are not the batch.
  const backing = new Uint8Array(placement + batch.length + 8).fill(0xa5);
  backing.set(batch, placement);
  const elsewhere = decodeAll(backing.subarray(placement, placement + batch.length));
  assert.deepStrictEqual(elsewhere.visits, visits, 'the same records wherever the batch lies');
  assert.deepStrictEqual(elsewhere.events, decoded.events, 'the same events wherever the batch lies');
  assert.deepStrictEqual(elsewhere.stats, stats);
  return stats;
}
