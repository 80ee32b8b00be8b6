// The --record file (docs/RECORDING.md): a header, then length-prefixed records written
// ahead as they happen (raw ring batches, each tick's kernel readings, cgroup paths and
// user names, hook changes), then an end record. A killed clawtop leaves a readable
// prefix without the end record; the reader replays its whole records and says so.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';

import { RECORD_VERSION } from './contract.ts';
import type { ClawtopEvent } from './decode.ts';
import type { EngineRecorder } from './engine.ts';
import type { EventSource } from './event-source.ts';
import type { CgroupTrafficTotals, HookReport, KernelCounters, MonitorName } from './native.ts';
import type { ProcessInfo } from './procinfo.ts';

/** The first 8 bytes of every recording. */
export const RECORDING_MAGIC = Buffer.from('CLAWREC\n', 'latin1');
export const RECORDING_VERSION = 1;
/** magic (8) + format version (u32) + header length (u32). */
const PREAMBLE_SIZE = 16;
/** type (u32) + payload length (u32) + arrival time in monotonic ns (u64). */
export const RECORD_HEADER_SIZE = 16;
/** Written at least this often (and at each tick), so a killed clawtop loses at most this much. */
const FLUSH_BYTES = 1024 * 1024;

export const RecordType = {
  batch: 1,
  tick: 2,
  labels: 3,
  hooks: 4,
  end: 5,
} as const;
export type RecordTypeName = keyof typeof RecordType;
const RECORD_TYPE_NAMES = new Map(Object.entries(RecordType).map(([name, code]) => [code as number, name as RecordTypeName]));

export interface RecordingHeader {
  readonly format: 'clawtop-recording';
  readonly version: number;
  readonly clawtopVersion: string;
  /** The version every ring record carries (bpf/clawtop.h): the batches decode with it. */
  readonly recordVersion: number;
  readonly host: string;
  readonly kernel: string;
  /** Wall-clock ms of CLOCK_MONOTONIC zero: a timestamp t (ns) happened at bootTimeWallMs + t / 1e6. */
  readonly bootTimeWallMs: number;
  /** Monotonic ns when recording started. */
  readonly startedNs: number;
  readonly monitors: readonly MonitorName[];
  readonly ringSizeBytes: number;
  readonly hooks: HookReport;
  /** The processes running when recording started. */
  readonly processes: readonly ProcessInfo[];
}

export interface TickPayload {
  readonly counters: KernelCounters;
  /** null when the cgroup monitor was not running. */
  readonly cgroupTraffic: readonly CgroupTrafficTotals[] | null;
}

export interface LabelsPayload {
  /** cgroup id -> path under the cgroup v2 mount. */
  readonly cgroups: Readonly<Record<string, string>>;
  /** uid -> user name. */
  readonly users: Readonly<Record<string, string>>;
}

export interface EndPayload {
  readonly records: number;
}

let cachedVersion: string | undefined;

