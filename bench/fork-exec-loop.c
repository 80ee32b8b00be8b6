// SPDX-License-Identifier: GPL-2.0
/*
 * A workload of bench/tax.ts: fork(), execve("/bin/true") in the child, wait for it, as
 * fast as it can: the process starts and exits an exec monitor (clawtop's, execsnoop,
 * bpftrace on sched_process_exec) sees.
 *
 * USAGE: fork-exec-loop SECONDS
 *   Waits for one byte on stdin (the benchmark sends it once the tool under test is
 *   attached), runs /bin/true one child after another for SECONDS, prints the number of
 *   children run and exits.
 * EXAMPLES:
 *   echo | fork-exec-loop 2
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "workload.h"

#define MAX_SECONDS 3600ULL
#define PROGRAM "/bin/true"

extern char **environ;

/* One child: fork, exec PROGRAM, reap it. 0 when it ran and exited with 0. */
static int run_child(void)
{
	char *const argv[] = { PROGRAM, NULL };
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "fork-exec-loop: failed to fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		execve(PROGRAM, argv, environ);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid) {
		fprintf(stderr, "fork-exec-loop: failed to wait for %d: %s\n", pid, strerror(errno));
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "fork-exec-loop: failed to run " PROGRAM ": status %d\n", status);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t seconds, end_ns, children = 0;

	if (argc != 2) {
		fprintf(stderr, "USAGE: fork-exec-loop SECONDS\n");
		return 2;
	}
	if (parse_number("fork-exec-loop", argv[1], "SECONDS", 1, MAX_SECONDS, &seconds))
		return 2;
	if (die_with_parent("fork-exec-loop"))
		return 1;
	if (wait_for_start())
		return 1;

	end_ns = now_ns() + seconds * NS_PER_SECOND;
	while (now_ns() < end_ns) {
		if (run_child())
			return 1;
		children++;
	}
	printf("%llu\n", (unsigned long long)children);
	return 0;
}
