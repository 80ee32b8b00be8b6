/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel contract: every record the BPF programs put in the ring buffer, the
 * enums those records carry, and the runtime settings user space writes. Shared by
 * the BPF side and the native addon; src/core/contract.ts mirrors it and
 * test/kernel/btf-layout.test.ts proves the mirror against the compiled object's BTF.
 *
 * Natural alignment with explicit padding (no packed structs), fixed-width types
 * only, every record a multiple of 8 bytes so records can be concatenated into one
 * batch buffer and still be read aligned.
 */
#ifndef CLAWTOP_H
#define CLAWTOP_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#ifdef __cplusplus
#define _Static_assert static_assert
#endif

/* Bumped whenever a record's layout changes; every record carries it. */
#define CLAWTOP_RECORD_VERSION 1

#define CLAWTOP_COMM_LEN 16
#define EXEC_FILENAME_LEN 256
#define EXEC_ARGS_LEN 256
#define EXEC_MAX_ARGS 8		/* decoders show at most this many of args */
#define FILE_PATH_LEN 256
#define SYSCALL_ARG_COUNT 6
#define SYSCALL_PATH_LEN 256
#define ANOMALY_MESSAGE_LEN 128

enum event_kind {
	EVENT_KIND_EXEC = 1,
	EVENT_KIND_EXIT = 2,
	EVENT_KIND_SYSCALL = 3,
	EVENT_KIND_FILE = 4,
	EVENT_KIND_NET = 5,
	EVENT_KIND_CGROUP = 6,
	EVENT_KIND_ANOMALY = 7,
};
#define EVENT_KIND_COUNT 7

/*
 * Not an event: header-only records of the benchmark probe (bench/pipeline), counted
 * like events so the benchmark measures the real pipeline.
 */
#define BENCH_RECORD_KIND 255
/* Slots of the per-kind counters: 0 unused, 1..7 the event kinds, 8 the benchmark. */
#define COUNTER_SLOT_BENCH 8
#define COUNTER_SLOTS 9

enum severity_code {
	SEVERITY_INFO = 0,
	SEVERITY_LOW = 1,
	SEVERITY_MEDIUM = 2,
	SEVERITY_HIGH = 3,
	SEVERITY_CRITICAL = 4,
};

enum file_operation {
	FILE_OP_READ = 0,
	FILE_OP_WRITE = 1,
	FILE_OP_READ_WRITE = 2,
	FILE_OP_CREATE = 3,
	FILE_OP_TRUNCATE = 4,
	FILE_OP_APPEND = 5,
};

enum network_protocol {
	NET_PROTO_OTHER = 0,
	NET_PROTO_TCP = 1,
	NET_PROTO_UDP = 2,
	NET_PROTO_ICMP = 3,
	NET_PROTO_ICMPV6 = 4,
};

enum network_direction {
	NET_DIR_UNKNOWN = 0,
	NET_DIR_OUTBOUND = 1,
	NET_DIR_INBOUND = 2,
};

enum cgroup_metric_type {
	CGROUP_METRIC_RX_BYTES = 0,
	CGROUP_METRIC_TX_BYTES = 1,
	CGROUP_METRIC_RX_PACKETS = 2,
	CGROUP_METRIC_TX_PACKETS = 3,
	CGROUP_METRIC_CONNECTS = 4,
	CGROUP_METRIC_EXECS = 5,
	CGROUP_METRIC_OPENS = 6,
	CGROUP_METRIC_DROPS = 7,
};

/* Starts every record. timestamp_ns is CLOCK_MONOTONIC (bpf_ktime_get_ns). */
struct event_header {
	__u16 kind;		/* enum event_kind, or BENCH_RECORD_KIND */
	__u8 version;		/* CLAWTOP_RECORD_VERSION */
	__u8 flags;		/* per kind, see *_FLAG_* */
	__u32 size;		/* bytes of the whole record, header included */
	__u64 timestamp_ns;
	__u32 tgid;
	__u32 tid;
	__u32 ppid;
	__u32 uid;
	__u64 cgroup_id;	/* cgroup v2 id (inode of its directory) */
	char comm[CLAWTOP_COMM_LEN];
};

#define EXEC_FLAG_FILENAME_TRUNCATED 0x01
#define EXEC_FLAG_ARGS_TRUNCATED 0x02

struct exec_event {
	struct event_header header;
	__u32 argc;		/* arguments the program got, not only those captured */
	__u32 args_size;	/* bytes used in args: the start of argv, NUL-separated */
	char filename[EXEC_FILENAME_LEN];
	char args[EXEC_ARGS_LEN];
};

struct exit_event {
	struct event_header header;
	__s32 exit_code;	/* as exit(2) got it; 0 when killed by a signal */
	__u32 exit_signal;	/* the signal that killed it, 0 if none */
	__u64 runtime_ns;	/* from process start to exit */
};

/* execve or openat, enter and exit merged per thread. */
struct syscall_event {
	struct event_header header;
	__u32 nr;		/* syscall number on this architecture */
	__u32 _pad;
	__s64 ret;		/* return value; -errno on failure */
	__u64 duration_ns;
	__u64 args[SYSCALL_ARG_COUNT];
	char path[SYSCALL_PATH_LEN];	/* the path argument (execve filename, openat path) */
};

#define FILE_FLAG_PATH_TRUNCATED 0x01
/* count more opens like this record's, folded since its CPU's previous record of it. */
#define FILE_FLAG_REPEATS 0x02
/* Written by the reader from a CPU's fold slot, not by the kernel: not in event_counters. */
#define FILE_FLAG_FROM_FOLD_SLOT 0x04

