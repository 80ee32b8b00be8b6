/**
 * Reads the ring buffer's records. walkBatch is the hot path: it validates and dispatches
 * every record of a batch through one DataView, building nothing per record. decodeEvent
 * turns one validated record into a plain object, for the places that need one (JSON
 * output, details, tests). Every offset comes from the layout table in contract.ts.
 */
import { endianness, constants } from 'node:os';
import {
  BENCH_RECORD_KIND,
  CGROUP_FLAG_THRESHOLD_CROSSED,
  CGROUP_METRIC_NAMES,
  EVENT_KIND_NAMES,
  EXEC_FLAG_ARGS_TRUNCATED,
  EXEC_FLAG_FILENAME_TRUNCATED,
  EXEC_MAX_ARGS,
  EventKind,
  FILE_FLAG_PATH_TRUNCATED,
  FILE_FLAG_REPEATS,
  FILE_OPERATION_NAMES,
  HEADER_SIZE,
  NETWORK_DIRECTION_NAMES,
  NETWORK_PROTOCOL_NAMES,
  RECORD_STRUCT_BY_KIND,
  RECORD_VERSION,
  SEVERITY_NAMES,
  STRUCT_LAYOUTS,
  structMembers,
  type CgroupMetricName,
  type EventKindName,
  type FileOperationName,
  type NetworkDirectionName,
  type NetworkProtocolName,
  type SeverityName,
} from './contract.ts';
import { StringCache } from './string-cache.ts';

/** Records are written by the kernel of this host, in its byte order. */
const LITTLE_ENDIAN = endianness() === 'LE';

const HEADER = structMembers('event_header');
const EXEC = structMembers('exec_event');
const EXIT = structMembers('exit_event');
const SYSCALL = structMembers('syscall_event');
const FILE = structMembers('file_event');
const NET = structMembers('net_event');
const CGROUP = structMembers('cgroup_event');
const ANOMALY = structMembers('anomaly_event');

const HEADER_KIND_OFFSET = HEADER.kind.offset;
const HEADER_VERSION_OFFSET = HEADER.version.offset;
const HEADER_SIZE_OFFSET = HEADER.size.offset;

/** Expected record size per kind; 0 for a kind that does not exist. */
const RECORD_SIZE_BY_KIND = new Uint32Array(256);
for (const [kind, struct] of Object.entries(RECORD_STRUCT_BY_KIND)) {
  RECORD_SIZE_BY_KIND[Number(kind)] = STRUCT_LAYOUTS[struct].size;
}

export interface DecodeStats {
  /** Valid records visited. */
  records: number;
  /** Valid records visited, indexed by kind (0..255; BENCH_RECORD_KIND included). */
  readonly recordsByKind: number[];
  /** Invalid records met; each one ended its batch. */
  malformedRecords: number;
  /** Bytes skipped because of them: from each invalid record to the end of its batch. */
  malformedBytes: number;
}

export function createDecodeStats(): DecodeStats {
  return {
    records: 0,
    recordsByKind: new Array<number>(256).fill(0),
    malformedRecords: 0,
    malformedBytes: 0,
  };
}

/** Receives each valid record: its kind, the batch's view and where the record starts. */
export type RecordVisitor = (kind: number, view: DataView, offset: number) => void;

/**
 * Validates and visits each record of a batch of concatenated records. The first invalid
 * record is counted as malformed and ends the batch: its size cannot be trusted, so
 * neither can anything after it.
 */
export function walkBatch(batch: Uint8Array, visit: RecordVisitor, stats: DecodeStats): void {
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  const end = batch.byteLength;
  let offset = 0;
  while (offset < end) {
    const left = end - offset;
    if (left < HEADER_SIZE) {
      stats.malformedRecords++;
      stats.malformedBytes += left;
      return;
    }
    const kind = view.getUint16(offset + HEADER_KIND_OFFSET, LITTLE_ENDIAN);
    const version = view.getUint8(offset + HEADER_VERSION_OFFSET);
    const size = view.getUint32(offset + HEADER_SIZE_OFFSET, LITTLE_ENDIAN);
    // An unknown kind expects size 0, which no record passing the first checks has.
    if (
      size < HEADER_SIZE ||
      size % 8 !== 0 ||
      size > left ||
      version !== RECORD_VERSION ||
      kind > BENCH_RECORD_KIND ||
      RECORD_SIZE_BY_KIND[kind] !== size
    ) {
      stats.malformedRecords++;
      stats.malformedBytes += left;
      return;
    }
    stats.records++;
    stats.recordsByKind[kind]!++;
    visit(kind, view, offset);
    offset += size;
  }
}

