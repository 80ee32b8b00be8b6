// SPDX-License-Identifier: GPL-2.0
/*
 * The workload of the self-cost and files keep-up benchmarks: openat() at a steady rate.
 * By default on a fixed set of paths that do not exist, /nonexistent-clawtop-bench/0 ..
 * DISTINCT-1, in turn: each call fails with ENOENT at the first component, so the kernel
 * does almost no work, yet the files monitor reports each one with its path and errno, one
 * file event per call, for a files table of DISTINCT rows. With DISTINCT 0 it opens and
 * closes /dev/null instead: an open/close loop, two syscalls per event.
 *
 * USAGE: open-rate RATE SECONDS DISTINCT
 *   Waits for one byte on stdin (the benchmark sends it once clawtop is reading its ring),
 *   makes RATE opens a second (0 = as fast as it can) for SECONDS, or until SIGTERM,
 *   prints the number of opens made and exits.
 * EXAMPLES:
 *   echo | open-rate 10000 5 1000    # ten thousand opens a second over 1000 paths
 *   echo | open-rate 0 2 0           # open and close /dev/null as fast as it can
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

#define MISSING_DIRECTORY "/nonexistent-clawtop-bench"
/* Calls are issued in bursts, one per slice, with a sleep between. */
#define SLICE_NS 1000000ULL
#define SLICES_PER_SECOND (NS_PER_SECOND / SLICE_NS)
/* The clock is read at least this often, so a rate out of reach cannot overrun the end. */
#define CALLS_PER_CLOCK_READ 256
#define MAX_RATE 100000000ULL
#define MAX_SECONDS 3600ULL
#define MAX_DISTINCT 100000000ULL

static uint64_t distinct;
static uint64_t next_path;
/* Set by SIGTERM: a benchmark that has what it needs ends the run early. */
static volatile sig_atomic_t stop_requested;

static void request_stop(int signal_number)
{
	(void)signal_number;
	stop_requested = 1;
}

static uint64_t open_dev_null(uint64_t count)
{
	for (uint64_t i = 0; i < count; i++) {
		int fd = openat(AT_FDCWD, "/dev/null", O_RDONLY);

		if (fd < 0) {
			fprintf(stderr, "open-rate: failed to open /dev/null: %s\n", strerror(errno));
			exit(1);
		}
		close(fd);
	}
	return count;
}

static uint64_t open_paths(uint64_t count)
{
	char path[sizeof(MISSING_DIRECTORY) + 24];

	if (distinct == 0)
		return open_dev_null(count);
	for (uint64_t i = 0; i < count; i++) {
		snprintf(path, sizeof(path), MISSING_DIRECTORY "/%llu",
			 (unsigned long long)next_path);
		next_path = next_path + 1 == distinct ? 0 : next_path + 1;
		if (openat(AT_FDCWD, path, O_RDONLY) >= 0) {
			fprintf(stderr, "open-rate: %s exists, expected ENOENT\n", path);
			exit(1);
		}
	}
	return count;
}

static uint64_t run_flat_out(uint64_t end_ns)
{
	uint64_t calls = 0;

	while (!stop_requested && now_ns() < end_ns)
		calls += open_paths(CALLS_PER_CLOCK_READ);
	return calls;
}

/*
 * At the start of each slice, the calls due by its end; a late start catches up. Between
 * slices it sleeps, so at low rates the workload costs the machine little besides its calls.
 */
static uint64_t run_paced(uint64_t rate, uint64_t seconds, uint64_t start_ns)
{
	const uint64_t end_ns = start_ns + seconds * NS_PER_SECOND;
	const uint64_t total = rate * seconds;
	uint64_t calls = 0;
	uint64_t now;

	while (!stop_requested && (now = now_ns()) < end_ns) {
		uint64_t slice = (now - start_ns) / SLICE_NS;
		uint64_t due = rate * (slice + 1) / SLICES_PER_SECOND;

		if (due > total)
			due = total;
		if (calls >= due) {
			uint64_t next_slice_ns = start_ns + (slice + 1) * SLICE_NS;
			struct timespec pause = { 0, (long)(next_slice_ns - now) };

			nanosleep(&pause, NULL);
			continue;
		}
		if (due - calls > CALLS_PER_CLOCK_READ)
			due = calls + CALLS_PER_CLOCK_READ;
		calls += open_paths(due - calls);
	}
	return calls;
}

int main(int argc, char **argv)
{
	uint64_t rate, seconds, calls;
	struct stat directory;

	if (argc != 4) {
		fprintf(stderr, "USAGE: open-rate RATE SECONDS DISTINCT (RATE 0 = as fast as possible)\n");
		return 2;
	}
	if (parse_number("open-rate", argv[1], "RATE", 0, MAX_RATE, &rate) ||
	    parse_number("open-rate", argv[2], "SECONDS", 1, MAX_SECONDS, &seconds) ||
	    parse_number("open-rate", argv[3], "DISTINCT", 0, MAX_DISTINCT, &distinct))
		return 2;
	/* If it existed, opens would succeed or fail deeper, and cost something else. */
	if (distinct > 0 && stat(MISSING_DIRECTORY, &directory) == 0) {
		fprintf(stderr, "open-rate: %s exists; remove it first\n", MISSING_DIRECTORY);
		return 1;
	}
	if (die_with_parent("open-rate"))
		return 1;
	if (signal(SIGTERM, request_stop) == SIG_ERR) {
		fprintf(stderr, "open-rate: failed to handle SIGTERM: %s\n", strerror(errno));
		return 1;
	}
	if (wait_for_start())
		return 1;

	const uint64_t start_ns = now_ns();
	calls = rate == 0 ? run_flat_out(start_ns + seconds * NS_PER_SECOND)
			  : run_paced(rate, seconds, start_ns);
	printf("%llu\n", (unsigned long long)calls);
	return 0;
}
