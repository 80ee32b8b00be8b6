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
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "workload.h"

#define MISSING_DIRECTORY "/nonexistent-clawtop-bench"
#define MAX_COUNT 1000000000ULL

int main(int argc, char **argv)
{
	char path[sizeof(MISSING_DIRECTORY) + 24];
	struct stat directory;
	uint64_t count, opened;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "USAGE: open-distinct COUNT\n");
		return 2;
	}
	if (parse_number("open-distinct", argv[1], "COUNT", 1, MAX_COUNT, &count))
		return 2;
	/* If it existed, opens would succeed or fail deeper, and cost something else. */
	if (stat(MISSING_DIRECTORY, &directory) == 0) {
		fprintf(stderr, "open-distinct: %s exists; remove it first\n", MISSING_DIRECTORY);
		return 1;
	}
	if (die_with_parent("open-distinct"))
		return 1;
	if (wait_for_start())
		return 1;

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