/** An enum value the contract does not name (a newer kernel side, or a bug). */
export type UnknownName = `unknown-${number}`;

interface EventCommon {
  readonly timestampNs: number;
  readonly tgid: number;
  readonly tid: number;
  readonly ppid: number;
  readonly uid: number;
  readonly cgroupId: number;
  readonly comm: string;
}

export interface ExecEvent extends EventCommon {
  readonly kind: 'exec';
  readonly filename: string;
  /** The first arguments, at most EXEC_MAX_ARGS. */
  readonly argv: string[];
  /** Arguments the program got, not only those captured. */
  readonly argc: number;
  /** argv does not hold every argument whole. */
  readonly argsTruncated: boolean;
  readonly filenameTruncated: boolean;
}

export interface ExitEvent extends EventCommon {
  readonly kind: 'exit';
  readonly exitCode: number;
  readonly exitSignal: number;
  readonly runtimeNs: number;
}

export interface SyscallEvent extends EventCommon {
  readonly kind: 'syscall';
  readonly nr: number;
  readonly ret: number;
  /** Name of the error (ret = -errno), null on success. */
  readonly errno: string | null;
  readonly durationNs: number;
  /** The raw arguments as hex ('0x…'): some are pointers. */
  readonly args: string[];
  readonly path: string;
}

export interface FileEvent extends EventCommon {
  readonly kind: 'file';
  /** fd on success, -errno on failure. */
  readonly result: number;
  readonly errno: string | null;
  readonly openFlags: number;
  readonly mode: number;
  readonly dev: number;
  readonly inode: number;
  /** What the open asked for (create, truncate, append win over the access mode). */
  readonly operation: FileOperationName | UnknownName;
  /** The access mode of openFlags, whatever the operation: O_CREAT|O_WRONLY is create + write. */
  readonly access: FileAccess;
  readonly path: string;
  readonly pathTruncated: boolean;
  /**
   * Opens the event stands for: 1, or with repeats, how many more times its thread opened
   * the file again (same fd back, same flags) since the event reported before it.
   */
  readonly count: number;
  /** A count of repeats of an open reported before, folded in the kernel (bpf/clawtop.h). */
  readonly repeats: boolean;
}

export type FileAccess = 'read' | 'write' | 'read-write';

export interface NetEvent extends EventCommon {
  readonly kind: 'net';
  readonly family: 'ipv4' | 'ipv6' | UnknownName;
  readonly protocol: NetworkProtocolName | UnknownName;
  readonly direction: NetworkDirectionName | UnknownName;
  readonly result: number;
  readonly errno: string | null;
  readonly sourceAddress: string;
  readonly sourcePort: number;
  readonly destinationAddress: string;
  readonly destinationPort: number;
}

export interface CgroupEvent extends EventCommon {
  readonly kind: 'cgroup';
  readonly metric: CgroupMetricName | UnknownName;
  /** Per second over windowNs. */
  readonly value: number;
  /** Per second; 0 when none is set. */
  readonly threshold: number;
  readonly windowNs: number;
  readonly thresholdCrossed: boolean;
}

export interface AnomalyEvent extends EventCommon {
  readonly kind: 'anomaly';
  readonly severity: SeverityName | UnknownName;
  readonly sourceKind: EventKindName | UnknownName;
  readonly subjectPid: number;
  readonly subjectCgroupId: number;
  readonly observed: number;
  readonly limit: number;
  readonly message: string;
}

export type ClawtopEvent =
  | ExecEvent
  | ExitEvent
  | SyscallEvent
  | FileEvent
  | NetEvent
  | CgroupEvent
  | AnomalyEvent;

/**
 * Turns one record that walkBatch validated into a plain, JSON-serialisable object. Each
 * kind reads the header's fields into its own object: a header object, spread or copied
 * from, was built and thrown away at every event (with a spread, a third of the decoding
 * time of a file event).
 */
