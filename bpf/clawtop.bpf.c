// SPDX-License-Identifier: GPL-2.0
/*
 * clawtop's kernel side. Every record goes through reserve_record() and
 * submit_record(): the first counts what was emitted and what the full ring
 * dropped, the second batches wakeups so user space is woken per batch, not per
 * record.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "clawtop.h"

char LICENSE[] SEC("license") = "GPL";

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

static __always_inline bool is_self(__u32 tgid)
{
	struct runtime_settings *settings = current_settings();

	return settings && settings->self_tgid == tgid;
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

/*
 * Wakes the reader once per watermark's worth of queued data, on the record that
 * crosses a multiple of it: a wakeup costs microseconds here, and one per record while
 * the reader lags would slow every traced process. The reader's poll timeout picks up
 * whatever stays below the mark.
 */
static __always_inline void submit_record(void *record, __u64 size)
{
	__u64 queued = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	__u64 before = queued - (size + BPF_RINGBUF_HDR_SZ);
	bool crossed = queued >= size + BPF_RINGBUF_HDR_SZ &&
		       queued / wakeup_watermark_bytes != before / wakeup_watermark_bytes;

	bpf_ringbuf_submit(record, crossed ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

static __always_inline void fill_header(struct event_header *header, __u16 kind,
					__u32 size, struct task_struct *task)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	header->kind = kind;
	header->version = CLAWTOP_RECORD_VERSION;
	header->flags = 0;
	header->size = size;
	header->timestamp_ns = bpf_ktime_get_ns();
	header->tgid = pid_tgid >> 32;
	header->tid = (__u32)pid_tgid;
	header->ppid = BPF_CORE_READ(task, real_parent, tgid);
	header->uid = (__u32)bpf_get_current_uid_gid();
	header->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(header->comm, sizeof(header->comm));
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(clawtop_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	unsigned long arg_start, arg_end, args_size;
	struct exec_event *event;
	long filename_size;

	if (is_self(tgid))
		return 0;
	event = reserve_record(EVENT_KIND_EXEC, sizeof(*event));
	if (!event)
		return 0;
	fill_header(&event->header, EVENT_KIND_EXEC, sizeof(*event), task);
	event->argc = BPF_CORE_READ(bprm, argc);

	filename_size = bpf_probe_read_kernel_str(event->filename, sizeof(event->filename),
						  BPF_CORE_READ(bprm, filename));
	if (filename_size < 0)
		event->filename[0] = '\0';
	else if (filename_size == sizeof(event->filename))
		event->header.flags |= EXEC_FLAG_FILENAME_TRUNCATED;

	/* The new program's argv, from its own mm: already in place at this point. */
	arg_start = BPF_CORE_READ(task, mm, arg_start);
	arg_end = BPF_CORE_READ(task, mm, arg_end);
	args_size = arg_end > arg_start ? arg_end - arg_start : 0;
	if (args_size > EXEC_ARGS_LEN) {
		args_size = EXEC_ARGS_LEN;
		event->header.flags |= EXEC_FLAG_ARGS_TRUNCATED;
	}
	if (bpf_probe_read_user(event->args, args_size, (void *)arg_start) < 0)
		args_size = 0;
	event->args_size = args_size;

	submit_record(event, sizeof(*event));
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(clawtop_exit, struct task_struct *task)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	struct exit_event *event;
	int exit_code;

	/* A process ends when its thread group leader does; other threads are noise. */
	if ((__u32)pid_tgid != tgid || is_self(tgid))
		return 0;
	event = reserve_record(EVENT_KIND_EXIT, sizeof(*event));
	if (!event)
		return 0;
	fill_header(&event->header, EVENT_KIND_EXIT, sizeof(*event), task);
	exit_code = BPF_CORE_READ(task, exit_code);
	event->exit_code = (exit_code >> 8) & 0xff;
	event->exit_signal = exit_code & 0x7f;
	event->runtime_ns = bpf_ktime_get_ns() - BPF_CORE_READ(task, start_time);
	submit_record(event, sizeof(*event));
	return 0;
}

/*
 * Benchmark probe: only attached by bench/pipeline, only for its own workload
 * process, emitting header-only records as fast as the workload calls getppid().
 */
SEC("tracepoint/syscalls/sys_enter_getppid")
int clawtop_bench(void *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct runtime_settings *settings = current_settings();
	struct event_header *header;

	if (!settings || settings->bench_tgid != tgid)
		return 0;
	header = reserve_record(COUNTER_SLOT_BENCH, sizeof(*header));
	if (!header)
		return 0;
	fill_header(header, BENCH_RECORD_KIND, sizeof(*header), bpf_get_current_task_btf());
	submit_record(header, sizeof(*header));
	return 0;
}
