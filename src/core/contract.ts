/**
 * The TypeScript mirror of bpf/clawtop.h, the kernel contract: constants, enums, flag bits
 * and the byte layout of every struct. test/kernel/btf-layout.test.ts proves this file
 * against the header's text and the compiled object's BTF, so the decoder reads offsets
 * from here and nowhere else.
 */

/** CLAWTOP_RECORD_VERSION: every record carries it in its header. */
export const RECORD_VERSION = 1;

export const COMM_LEN = 16;
export const EXEC_FILENAME_LEN = 256;
export const EXEC_ARGS_LEN = 256;
/** Decoders show at most this many arguments of an exec. */
export const EXEC_MAX_ARGS = 8;
export const FILE_PATH_LEN = 256;
export const SYSCALL_ARG_COUNT = 6;
export const SYSCALL_PATH_LEN = 256;
export const ANOMALY_MESSAGE_LEN = 128;

export const EVENT_KIND_COUNT = 7;
/** Not an event: header-only records of the benchmark probe (bench/pipeline). */
export const BENCH_RECORD_KIND = 255;
/** Slots of the per-kind counters: 0 unused, 1..7 the event kinds, 8 the benchmark. */
export const COUNTER_SLOT_BENCH = 8;
export const COUNTER_SLOTS = 9;

/** enum event_kind */
export const EventKind = {
  EXEC: 1,
  EXIT: 2,
  SYSCALL: 3,
  FILE: 4,
  NET: 5,
  CGROUP: 6,
  ANOMALY: 7,
} as const;
export type EventKind = (typeof EventKind)[keyof typeof EventKind];
/** Indexed by EventKind value; 0 is not a kind. */
export const EVENT_KIND_NAMES = [
  undefined,
  'exec',
  'exit',
  'syscall',
  'file',
  'net',
  'cgroup',
  'anomaly',
] as const;
export type EventKindName = NonNullable<(typeof EVENT_KIND_NAMES)[number]>;

/** enum severity_code */
export const Severity = {
  INFO: 0,
  LOW: 1,
  MEDIUM: 2,
  HIGH: 3,
  CRITICAL: 4,
} as const;
export type Severity = (typeof Severity)[keyof typeof Severity];
export const SEVERITY_NAMES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type SeverityName = (typeof SEVERITY_NAMES)[number];

/** enum file_operation */
export const FileOperation = {
  READ: 0,
  WRITE: 1,
  READ_WRITE: 2,
  CREATE: 3,
  TRUNCATE: 4,
  APPEND: 5,
} as const;
export type FileOperation = (typeof FileOperation)[keyof typeof FileOperation];
export const FILE_OPERATION_NAMES = [
  'read',
  'write',
  'read-write',
  'create',
  'truncate',
  'append',
] as const;
export type FileOperationName = (typeof FILE_OPERATION_NAMES)[number];

/** enum network_protocol */
export const NetworkProtocol = {
  OTHER: 0,
  TCP: 1,
  UDP: 2,
  ICMP: 3,
  ICMPV6: 4,
} as const;
export type NetworkProtocol = (typeof NetworkProtocol)[keyof typeof NetworkProtocol];
export const NETWORK_PROTOCOL_NAMES = ['other', 'tcp', 'udp', 'icmp', 'icmpv6'] as const;
export type NetworkProtocolName = (typeof NETWORK_PROTOCOL_NAMES)[number];

/** enum network_direction */
export const NetworkDirection = {
  UNKNOWN: 0,
  OUTBOUND: 1,
  INBOUND: 2,
} as const;
export type NetworkDirection = (typeof NetworkDirection)[keyof typeof NetworkDirection];
export const NETWORK_DIRECTION_NAMES = ['unknown', 'outbound', 'inbound'] as const;
export type NetworkDirectionName = (typeof NETWORK_DIRECTION_NAMES)[number];

/** enum cgroup_metric_type */
export const CgroupMetric = {
  RX_BYTES: 0,
  TX_BYTES: 1,
  RX_PACKETS: 2,
  TX_PACKETS: 3,
  CONNECTS: 4,
  EXECS: 5,
  OPENS: 6,
  DROPS: 7,
} as const;
export type CgroupMetric = (typeof CgroupMetric)[keyof typeof CgroupMetric];
export const CGROUP_METRIC_NAMES = [
  'rx-bytes',
  'tx-bytes',
  'rx-packets',
  'tx-packets',
  'connects',
  'execs',
  'opens',
  'drops',
] as const;
export type CgroupMetricName = (typeof CGROUP_METRIC_NAMES)[number];

/* Bits of event_header.flags, per kind. */
export const EXEC_FLAG_FILENAME_TRUNCATED = 0x01;
export const EXEC_FLAG_ARGS_TRUNCATED = 0x02;
export const FILE_FLAG_PATH_TRUNCATED = 0x01;
/** The record stands for count more opens like it, folded in the kernel since its CPU's previous record of it. */
export const FILE_FLAG_REPEATS = 0x02;
/** Written by the addon from a CPU's fold slot, not by the kernel: not in the kernel's counters. */
export const FILE_FLAG_FROM_FOLD_SLOT = 0x04;
export const CGROUP_FLAG_THRESHOLD_CROSSED = 0x01;

