import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { RATE_WINDOWS_SECONDS, RollingCounter } from '../../src/core/rolling-counter.ts';

/** [second, count] */
type Add = readonly [number, number];
/** [nowSecond, windowSeconds, expected rate] */
type Read = readonly [number, number, number];

/** Counts per second for seconds first..last, each second's count being the second itself. */
const rampAdds = (first: number, last: number): Add[] =>
  Array.from({ length: last - first + 1 }, (_, offset) => [first + offset, first + offset] as const);

const CASES: { name: string; horizon?: number; adds: readonly Add[]; reads: readonly Read[]; total: number }[] = [
  {
    name: 'a fresh counter reads zero over every window',
    adds: [],
    reads: [[0, 1, 0], [0, 60, 0], [1000, 10, 0]],
    total: 0,
  },
  {
    name: 'the current, partial second is not counted; it is once it has completed',
    adds: [[10, 5]],
    reads: [[10, 1, 0], [10, 60, 0], [11, 1, 5], [11, 10, 0.5], [12, 1, 0], [12, 10, 0.5], [21, 10, 0]],
    total: 5,
  },
  {
    name: 'a window sums exactly the completed seconds it covers, across bucket boundaries',
    adds: [[100, 3], [101, 4], [105, 7], [109, 2], [110, 1]],
    reads: [
      [110, 1, 2],
      [110, 5, 9 / 5], // 105..109
      [110, 10, 1.6], // 100..109: 3 + 4 + 7 + 2
      [111, 1, 1],
      [111, 10, 1.4], // 101..110: 4 + 7 + 2 + 1
      [111, 60, 17 / 60],
    ],
    total: 17,
  },
  {
    name: 'the ring wraps many times and still gives the last seconds exactly',
    adds: rampAdds(0, 130),
    reads: [
      [131, 1, 130],
      [131, 10, 125.5], // 121..130
      [131, 60, 100.5], // 71..130
    ],
    total: (130 * 131) / 2,
  },
  {
    name: 'a window as long as the horizon still has its oldest second while the current one fills',
    horizon: 3,
    adds: [[0, 1], [1, 2], [2, 4], [3, 8]],
    reads: [[3, 3, 7 / 3], [4, 3, 14 / 3], [4, 1, 8]],
    total: 15,
  },
  {
    name: 'seconds skipped within the horizon read as zero',
    adds: [[0, 6], [5, 6]],
    reads: [[6, 1, 6], [6, 5, 6 / 5], [6, 10, 12 / 10], [5, 5, 6 / 5]],
    total: 12,
  },
  {
    name: 'a gap longer than the horizon leaves nothing of the earlier counts',
    adds: [[10, 5], [100, 1]],
    reads: [[100, 60, 0], [100, 1, 0], [101, 60, 1 / 60], [101, 1, 1]],
    total: 6,
  },
  {
    name: 'a gap of exactly the ring length reuses the same bucket, cleared first',
    adds: [[10, 5], [71, 1]],
    reads: [[71, 60, 0], [72, 60, 1 / 60]],
    total: 6,
  },
  {
    name: 'a gap of exactly the horizon keeps the oldest second in the longest window',
    adds: [[10, 5], [70, 1]],
    reads: [[70, 60, 5 / 60], [71, 60, 1 / 60]],
    total: 6,
  },
  {
    name: 'a gap that laps a short ring part-way clears only the seconds passed over',
    horizon: 3,
    adds: [[0, 1], [1, 1], [2, 1], [3, 1], [6, 1]],
    reads: [[6, 3, 1 / 3], [6, 2, 0], [7, 3, 1 / 3], [7, 1, 1]],
    total: 5,
  },
  {
    name: 'reads long after the last add are zero, and do not disturb earlier windows',
    adds: [[10, 5]],
    reads: [[200, 60, 0], [11, 1, 5]],
    total: 5,
  },
  {
    name: 'a late add lands in its own second while the ring holds it, else only in the total',
    adds: [[100, 1], [99, 2], [40, 8], [39, 4]],
    reads: [[100, 60, 10 / 60], [100, 1, 2], [101, 1, 1]],
    total: 15,
  },
];

