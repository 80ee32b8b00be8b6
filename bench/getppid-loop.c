// SPDX-License-Identifier: GPL-2.0
/*
 * The workload of bench/pipeline.ts: getppid() at a steady rate, each call one record
 * from the benchmark probe.
 *
 * USAGE: getppid-loop RATE SECONDS
 *   Waits for one byte on stdin (the benchmark writes this process's pid into the
 *   probe's settings first), then calls getppid RATE times a second (0 = as fast as it
 *   can) for SECONDS, prints the number of calls made and exits.
 * EXAMPLES:
 *   echo | getppid-loop 1000000 5    # one million calls a second for five seconds
 *   echo | getppid-loop 0 2          # flat out for two seconds
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "workload.h"

/* Calls are issued in bursts, one per slice, with a busy wait between. */
#define SLICE_NS 1000000ULL
#define SLICES_PER_SECOND (NS_PER_SECOND / SLICE_NS)
/* The clock is read at least this often, so a rate out of reach cannot overrun the end. */
#define CALLS_PER_CLOCK_READ 1024
#define MAX_RATE 1000000000ULL
#define MAX_SECONDS 3600ULL

static uint64_t call_getppid(uint64_t count)
{
	for (uint64_t i = 0; i < count; i++)
		syscall(SYS_getppid);
	return count;
}

/* As fast as possible until the deadline. */
static uint64_t run_flat_out(uint64_t end_ns)
{
	uint64_t calls = 0;

	while (now_ns() < end_ns)
		calls += call_getppid(CALLS_PER_CLOCK_READ);
	return calls;
}

/* At the start of each slice, the calls due by its end; a late start catches up. */
static uint64_t run_paced(uint64_t rate, uint64_t seconds, uint64_t start_ns)
{
	const uint64_t end_ns = start_ns + seconds * NS_PER_SECOND;
	const uint64_t total = rate * seconds;
	uint64_t calls = 0;
	uint64_t now;

	while ((now = now_ns()) < end_ns) {
		uint64_t slice = (now - start_ns) / SLICE_NS;
		uint64_t due = rate * (slice + 1) / SLICES_PER_SECOND;

		if (due > total)
			due = total;
		if (calls >= due)
			continue; /* busy wait: a sleep would wake too late at these rates */
		if (due - calls > CALLS_PER_CLOCK_READ)
			due = calls + CALLS_PER_CLOCK_READ;
		calls += call_getppid(due - calls);
	}
	return calls;
}

int main(int argc, char **argv)
{
	uint64_t rate, seconds, calls;

	if (argc != 3) {
		fprintf(stderr, "USAGE: getppid-loop RATE SECONDS (RATE 0 = as fast as possible)\n");
		return 2;
	}
	if (parse_number("getppid-loop", argv[1], "RATE", 0, MAX_RATE, &rate) ||
	    parse_number("getppid-loop", argv[2], "SECONDS", 1, MAX_SECONDS, &seconds))
		return 2;
	if (die_with_parent("getppid-loop"))
		return 1;
	/* No getppid() before the start byte: it would be counted. */
	if (wait_for_start())
		return 1;

	const uint64_t start_ns = now_ns();
	calls = rate == 0 ? run_flat_out(start_ns + seconds * NS_PER_SECOND)
			  : run_paced(rate, seconds, start_ns);
	printf("%llu\n", (unsigned long long)calls);
	return 0;
}
