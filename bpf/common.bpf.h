// SPDX-License-Identifier: GPL-2.0
/*
 * The maps and helpers every monitor shares. Every record goes through
 * reserve_record() and submit_record(): the first counts what was emitted and what
 * the full ring dropped, the second batches wakeups so user space is woken per
 * batch, not per record.
 */
#ifndef CLAWTOP_COMMON_BPF_H
#define CLAWTOP_COMMON_BPF_H

/* Set by the loader before load: wake the reader once this much is queued. */
const volatile __u64 wakeup_watermark_bytes = 512 * 1024;

/* Sized by the loader (--ring-size) before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 * 1024 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, COUNTER_SLOTS);
	__type(key, __u32);
	__type(value, struct kind_counters);
} event_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct runtime_settings);
} runtime_settings SEC(".maps");

/* Per cgroup v2 id: bytes and packets each way, read and summed over CPUs by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct cgroup_traffic);
} cgroup_traffic SEC(".maps");

/*
 * BTF keeps only the types of globals and arguments, not of locals: these pointers
 * put every record of the contract in the object's BTF, where the layout test reads
 * them, including records no program emits yet.
 */
struct event_header *contract_event_header __attribute__((unused));
struct exec_event *contract_exec_event __attribute__((unused));
struct exit_event *contract_exit_event __attribute__((unused));
struct syscall_event *contract_syscall_event __attribute__((unused));
struct file_event *contract_file_event __attribute__((unused));
struct net_event *contract_net_event __attribute__((unused));
struct cgroup_event *contract_cgroup_event __attribute__((unused));
struct anomaly_event *contract_anomaly_event __attribute__((unused));

static __always_inline struct runtime_settings *current_settings(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&runtime_settings, &zero);
}

/* Whether a process's event is left out: it is clawtop's own, or the filters reject it. */
static __always_inline bool process_filtered_out(__u32 tgid, __u32 uid, __u64 cgroup_id)
{
	struct runtime_settings *settings = current_settings();
	__u16 active;

	if (!settings)
		return false;
	if (settings->self_tgid && settings->self_tgid == tgid)
		return true;
	active = settings->active_filters;
	return ((active & FILTER_PID) && settings->filter_tgid != tgid) ||
	       ((active & FILTER_UID) && settings->filter_uid != uid) ||
	       ((active & FILTER_CGROUP) && settings->filter_cgroup_id != cgroup_id);
}

/*
 * The current task's ids, from its BTF pointer (bpf_get_current_task_btf, a tp_btf
 * argument) with plain loads where the bpf_get_current_*() helpers would each be a call:
 * tens of ns apiece where every return goes through a mitigation thunk (SRSO "Safe RET"
 * on this machine), which made them a third of a file event's cost.
 */
static __always_inline __u32 task_uid(struct task_struct *task)
{
	return task->cred->uid.val;
}

static __always_inline __u64 task_cgroup_id(struct task_struct *task)
{
	return task->cgroups->dfl_cgrp->kn->id;
}

static __always_inline bool task_filtered_out(struct task_struct *task)
{
	return process_filtered_out(task->tgid, task_uid(task), task_cgroup_id(task));
}

/* NET events pass the port filter when either end has the port. */
static __always_inline bool port_filtered_out(__u16 source_port, __u16 destination_port)
{
	struct runtime_settings *settings = current_settings();

	return settings && (settings->active_filters & FILTER_PORT) &&
	       settings->filter_port != source_port && settings->filter_port != destination_port;
}

static __always_inline void *reserve_record(__u32 counter_slot, __u64 size)
{
	struct kind_counters *counters;
	void *record;

	record = bpf_ringbuf_reserve(&events, size, 0);
	counters = bpf_map_lookup_elem(&event_counters, &counter_slot);
	if (counters) {
		counters->emitted++;
		if (!record)
			counters->dropped++;
	}
	return record;
}

/* How often a CPU checks the ring's fill: every this many of its records (a power of 2). */
#define RING_CHECK_EVERY 8

/* Per CPU: its records so far, and whether its last check found the ring past the mark. */
struct ring_check {
	__u64 records;
	__u64 was_past_watermark;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ring_check);
} ring_checks SEC(".maps");

/*
 * Wakes the reader when the queued data passes the watermark: a wakeup costs
 * microseconds here, and one per record while the reader lags would slow every traced
 * process. The reader's poll timeout picks up whatever stays below the mark, and a
 * reader that is busy when woken finds the ring readable at its next poll. The fill
 * (bpf_ringbuf_query, a helper call: ~30 ns a record where every return goes through a
 * mitigation thunk) is read on every RING_CHECK_EVERY-th record of a CPU, which wakes
 * on the first check that finds it past the mark after one that did not.
 */
static __always_inline __u64 wakeup_flags(void)
{
	struct ring_check *check;
	bool past_watermark;
	__u32 zero = 0;
	__u64 flags;

	check = bpf_map_lookup_elem(&ring_checks, &zero);
	if (!check || (++check->records & (RING_CHECK_EVERY - 1)))
		return BPF_RB_NO_WAKEUP;
	past_watermark = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_watermark_bytes;
	flags = past_watermark && !check->was_past_watermark ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	check->was_past_watermark = past_watermark;
	return flags;
}

static __always_inline void submit_record(void *record)
{
	bpf_ringbuf_submit(record, wakeup_flags());
}

/*
 * A record built outside the ring (in a map value) into it: one helper call reserves,
 * copies and submits. Counted as reserve_record() counts.
 */
static __always_inline void output_record(__u32 counter_slot, void *record, __u64 size)
{
	struct kind_counters *counters;
	long error;

	error = bpf_ringbuf_output(&events, record, size, wakeup_flags());
	counters = bpf_map_lookup_elem(&event_counters, &counter_slot);
	if (counters) {
		counters->emitted++;
		if (error)
			counters->dropped++;
	}
}

/*
 * A task's ids and comm into any record with these fields (a header, a remembered
 * connector), from its BTF pointer, as for task_filtered_out(). Always NUL-terminated
 * within its 16 bytes: the kernel sets comm with strscpy_pad.
 */
#define fill_task_identity(target, task)                                            \
	do {                                                                        \
		(target)->tgid = (task)->tgid;                                      \
		(target)->tid = (task)->pid;                                        \
		(target)->ppid = (task)->real_parent->tgid;                         \
		(target)->uid = task_uid(task);                                     \
		(target)->cgroup_id = task_cgroup_id(task);                         \
		__builtin_memcpy((target)->comm, (task)->comm, sizeof((target)->comm)); \
	} while (0)

/* task is the current task's BTF pointer, as for task_filtered_out(). */
static __always_inline void fill_header(struct event_header *header, __u16 kind,
					__u32 size, struct task_struct *task)
{
	header->kind = kind;
	header->version = CLAWTOP_RECORD_VERSION;
	header->flags = 0;
	header->size = size;
	header->timestamp_ns = bpf_ktime_get_ns();
	fill_task_identity(header, task);
}

#endif /* CLAWTOP_COMMON_BPF_H */