/** clawtop's package version, from src/ (tsx) and dist/ alike. */
export function clawtopVersion(): string {
  cachedVersion ??= (
    JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version;
  return cachedVersion;
}

/**
 * Writes a recording as clawtop runs: created exclusively (never over an existing file),
 * mode 0600, records buffered and written at each tick or past 1 MiB, the end record
 * written by finish(). Is the Engine's recorder.
 */
export class RecordingWriter implements EngineRecorder {
  private readonly fd: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private records = 0;
  private readonly cgroupsLabelled = new Set<number>();
  private readonly usersLabelled = new Set<number>();
  private cgroupsToLabel = new Set<number>();
  private usersToLabel = new Set<number>();
  private lastHooks: string;
  private finished = false;

  constructor(
    readonly path: string,
    private readonly source: EventSource,
    header: Omit<RecordingHeader, 'format' | 'version' | 'clawtopVersion' | 'recordVersion' | 'host' | 'kernel' | 'bootTimeWallMs' | 'hooks'>,
  ) {
    try {
      this.fd = openSync(path, 'wx', 0o600);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reason = code === 'EEXIST' ? 'it exists (a recording is never overwritten)' : (error as Error).message;
      throw new Error(`failed to create recording ${path}: ${reason}`);
    }
    const full: RecordingHeader = {
      format: 'clawtop-recording',
      version: RECORDING_VERSION,
      clawtopVersion: clawtopVersion(),
      recordVersion: RECORD_VERSION,
      ...source.host,
      hooks: source.report,
      ...header,
    };
    this.lastHooks = JSON.stringify(source.report);
    const json = Buffer.from(JSON.stringify(full), 'utf8');
    const preamble = Buffer.alloc(PREAMBLE_SIZE);
    RECORDING_MAGIC.copy(preamble, 0);
    preamble.writeUInt32LE(RECORDING_VERSION, 8);
    preamble.writeUInt32LE(json.length, 12);
    this.push(Buffer.concat([preamble, json]));
    for (const info of header.processes) this.usersToLabel.add(info.uid);
    this.flush();
  }

  batch(nowNs: number, batch: Uint8Array): void {
    // A batch's memory is reused by the reader after the callback: keep a copy.
    this.append(RecordType.batch, nowNs, Buffer.from(batch));
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
  }

  event(event: ClawtopEvent): void {
    if (!this.cgroupsLabelled.has(event.cgroupId)) this.cgroupsToLabel.add(event.cgroupId);
    if (!this.usersLabelled.has(event.uid)) this.usersToLabel.add(event.uid);
  }

  tick(nowNs: number, counters: KernelCounters, cgroupTraffic: readonly CgroupTrafficTotals[] | null): void {
    for (const totals of cgroupTraffic ?? []) {
      if (!this.cgroupsLabelled.has(totals.cgroupId)) this.cgroupsToLabel.add(totals.cgroupId);
    }
    this.writeLabels(nowNs);
    const hooks = JSON.stringify(this.source.report);
    if (hooks !== this.lastHooks) {
      this.lastHooks = hooks;
      this.append(RecordType.hooks, nowNs, Buffer.from(hooks, 'utf8'));
    }
    const payload: TickPayload = {
      counters: {
        emitted: counters.emitted,
        dropped: counters.dropped,
        ringFillBytes: counters.ringFillBytes,
        ringSizeBytes: counters.ringSizeBytes,
      },
      cgroupTraffic,
    };
    this.append(RecordType.tick, nowNs, Buffer.from(JSON.stringify(payload), 'utf8'));
    this.flush();
  }

  /** Paths and names of the ids seen since the last tick; an id not yet resolvable is tried again. */
  private writeLabels(nowNs: number): void {
    const cgroups: Record<string, string> = {};
    const users: Record<string, string> = {};
    for (const cgroupId of this.cgroupsToLabel) {
      const path = this.source.cgroupPath(cgroupId);
      if (path === undefined) continue;
      cgroups[cgroupId] = path;
      this.cgroupsLabelled.add(cgroupId);
      this.cgroupsToLabel.delete(cgroupId);
    }
    for (const uid of this.usersToLabel) {
      users[uid] = this.source.userName(uid);
      this.usersLabelled.add(uid);
    }
    this.usersToLabel = new Set();
    if (Object.keys(cgroups).length === 0 && Object.keys(users).length === 0) return;
    const payload: LabelsPayload = { cgroups, users };
    this.append(RecordType.labels, nowNs, Buffer.from(JSON.stringify(payload), 'utf8'));
  }

  /**
   * Writes a last reading of the counters (so a replay's summary counts what the run
   * counted), the end record, and closes the file. Idempotent.
   */
  finish(nowNs: number, cgroupTraffic: readonly CgroupTrafficTotals[] | null): void {
    if (this.finished) return;
    this.tick(nowNs, this.source.readCounters(), cgroupTraffic);
    this.finished = true;
    const end: EndPayload = { records: this.records + 1 };
    this.append(RecordType.end, nowNs, Buffer.from(JSON.stringify(end), 'utf8'));
    this.flush();
    closeSync(this.fd);
  }

  private append(type: number, nowNs: number, payload: Buffer): void {
    const header = Buffer.alloc(RECORD_HEADER_SIZE);
    header.writeUInt32LE(type, 0);
    header.writeUInt32LE(payload.length, 4);
    header.writeBigUInt64LE(BigInt(Math.max(0, Math.round(nowNs))), 8);
    this.push(header);
    this.push(payload);
    this.records++;
  }

  private push(chunk: Buffer): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
  }

  private flush(): void {
    if (this.pendingBytes === 0) return;
    const data = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    let written = 0;
    while (written < data.length) written += writeSync(this.fd, data, written);
  }
}

