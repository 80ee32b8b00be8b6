/**
 * The strings of a record's char arrays (a comm, a path), decoded once while the same bytes
 * keep arriving. A busy host opens the same few paths from the same few commands over and
 * over; decoding each into a new string made garbage at every event, and every table lookup
 * hashed that new string again. A cached string, its hash already computed, costs neither.
 *
 * The cache is two-way set-associative: a hash of the bytes picks a pair of slots, holding
 * the two strings last used there (the later first), so it never grows and a flood of
 * distinct paths only replaces strings; two ways, because with one a thousand paths read in
 * turn from 8192 slots missed one time in nine, two paths sharing a slot evicting each other. Only
 * ASCII is kept: its string has one character per byte, so a hit is proven by comparing the
 * string with the bytes themselves, not by trusting the hash.
 */

/** FNV-1a, 32 bits. */
const FNV_OFFSET_BASIS = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
const ASCII_LIMIT = 0x80;

export class StringCache {
  /** Of the first slot of a pair. */
  private readonly pairMask: number;
  private readonly hashes: Int32Array;
  private readonly strings: (string | undefined)[];

  /** slots: a power of two, at least 2. */
  constructor(slots: number) {
    if (!Number.isSafeInteger(slots) || slots < 2 || (slots & (slots - 1)) !== 0) {
      throw new RangeError(`string cache slots must be a power of two, at least 2, got ${slots}`);
    }
    this.pairMask = slots - 2;
    this.hashes = new Int32Array(slots);
    this.strings = new Array<string | undefined>(slots).fill(undefined);
  }

  /** The NUL-terminated (or full-length) UTF-8 string of bytes[offset, offset + length). */
  read(bytes: Buffer, offset: number, length: number): string {
    const fieldEnd = offset + length;
    let end = offset;
    let hash = FNV_OFFSET_BASIS;
    let seen = 0;
    for (; end < fieldEnd; end++) {
      const byte = bytes[end]!;
      if (byte === 0) break;
      seen |= byte;
      hash = Math.imul(hash ^ byte, FNV_PRIME);
    }
    if (seen >= ASCII_LIMIT) return bytes.toString('utf8', offset, end);
    const first = (hash ^ (hash >>> 16)) & this.pairMask;
    const strings = this.strings;
    const hashes = this.hashes;
    const recent = strings[first];
    if (recent !== undefined && hashes[first] === hash && spells(recent, bytes, offset, end)) return recent;
    const older = strings[first + 1];
    // ASCII: latin1 decodes it as utf8 would, one byte to one character, without validating.
    const text =
      older !== undefined && hashes[first + 1] === hash && spells(older, bytes, offset, end)
        ? older
        : bytes.toString('latin1', offset, end);
    strings[first + 1] = recent;
    hashes[first + 1] = hashes[first]!;
    strings[first] = text;
    hashes[first] = hash;
    return text;
  }
}

/** Whether text is the ASCII bytes[start, end). */
function spells(text: string, bytes: Buffer, start: number, end: number): boolean {
  if (text.length !== end - start) return false;
  for (let index = 0; index < text.length; index++) {
    if (text.charCodeAt(index) !== bytes[start + index]) return false;
  }
  return true;
}
