// SPDX-License-Identifier: GPL-2.0
/*
 * A workload of bench/tax.ts: TCP connections over loopback as fast as it can, each
 * connect() then accept() then close() on both ends, the connections a network monitor
 * (clawtop's, tcplife, bpftrace on sock:inet_sock_set_state) sees. The listener is in
 * this process, on 127.0.0.1 at a port the kernel picks. The connecting side closes
 * first with SO_LINGER 0: it sends a reset instead of a FIN, so neither end lingers in
 * TIME_WAIT and the run never runs out of ports.
 *
 * USAGE: connect-loop SECONDS
 *   Waits for one byte on stdin (the benchmark sends it once the tool under test is
 *   attached), connects, accepts and closes for SECONDS, prints the number of
 *   connections made and exits.
 * EXAMPLES:
 *   echo | connect-loop 2
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "workload.h"

#define MAX_SECONDS 3600ULL
#define BACKLOG 16

/* A listener on 127.0.0.1 at a free port, written into address. */
static int listen_on_loopback(struct sockaddr_in *address)
{
	socklen_t length = sizeof(*address);
	int listener;

	memset(address, 0, sizeof(*address));
	address->sin_family = AF_INET;
	address->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	listener = socket(AF_INET, SOCK_STREAM, 0);
	if (listener < 0 || bind(listener, (struct sockaddr *)address, sizeof(*address)) ||
	    listen(listener, BACKLOG) || getsockname(listener, (struct sockaddr *)address, &length)) {
		fprintf(stderr, "connect-loop: failed to listen on 127.0.0.1: %s\n", strerror(errno));
		return -1;
	}
	return listener;
}

/* One connection: connect, accept, reset by the connecting side, close. */
static int connect_once(int listener, const struct sockaddr_in *address)
{
	const struct linger reset = { .l_onoff = 1, .l_linger = 0 };
	int client, accepted;

	client = socket(AF_INET, SOCK_STREAM, 0);
	if (client < 0) {
		fprintf(stderr, "connect-loop: failed to create a socket: %s\n", strerror(errno));
		return -1;
	}
	if (setsockopt(client, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset))) {
		fprintf(stderr, "connect-loop: failed to set SO_LINGER: %s\n", strerror(errno));
		close(client);
		return -1;
	}
	/* Over loopback the handshake completes inside connect(): accept() does not block. */
	if (connect(client, (const struct sockaddr *)address, sizeof(*address))) {
		fprintf(stderr, "connect-loop: failed to connect: %s\n", strerror(errno));
		close(client);
		return -1;
	}
	accepted = accept(listener, NULL, NULL);
	if (accepted < 0) {
		fprintf(stderr, "connect-loop: failed to accept: %s\n", strerror(errno));
		close(client);
		return -1;
	}
	close(client);
	close(accepted);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t seconds, end_ns, connections = 0;
	struct sockaddr_in address;
	int listener;

	if (argc != 2) {
		fprintf(stderr, "USAGE: connect-loop SECONDS\n");
		return 2;
	}
	if (parse_number("connect-loop", argv[1], "SECONDS", 1, MAX_SECONDS, &seconds))
		return 2;
	if (die_with_parent("connect-loop"))
		return 1;
	listener = listen_on_loopback(&address);
	if (listener < 0)
		return 1;
	if (wait_for_start())
		return 1;

	end_ns = now_ns() + seconds * NS_PER_SECOND;
	while (now_ns() < end_ns) {
		if (connect_once(listener, &address))
			return 1;
		connections++;
	}
	printf("%llu\n", (unsigned long long)connections);
	return 0;
}