/** runtime_settings.active_filters bits: which in-kernel filters apply. */
export const FILTER_PID = 0x01;
export const FILTER_UID = 0x02;
export const FILTER_CGROUP = 0x04;
export const FILTER_PORT = 0x08;

/** runtime_settings.shared_hook_users bits, set by the addon: which monitors a shared program serves. */
export const SHARED_HOOK_FILES = 0x01;
export const SHARED_HOOK_SYSCALLS = 0x02;

/** file_fold_slot.state: generation << FILE_FOLD_GENERATION_SHIFT | FILE_FOLD_LIVE | count. */
export const FILE_FOLD_LIVE = 0x80000000;
export const FILE_FOLD_COUNT_MASK = 0x7fffffff;
export const FILE_FOLD_GENERATION_SHIFT = 32;

/** Fixed-width integer types of the contract (__u8 ... __s64). */
export type IntegerType = 'u8' | 'u16' | 'u32' | 's32' | 'u64' | 's64';

export const INTEGER_SIZES: { readonly [T in IntegerType]: number } = {
  u8: 1,
  u16: 2,
  u32: 4,
  s32: 4,
  u64: 8,
  s64: 8,
};

/**
 * One struct member. `type` is an integer type, 'char', or the name of a nested struct;
 * `length` is present exactly when the member is an array (of `type`).
 */
/** The structs of clawtop.h that another one holds as a member. */
export type NestedStructName = 'event_header' | 'file_event';

export interface MemberLayout {
  readonly name: string;
  readonly offset: number;
  readonly type: IntegerType | 'char' | NestedStructName;
  readonly length?: number;
}

export interface StructLayout {
  readonly size: number;
  /** Every member in declaration order, padding members included. */
  readonly members: readonly MemberLayout[];
}

const HEADER_MEMBER = { name: 'header', offset: 0, type: 'event_header' } as const;