for (const { name, horizon, adds, reads, total } of CASES) {
  test(name, () => {
    const counter = new RollingCounter(horizon);
    for (const [second, count] of adds) counter.add(second, count);
    for (const [nowSecond, windowSeconds, expected] of reads) {
      assert.equal(counter.rate(nowSecond, windowSeconds), expected, `rate(${nowSecond}, ${windowSeconds})`);
    }
    assert.equal(counter.total, total);
  });
}

test('add() counts one event by default', () => {
  const counter = new RollingCounter();
  counter.add(7);
  counter.add(7);
  assert.equal(counter.rate(8, 1), 2);
  assert.equal(counter.total, 2);
});

test('rates() gives the 1 s, 10 s and 60 s windows', () => {
  assert.deepEqual(RATE_WINDOWS_SECONDS, [1, 10, 60]);
  const counter = new RollingCounter();
  assert.deepEqual(counter.rates(0), { perSecond1: 0, perSecond10: 0, perSecond60: 0 });
  for (const [second, count] of [[0, 6], [40, 54], [50, 30], [59, 6], [60, 100]] as const) counter.add(second, count);
  // 59 | 50..59 | 0..59; second 60 is still filling.
  assert.deepEqual(counter.rates(60), { perSecond1: 6, perSecond10: 3.6, perSecond60: 1.6 });
  assert.deepEqual(counter.rates(61), { perSecond1: 100, perSecond10: 10.6, perSecond60: 190 / 60 });
});

test('rates() read again in the same second count an add that arrived late for an earlier one', () => {
  const counter = new RollingCounter();
  counter.add(100, 4);
  counter.add(101, 1);
  assert.deepEqual(counter.rates(101), { perSecond1: 4, perSecond10: 0.4, perSecond60: 4 / 60 });
  counter.add(101, 5); // the current second: not in any window until it completes
  assert.equal(counter.rates(101).perSecond1, 4);
  counter.add(100, 2); // late, from another CPU's side of the second's edge
  assert.deepEqual(counter.rates(101), { perSecond1: 6, perSecond10: 0.6, perSecond60: 6 / 60 });
  assert.equal(counter.rates(102).perSecond1, 6);
});

test('windows outside 1..horizon and horizons that are not whole seconds are refused', () => {
  const counter = new RollingCounter(60);
  for (const window of [0, -1, 61, 1.5, Number.NaN]) {
    assert.throws(() => counter.rate(100, window), RangeError, `window ${window}`);
  }
  for (const horizon of [0, -5, 2.5, Number.POSITIVE_INFINITY]) {
    assert.throws(() => new RollingCounter(horizon), RangeError, `horizon ${horizon}`);
  }
  assert.throws(() => new RollingCounter(10).rates(100), /from 1 to 10, got 60/);
});

/** What rate() must say, from every add kept in a plain map: a second's count lives while the ring holds it. */
class ReferenceCounter {
  private latest = Number.NEGATIVE_INFINITY;
  private readonly counts = new Map<number, number>();

  constructor(private readonly horizon: number) {}

  add(second: number, count: number): void {
    if (second > this.latest) {
      this.latest = second;
      for (const kept of this.counts.keys()) if (kept < second - this.horizon) this.counts.delete(kept);
    } else if (this.latest - second > this.horizon) {
      return;
    }
    this.counts.set(second, (this.counts.get(second) ?? 0) + count);
  }

  rate(nowSecond: number, windowSeconds: number): number {
    let sum = 0;
    for (const [second, count] of this.counts) {
      if (second >= nowSecond - windowSeconds && second <= nowSecond - 1) sum += count;
    }
    return sum / windowSeconds;
  }
}

test('every window reads what the adds it covers sum to, wherever the ring wraps', () => {
  const step = fc.record({ advance: fc.integer({ min: -8, max: 12 }), count: fc.integer({ min: 0, max: 1000 }) });
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: -50, max: 200 }),
      fc.array(step, { maxLength: 60 }),
      (horizon, start, steps) => {
        const counter = new RollingCounter(horizon);
        const reference = new ReferenceCounter(horizon);
        let second = start;
        for (const { advance, count } of steps) {
          second += advance;
          counter.add(second, count);
          reference.add(second, count);
          for (let nowSecond = second; nowSecond <= second + horizon + 1; nowSecond++) {
            for (let window = 1; window <= horizon; window++) {
              assert.equal(counter.rate(nowSecond, window), reference.rate(nowSecond, window), `rate(${nowSecond}, ${window})`);
            }
          }
        }
      },
    ),
  );
});
