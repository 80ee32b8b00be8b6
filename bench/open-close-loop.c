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
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "workload.h"

/* The clock is read once per this many opens: often enough not to overrun the end. */
#define OPENS_PER_CLOCK_READ 64
#define MAX_SECONDS 3600ULL

int main(int argc, char **argv)
{
	uint64_t seconds, end_ns, opens = 0;

	if (argc != 2) {
		fprintf(stderr, "USAGE: open-close-loop SECONDS\n");
		return 2;
	}
	if (parse_number("open-close-loop", argv[1], "SECONDS", 1, MAX_SECONDS, &seconds))
		return 2;
	if (die_with_parent("open-close-loop"))
		return 1;
	if (wait_for_start())
		return 1;

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