/** Every struct of clawtop.h, with C member names, in declaration order. */
export const STRUCT_LAYOUTS = {
  event_header: {
    size: 56,
    members: [
      { name: 'kind', offset: 0, type: 'u16' },
      { name: 'version', offset: 2, type: 'u8' },
      { name: 'flags', offset: 3, type: 'u8' },
      { name: 'size', offset: 4, type: 'u32' },
      { name: 'timestamp_ns', offset: 8, type: 'u64' },
      { name: 'tgid', offset: 16, type: 'u32' },
      { name: 'tid', offset: 20, type: 'u32' },
      { name: 'ppid', offset: 24, type: 'u32' },
      { name: 'uid', offset: 28, type: 'u32' },
      { name: 'cgroup_id', offset: 32, type: 'u64' },
      { name: 'comm', offset: 40, type: 'char', length: COMM_LEN },
    ],
  },
  exec_event: {
    size: 576,
    members: [
      HEADER_MEMBER,
      { name: 'argc', offset: 56, type: 'u32' },
      { name: 'args_size', offset: 60, type: 'u32' },
      { name: 'filename', offset: 64, type: 'char', length: EXEC_FILENAME_LEN },
      { name: 'args', offset: 320, type: 'char', length: EXEC_ARGS_LEN },
    ],
  },
  exit_event: {
    size: 72,
    members: [
      HEADER_MEMBER,
      { name: 'exit_code', offset: 56, type: 's32' },
      { name: 'exit_signal', offset: 60, type: 'u32' },
      { name: 'runtime_ns', offset: 64, type: 'u64' },
    ],
  },
  syscall_event: {
    size: 384,
    members: [
      HEADER_MEMBER,
      { name: 'nr', offset: 56, type: 'u32' },
      { name: '_pad', offset: 60, type: 'u32' },
      { name: 'ret', offset: 64, type: 's64' },
      { name: 'duration_ns', offset: 72, type: 'u64' },
      { name: 'args', offset: 80, type: 'u64', length: SYSCALL_ARG_COUNT },
      { name: 'path', offset: 128, type: 'char', length: SYSCALL_PATH_LEN },
    ],
  },
  file_event: {
    size: 344,
    members: [
      HEADER_MEMBER,
      { name: 'result', offset: 56, type: 's32' },
      { name: 'open_flags', offset: 60, type: 'u32' },
      { name: 'mode', offset: 64, type: 'u32' },
      { name: 'dev', offset: 68, type: 'u32' },
      { name: 'inode', offset: 72, type: 'u64' },
      { name: 'operation', offset: 80, type: 'u8' },
      { name: '_pad', offset: 81, type: 'u8', length: 3 },
      { name: 'count', offset: 84, type: 'u32' },
      { name: 'path', offset: 88, type: 'char', length: FILE_PATH_LEN },
    ],
  },
  /** Read and written by the addon alone; mirrored for the layout test. */
  file_fold_slot: {
    size: 448,
    members: [
      { name: 'state', offset: 0, type: 'u64' },
      { name: 'dentry', offset: 8, type: 'u64' },
      { name: 'vfsmount', offset: 16, type: 'u64' },
      { name: '_pad', offset: 24, type: 'u8', length: 40 },
      { name: 'record', offset: 64, type: 'file_event' },
      { name: '_tail', offset: 408, type: 'u8', length: 40 },
    ],
  },
  net_event: {
    size: 104,
    members: [
      HEADER_MEMBER,
      { name: 'family', offset: 56, type: 'u16' },
      { name: 'protocol', offset: 58, type: 'u8' },
      { name: 'direction', offset: 59, type: 'u8' },
      { name: 'result', offset: 60, type: 's32' },
      { name: 'source_port', offset: 64, type: 'u16' },
      { name: 'destination_port', offset: 66, type: 'u16' },
      { name: '_pad', offset: 68, type: 'u32' },
      { name: 'source_address', offset: 72, type: 'u8', length: 16 },
      { name: 'destination_address', offset: 88, type: 'u8', length: 16 },
    ],
  },
  cgroup_event: {
    size: 88,
    members: [
      HEADER_MEMBER,
      { name: 'metric', offset: 56, type: 'u32' },
      { name: '_pad', offset: 60, type: 'u32' },
      { name: 'value', offset: 64, type: 'u64' },
      { name: 'threshold', offset: 72, type: 'u64' },
      { name: 'window_ns', offset: 80, type: 'u64' },
    ],
  },
  anomaly_event: {
    size: 216,
    members: [
      HEADER_MEMBER,
      { name: 'severity', offset: 56, type: 'u8' },
      { name: 'source_kind', offset: 57, type: 'u8' },
      { name: '_pad', offset: 58, type: 'u16' },
      { name: 'subject_pid', offset: 60, type: 'u32' },
      { name: 'subject_cgroup_id', offset: 64, type: 'u64' },
      { name: 'observed', offset: 72, type: 'u64' },
      { name: 'limit', offset: 80, type: 'u64' },
      { name: 'message', offset: 88, type: 'char', length: ANOMALY_MESSAGE_LEN },
    ],
  },
  kind_counters: {
    size: 16,
    members: [
      { name: 'emitted', offset: 0, type: 'u64' },
      { name: 'dropped', offset: 8, type: 'u64' },
    ],
  },
  runtime_settings: {
    size: 32,
    members: [
      { name: 'self_tgid', offset: 0, type: 'u32' },
      { name: 'bench_tgid', offset: 4, type: 'u32' },
      { name: 'filter_tgid', offset: 8, type: 'u32' },
      { name: 'filter_uid', offset: 12, type: 'u32' },
      { name: 'filter_cgroup_id', offset: 16, type: 'u64' },
      { name: 'filter_port', offset: 24, type: 'u16' },
      { name: 'active_filters', offset: 26, type: 'u16' },
      { name: 'shared_hook_users', offset: 28, type: 'u32' },
    ],
  },
  cgroup_traffic: {
    size: 32,
    members: [
      { name: 'rx_bytes', offset: 0, type: 'u64' },
      { name: 'tx_bytes', offset: 8, type: 'u64' },
      { name: 'rx_packets', offset: 16, type: 'u64' },
      { name: 'tx_packets', offset: 24, type: 'u64' },
    ],
  },
} as const satisfies Record<string, StructLayout>;

export type StructName = keyof typeof STRUCT_LAYOUTS;
export type MemberName<S extends StructName> =
  (typeof STRUCT_LAYOUTS)[S]['members'][number]['name'];

/** Bytes of one member, arrays and nested structs included. */
export function memberByteSize(member: MemberLayout): number {
  const elementSize =
    member.type === 'char'
      ? 1
      : member.type === 'event_header' || member.type === 'file_event'
        ? STRUCT_LAYOUTS[member.type].size
        : INTEGER_SIZES[member.type];
  return elementSize * (member.length ?? 1);
}

/** Where a member sits in its struct, and how many bytes it takes. */
export interface MemberPlace {
  readonly offset: number;
  readonly size: number;
}

/** The members of one struct by name: `structMembers('exec_event').argc.offset`. */
export function structMembers<S extends StructName>(
  struct: S,
): { readonly [M in MemberName<S>]: MemberPlace } {
  const layout: StructLayout = STRUCT_LAYOUTS[struct];
  return Object.fromEntries(
    layout.members.map((member) => [
      member.name,
      { offset: member.offset, size: memberByteSize(member) },
    ]),
  ) as { readonly [M in MemberName<S>]: MemberPlace };
}

export const HEADER_SIZE = STRUCT_LAYOUTS.event_header.size;

/** The struct each record kind is, benchmark records included (header only). */
export const RECORD_STRUCT_BY_KIND = {
  [EventKind.EXEC]: 'exec_event',
  [EventKind.EXIT]: 'exit_event',
  [EventKind.SYSCALL]: 'syscall_event',
  [EventKind.FILE]: 'file_event',
  [EventKind.NET]: 'net_event',
  [EventKind.CGROUP]: 'cgroup_event',
  [EventKind.ANOMALY]: 'anomaly_event',
  [BENCH_RECORD_KIND]: 'event_header',
} as const satisfies Record<number, StructName>;