export function decodeEvent(view: DataView, offset: number): ClawtopEvent {
  const kind = view.getUint16(offset + HEADER_KIND_OFFSET, LITTLE_ENDIAN);
  const flags = view.getUint8(offset + HEADER.flags.offset);
  switch (kind) {
    case EventKind.EXEC:
      return decodeExec(view, offset, flags);
    case EventKind.EXIT:
      return {
        kind: 'exit',
        timestampNs: readU64(view, offset + HEADER.timestamp_ns.offset),
        tgid: view.getUint32(offset + HEADER.tgid.offset, LITTLE_ENDIAN),
        tid: view.getUint32(offset + HEADER.tid.offset, LITTLE_ENDIAN),
        ppid: view.getUint32(offset + HEADER.ppid.offset, LITTLE_ENDIAN),
        uid: view.getUint32(offset + HEADER.uid.offset, LITTLE_ENDIAN),
        cgroupId: readU64(view, offset + HEADER.cgroup_id.offset),
        comm: COMMS.read(bufferOf(view), offset + HEADER.comm.offset, HEADER.comm.size),
        exitCode: view.getInt32(offset + EXIT.exit_code.offset, LITTLE_ENDIAN),
        exitSignal: view.getUint32(offset + EXIT.exit_signal.offset, LITTLE_ENDIAN),
        runtimeNs: readU64(view, offset + EXIT.runtime_ns.offset),
      };
    case EventKind.SYSCALL:
      return decodeSyscall(view, offset);
    case EventKind.FILE:
      return decodeFile(view, offset);
    case EventKind.NET:
      return decodeNet(view, offset);
    case EventKind.CGROUP:
      return {
        kind: 'cgroup',
        timestampNs: readU64(view, offset + HEADER.timestamp_ns.offset),
        tgid: view.getUint32(offset + HEADER.tgid.offset, LITTLE_ENDIAN),
        tid: view.getUint32(offset + HEADER.tid.offset, LITTLE_ENDIAN),
        ppid: view.getUint32(offset + HEADER.ppid.offset, LITTLE_ENDIAN),
        uid: view.getUint32(offset + HEADER.uid.offset, LITTLE_ENDIAN),
        cgroupId: readU64(view, offset + HEADER.cgroup_id.offset),
        comm: COMMS.read(bufferOf(view), offset + HEADER.comm.offset, HEADER.comm.size),
        metric: nameOf(
          CGROUP_METRIC_NAMES,
          view.getUint32(offset + CGROUP.metric.offset, LITTLE_ENDIAN),
        ),
        value: readU64(view, offset + CGROUP.value.offset),
        threshold: readU64(view, offset + CGROUP.threshold.offset),
        windowNs: readU64(view, offset + CGROUP.window_ns.offset),
        thresholdCrossed: (flags & CGROUP_FLAG_THRESHOLD_CROSSED) !== 0,
      };
    case EventKind.ANOMALY:
      return {
        kind: 'anomaly',
        timestampNs: readU64(view, offset + HEADER.timestamp_ns.offset),
        tgid: view.getUint32(offset + HEADER.tgid.offset, LITTLE_ENDIAN),
        tid: view.getUint32(offset + HEADER.tid.offset, LITTLE_ENDIAN),
        ppid: view.getUint32(offset + HEADER.ppid.offset, LITTLE_ENDIAN),
        uid: view.getUint32(offset + HEADER.uid.offset, LITTLE_ENDIAN),
        cgroupId: readU64(view, offset + HEADER.cgroup_id.offset),
        comm: COMMS.read(bufferOf(view), offset + HEADER.comm.offset, HEADER.comm.size),
        severity: nameOf(SEVERITY_NAMES, view.getUint8(offset + ANOMALY.severity.offset)),
        sourceKind: nameOf(EVENT_KIND_NAMES, view.getUint8(offset + ANOMALY.source_kind.offset)),
        subjectPid: view.getUint32(offset + ANOMALY.subject_pid.offset, LITTLE_ENDIAN),
        subjectCgroupId: readU64(view, offset + ANOMALY.subject_cgroup_id.offset),
        observed: readU64(view, offset + ANOMALY.observed.offset),
        limit: readU64(view, offset + ANOMALY.limit.offset),
        message: readString(view, offset + ANOMALY.message.offset, ANOMALY.message.size),
      };
    default:
      throw new Error(`failed to decode record: kind ${kind} is not an event`);
  }
}

