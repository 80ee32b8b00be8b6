// The --json stream: one event per line, with the wall-clock time it happened, then a
// summary of what was emitted, dropped and received; and the stats line on stderr.
import type { ClawtopEvent } from './decode.ts';
import type { KindTotals } from './engine.ts';
import { receivedPerSecondByMonitor } from './monitor-rates.ts';

/** The bytes of a line's process fields (tgid to comm), and what they say. */
type ProcessPart = Pick<ClawtopEvent, 'tgid' | 'tid' | 'ppid' | 'uid' | 'cgroupId' | 'comm'> & { readonly bytes: Uint8Array };
/** The bytes of a line's end, from its cgroup path on. */
interface CgroupPathPart {
  readonly cgroupPath: string | null;
  readonly bytes: Uint8Array;
}

/** Records carry CLOCK_MONOTONIC nanoseconds; node's hrtime reads the same clock. */
export function monotonicToWallClockMs(nowWallMs = Date.now(), nowMonotonicNs = process.hrtime.bigint()) {
  const offsetMs = nowWallMs - Number(nowMonotonicNs) / 1e6;
  return (timestampNs: number): number => offsetMs + timestampNs / 1e6;
}

/** Bytes a writer holds before it writes them: one write per this much under a flood. */
const CHUNK_BYTES = 64 * 1024;
/** The most JSON bytes one UTF-16 unit of a string takes: a control character's \u00XX. */
const MAX_BYTES_PER_UNIT = 6;
/** The longest String(number): '-1.2345678901234567e-308'. */
const MAX_NUMBER_BYTES = 24;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const DIGIT_ZERO = 0x30;
const BILLION = 1e9;
/** Kept parts of lines, of each kind; each keeps the chunk it lies in from being collected. */
const PART_SLOTS = 16;
const PART_SLOT_MASK = PART_SLOTS - 1;

/**
 * The --json lines, written as bytes into a chunk that is handed to output when full or
 * on flush(), whole lines only. Each line also names the event's cgroup by path, when it
 * can be found. The bytes are the UTF-8 of JSON.stringify({ time, ...event, cgroupPath }),
 * byte for byte (the test holds them to that), written with no string in between: a line
 * built as a string was some thirty pieces, then a flat copy of the text, then its UTF-8
 * for the write, and collecting that garbage made five times the young-generation GCs
 * and a fifth of --json's CPU.
 *
 * A flood comes from a few threads, in a few cgroups: the bytes of a line's process (tgid
 * to comm) and of its cgroup path are kept and copied whole into the next lines that have
 * the same, which takes a third off the cost of a file line.
 */
export class NdjsonWriter {
  private chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  private used = 0;
  /** Where the line being written starts; lines before it are whole. */
  private lineStart = 0;
  private readonly isoTime = createIsoTimeFormatter();
  /** By tid: threads of a flood on several CPUs come interleaved in the ring. */
  private readonly processParts = new Array<ProcessPart | undefined>(PART_SLOTS);
  /** By cgroup id. */
  private readonly cgroupPathParts = new Array<CgroupPathPart | undefined>(PART_SLOTS);

  constructor(
    /** Takes the bytes over: they are never written to again. */
    private readonly output: (bytes: Buffer) => void,
    private readonly resolveCgroupPath: (cgroupId: number) => string | undefined = () => undefined,
    private readonly toWallClockMs = monotonicToWallClockMs(),
  ) {}

  /** Bytes held, not yet handed to output. */
  get heldBytes(): number {
    return this.used;
  }

  /** Hands over what is held, if anything. */
  flush(): void {
    if (this.used === 0) return;
    const bytes = this.chunk.subarray(0, this.used);
    // A pipe is written asynchronously and holds on to the bytes: the chunk is not reused.
    this.chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
    this.used = 0;
    this.lineStart = 0;
    this.output(bytes);
  }

