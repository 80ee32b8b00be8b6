import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { TopK } from '../../src/core/top-k.ts';

/** [key, weight] */
type Touch = readonly [string, number];
/** [key, guaranteedCount] as onEvict was told, in order. */
type Eviction = readonly [string, number];
/** [key, count, overestimate] */
type Entry = readonly [string, number, number];

interface Row {
  readonly key: string;
}

/** A table whose rows name their key, and the evictions it reported. */
function tableOf(capacity: number): { table: TopK<Row>; evictions: Eviction[] } {
  const evictions: Eviction[] = [];
  const table = new TopK<Row>(capacity, (key, row, guaranteedCount) => {
    assert.equal(row.key, key, 'onEvict gets the evicted key its own row');
    evictions.push([key, guaranteedCount]);
  });
  return { table, evictions };
}

/** How the model counts: touch the key's row, or insert one when it has none. */
function touchOrInsert<Value>(table: TopK<Value>, key: string, create: () => Value, weight = 1): Value {
  return table.touch(key, weight) ?? table.insert(key, create, weight);
}

const touchAll = (table: TopK<Row>, touches: readonly Touch[]) => {
  for (const [key, weight] of touches) touchOrInsert(table, key, () => ({ key }), weight);
};

/** What forEach() visits, in its order. */
function entryList<Value>(table: TopK<Value>): { key: string; row: Value; count: number; overestimate: number }[] {
  const entries: { key: string; row: Value; count: number; overestimate: number }[] = [];
  table.forEach((row, count, overestimate, key) => entries.push({ key, row, count, overestimate }));
  return entries;
}

/** The entries as [key, count, overestimate], by key. */
const entriesOf = (table: TopK<Row>): Entry[] =>
  entryList(table)
    .map(({ key, count, overestimate }): Entry => [key, count, overestimate])
    .sort(([a], [b]) => (a < b ? -1 : 1));

/** Σ(count − overestimate) over the entries + otherCount: must equal totalCount. */
const accountedFor = (table: TopK<Row>): number =>
  entryList(table).reduce((sum, { count, overestimate }) => sum + count - overestimate, table.otherCount);

const CASES: {
  name: string;
  capacity: number;
  touches: readonly Touch[];
  evictions: readonly Eviction[];
  entries: readonly Entry[];
  otherCount: number;
  totalCount: number;
}[] = [
  {
    name: 'up to capacity every count is exact and nothing is evicted',
    capacity: 3,
    touches: [['a', 1], ['b', 1], ['a', 1], ['c', 2], ['a', 1], ['b', 3]],
    evictions: [],
    entries: [['a', 3, 0], ['b', 4, 0], ['c', 2, 0]],
    otherCount: 0,
    totalCount: 9,
  },
  {
    name: 'a new key in a full table evicts the smallest count',
    capacity: 3,
    touches: [['a', 5], ['b', 2], ['c', 3], ['d', 1]],
    evictions: [['b', 2]],
    entries: [['a', 5, 0], ['c', 3, 0], ['d', 3, 2]],
    otherCount: 2,
    totalCount: 11,
  },
  {
    name: 'among equal counts the least recently touched goes first; a touch of weight 0 refreshes',
    capacity: 3,
    touches: [['a', 1], ['b', 1], ['c', 1], ['a', 0], ['d', 1], ['e', 1]],
    evictions: [['b', 1], ['c', 1]],
    entries: [['a', 1, 0], ['d', 2, 1], ['e', 2, 1]],
    otherCount: 2,
    totalCount: 5,
  },
  {
    name: 'a newcomer inherits the evicted count as its overestimate; an heir evicted gives only its own part',
    capacity: 2,
    // b (1) goes; c = 1 + 2 over 1. a and c tie at 3, a is older: d = 3 + 1 over 3. Then c (3, over 1) goes.
    touches: [['a', 3], ['b', 1], ['c', 2], ['d', 1], ['e', 1]],
    evictions: [['b', 1], ['a', 3], ['c', 2]],
    entries: [['d', 4, 3], ['e', 4, 3]],
    otherCount: 6,
    totalCount: 8,
  },
  {
    name: 'capacity 1: every new key replaces the one row',
    capacity: 1,
    touches: [['a', 1], ['a', 1], ['b', 1], ['c', 5], ['c', 1]],
    evictions: [['a', 2], ['b', 1]],
    entries: [['c', 9, 3]],
    otherCount: 3,
    totalCount: 9,
  },
];

