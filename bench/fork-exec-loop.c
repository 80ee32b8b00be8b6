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
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_SECOND 1000000000ULL
#define MAX_SECONDS 3600ULL
#define PROGRAM "/bin/true"

extern char **environ;

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
		fprintf(stderr, "fork-exec-loop: SECONDS must be an integer from 1 to %llu, got '%s'\n",
			MAX_SECONDS, text);
		return -1;
	}
	return 0;
}

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
	char start;

	if (argc != 2) {
		fprintf(stderr, "USAGE: fork-exec-loop SECONDS\n");
		return 2;
	}
	if (parse_seconds(argv[1], &seconds))
		return 2;
	/* A benchmark that dies, even by SIGKILL, takes its workload with it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
		fprintf(stderr, "fork-exec-loop: failed to set parent death signal: %s\n", strerror(errno));
		return 1;
	}
	if (read(STDIN_FILENO, &start, 1) != 1)
		return 1; /* no start byte: the benchmark is gone or gave up */

	end_ns = now_ns() + seconds * NS_PER_SECOND;
	while (now_ns() < end_ns) {
		if (run_child())
			return 1;
		children++;
	}
	printf("%llu\n", (unsigned long long)children);
	return 0;
}