  /** Writes the event's line. Throws, writing nothing, for a time Date cannot hold. */
  append(event: ClawtopEvent): void {
    const time = this.isoTime(this.toWallClockMs(event.timestampNs));
    this.ascii('{"time":"');
    this.ascii(time);
    this.ascii('","kind":"');
    this.ascii(event.kind);
    this.ascii('","timestampNs":');
    this.number(event.timestampNs);
    this.processFields(event);
    this.kindFields(event);
    this.cgroupPathAndEnd(event.cgroupId, this.resolveCgroupPath(event.cgroupId) ?? null);
    this.lineStart = this.used;
  }

  private processFields(event: ClawtopEvent): void {
    const slot = event.tid & PART_SLOT_MASK;
    const last = this.processParts[slot];
    if (
      last !== undefined &&
      last.tid === event.tid &&
      last.tgid === event.tgid &&
      last.ppid === event.ppid &&
      last.uid === event.uid &&
      last.cgroupId === event.cgroupId &&
      last.comm === event.comm
    ) {
      this.copy(last.bytes);
      return;
    }
    const start = this.used - this.lineStart;
    this.ascii(',"tgid":');
    this.number(event.tgid);
    this.ascii(',"tid":');
    this.number(event.tid);
    this.ascii(',"ppid":');
    this.number(event.ppid);
    this.ascii(',"uid":');
    this.number(event.uid);
    this.ascii(',"cgroupId":');
    this.number(event.cgroupId);
    this.ascii(',"comm":');
    this.string(event.comm);
    const { tgid, tid, ppid, uid, cgroupId, comm } = event;
    this.processParts[slot] = { tgid, tid, ppid, uid, cgroupId, comm, bytes: this.lineBytesFrom(start) };
  }

  private cgroupPathAndEnd(cgroupId: number, cgroupPath: string | null): void {
    const slot = cgroupId & PART_SLOT_MASK;
    const last = this.cgroupPathParts[slot];
    if (last !== undefined && last.cgroupPath === cgroupPath) {
      this.copy(last.bytes);
      return;
    }
    const start = this.used - this.lineStart;
    this.ascii(',"cgroupPath":');
    this.stringOrNull(cgroupPath);
    this.ascii('}\n');
    this.cgroupPathParts[slot] = { cgroupPath, bytes: this.lineBytesFrom(start) };
  }

  /**
   * The line's bytes from start (counted from the line's start: reserve() may have moved
   * the line to a new chunk since) to the end. A view, not a copy (copying took longer
   * than writing the part): bytes once written in a chunk are never written over.
   */
  private lineBytesFrom(start: number): Uint8Array {
    return this.chunk.subarray(this.lineStart + start, this.used);
  }