for (const { name, capacity, touches, evictions, entries, otherCount, totalCount } of CASES) {
  test(name, () => {
    const { table, evictions: reported } = tableOf(capacity);
    touchAll(table, touches);
    assert.deepEqual(reported, evictions);
    assert.deepEqual(entriesOf(table), entries);
    assert.equal(table.size, entries.length);
    assert.equal(table.otherCount, otherCount);
    assert.equal(table.totalCount, totalCount);
    assert.equal(accountedFor(table), totalCount);
  });
}

test('touch() finds only keys in the table, insert() makes a row once, and the lookups agree with forEach()', () => {
  const table = new TopK<{ opens: number }>(2);
  let made = 0;
  const create = () => {
    made++;
    return { opens: 0 };
  };
  assert.equal(table.touch('/etc/passwd'), undefined);
  assert.equal(table.totalCount, 0, 'a touch of a key not in the table counts nothing');
  const row = table.insert('/etc/passwd', create);
  row.opens++;
  assert.equal(table.touch('/etc/passwd', 4), row);
  assert.throws(() => table.insert('/etc/passwd', create), /already in the table/);
  assert.equal(made, 1);
  assert.equal(table.get('/etc/passwd'), row);
  assert.equal(table.countOf('/etc/passwd'), 5);
  assert.equal(table.overestimateOf('/etc/passwd'), 0);
  assert.deepEqual(entryList(table), [{ key: '/etc/passwd', row: { opens: 1 }, count: 5, overestimate: 0 }]);
  assert.equal(table.get('/nowhere'), undefined);
  assert.equal(table.countOf('/nowhere'), undefined);
  assert.equal(table.overestimateOf('/nowhere'), undefined);
});

