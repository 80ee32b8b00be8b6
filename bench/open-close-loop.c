// SPDX-License-Identifier: GPL-2.0
/*
 * A workload of bench/tax.ts: open("/dev/null") and close() as fast as it can, the
 * file opens a files monitor (clawtop's, opensnoop, bpftrace on sys_enter_openat) sees.
 *
 * USAGE: open-close-loop SECONDS
 *   Waits for one byte on stdin (the benchmark sends it once the tool under test is
 *   attached), opens and closes /dev/null for SECONDS, prints the number of opens made
 *   and exits.
 * EXAMPLES:
 *   echo | open-close-loop 2
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_SECOND 1000000000ULL
/* The clock is read once per this many opens: often enough not to overrun the end. */
#define OPENS_PER_CLOCK_READ 64
#define MAX_SECONDS 3600ULL

static uint64_t now_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * NS_PER_SECOND + (uint64_t)now.tv_nsec;
}

static int parse_seconds(const char *text, uint64_t *seconds)
{
	char *end;

	errno = 0;
	*seconds = strtoull(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-' || *seconds < 1 || *seconds > MAX_SECONDS) {
		fprintf(stderr, "open-close-loop: SECONDS must be an integer from 1 to %llu, got '%s'\n",
			MAX_SECONDS, text);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t seconds, end_ns, opens = 0;
	char start;

	if (argc != 2) {
		fprintf(stderr, "USAGE: open-close-loop SECONDS\n");
		return 2;
	}
	if (parse_seconds(argv[1], &seconds))
		return 2;
	/* A benchmark that dies, even by SIGKILL, takes its workload with it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
		fprintf(stderr, "open-close-loop: failed to set parent death signal: %s\n", strerror(errno));
		return 1;
	}
	if (read(STDIN_FILENO, &start, 1) != 1)
		return 1; /* no start byte: the benchmark is gone or gave up */

	end_ns = now_ns() + seconds * NS_PER_SECOND;
	while (now_ns() < end_ns) {
		for (int i = 0; i < OPENS_PER_CLOCK_READ; i++) {
			int fd = open("/dev/null", O_RDONLY);

			if (fd < 0) {
				fprintf(stderr, "open-close-loop: failed to open /dev/null: %s\n", strerror(errno));
				return 1;
			}
			close(fd);
		}
		opens += OPENS_PER_CLOCK_READ;
	}
	printf("%llu\n", (unsigned long long)opens);
	return 0;
}