  /**
   * The fields of each kind after the common ones, in the order decodeEvent (and the cgroup
   * traffic sampler) give them.
   */
  private kindFields(event: ClawtopEvent): void {
    switch (event.kind) {
      case 'exec':
        this.ascii(',"filename":');
        this.string(event.filename);
        this.ascii(',"argv":');
        this.strings(event.argv);
        this.ascii(',"argc":');
        this.number(event.argc);
        this.ascii(',"argsTruncated":');
        this.boolean(event.argsTruncated);
        this.ascii(',"filenameTruncated":');
        this.boolean(event.filenameTruncated);
        return;
      case 'exit':
        this.ascii(',"exitCode":');
        this.number(event.exitCode);
        this.ascii(',"exitSignal":');
        this.number(event.exitSignal);
        this.ascii(',"runtimeNs":');
        this.number(event.runtimeNs);
        return;
      case 'syscall':
        this.ascii(',"nr":');
        this.number(event.nr);
        this.ascii(',"ret":');
        this.number(event.ret);
        this.ascii(',"errno":');
        this.stringOrNull(event.errno);
        this.ascii(',"durationNs":');
        this.number(event.durationNs);
        this.ascii(',"args":');
        this.strings(event.args);
        this.ascii(',"path":');
        this.string(event.path);
        return;
      case 'file':
        this.ascii(',"result":');
        this.number(event.result);
        this.ascii(',"errno":');
        this.stringOrNull(event.errno);
        this.ascii(',"openFlags":');
        this.number(event.openFlags);
        this.ascii(',"mode":');
        this.number(event.mode);
        this.ascii(',"dev":');
        this.number(event.dev);
        this.ascii(',"inode":');
        this.number(event.inode);
        this.ascii(',"operation":');
        this.string(event.operation);
        this.ascii(',"access":');
        this.string(event.access);
        this.ascii(',"path":');
        this.string(event.path);
        this.ascii(',"pathTruncated":');
        this.boolean(event.pathTruncated);
        this.ascii(',"count":');
        this.number(event.count);
        this.ascii(',"repeats":');
        this.boolean(event.repeats);
        return;
      case 'net':
        this.ascii(',"family":');
        this.string(event.family);
        this.ascii(',"protocol":');
        this.string(event.protocol);
        this.ascii(',"direction":');
        this.string(event.direction);
        this.ascii(',"result":');
        this.number(event.result);
        this.ascii(',"errno":');
        this.stringOrNull(event.errno);
        this.ascii(',"sourceAddress":');
        this.string(event.sourceAddress);
        this.ascii(',"sourcePort":');
        this.number(event.sourcePort);
        this.ascii(',"destinationAddress":');
        this.string(event.destinationAddress);
        this.ascii(',"destinationPort":');
        this.number(event.destinationPort);
        return;
      case 'cgroup':
        this.ascii(',"metric":');
        this.string(event.metric);
        this.ascii(',"value":');
        this.number(event.value);
        this.ascii(',"threshold":');
        this.number(event.threshold);
        this.ascii(',"windowNs":');
        this.number(event.windowNs);
        this.ascii(',"thresholdCrossed":');
        this.boolean(event.thresholdCrossed);
        return;
      case 'anomaly':
        this.ascii(',"severity":');
        this.string(event.severity);
        this.ascii(',"sourceKind":');
        this.string(event.sourceKind);
        this.ascii(',"subjectPid":');
        this.number(event.subjectPid);
        this.ascii(',"subjectCgroupId":');
        this.number(event.subjectCgroupId);
        this.ascii(',"observed":');
        this.number(event.observed);
        this.ascii(',"limit":');
        this.number(event.limit);
        this.ascii(',"message":');
        this.string(event.message);
        return;
    }
  }

