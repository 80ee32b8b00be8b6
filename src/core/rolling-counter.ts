/**
 * Event rates over the last 1, 10 and 60 seconds, from per-second buckets. Every row of every
 * pane holds one, so a counter is one small typed array and three numbers, and add() does no
 * allocation. Time is an integer second the caller passes in (Math.floor(monotonic ms / 1000)),
 * never read here, so the counter is a pure function of its inputs.
 */

/** The windows the screen shows a rate over, in seconds. */
export const RATE_WINDOWS_SECONDS = [1, 10, 60] as const;

/** Events per second over each of RATE_WINDOWS_SECONDS. */
export interface Rates {
  readonly perSecond1: number;
  readonly perSecond10: number;
  readonly perSecond60: number;
}

/**
 * A ring of per-second counts. Only completed seconds make a rate: the current second is still
 * filling, and counting it would make every rate dip at the start of each second.
 *
 * The ring holds horizonSeconds + 1 buckets: the current second plus horizonSeconds completed
 * ones, so a window as long as the horizon is whole at any moment. Buckets are cleared when time
 * moves past them (one write per elapsed second, at most the ring's length however long the
 * gap), so a read never finds a count from a previous lap of the ring and needs no stamps.
 *
 * Counts are Float64 rather than Uint32 because a count may be bytes: a busy cgroup moves more
 * than 4 GiB in a second, which a Uint32 would wrap silently. Integers stay exact up to 2^53.
 */
export class RollingCounter {
  readonly horizonSeconds: number;
  private readonly buckets: Float64Array;
  /** The latest second added: the ring holds seconds latestSecond - horizonSeconds .. latestSecond. */
  private latestSecond = Number.NEGATIVE_INFINITY;
  private totalCount = 0;
  /**
   * rates() of this second: a snapshot asks every row for its rates up to 30 times a second,
   * and they cannot change within a second but by an add to an earlier second.
   */
  private ratesSecond = Number.NaN;
  private ratesOfSecond: Rates = { perSecond1: 0, perSecond10: 0, perSecond60: 0 };

  constructor(horizonSeconds = 60) {
    if (!Number.isSafeInteger(horizonSeconds) || horizonSeconds < 1) {
      throw new RangeError(`horizon must be a whole number of seconds, at least 1, got ${horizonSeconds}`);
    }
    this.horizonSeconds = horizonSeconds;
    this.buckets = new Float64Array(horizonSeconds + 1);
  }

  /** Back to a fresh counter, keeping its memory: rows are recycled under a flood of new keys. */
  reset(): void {
    this.buckets.fill(0);
    this.latestSecond = Number.NEGATIVE_INFINITY;
    this.totalCount = 0;
    this.ratesSecond = Number.NaN;
  }

  /** Everything ever added, including what has aged out of the ring. */
  get total(): number {
    return this.totalCount;
  }

  /**
   * Adds count (non-negative) to the second nowSecond. Time does not go backwards for a counter;
   * should an add arrive for an earlier second anyway (events from two CPUs either side of a
   * second's edge), it lands in its own second while the ring still holds it, else only in total.
   */
  add(nowSecond: number, count = 1): void {
    this.totalCount += count;
    if (nowSecond < this.ratesSecond) this.ratesSecond = Number.NaN;
    const latest = this.latestSecond;
    if (nowSecond > latest) {
      this.clearAfter(latest, nowSecond);
      this.latestSecond = nowSecond;
    } else if (latest - nowSecond > this.horizonSeconds) {
      return;
    }
    this.buckets[this.indexOf(nowSecond)]! += count;
  }

  /**
   * Events per second over the windowSeconds completed seconds before nowSecond (seconds
   * nowSecond - windowSeconds .. nowSecond - 1). Seconds with no add count as zero.
   */
  rate(nowSecond: number, windowSeconds: number): number {
    if (!Number.isSafeInteger(windowSeconds) || windowSeconds < 1 || windowSeconds > this.horizonSeconds) {
      throw new RangeError(
        `rate window must be a whole number of seconds from 1 to ${this.horizonSeconds}, got ${windowSeconds}`,
      );
    }
    // Seconds outside what the ring holds (after the latest add, or too old) have no events.
    const first = Math.max(nowSecond - windowSeconds, this.latestSecond - this.horizonSeconds);
    const last = Math.min(nowSecond - 1, this.latestSecond);
    // Walked with an index, not a `%` per second: every row's rates are read once a second,
    // and the modulo made the 60 s window cost over a microsecond a row.
    const length = this.buckets.length;
    let index = this.indexOf(first);
    let sum = 0;
    for (let second = first; second <= last; second++) {
      sum += this.buckets[index]!;
      if (++index === length) index = 0;
    }
    return sum / windowSeconds;
  }

  /** The rate over each of RATE_WINDOWS_SECONDS; the horizon must cover the longest (60 s). */
  rates(nowSecond: number): Rates {
    if (nowSecond !== this.ratesSecond) {
      const [short, medium, long] = RATE_WINDOWS_SECONDS;
      this.ratesOfSecond = {
        perSecond1: this.rate(nowSecond, short),
        perSecond10: this.rate(nowSecond, medium),
        perSecond60: this.rate(nowSecond, long),
      };
      this.ratesSecond = nowSecond;
    }
    return this.ratesOfSecond;
  }

  /** Zeroes the buckets of seconds from after `from` up to `to`: time moved over them since they were last used. */
  private clearAfter(from: number, to: number): void {
    if (to - from >= this.buckets.length) {
      this.buckets.fill(0);
      return;
    }
    for (let second = from + 1; second <= to; second++) this.buckets[this.indexOf(second)] = 0;
  }

  private indexOf(second: number): number {
    const length = this.buckets.length;
    return ((second % length) + length) % length; // seconds before 0 still map into the ring
  }
}
