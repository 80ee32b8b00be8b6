// SPDX-License-Identifier: GPL-2.0
/*
 * syscalls monitor (opt-in): execve and openat, enter and exit paired per thread.
 * Opt-in because attaching any syscall tracepoint sends every syscall on the host
 * down the slow path, traced or not.
 */

/* What enter saw, kept until the same thread's exit. */
struct syscall_pending {
	__u32 nr;
	__u32 _pad;
	__u64 start_ns;
	__u64 args[SYSCALL_ARG_COUNT];
	char path[SYSCALL_PATH_LEN];
};

/*
 * Per thread id. LRU, so entries whose exit never came (a thread killed in the
 * call, an exec from a non-leader thread, which comes back under the leader's id,
 * the monitor switched off mid-call) are evicted instead of filling the map.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct syscall_pending);
} syscall_pending SEC(".maps");

/* Where enter builds its entry: too large for the 512-byte stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct syscall_pending);
} syscall_scratch SEC(".maps");

/*
 * arg_count is the syscall's own: attaching fails (EACCES) for a program that reads
 * the context past the arguments the tracepoint has, so the rest are recorded as 0.
 */
static __always_inline int syscall_enter(struct trace_event_raw_sys_enter *ctx, const char *path,
					 int arg_count)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tid = task->pid;
	struct syscall_pending *pending;
	__u32 zero = 0;

	if (task_filtered_out(task))
		return 0;
	pending = bpf_map_lookup_elem(&syscall_scratch, &zero);
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
	/*
	 * Read the path now: a successful execve returns in the new program, whose
	 * memory no longer holds it. Cleared first so no earlier path's tail follows
	 * the NUL into the record.
	 */
	__builtin_memset(pending->path, 0, sizeof(pending->path));
	if (bpf_probe_read_user_str(pending->path, sizeof(pending->path), path) < 0)
		pending->path[0] = '\0';
	bpf_map_update_elem(&syscall_pending, &tid, pending, BPF_ANY);
	return 0;
}

static __always_inline int syscall_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct syscall_pending *pending;
	struct syscall_event *event;
	__u64 now = bpf_ktime_get_ns();

	pending = bpf_map_lookup_elem(&syscall_pending, &tid);
	if (!pending)
		return 0;
	/* An enter of another call, left by a monitor attached between enter and exit. */
	if (pending->nr != (__u32)ctx->id)
		goto done;
	event = reserve_record(EVENT_KIND_SYSCALL, sizeof(*event));
	if (!event)
		goto done;
	fill_header(&event->header, EVENT_KIND_SYSCALL, sizeof(*event), bpf_get_current_task_btf());
	event->nr = pending->nr;
	event->_pad = 0;
	event->ret = ctx->ret;
	event->duration_ns = now - pending->start_ns;
	__builtin_memcpy(event->args, pending->args, sizeof(event->args));
	__builtin_memcpy(event->path, pending->path, sizeof(event->path));
	submit_record(event, sizeof(*event));
done:
	bpf_map_delete_elem(&syscall_pending, &tid);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int clawtop_sys_execve_enter(struct trace_event_raw_sys_enter *ctx)
{
	/* execve(filename, argv, envp) */
	return syscall_enter(ctx, (const char *)ctx->args[0], 3);
}

SEC("tracepoint/syscalls/sys_exit_execve")
int clawtop_sys_execve_exit(struct trace_event_raw_sys_exit *ctx)
{
	return syscall_exit(ctx);
}

SEC("tracepoint/syscalls/sys_enter_openat")
int clawtop_sys_openat_enter(struct trace_event_raw_sys_enter *ctx)
{
	/* openat(dfd, filename, flags, mode) */
	return syscall_enter(ctx, (const char *)ctx->args[1], 4);
}

SEC("tracepoint/syscalls/sys_exit_openat")
int clawtop_sys_openat_exit(struct trace_event_raw_sys_exit *ctx)
{
	return syscall_exit(ctx);
}