  /**
   * Makes room for bytes more. A full chunk is handed over up to the line being written,
   * which moves to the new one: output only ever gets whole lines.
   */
  private reserve(bytes: number): void {
    if (this.used + bytes <= this.chunk.length) return;
    const full = this.chunk;
    const lineBytes = this.used - this.lineStart;
    this.chunk = Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, lineBytes + bytes));
    full.copy(this.chunk, 0, this.lineStart, this.used);
    const wholeLines = full.subarray(0, this.lineStart);
    this.used = lineBytes;
    this.lineStart = 0;
    if (wholeLines.length > 0) this.output(wholeLines);
  }

  private copy(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.chunk.set(bytes, this.used);
    this.used += bytes.length;
  }

  /** Text that is ASCII and needs no escaping: the lines' own keys and punctuation, times. */
  private ascii(text: string): void {
    this.reserve(text.length);
    const chunk = this.chunk;
    let at = this.used;
    for (let index = 0; index < text.length; index++) chunk[at++] = text.charCodeAt(index);
    this.used = at;
  }

  /**
   * A string as JSON writes it. Most are printable ASCII and are copied as they are; the
   * others are JSON.stringify's, which escapes quotes, backslashes, control characters
   * and lone surrogates (not pairs), in UTF-8.
   */
  private string(text: string): void {
    this.reserve(text.length * MAX_BYTES_PER_UNIT + 2);
    const chunk = this.chunk;
    let at = this.used;
    chunk[at++] = QUOTE;
    for (let index = 0; index < text.length; index++) {
      const code = text.charCodeAt(index);
      if (code < 0x20 || code >= 0x80 || code === QUOTE || code === BACKSLASH) {
        this.used += chunk.write(JSON.stringify(text), this.used, 'utf8');
        return;
      }
      chunk[at++] = code;
    }
    chunk[at++] = QUOTE;
    this.used = at;
  }

  private stringOrNull(text: string | null): void {
    if (text === null) this.ascii('null');
    else this.string(text);
  }

  private strings(texts: readonly string[]): void {
    this.ascii('[');
    for (let index = 0; index < texts.length; index++) {
      if (index > 0) this.ascii(',');
      this.string(texts[index]!);
    }
    this.ascii(']');
  }

  private boolean(value: boolean): void {
    this.ascii(value ? 'true' : 'false');
  }

  /**
   * A number as JSON.stringify prints it (every number an event holds is finite). Integers
   * up to 2^53, all that the fields hold but rates, are written digit by digit, in int32
   * arithmetic: on doubles, each % is a call to fmod.
   */
  private number(value: number): void {
    if (!Number.isSafeInteger(value)) {
      this.ascii(String(value));
      return;
    }
    this.reserve(MAX_NUMBER_BYTES);
    let rest = value;
    if (rest < 0) {
      this.chunk[this.used++] = MINUS;
      rest = -rest;
    }
    if (rest < BILLION) {
      this.digits(rest, 0);
    } else {
      // Below 2^53, the billions fit an int32 too.
      const billions = Math.floor(rest / BILLION);
      this.digits(billions, 0);
      this.digits(rest - billions * BILLION, 9);
    }
  }

  /** An integer below a billion, zero-padded to at least width digits. */
  private digits(value: number, width: number): void {
    const chunk = this.chunk;
    const first = this.used;
    let at = first;
    let rest = value | 0;
    // The digits come last first, then are turned round.
    do {
      const tens = (rest / 10) | 0;
      chunk[at++] = DIGIT_ZERO + rest - tens * 10;
      rest = tens;
    } while (rest > 0);
    while (at - first < width) chunk[at++] = DIGIT_ZERO;
    for (let left = first, right = at - 1; left < right; left++, right--) {
      const digit = chunk[left]!;
      chunk[left] = chunk[right]!;
      chunk[right] = digit;
    }
    this.used = at;
  }
}

/**
 * new Date(wallClockMs).toISOString(), built once per millisecond: events come many to a
 * millisecond. Date truncates the fraction, so the cache is keyed on the truncated value.
 */
function createIsoTimeFormatter(): (wallClockMs: number) => string {
  let cachedMs = NaN;
  let cachedTime = '';
  return (wallClockMs) => {
    const ms = Math.trunc(wallClockMs);
    if (ms !== cachedMs) {
      cachedTime = new Date(ms).toISOString();
      cachedMs = ms;
    }
    return cachedTime;
  };
}

/**
 * The last --json line: per event kind, what the kernel emitted, what the full ring
 * dropped (never silently) and what clawtop received.
 */
export function formatSummaryLine(totals: readonly KindTotals[], malformedRecords: number, now = new Date()): string {
  const events = Object.fromEntries(totals.map(({ kind, ...counts }) => [kind, counts]));
  return `${JSON.stringify({ time: now.toISOString(), kind: 'summary', events, malformedRecords })}\n`;
}

/**
 * The --json stats line on stderr: events/s per monitor over the interval, losses, and
 * how full the ring is (a ring near full is about to lose events).
 */
export function formatStatsLine(
  before: readonly KindTotals[],
  after: readonly KindTotals[],
  seconds: number,
  ringFillRatio: number,
): string {
  const dropped = after.reduce((sum, totals, index) => sum + totals.dropped - (before[index]?.dropped ?? 0), 0);
  const rates = [...receivedPerSecondByMonitor(before, after, seconds)].map(
    ([monitor, perSecond]) => `${monitor} ${formatRate(perSecond)}/s`,
  );
  return `clawtop: ${rates.join(', ')}; dropped ${dropped}; ring ${(ringFillRatio * 100).toFixed(1)}% full\n`;
}

function formatRate(perSecond: number): string {
  return perSecond >= 100 ? String(Math.round(perSecond)) : perSecond.toFixed(1);
}