test('a flood of distinct keys leaves the table at capacity with everything accounted for', () => {
  const { table, evictions } = tableOf(10);
  for (let i = 0; i < 1000; i++) table.insert(`/tmp/file-${i}`, () => ({ key: `/tmp/file-${i}` }));
  assert.equal(table.size, 10);
  assert.equal(evictions.length, 990);
  // Round-robin through the slots: each now counts 100, of which only its own 1 is certain.
  assert.deepEqual(
    entriesOf(table),
    Array.from({ length: 10 }, (_, i): Entry => [`/tmp/file-${990 + i}`, 100, 99]).sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  assert.equal(table.otherCount, 990);
  assert.equal(table.totalCount, 1000);
});

test('a heavy hitter that arrives late, among a stream of one-off keys, is kept', () => {
  const { table } = tableOf(10);
  for (let i = 0; i < 500; i++) touchAll(table, [[`noise-${i}`, 1]]); // every slot at 50
  for (let i = 0; i < 200; i++) touchAll(table, [['hot', 1], [`late-noise-${i}`, 1]]);
  // It came in over a count of 50 and was never the smallest after: 50 + its own 200.
  assert.equal(table.countOf('hot'), 250);
  assert.equal(table.overestimateOf('hot'), 50);
  const ranked = entryList(table).sort((a, b) => b.count - a.count);
  assert.equal(ranked[0]?.key, 'hot');
  assert.equal(accountedFor(table), 900);
});

/** Space-Saving by linear scan, with the same tie-break: the reference the heap must match. */
function referenceSpaceSaving(capacity: number, touches: readonly Touch[]) {
  const rows = new Map<string, { count: number; overestimate: number; lastTouch: number }>();
  const evictions: Eviction[] = [];
  let other = 0;
  touches.forEach(([key, weight], lastTouch) => {
    const row = rows.get(key);
    if (row) {
      row.count += weight;
      row.lastTouch = lastTouch;
      return;
    }
    if (rows.size < capacity) {
      rows.set(key, { count: weight, overestimate: 0, lastTouch });
      return;
    }
    let victimKey = '';
    let victim = { count: Infinity, overestimate: 0, lastTouch: Infinity };
    for (const [candidateKey, candidate] of rows) {
      const smaller = candidate.count < victim.count;
      if (smaller || (candidate.count === victim.count && candidate.lastTouch < victim.lastTouch)) {
        victimKey = candidateKey;
        victim = candidate;
      }
    }
    rows.delete(victimKey);
    other += victim.count - victim.overestimate;
    evictions.push([victimKey, victim.count - victim.overestimate]);
    rows.set(key, { count: victim.count + weight, overestimate: victim.count, lastTouch });
  });
  const entries = [...rows].map(([key, { count, overestimate }]): Entry => [key, count, overestimate]);
  return { entries: entries.sort(([a], [b]) => (a < b ? -1 : 1)), other, evictions };
}

test('over a long skewed sequence the heap evicts exactly as a linear scan would, and the sums hold', () => {
  // 20,000 touches, weights 1..4, fixed (no randomness): every third goes to one of four hot
  // keys, the rest spread over 53 cold ones.
  const touches: Touch[] = Array.from({ length: 20_000 }, (_, i) => [
    i % 3 === 0 ? `hot${i % 4}` : `k${(i * i + 3 * i) % 53}`,
    1 + (i % 4),
  ]);
  const trueCounts = new Map<string, number>();
  for (const [key, weight] of touches) trueCounts.set(key, (trueCounts.get(key) ?? 0) + weight);

  const { table, evictions } = tableOf(8);
  touchAll(table, touches);
  const expected = referenceSpaceSaving(8, touches);
  assert.deepEqual(entriesOf(table), expected.entries);
  assert.equal(table.otherCount, expected.other);
  assert.equal(table.otherCount, evictions.reduce((sum, [, guaranteed]) => sum + guaranteed, 0));
  assert.equal(table.totalCount, 50_000);
  assert.equal(accountedFor(table), 50_000);
  for (const { key, count, overestimate } of entryList(table)) {
    const trueCount = trueCounts.get(key)!;
    assert.ok(count - overestimate <= trueCount && trueCount <= count, `${key}: ${trueCount} in its bounds`);
  }
  // Space-Saving's guarantee: every key heavier than total / capacity is in the table.
  const heavy = [...trueCounts].filter(([, count]) => count > 50_000 / 8).map(([key]) => key);
  assert.deepEqual(heavy, ['hot3']);
  for (const key of heavy) assert.notEqual(table.get(key), undefined, `${key} kept`);
});

test('touches that only update a row, and evict later, choose the same victims as a linear scan', () => {
  // Touches leave the heap behind (rows touched since they were placed sit where they were);
  // each eviction must still take the true smallest, with the least recent first among equals.
  // Few keys over few rows, so a run mixes long stretches of touches with evictions.
  const touch = fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'), fc.integer({ min: 0, max: 3 }));
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 5 }), fc.array(touch, { maxLength: 200 }), (capacity, touches) => {
      const { table, evictions } = tableOf(capacity);
      touchAll(table, touches);
      const expected = referenceSpaceSaving(capacity, touches);
      assert.deepEqual(evictions, expected.evictions);
      assert.deepEqual(entriesOf(table), expected.entries);
      assert.equal(table.otherCount, expected.other);
    }),
    { numRuns: 500 },
  );
});

test('keys touched in turn, as many as the rows, are counted without an eviction; one more key evicts the oldest', () => {
  const { table, evictions } = tableOf(2000);
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 2000; i++) touchAll(table, [[`/p/${i}`, 1]]);
  }
  assert.deepEqual(evictions, []);
  assert.equal(table.countOf('/p/0'), 5);
  touchAll(table, [['/new', 1]]);
  assert.deepEqual(evictions, [['/p/0', 5]], 'all at 5: the least recently touched goes');
  assert.equal(table.countOf('/new'), 6);
  assert.equal(table.overestimateOf('/new'), 5);
});

test('a create() that throws leaves the table as it was', () => {
  const { table, evictions } = tableOf(1);
  touchAll(table, [['a', 2]]);
  assert.throws(() => table.insert('b', () => { throw new Error('no row'); }), /no row/);
  assert.deepEqual(entriesOf(table), [['a', 2, 0]]);
  assert.deepEqual(evictions, []);
  assert.equal(table.totalCount, 2);
});

test('capacities that are not a whole number of rows, and weights below zero, are refused', () => {
  for (const capacity of [0, -1, 2.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => new TopK(capacity), RangeError, `capacity ${capacity}`);
  }
  const table = new TopK<number>(4);
  for (const weight of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => table.insert('a', () => 0, weight), RangeError, `weight ${weight}`);
    assert.throws(() => table.touch('a', weight), RangeError, `weight ${weight}`);
  }
  assert.equal(table.size, 0);
  assert.equal(table.totalCount, 0);
});
