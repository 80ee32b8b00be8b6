// SPDX-License-Identifier: GPL-2.0
/* exec monitor: programs executed (argv from the new mm) and processes exiting. */

SEC("tp_btf/sched_process_exec")
int BPF_PROG(clawtop_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	unsigned long arg_start, arg_end, args_size;
	struct exec_event *event;
	long filename_size;

	if (task_filtered_out(task))
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

	submit_record(event);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(clawtop_exit, struct task_struct *task)
{
	struct exit_event *event;
	int exit_code;

	/* A process ends when its thread group leader does; other threads are noise. */
	if (task->pid != task->tgid || task_filtered_out(task))
		return 0;
	event = reserve_record(EVENT_KIND_EXIT, sizeof(*event));
	if (!event)
		return 0;
	fill_header(&event->header, EVENT_KIND_EXIT, sizeof(*event), task);
	exit_code = BPF_CORE_READ(task, exit_code);
	event->exit_code = (exit_code >> 8) & 0xff;
	event->exit_signal = exit_code & 0x7f;
	event->runtime_ns = bpf_ktime_get_ns() - BPF_CORE_READ(task, start_time);
	submit_record(event);
	return 0;
}
