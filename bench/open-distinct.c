// SPDX-License-Identifier: GPL-2.0
/*
 * The workload of bench/memory.ts: openat() of COUNT distinct paths that do not exist,
 * /nonexistent-clawtop-bench/0, /1, ... as fast as it can. Each call fails with ENOENT
 * at the first component, so the kernel does almost no work and keeps nothing (one
 * negative dentry for the missing directory), yet the files monitor reports every call
 * with its path and ENOENT: one new row key per call for clawtop's files table.
 *
 * USAGE: open-distinct COUNT
 *   Waits for one byte on stdin (the benchmark sends it once clawtop is reading its
 *   ring), makes COUNT openat() calls, prints the number made and exits.
 * EXAMPLES:
 *   echo | open-distinct 1000000
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define MISSING_DIRECTORY "/nonexistent-clawtop-bench"
#define MAX_COUNT 1000000000ULL

static int parse_count(const char *text, uint64_t *count)
{
	char *end;

	errno = 0;
	*count = strtoull(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-' || *count < 1 || *count > MAX_COUNT) {
		fprintf(stderr, "open-distinct: COUNT must be an integer from 1 to %llu, got '%s'\n",
			MAX_COUNT, text);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char path[sizeof(MISSING_DIRECTORY) + 24];
	struct stat directory;
	uint64_t count, opened;
	char start;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "USAGE: open-distinct COUNT\n");
		return 2;
	}
	if (parse_count(argv[1], &count))
		return 2;
	/* If it existed, opens would succeed or fail deeper, and cost something else. */
	if (stat(MISSING_DIRECTORY, &directory) == 0) {
		fprintf(stderr, "open-distinct: %s exists; remove it first\n", MISSING_DIRECTORY);
		return 1;
	}
	/* A benchmark that dies, even by SIGKILL, takes its workload with it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
		fprintf(stderr, "open-distinct: failed to set parent death signal: %s\n", strerror(errno));
		return 1;
	}
	if (read(STDIN_FILENO, &start, 1) != 1)
		return 1; /* no start byte: the benchmark is gone or gave up */

	for (opened = 0; opened < count; opened++) {
		snprintf(path, sizeof(path), MISSING_DIRECTORY "/%llu", (unsigned long long)opened);
		fd = openat(AT_FDCWD, path, O_RDONLY);
		if (fd >= 0) {
			close(fd);
			fprintf(stderr, "open-distinct: %s exists, expected ENOENT\n", path);
			return 1;
		}
	}
	printf("%llu\n", (unsigned long long)opened);
	return 0;
}