struct file_event {
	struct event_header header;
	__s32 result;		/* fd on success, -errno on failure */
	__u32 open_flags;	/* O_* as passed to open */
	__u32 mode;		/* inode mode (type and permissions), 0 if the open failed */
	__u32 dev;		/* device of the inode, kernel encoding (major << 20 | minor) */
	__u64 inode;
	__u8 operation;		/* enum file_operation */
	__u8 _pad[3];
	__u32 count;		/* opens the record stands for; 0 (records from before it) means 1 */
	char path[FILE_PATH_LEN];	/* absolute */
};

/*
 * A thread opening the same file again and again (the same fd back, the same flags) is
 * reported syslog-style: its first open as a record, the repeats as a count. Each CPU
 * keeps its latest file record in a slot of the files_fold_slots array (mmapped by the
 * reader); an open identical to it only adds 1 to state. The CPU writes the count out
 * as a FILE_FLAG_REPEATS record when its next open differs; the reader takes counts left
 * waiting in state (compare-and-swap, clearing FILE_FOLD_LIVE) at each of its polls, so
 * a count is never later than a poll and the next open writes a full record again.
 * A repeat carries its first open's path: a rename in between shows from the next record,
 * at most a poll later.
 * state = generation << 32 | FILE_FOLD_LIVE | count; the generation, changed by the CPU
 * alone with each record it writes, stops a reader's compare-and-swap from taking a
 * newer record's count for an older one's.
 */
#define FILE_FOLD_LIVE 0x80000000ULL
#define FILE_FOLD_COUNT_MASK 0x7fffffffULL
#define FILE_FOLD_GENERATION_SHIFT 32

struct file_fold_slot {
	__u64 state;
	__u64 dentry;		/* with the record's tgid, tid, result and open_flags: what an open must match */
	__u64 vfsmount;
	__u8 _pad[40];		/* the record on cache lines of its own */
	struct file_event record;
	__u8 _tail[40];		/* no CPU's slot shares a cache line with another's */
};

struct net_event {
	struct event_header header;
	__u16 family;		/* AF_INET or AF_INET6 */
	__u8 protocol;		/* enum network_protocol */
	__u8 direction;		/* enum network_direction */
	__s32 result;		/* 0, or -errno (e.g. -ECONNREFUSED) */
	__u16 source_port;	/* host byte order */
	__u16 destination_port;	/* host byte order */
	__u32 _pad;
	__u8 source_address[16];	/* IPv4 in the first 4 bytes */
	__u8 destination_address[16];
};

#define CGROUP_FLAG_THRESHOLD_CROSSED 0x01

/* A per-cgroup metric sample, or (flag set) a threshold crossing. */
struct cgroup_event {
	struct event_header header;	/* header.cgroup_id is the cgroup the metric is about */
	__u32 metric;		/* enum cgroup_metric_type */
	__u32 _pad;
	__u64 value;		/* per second over window_ns */
	__u64 threshold;	/* per second; 0 when none is set */
	__u64 window_ns;
};

struct anomaly_event {
	struct event_header header;
	__u8 severity;		/* enum severity_code */
	__u8 source_kind;	/* enum event_kind the anomaly was found in */
	__u16 _pad;
	__u32 subject_pid;	/* 0 when the anomaly is not about a process */
	__u64 subject_cgroup_id;
	__u64 observed;
	__u64 limit;
	char message[ANOMALY_MESSAGE_LEN];
};

/* Per event kind, summed over CPUs by user space. emitted = submitted + dropped. */
struct kind_counters {
	__u64 emitted;
	__u64 dropped;
};

#define FILTER_PID 0x01
#define FILTER_UID 0x02
#define FILTER_CGROUP 0x04
#define FILTER_PORT 0x08

/* Bits of runtime_settings.shared_hook_users: the monitors a program two of them share serves. */
#define SHARED_HOOK_FILES 0x01
#define SHARED_HOOK_SYSCALLS 0x02

/*
 * The single entry of the runtime_settings map, written by user space at any time.
 * A filter applies only when its FILTER_* bit is set in active_filters; the port
 * filter applies to NET events (either end), the others to every process event.
 */
struct runtime_settings {
	__u32 self_tgid;	/* clawtop itself: never reported; 0 = nobody */
	__u32 bench_tgid;	/* the benchmark probe's only target */
	__u32 filter_tgid;
	__u32 filter_uid;
	__u64 filter_cgroup_id;
	__u16 filter_port;
	__u16 active_filters;	/* FILTER_* bits */
	__u32 shared_hook_users;	/* SHARED_HOOK_* bits, set by the loader as monitors attach */
};

/* Per cgroup v2 id, per CPU, in the cgroup_traffic map: counted in the kernel, read on a timer. */
struct cgroup_traffic {
	__u64 rx_bytes;
	__u64 tx_bytes;
	__u64 rx_packets;
	__u64 tx_packets;
};

_Static_assert(sizeof(struct event_header) == 56, "event_header layout");
_Static_assert(sizeof(struct exec_event) == 576, "exec_event layout");
_Static_assert(sizeof(struct exit_event) == 72, "exit_event layout");
_Static_assert(sizeof(struct syscall_event) == 384, "syscall_event layout");
_Static_assert(sizeof(struct file_event) == 344, "file_event layout");
_Static_assert(sizeof(struct file_fold_slot) == 448, "file_fold_slot layout");
_Static_assert(sizeof(struct net_event) == 104, "net_event layout");
_Static_assert(sizeof(struct cgroup_event) == 88, "cgroup_event layout");
_Static_assert(sizeof(struct anomaly_event) == 216, "anomaly_event layout");
_Static_assert(sizeof(struct kind_counters) == 16, "kind_counters layout");
_Static_assert(sizeof(struct runtime_settings) == 32, "runtime_settings layout");
_Static_assert(sizeof(struct cgroup_traffic) == 32, "cgroup_traffic layout");

#endif /* CLAWTOP_H */