function decodeExec(view: DataView, offset: number, flags: number): ExecEvent {
  const argc = view.getUint32(offset + EXEC.argc.offset, LITTLE_ENDIAN);
  const argsSize = Math.min(
    view.getUint32(offset + EXEC.args_size.offset, LITTLE_ENDIAN),
    EXEC.args.size,
  );
  const argv = splitArgs(bytesAt(view, offset + EXEC.args.offset, argsSize));
  return {
    kind: 'exec',
    timestampNs: readU64(view, offset + HEADER.timestamp_ns.offset),
    tgid: view.getUint32(offset + HEADER.tgid.offset, LITTLE_ENDIAN),
    tid: view.getUint32(offset + HEADER.tid.offset, LITTLE_ENDIAN),
    ppid: view.getUint32(offset + HEADER.ppid.offset, LITTLE_ENDIAN),
    uid: view.getUint32(offset + HEADER.uid.offset, LITTLE_ENDIAN),
    cgroupId: readU64(view, offset + HEADER.cgroup_id.offset),
    comm: COMMS.read(bufferOf(view), offset + HEADER.comm.offset, HEADER.comm.size),
    filename: readString(view, offset + EXEC.filename.offset, EXEC.filename.size),
    argv,
    argc,
    argsTruncated: (flags & EXEC_FLAG_ARGS_TRUNCATED) !== 0 || argv.length < argc,
    filenameTruncated: (flags & EXEC_FLAG_FILENAME_TRUNCATED) !== 0,
  };
}

/** The NUL-separated arguments, at most EXEC_MAX_ARGS; a last one without NUL is kept. */
function splitArgs(bytes: Uint8Array): string[] {
  const argv: string[] = [];
  let start = 0;
  while (start < bytes.length && argv.length < EXEC_MAX_ARGS) {
    const nul = bytes.indexOf(0, start);
    const stop = nul === -1 ? bytes.length : nul;
    argv.push(utf8.decode(bytes.subarray(start, stop)));
    start = stop + 1;
  }
  return argv;
}

function decodeFile(view: DataView, offset: number): FileEvent {
  return decodeFileInto(view, offset, {
    kind: 'file',
    timestampNs: 0,
    tgid: 0,
    tid: 0,
    ppid: 0,
    uid: 0,
    cgroupId: 0,
    comm: '',
    result: 0,
    errno: null,
    openFlags: 0,
    mode: 0,
    dev: 0,
    inode: 0,
    operation: 'unknown-0',
    access: 'read',
    path: '',
    pathTruncated: false,
    count: 1,
    repeats: false,
  });
}

/** A FileEvent that decodeFileInto may write over. */
export type ReusableFileEvent = { -readonly [Field in keyof FileEvent]: FileEvent[Field] };

/**
 * Reads a FILE record that walkBatch validated into event, a file event made for an earlier
 * record, and returns it. For a reader done with each event before the next (the model,
 * when nothing else reads the events): it then builds no object per file event, which at 10k
 * events/s on the screen were 40% of its garbage.
 */
