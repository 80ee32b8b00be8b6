// SPDX-License-Identifier: GPL-2.0
/*
 * syscalls monitor (opt-in): execve and openat, enter and exit paired per thread.
 * Opt-in because attaching any syscall tracepoint sends every syscall on the host
 * down the slow path, traced or not.
 */

/* No call in progress: the exit of this thread's last traced call has been reported. */
#define SYSCALL_NONE 0xffffffff

/* What enter saw, kept until the same thread's exit. */
struct syscall_pending {
	__u32 nr;
	__u32 _pad;
	__u64 start_ns;
	__u64 args[SYSCALL_ARG_COUNT];
	/* A successful execve's filename, set while it runs: its exit is in the new program. */
	char path[SYSCALL_PATH_LEN];
};

/*
 * Per thread, on the task itself: no entry to insert, delete or evict per call, and it
 * goes with the task. Keyed by the task, not its id, so an exec from a non-leader
 * thread, which comes back under the leader's id, still finds its entry.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct syscall_pending);
} syscall_pending SEC(".maps");

/*
 * arg_count is the syscall's own: attaching fails (EACCES) for a program that reads
 * the context past the arguments the tracepoint has, so the rest are recorded as 0.
 *
 * The path is not read here but at the exit (or, for a successful execve, from the
 * kernel's copy while it runs): after a fork, a string in the program's read-only data
 * is not mapped in the child until the kernel itself reads it, so a read at enter came
 * back empty, and took 2.5 us failing.
 */
static __always_inline int syscall_enter(struct trace_event_raw_sys_enter *ctx, int arg_count)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct syscall_pending *pending;

	if (task_filtered_out(task))
		return 0;
	pending = bpf_task_storage_get(&syscall_pending, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!pending)
		return 0;
	/* The kernel's record has an int there: the upper half of id is padding, not zeroed. */
	pending->nr = (__u32)ctx->id;
	pending->_pad = 0;
	pending->start_ns = bpf_ktime_get_ns();
	pending->args[0] = arg_count > 0 ? ctx->args[0] : 0;
	pending->args[1] = arg_count > 1 ? ctx->args[1] : 0;
	pending->args[2] = arg_count > 2 ? ctx->args[2] : 0;
	pending->args[3] = arg_count > 3 ? ctx->args[3] : 0;
	pending->args[4] = arg_count > 4 ? ctx->args[4] : 0;
	pending->args[5] = arg_count > 5 ? ctx->args[5] : 0;
	pending->path[0] = '\0';
	return 0;
}

/* path_arg: which argument is the path; kept_on_success: read it from the entry when ret is 0. */
static __always_inline int syscall_exit(struct trace_event_raw_sys_exit *ctx, int path_arg, bool kept_on_success)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct syscall_pending *pending;
	struct syscall_event *event;

	pending = bpf_task_storage_get(&syscall_pending, task, 0, 0);
	/* Not ours, or an enter of another call, left by a monitor attached between enter and exit. */
	if (!pending || pending->nr != (__u32)ctx->id)
		return 0;
	event = reserve_record(EVENT_KIND_SYSCALL, sizeof(*event));
	if (!event)
		goto done;
	fill_header(&event->header, EVENT_KIND_SYSCALL, sizeof(*event), task);
	event->nr = pending->nr;
	event->_pad = 0;
	event->ret = ctx->ret;
	event->duration_ns = event->header.timestamp_ns - pending->start_ns;
	__builtin_memcpy(event->args, pending->args, sizeof(event->args));
	/*
	 * The kernel has read the path by now, so it is mapped. A successful execve's was in
	 * the old program's memory, gone, and was kept while the exec ran.
	 */
	if (kept_on_success && ctx->ret == 0)
		__builtin_memcpy(event->path, pending->path, sizeof(event->path));
	else if (bpf_probe_read_user_str(event->path, sizeof(event->path),
					 (const char *)pending->args[path_arg & (SYSCALL_ARG_COUNT - 1)]) < 0)
		event->path[0] = '\0';
	submit_record(event);
done:
	pending->nr = SYSCALL_NONE;
	return 0;
}

/* During a successful execve, before its exit: the filename as given, from the kernel's copy. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(clawtop_sys_execve_running, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	struct syscall_pending *pending = bpf_task_storage_get(&syscall_pending, task, 0, 0);

	if (!pending || pending->nr == SYSCALL_NONE)
		return 0;
	if (bpf_probe_read_kernel_str(pending->path, sizeof(pending->path), bprm->filename) < 0)
		pending->path[0] = '\0';
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int clawtop_sys_execve_enter(struct trace_event_raw_sys_enter *ctx)
{
	/* execve(filename, argv, envp) */
	return syscall_enter(ctx, 3);
}

SEC("tracepoint/syscalls/sys_exit_execve")
int clawtop_sys_execve_exit(struct trace_event_raw_sys_exit *ctx)
{
	return syscall_exit(ctx, 0, true);
}

SEC("tracepoint/syscalls/sys_enter_openat")
int clawtop_sys_openat_enter(struct trace_event_raw_sys_enter *ctx)
{
	/* openat(dfd, filename, flags, mode) */
	return syscall_enter(ctx, 4);
}

/*
 * sys_exit_openat serves two monitors, the files fallback and this one, with one program:
 * the kernel frees a syscall tracepoint's program array after an RCU Tasks Trace grace
 * period when a second program attaches there, and every task running during that grace
 * period then takes rcu_read_unlock_trace_special() in each traced syscall for as long as
 * syscall tracepoints stay attached (6.18: a getppid loop ran at 0.65 of bare instead of
 * 0.72). The loader says which monitors the program serves in runtime_settings.
 */
static __always_inline int openat_exit(struct trace_event_raw_sys_exit *ctx, enum files_reads reads)
{
	struct runtime_settings *settings = current_settings();
	__u32 users = settings ? settings->shared_hook_users : 0;

	if (users & SHARED_HOOK_FILES)
		files_openat_exit(ctx, reads);
	if (users & SHARED_HOOK_SYSCALLS)
		syscall_exit(ctx, 1, false);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int clawtop_openat_exit(struct trace_event_raw_sys_exit *ctx)
{
	return openat_exit(ctx, FILES_DIRECT_LOADS);
}

/* The same, for kernels before 6.2 (no bpf_rdonly_cast). */
SEC("tracepoint/syscalls/sys_exit_openat")
int clawtop_openat_exit_probe_reads(struct trace_event_raw_sys_exit *ctx)
{
	return openat_exit(ctx, FILES_PROBE_READS);
}
