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

/** Called by forEach() with each row of the table. */
export type EntryVisitor<Row> = (
  row: Row,
  /** Upper bound of the key's weight since it entered the table (exact when overestimate is 0). */
  count: number,
  /** How much of count may belong to keys evicted before this one entered. */
  overestimate: number,
  key: string,
) => void;

/** A row in the heap. Mutable and reused on eviction, so touching an existing key allocates nothing. */
interface Slot<Row> {
  key: string;
  row: Row;
  count: number;
  overestimate: number;
  /** The table's touch sequence number at this slot's last touch: the tie-break between equal counts. */
  lastTouch: number;
  /** count and lastTouch as the heap last ordered this slot by; behind them once it is touched again. */
  heapCount: number;
  heapTouch: number;
  heapIndex: number;
}

/**
 * The table: a Map from key to slot for lookup, and a binary min-heap of the slots ordered by
 * (count, lastTouch), so the eviction victim (smallest count, least recently touched among
 * equal counts) is found at the root. A touch only ever raises a slot's (count, lastTouch), so
 * the heap is kept lazily: a touch updates the slot alone, in O(1), and leaves it in the heap
 * under the (heapCount, heapTouch) it had, a lower bound of its own. The root has the smallest
 * bound; before an eviction, a root that was touched since it was placed is sifted down under
 * its present values, until the root is one that was not: its bound is its own value, so it
 * is the true smallest. Each touch causes at most one such sift, O(log capacity), and only
 * when its slot reaches the root: with no eviction (fewer keys than rows, as most tables
 * are) a touch never sifts at all, where an eager heap sank every touched row to the bottom.
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
   * Adds weight (non-negative) to the count of a key in the table and returns its row, in
   * O(1); returns undefined, changing nothing, when the key is not in the table: insert() it
   * then. Split in two so that the hot path, a key already there, builds no create function.
   */
  touch(key: string, weight = 1): Row | undefined {
    checkWeight(weight);
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    this.weightTotal += weight;
    slot.count += weight;
    slot.lastTouch = ++this.touches;
    return slot.row;
  }

  /**
   * Puts a key that is not in the table in with weight (non-negative) and returns its row,
   * made with create(). In a full table it evicts the row with the smallest count (the least
   * recently touched among equal ones) and, as Space-Saving says, takes over that count;
   * onEvict is called after the table is consistent again, so it may touch the table itself.
   * Without a listener, create() is handed the row about to be evicted to reset and return,
   * so a flood of new keys allocates nothing.
   */
  insert(key: string, create: (recycled: Row | undefined) => Row, weight = 1): Row {
    checkWeight(weight);
    if (this.slots.has(key)) throw new Error(`top-k key ${JSON.stringify(key)} is already in the table: touch it`);
    const full = this.heap.length === this.capacity;
    if (full) this.settleRoot();
    // The row about to be evicted may be reused, unless a listener still needs it whole.
    const recycled = full && this.onEvict === undefined ? this.heap[0]!.row : undefined;
    const row = create(recycled); // first, so a create() that throws leaves the table as it was
    const touch = ++this.touches;
    this.weightTotal += weight;
    if (!full) {
      const heapIndex = this.heap.length;
      const slot: Slot<Row> = {
        key,
        row,
        count: weight,
        overestimate: 0,
        lastTouch: touch,
        heapCount: weight,
        heapTouch: touch,
        heapIndex,
      };
      this.heap.push(slot);
      this.slots.set(key, slot);
      this.siftUp(slot.heapIndex);
      return row;
    }

    // Full: the new key takes the root's slot and its count.
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
    this.placeAgain(slot);
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

  /** Visits the rows in no particular order (the caller sorts by what the pane shows). */
  forEach(visit: EntryVisitor<Row>): void {
    for (const slot of this.slots.values()) visit(slot.row, slot.count, slot.overestimate, slot.key);
  }

  /** Until the root is a slot not touched since it was placed: then it is the true smallest. */
  private settleRoot(): void {
    for (let root = this.heap[0]!; root.heapTouch !== root.lastTouch; root = this.heap[0]!) this.placeAgain(root);
  }

  /** Orders the slot in the heap by its present count and last touch, which only ever grow. */
  private placeAgain(slot: Slot<Row>): void {
    slot.heapCount = slot.count;
    slot.heapTouch = slot.lastTouch;
    this.siftDown(slot.heapIndex);
  }

  /** Whether slot a is placed above slot b: a smaller count, or an equal count touched earlier. */
  private static precedes<Row>(a: Slot<Row>, b: Slot<Row>): boolean {
    return a.heapCount < b.heapCount || (a.heapCount === b.heapCount && a.heapTouch < b.heapTouch);
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

function checkWeight(weight: number): void {
  if (!(weight >= 0 && weight < Number.POSITIVE_INFINITY)) {
    throw new RangeError(`top-k weight must be a finite non-negative number, got ${weight}`);
  }
}
