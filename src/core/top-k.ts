/**
 * A table of at most `capacity` rows, however many distinct keys arrive (paths, endpoints,
 * commands), kept by the Space-Saving algorithm (Metwally, Agrawal, El Abbadi 2005): when the
 * table is full a new key takes the place of the row with the smallest count and inherits that
 * count as its possible overestimate. Every key whose true count exceeds totalCount / capacity
 * is in the table, and a row's count is never below its true count nor above it by more than
 * its overestimate. Memory stays flat; what was evicted is summed in the "other" bucket.
 */

/** Told about a row as it leaves the table, with how many of its count were certainly its own. */
export type EvictionListener<Row> = (key: string, row: Row, guaranteedCount: number) => void;

/** One row of the table as entries() reports it. */
export interface TopKEntry<Row> {
  readonly key: string;
  readonly row: Row;
  /** Upper bound of the key's weight since it entered the table (exact when overestimate is 0). */
  readonly count: number;
  /** How much of count may belong to keys evicted before this one entered. */
  readonly overestimate: number;
}

/** A row in the heap. Mutable and reused on eviction, so touching an existing key allocates nothing. */
interface Slot<Row> {
  key: string;
  row: Row;
  count: number;
  overestimate: number;
  /** The table's touch sequence number at this slot's last touch: the tie-break between equal counts. */
  lastTouch: number;
  heapIndex: number;
}

/**
 * The table: a Map from key to slot for lookup, and a binary min-heap of the slots ordered by
 * (count, lastTouch) so the eviction victim (smallest count, least recently touched among equal
 * counts) is always at the root. A touch only ever raises a slot's count and lastTouch, so it
 * only moves down the heap: O(log capacity), and so is an eviction.
 */
export class TopK<Row> {
  readonly capacity: number;
  private readonly slots = new Map<string, Slot<Row>>();
  private readonly heap: Slot<Row>[] = [];
  private touches = 0;
  private evictedGuaranteedCount = 0;
  private weightTotal = 0;

  constructor(
    capacity: number,
    private readonly onEvict?: EvictionListener<Row>,
  ) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`top-k capacity must be a whole number of rows, at least 1, got ${capacity}`);
    }
    this.capacity = capacity;
  }

  /** Rows in the table, at most capacity. */
  get size(): number {
    return this.slots.size;
  }

  /** The weight certainly carried by evicted keys: what the "other" row shows. */
  get otherCount(): number {
    return this.evictedGuaranteedCount;
  }

  /** Every weight ever touched. Equals otherCount plus each entry's count - overestimate. */
  get totalCount(): number {
    return this.weightTotal;
  }

  /**
   * Adds weight (non-negative) to key's count and returns its row, made with create() when the key
   * is not in the table. A new key in a full table evicts the row with the smallest count (the
   * least recently touched among equal ones); onEvict is called after the table is consistent
   * again, so it may touch the table itself. Without a listener, create() is handed the row
   * about to be evicted to reset and return, so a flood of new keys allocates nothing.
   */
  touch(key: string, create: (recycled: Row | undefined) => Row, weight = 1): Row {
    if (!(weight >= 0 && weight < Number.POSITIVE_INFINITY)) {
      throw new RangeError(`top-k weight must be a finite non-negative number, got ${weight}`);
    }
    const touch = ++this.touches;
    const existing = this.slots.get(key);
    if (existing !== undefined) {
      this.weightTotal += weight;
      existing.count += weight;
      existing.lastTouch = touch;
      this.siftDown(existing.heapIndex);
      return existing.row;
    }

    // The row about to be evicted may be reused, unless a listener still needs it whole.
    const recycled = this.heap.length === this.capacity && this.onEvict === undefined ? this.heap[0]!.row : undefined;
    const row = create(recycled); // first, so a create() that throws leaves the table as it was
    this.weightTotal += weight;
    if (this.heap.length < this.capacity) {
      const heapIndex = this.heap.length;
      const slot: Slot<Row> = { key, row, count: weight, overestimate: 0, lastTouch: touch, heapIndex };
      this.heap.push(slot);
      this.slots.set(key, slot);
      this.siftUp(slot.heapIndex);
      return row;
    }

    // Full: the new key takes the root's slot and, as Space-Saving says, its count.
    const slot = this.heap[0]!;
    const evictedKey = slot.key;
    const evictedRow = slot.row;
    const evictedGuaranteed = slot.count - slot.overestimate;
    this.evictedGuaranteedCount += evictedGuaranteed;
    this.slots.delete(evictedKey);
    slot.key = key;
    slot.row = row;
    slot.overestimate = slot.count;
    slot.count += weight;
    slot.lastTouch = touch;
    this.slots.set(key, slot);
    this.siftDown(0);
    this.onEvict?.(evictedKey, evictedRow, evictedGuaranteed);
    return row;
  }

  get(key: string): Row | undefined {
    return this.slots.get(key)?.row;
  }

  /** The key's count (an upper bound of its true weight), or undefined when it is not in the table. */
  countOf(key: string): number | undefined {
    return this.slots.get(key)?.count;
  }

  /** How much the key's count may exceed its true weight, or undefined when it is not in the table. */
  overestimateOf(key: string): number | undefined {
    return this.slots.get(key)?.overestimate;
  }

  /** The rows in no particular order (the caller sorts by what the pane shows). */
  *entries(): Iterable<TopKEntry<Row>> {
    for (const { key, row, count, overestimate } of this.slots.values()) yield { key, row, count, overestimate };
  }

  /** Whether slot a is evicted before slot b: a smaller count, or an equal count touched earlier. */
  private static precedes<Row>(a: Slot<Row>, b: Slot<Row>): boolean {
    return a.count < b.count || (a.count === b.count && a.lastTouch < b.lastTouch);
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    const slot = heap[index]!;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (!TopK.precedes(slot, parent)) break;
      heap[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    heap[index] = slot;
    slot.heapIndex = index;
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    const length = heap.length;
    const slot = heap[index]!;
    for (;;) {
      const leftIndex = 2 * index + 1;
      if (leftIndex >= length) break;
      const rightIndex = leftIndex + 1;
      let childIndex = leftIndex;
      if (rightIndex < length && TopK.precedes(heap[rightIndex]!, heap[leftIndex]!)) childIndex = rightIndex;
      const child = heap[childIndex]!;
      if (!TopK.precedes(child, slot)) break;
      heap[index] = child;
      child.heapIndex = index;
      index = childIndex;
    }
    heap[index] = slot;
    slot.heapIndex = index;
  }
}