export function decodeFileInto(view: DataView, offset: number, event: ReusableFileEvent): FileEvent {
  const bytes = bufferOf(view);
  const result = view.getInt32(offset + FILE.result.offset, LITTLE_ENDIAN);
  const openFlags = view.getUint32(offset + FILE.open_flags.offset, LITTLE_ENDIAN);
  event.timestampNs = readU64(view, offset + HEADER.timestamp_ns.offset);
  event.tgid = view.getUint32(offset + HEADER.tgid.offset, LITTLE_ENDIAN);
  event.tid = view.getUint32(offset + HEADER.tid.offset, LITTLE_ENDIAN);
  event.ppid = view.getUint32(offset + HEADER.ppid.offset, LITTLE_ENDIAN);
  event.uid = view.getUint32(offset + HEADER.uid.offset, LITTLE_ENDIAN);
  event.cgroupId = readU64(view, offset + HEADER.cgroup_id.offset);
  event.comm = COMMS.read(bytes, offset + HEADER.comm.offset, HEADER.comm.size);
  event.result = result;
  event.errno = errnoOfResult(result);
  event.openFlags = openFlags;
  event.mode = view.getUint32(offset + FILE.mode.offset, LITTLE_ENDIAN);
  event.dev = view.getUint32(offset + FILE.dev.offset, LITTLE_ENDIAN);
  event.inode = readU64(view, offset + FILE.inode.offset);
  event.operation = nameOf(FILE_OPERATION_NAMES, view.getUint8(offset + FILE.operation.offset));
  event.access = FILE_ACCESS_BY_MODE[openFlags & O_ACCMODE]!;
  event.path = FILE_PATHS.read(bytes, offset + FILE.path.offset, FILE.path.size);
  const flags = view.getUint8(offset + HEADER.flags.offset);
  event.pathTruncated = (flags & FILE_FLAG_PATH_TRUNCATED) !== 0;
  // 0 in records from before the field, each one open.
  event.count = view.getUint32(offset + FILE.count.offset, LITTLE_ENDIAN) || 1;
  event.repeats = (flags & FILE_FLAG_REPEATS) !== 0;
  return event;
}

/** Linux's O_ACCMODE bits (O_RDONLY 0, O_WRONLY 1, O_RDWR 2). */
const O_ACCMODE = 3;
/** Indexed by openFlags & O_ACCMODE; the odd 3 is checked by the kernel as read and write. */
const FILE_ACCESS_BY_MODE: readonly FileAccess[] = ['read', 'write', 'read-write', 'read-write'];

function decodeSyscall(view: DataView, offset: number): SyscallEvent {
  const ret = Number(view.getBigInt64(offset + SYSCALL.ret.offset, LITTLE_ENDIAN));
  const args: string[] = [];
  for (let index = 0; index < SYSCALL.args.size / 8; index++) {
    const arg = view.getBigUint64(offset + SYSCALL.args.offset + index * 8, LITTLE_ENDIAN);
    args.push(`0x${arg.toString(16)}`);
  }
  return {
    kind: 'syscall',
    timestampNs: readU64(view, offset + HEADER.timestamp_ns.offset),
    tgid: view.getUint32(offset + HEADER.tgid.offset, LITTLE_ENDIAN),
    tid: view.getUint32(offset + HEADER.tid.offset, LITTLE_ENDIAN),
    ppid: view.getUint32(offset + HEADER.ppid.offset, LITTLE_ENDIAN),
    uid: view.getUint32(offset + HEADER.uid.offset, LITTLE_ENDIAN),
    cgroupId: readU64(view, offset + HEADER.cgroup_id.offset),
    comm: COMMS.read(bufferOf(view), offset + HEADER.comm.offset, HEADER.comm.size),
    nr: view.getUint32(offset + SYSCALL.nr.offset, LITTLE_ENDIAN),
    ret,
    errno: errnoOfResult(ret),
    durationNs: readU64(view, offset + SYSCALL.duration_ns.offset),
    args,
    path: readString(view, offset + SYSCALL.path.offset, SYSCALL.path.size),
  };
}

const AF_INET = 2;
const AF_INET6 = 10;

function decodeNet(view: DataView, offset: number): NetEvent {
  const familyNumber = view.getUint16(offset + NET.family.offset, LITTLE_ENDIAN);
  const isIpv4 = familyNumber === AF_INET;
  const result = view.getInt32(offset + NET.result.offset, LITTLE_ENDIAN);
  return {
    kind: 'net',
    timestampNs: readU64(view, offset + HEADER.timestamp_ns.offset),
    tgid: view.getUint32(offset + HEADER.tgid.offset, LITTLE_ENDIAN),
    tid: view.getUint32(offset + HEADER.tid.offset, LITTLE_ENDIAN),
    ppid: view.getUint32(offset + HEADER.ppid.offset, LITTLE_ENDIAN),
    uid: view.getUint32(offset + HEADER.uid.offset, LITTLE_ENDIAN),
    cgroupId: readU64(view, offset + HEADER.cgroup_id.offset),
    comm: COMMS.read(bufferOf(view), offset + HEADER.comm.offset, HEADER.comm.size),
    family: isIpv4 ? 'ipv4' : familyNumber === AF_INET6 ? 'ipv6' : `unknown-${familyNumber}`,
    protocol: nameOf(NETWORK_PROTOCOL_NAMES, view.getUint8(offset + NET.protocol.offset)),
    direction: nameOf(NETWORK_DIRECTION_NAMES, view.getUint8(offset + NET.direction.offset)),
    result,
    errno: errnoOfResult(result),
    sourceAddress: formatAddress(bytesAt(view, offset + NET.source_address.offset, 16), isIpv4),
    sourcePort: view.getUint16(offset + NET.source_port.offset, LITTLE_ENDIAN),
    destinationAddress: formatAddress(
      bytesAt(view, offset + NET.destination_address.offset, 16),
      isIpv4,
    ),
    destinationPort: view.getUint16(offset + NET.destination_port.offset, LITTLE_ENDIAN),
  };
}