export interface RecordingRecord {
  readonly type: RecordTypeName;
  readonly timestampNs: number;
  readonly payload: Buffer;
}

export interface Recording {
  readonly header: RecordingHeader;
  readonly records: readonly RecordingRecord[];
  /** No end record: clawtop was killed, or the file was cut. The records are the whole ones before the cut. */
  readonly truncated: boolean;
}

/** A file that is not a readable recording: the message is one line, ready for "clawtop: ". */
export class RecordingError extends Error {}

/** Whether the file starts like a recording (otherwise --replay tries it as a snapshot). */
export function looksLikeRecording(data: Buffer): boolean {
  return data.length >= RECORDING_MAGIC.length && data.subarray(0, RECORDING_MAGIC.length).equals(RECORDING_MAGIC);
}

function parseJson<T>(path: string, offset: number, bytes: Buffer, what: string): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch {
    throw new RecordingError(`${path} is corrupt: the ${what} at byte ${offset} is not valid JSON`);
  }
}

/** Reads and checks a whole recording; throws RecordingError when it cannot be replayed. */
export function parseRecording(path: string, data: Buffer): Recording {
  if (!looksLikeRecording(data)) throw new RecordingError(`${path} is not a clawtop recording`);
  if (data.length < PREAMBLE_SIZE) throw new RecordingError(`${path} is truncated: its header is incomplete`);
  const version = data.readUInt32LE(8);
  if (version !== RECORDING_VERSION) {
    throw new RecordingError(`${path} is a version ${version} recording; this clawtop reads version ${RECORDING_VERSION}`);
  }
  const headerLength = data.readUInt32LE(12);
  if (data.length < PREAMBLE_SIZE + headerLength) throw new RecordingError(`${path} is truncated: its header is incomplete`);
  const header = parseJson<RecordingHeader>(path, PREAMBLE_SIZE, data.subarray(PREAMBLE_SIZE, PREAMBLE_SIZE + headerLength), 'header');
  if (header?.format !== 'clawtop-recording' || !Array.isArray(header.processes) || !Array.isArray(header.monitors)) {
    throw new RecordingError(`${path} is corrupt: its header lacks the recording's fields`);
  }
  if (header.recordVersion !== RECORD_VERSION) {
    throw new RecordingError(
      `${path} holds version ${header.recordVersion} kernel records; this clawtop decodes version ${RECORD_VERSION}`,
    );
  }
  const records: RecordingRecord[] = [];
  let offset = PREAMBLE_SIZE + headerLength;
  let ended = false;
  while (offset + RECORD_HEADER_SIZE <= data.length && !ended) {
    const code = data.readUInt32LE(offset);
    const length = data.readUInt32LE(offset + 4);
    const timestampNs = Number(data.readBigUInt64LE(offset + 8));
    const type = RECORD_TYPE_NAMES.get(code);
    if (type === undefined) throw new RecordingError(`${path} is corrupt: unknown record type ${code} at byte ${offset}`);
    const start = offset + RECORD_HEADER_SIZE;
    if (start + length > data.length) break; // cut in the middle of this record
    const payload = data.subarray(start, start + length);
    if (type !== 'batch') parseJson(path, offset, payload, `${type} record`);
    records.push({ type, timestampNs, payload });
    ended = type === 'end';
    offset = start + length;
  }
  if (ended && offset < data.length) {
    throw new RecordingError(`${path} is corrupt: ${data.length - offset} bytes follow its end record`);
  }
  return { header, records, truncated: !ended };
}
