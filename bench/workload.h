// SPDX-License-Identifier: GPL-2.0
/*
 * What every C workload in bench/ shares: the clock it times its run with, the parsing of
 * its numeric arguments, and its start (tied to the benchmark's life, then held until the
 * start byte). One copy, so that the workloads time, fail and start alike. bench/report.ts
 * rebuilds the workloads when this header changes.
 */
#ifndef CLAWTOP_BENCH_WORKLOAD_H
#define CLAWTOP_BENCH_WORKLOAD_H

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_SECOND 1000000000ULL

static inline uint64_t now_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * NS_PER_SECOND + (uint64_t)now.tv_nsec;
}

/*
 * text, the argument name of workload, as a decimal integer from min to max into *value.
 * Anything else (empty, negative, trailing text, out of range) is told on one line with
 * the range, and returns -1.
 */
static inline int parse_number(const char *workload, const char *text, const char *name,
			       uint64_t min, uint64_t max, uint64_t *value)
{
	char *end;

	errno = 0;
	*value = strtoull(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-' || *value < min || *value > max) {
		fprintf(stderr, "%s: %s must be an integer from %llu to %llu, got '%s'\n", workload,
			name, (unsigned long long)min, (unsigned long long)max, text);
		return -1;
	}
	return 0;
}

/* A benchmark that dies, even by SIGKILL, takes its workload with it. */
static inline int die_with_parent(const char *workload)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
		fprintf(stderr, "%s: failed to set parent death signal: %s\n", workload, strerror(errno));
		return -1;
	}
	return 0;
}

/* Blocks until the benchmark's start byte; -1 without one: the benchmark is gone or gave up. */
static inline int wait_for_start(void)
{
	char start;

	return read(STDIN_FILENO, &start, 1) == 1 ? 0 : -1;
}

#endif /* CLAWTOP_BENCH_WORKLOAD_H */