/** IPv4 dotted, or IPv6 as RFC 5952 writes it (::1, 2001:db8::1, ::ffff:10.0.0.1). */
function formatAddress(bytes: Uint8Array, isIpv4: boolean): string {
  if (isIpv4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const groups: number[] = [];
  for (let index = 0; index < 16; index += 2) groups.push((bytes[index]! << 8) | bytes[index + 1]!);
  const isIpv4Mapped = groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
  if (isIpv4Mapped) return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  // The longest run of two or more zero groups (the first of equals) becomes '::'.
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; start++) {
    let length = 0;
    while (start + length < 8 && groups[start + length] === 0) length++;
    if (length > bestLength) {
      bestStart = start;
      bestLength = length;
    }
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart === -1) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}

const utf8 = new TextDecoder('utf-8');

function bytesAt(view: DataView, offset: number, length: number): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset + offset, length);
}

/**
 * The batch being decoded as a Buffer, for its native indexOf and toString: per record,
 * TextDecoder over a fresh subarray cost more than the rest of the record together.
 */
let stringView: DataView | undefined;
let stringBytes: Buffer = Buffer.alloc(0);

function bufferOf(view: DataView): Buffer {
  if (view !== stringView) {
    stringView = view;
    stringBytes = Buffer.from(view.buffer, view.byteOffset, view.byteLength);
  }
  return stringBytes;
}

/**
 * Commands and file paths repeat from one event to the next: their strings are decoded once
 * (see StringCache). Slots: a host runs a few hundred commands; the files table holds 2000 paths.
 */
const COMMS = new StringCache(1024);
const FILE_PATHS = new StringCache(8192);

/** A NUL-terminated (or full-length) UTF-8 string of a char array. */
function readString(view: DataView, offset: number, length: number): string {
  const bytes = bufferOf(view);
  const fieldEnd = offset + length;
  const nul = bytes.indexOf(0, offset);
  return bytes.toString('utf8', offset, nul === -1 || nul > fieldEnd ? fieldEnd : nul);
}

const TWO_TO_THE_32 = 2 ** 32;

/**
 * A u64 as a number: exact below 2^53, which counters, times and ids stay under, and
 * rounded once above it, as Number(BigInt) would, without allocating a BigInt.
 */
function readU64(view: DataView, offset: number): number {
  const low = view.getUint32(offset + (LITTLE_ENDIAN ? 0 : 4), LITTLE_ENDIAN);
  const high = view.getUint32(offset + (LITTLE_ENDIAN ? 4 : 0), LITTLE_ENDIAN);
  return high * TWO_TO_THE_32 + low;
}

function nameOf<Name extends string>(
  names: readonly (Name | undefined)[],
  value: number,
): Name | UnknownName {
  return names[value] ?? `unknown-${value}`;
}

const ERRNO_NAMES = new Map<number, string>();
for (const [name, number] of Object.entries(constants.errno)) {
  // Aliases share a number (EAGAIN, EWOULDBLOCK): the first listed is kept.
  if (!ERRNO_NAMES.has(number)) ERRNO_NAMES.set(number, name);
}

/** Results from -1 to -MAX_ERRNO are errors, as in the kernel. */
const MAX_ERRNO = 4095;

/** 'ENOENT' for a result of -2; null for a result that is not an error. */
function errnoOfResult(result: number): string | null {
  if (result >= 0 || result < -MAX_ERRNO) return null;
  return ERRNO_NAMES.get(-result) ?? `errno ${-result}`;
}
