// SPDX-License-Identifier: GPL-2.0
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
	submit_record(header);
	return 0;
}
