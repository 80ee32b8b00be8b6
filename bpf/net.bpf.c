// SPDX-License-Identifier: GPL-2.0
/*
 * net monitor: lsm/socket_connect where it loads, else cgroup/connect4+6;
 * tp_btf/inet_sock_set_state for outcomes and inbound connections.
 *
 * TCP is reported once per connection, at its outcome, from inet_sock_set_state: outbound
 * when a SYN_SENT socket becomes ESTABLISHED or CLOSE (refused, timed out), inbound when an
 * accepted child becomes ESTABLISHED. Those transitions run in softirq, where the current
 * task is whoever the CPU interrupted, so the process is remembered earlier, in process
 * context: the connecting task at CLOSE->SYN_SENT, the listening task at CLOSE->LISTEN.
 * Other protocols (UDP, ICMP, ...) have no outcome to wait for and are reported from the
 * connect hook, with result 0.
 *
 * Every event describes one socket from its own side: source is the local end,
 * destination the remote end, so a connection's inbound event mirrors its outbound one.
 */
#include <bpf/bpf_endian.h>

/* Macros of the uapi headers, which vmlinux.h (types only) does not carry. */
#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_ICMPV6 58
#define ECONNABORTED 103
#define SIN6_LEN_RFC2133 24	/* the shortest sockaddr_in6 the kernel accepts */

/* Who a record is about, taken in process context for records written later. */
struct net_identity {
	__u32 tgid;
	__u32 tid;
	__u32 ppid;
	__u32 uid;
	__u64 cgroup_id;
	char comm[CLAWTOP_COMM_LEN];
};

/*
 * Both ends of a socket: addresses in network order (IPv4 in the first word),
 * ports in host order.
 */
struct net_ends {
	__u32 local_address[4];
	__u32 remote_address[4];
	__u16 local_port;
	__u16 remote_port;
};

/* A listening port, per network namespace: an accepted connection is matched to it. */
struct net_listener_key {
	__u32 netns;
	__u16 family;
	__u16 port;
};

struct net_listener {
	struct net_identity identity;
	__u64 sk;		/* the listening socket: only its own close forgets it */
};

/*
 * TCP sockets in SYN_SENT -> who called connect(), in a set-associative table: a socket
 * lives in one of the NET_CONNECTOR_WAYS ways of the set its cookie hashes to. The socket
 * cookie, not its address: unique for good (no reuse) and a number the verifier lets a
 * program compute with. An array
 * map rather than an LRU hash: its lookup is inlined, where the hash's update, lookup and
 * delete were helper calls with bucket locks, 400 ns of every connection here. When a set
 * is full its oldest entry is replaced, so a lost outcome does not leak a way.
 */
#define NET_CONNECTOR_WAYS 4
#define NET_CONNECTOR_SET_BITS 12	/* 4096 sets, 16384 sockets */

struct net_connector {
	__u64 cookie;		/* 0: free. Claimed and released with compare-and-swap. */
	struct net_identity identity;
};

struct net_connector_set {
	struct net_connector ways[NET_CONNECTOR_WAYS];
	__u32 next_victim;	/* the way a full set gives up next (FIFO) */
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 << NET_CONNECTOR_SET_BITS);
	__type(key, __u32);
	__type(value, struct net_connector_set);
} net_connectors SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct net_listener_key);
	__type(value, struct net_listener);
} net_listeners SEC(".maps");

/* For the cgroup/connect and LSM hooks: probe reads, as cgroup programs have no task BTF pointer. */
static __always_inline void net_current_identity(struct net_identity *identity)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	identity->tgid = pid_tgid >> 32;
	identity->tid = (__u32)pid_tgid;
	identity->ppid = BPF_CORE_READ(task, real_parent, tgid);
	identity->uid = (__u32)bpf_get_current_uid_gid();
	identity->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(identity->comm, sizeof(identity->comm));
}

/* The same from the current task's BTF pointer: plain loads instead of six helper calls. */
static __always_inline void net_task_identity(struct task_struct *task, struct net_identity *identity)
{
	fill_task_identity(identity, task);
}

static __always_inline __u8 net_protocol(__u16 ip_protocol)
{
	switch (ip_protocol) {
	case IPPROTO_TCP:
		return NET_PROTO_TCP;
	case IPPROTO_UDP:
		return NET_PROTO_UDP;
	case IPPROTO_ICMP:
		return NET_PROTO_ICMP;
	case IPPROTO_ICMPV6:
		return NET_PROTO_ICMPV6;
	default:
		return NET_PROTO_OTHER;
	}
}

/* TCP (and MPTCP, whose subflows are TCP sockets) is reported at its outcome instead. */
static __always_inline bool net_reported_at_outcome(__u16 ip_protocol)
{
	return ip_protocol == IPPROTO_TCP || ip_protocol == IPPROTO_MPTCP;
}

static __always_inline void net_emit(const struct net_identity *identity, __u16 family,
				     __u8 protocol, __u8 direction, __s32 result,
				     const struct net_ends *ends)
{
	struct net_event *event;

	if (process_filtered_out(identity->tgid, identity->uid, identity->cgroup_id) ||
	    port_filtered_out(ends->local_port, ends->remote_port))
		return;
	event = reserve_record(EVENT_KIND_NET, sizeof(*event));
	if (!event)
		return;
	/* Not fill_header(): the process may not be the current task. */
	event->header.kind = EVENT_KIND_NET;
	event->header.version = CLAWTOP_RECORD_VERSION;
	event->header.flags = 0;
	event->header.size = sizeof(*event);
	event->header.timestamp_ns = bpf_ktime_get_ns();
	event->header.tgid = identity->tgid;
	event->header.tid = identity->tid;
	event->header.ppid = identity->ppid;
	event->header.uid = identity->uid;
	event->header.cgroup_id = identity->cgroup_id;
	__builtin_memcpy(event->header.comm, identity->comm, sizeof(event->header.comm));
	event->family = family;
	event->protocol = protocol;
	event->direction = direction;
	event->result = result;
	event->source_port = ends->local_port;
	event->destination_port = ends->remote_port;
	event->_pad = 0;
	__builtin_memcpy(event->source_address, ends->local_address, sizeof(event->source_address));
	__builtin_memcpy(event->destination_address, ends->remote_address,
			 sizeof(event->destination_address));
	submit_record(event);
}

/* A connect of the current task that has no outcome to wait for. */
static __always_inline void net_emit_connect(__u16 family, __u16 ip_protocol,
					     const struct net_ends *ends)
{
	struct net_identity identity = {};

	net_current_identity(&identity);
	net_emit(&identity, family, net_protocol(ip_protocol), NET_DIR_OUTBOUND, 0, ends);
}

SEC("lsm/socket_connect")
int BPF_PROG(clawtop_socket_connect, struct socket *sock, struct sockaddr *address, int addrlen)
{
	struct sock *sk = BPF_CORE_READ(sock, sk);
	struct net_ends ends = {};
	__u16 sock_family, family;
	__u16 ip_protocol;
	__be16 port;

	if (!sk)
		return 0;
	sock_family = BPF_CORE_READ(sk, __sk_common.skc_family);
	ip_protocol = BPF_CORE_READ(sk, sk_protocol);
	if ((sock_family != AF_INET && sock_family != AF_INET6) ||
	    net_reported_at_outcome(ip_protocol))
		return 0;
	if (bpf_probe_read_kernel(&family, sizeof(family), &address->sa_family))
		return 0;

	if (family == AF_INET && addrlen >= (int)sizeof(struct sockaddr_in)) {
		struct sockaddr_in *in = (struct sockaddr_in *)address;

		bpf_probe_read_kernel(&ends.remote_address[0], 4, &in->sin_addr.s_addr);
		bpf_probe_read_kernel(&port, sizeof(port), &in->sin_port);
		ends.local_address[0] = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
	} else if (family == AF_INET6 && addrlen >= SIN6_LEN_RFC2133) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)address;

		bpf_probe_read_kernel(&ends.remote_address, sizeof(ends.remote_address),
				      &in6->sin6_addr);
		bpf_probe_read_kernel(&port, sizeof(port), &in6->sin6_port);
		BPF_CORE_READ_INTO(&ends.local_address, sk, __sk_common.skc_v6_rcv_saddr);
	} else {
		/* AF_UNSPEC dissolves a UDP association; anything shorter the kernel refuses. */
		return 0;
	}
	ends.remote_port = bpf_ntohs(port);
	ends.local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
	net_emit_connect(family, ip_protocol, &ends);
	return 0;
}

/* ctx->sk's local end is usually unbound yet (zero): the kernel binds it after this hook. */
SEC("cgroup/connect4")
int clawtop_connect4(struct bpf_sock_addr *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	struct net_ends ends = {};

	if (!sk || net_reported_at_outcome(ctx->protocol))
		return 1;
	ends.remote_address[0] = ctx->user_ip4;
	ends.remote_port = bpf_ntohs((__u16)ctx->user_port);
	ends.local_address[0] = sk->src_ip4;
	ends.local_port = sk->src_port;
	net_emit_connect(AF_INET, ctx->protocol, &ends);
	return 1;
}

SEC("cgroup/connect6")
int clawtop_connect6(struct bpf_sock_addr *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	struct net_ends ends = {};

	if (!sk || net_reported_at_outcome(ctx->protocol))
		return 1;
	ends.remote_address[0] = ctx->user_ip6[0];
	ends.remote_address[1] = ctx->user_ip6[1];
	ends.remote_address[2] = ctx->user_ip6[2];
	ends.remote_address[3] = ctx->user_ip6[3];
	ends.remote_port = bpf_ntohs((__u16)ctx->user_port);
	ends.local_address[0] = sk->src_ip6[0];
	ends.local_address[1] = sk->src_ip6[1];
	ends.local_address[2] = sk->src_ip6[2];
	ends.local_address[3] = sk->src_ip6[3];
	ends.local_port = sk->src_port;
	net_emit_connect(AF_INET6, ctx->protocol, &ends);
	return 1;
}

/*
 * The functions below read sk, inet_sock_set_state's BTF argument, and the current task
 * with direct loads rather than a helper call per field: this tracepoint runs about six
 * times per TCP connection, and every helper call costs tens of ns where returns go
 * through a mitigation thunk (SRSO "Safe RET" on the measured machine).
 */

/*
 * The local port of a socket that is moving to CLOSE. Not skc_num: that unbinds a socket
 * whose port the kernel picked, zeroing skc_num before the tracepoint runs (a refused
 * connect, a closing listener). A probe read, as the verifier knows sk as a struct sock,
 * not the inet_sock around it; these transitions are rare.
 */
static __always_inline __u16 net_closing_local_port(const struct sock *sk)
{
	return bpf_ntohs(BPF_CORE_READ((const struct inet_sock *)sk, inet_sport));
}

static __always_inline void net_read_tcp_ends(const struct sock *sk, __u16 family, __u16 local_port,
					      struct net_ends *ends)
{
	const struct sock_common *common = &sk->__sk_common;
	int word;

	if (family == AF_INET6) {
		/* Dual-stack sockets keep IPv4 peers here too, as ::ffff:a.b.c.d. */
		for (word = 0; word < 4; word++) {
			ends->local_address[word] = common->skc_v6_rcv_saddr.in6_u.u6_addr32[word];
			ends->remote_address[word] = common->skc_v6_daddr.in6_u.u6_addr32[word];
		}
	} else {
		ends->local_address[0] = common->skc_rcv_saddr;
		ends->remote_address[0] = common->skc_daddr;
	}
	ends->local_port = local_port;
	ends->remote_port = bpf_ntohs(common->skc_dport);
}

static __always_inline void net_tcp_emit(const struct sock *sk, const struct net_identity *identity,
					 __u16 local_port, __u8 direction, __s32 result)
{
	__u16 family = sk->__sk_common.skc_family;
	struct net_ends ends = {};

	net_read_tcp_ends(sk, family, local_port, &ends);
	net_emit(identity, family, NET_PROTO_TCP, direction, result, &ends);
}

static __always_inline void net_listener_key_of(const struct sock *sk, __u16 local_port,
						struct net_listener_key *key)
{
	key->netns = sk->__sk_common.skc_net.net->ns.inum;
	key->family = sk->__sk_common.skc_family;
	key->port = local_port;
}

/* The set a socket's entry lives in (Fibonacci hashing of its cookie). */
static __always_inline struct net_connector_set *net_connector_set_of(__u64 cookie)
{
	__u32 index = (cookie * 0x9E3779B97F4A7C15ULL) >> (64 - NET_CONNECTOR_SET_BITS);

	return bpf_map_lookup_elem(&net_connectors, &index);
}

/* connect(): remember who. Runs in the connecting task, before the SYN is sent. */
static __always_inline void net_remember_connector(const struct sock *sk)
{
	/* Made now if the socket has none yet; later read back with a plain load. */
	__u64 cookie = bpf_get_socket_cookie((void *)sk);
	struct net_connector_set *set = net_connector_set_of(cookie);
	struct net_connector *way = NULL;
	__u64 old;
	int index;

	if (!set)
		return;
	/* The same socket connecting again (its last outcome was lost), else a free way. */
#pragma unroll
	for (index = 0; index < NET_CONNECTOR_WAYS; index++)
		if (!way && set->ways[index].cookie == cookie)
			way = &set->ways[index];
#pragma unroll
	for (index = 0; index < NET_CONNECTOR_WAYS; index++)
		if (!way && __sync_val_compare_and_swap(&set->ways[index].cookie, 0, cookie) == 0)
			way = &set->ways[index];
	if (!way) {
		/* Full: replace the oldest, unless another CPU changed it meanwhile. */
		way = &set->ways[set->next_victim++ % NET_CONNECTOR_WAYS];
		old = way->cookie;
		if (!old || __sync_val_compare_and_swap(&way->cookie, old, cookie) != old)
			return;
	}
	net_task_identity(bpf_get_current_task_btf(), &way->identity);
}

/*
 * An outbound attempt ended: the connector is known since CLOSE->SYN_SENT. Returns whether
 * sk was a connecting socket.
 */
static __always_inline bool net_tcp_outcome(const struct sock *sk, __u16 local_port, __s32 result)
{
	/* 0 for a socket no one asked the cookie of, e.g. a listener's child. */
	__u64 cookie = sk->__sk_common.skc_cookie.counter;
	struct net_connector_set *set;
	struct net_identity identity;
	struct net_connector *way = NULL;
	int index;

	if (!cookie)
		return false;
	set = net_connector_set_of(cookie);
	if (!set)
		return false;
#pragma unroll
	for (index = 0; index < NET_CONNECTOR_WAYS; index++)
		if (!way && set->ways[index].cookie == cookie)
			way = &set->ways[index];
	/* Unknown: the connect began before clawtop attached. */
	if (!way)
		return false;
	__builtin_memcpy(&identity, &way->identity, sizeof(identity));
	/*
	 * Released only if still ours: then no other socket took the way while the identity
	 * was copied (a full set's replacement swaps the cookie first, then writes).
	 */
	if (__sync_val_compare_and_swap(&way->cookie, cookie, 0) != cookie)
		return false;
	net_tcp_emit(sk, &identity, local_port, NET_DIR_OUTBOUND, result);
	return true;
}

/* A connection was accepted: the child socket has the listener's port, uid and cgroup. */
static __always_inline void net_tcp_accepted(const struct sock *sk)
{
	struct net_listener_key key = {};
	struct net_identity unknown = {};
	struct net_listener *listener;
	__u16 local_port = sk->__sk_common.skc_num;

	net_listener_key_of(sk, local_port, &key);
	listener = bpf_map_lookup_elem(&net_listeners, &key);
	if (listener) {
		net_tcp_emit(sk, &listener->identity, local_port, NET_DIR_INBOUND, 0);
		return;
	}
	/*
	 * Listening since before clawtop attached: the process is unknown (tgid 0), but
	 * the socket still says which user and cgroup own it.
	 */
	unknown.uid = sk->sk_uid.val;
	if (bpf_core_field_exists(sk->sk_cgrp_data.cgroup))
		unknown.cgroup_id = sk->sk_cgrp_data.cgroup->kn->id;
	net_tcp_emit(sk, &unknown, local_port, NET_DIR_INBOUND, 0);
}

/*
 * Only the transitions below say anything the model uses (who connected or listened, and
 * how each connection began); the others (FIN_WAIT*, CLOSE_WAIT, LAST_ACK, TIME_WAIT, an
 * established socket's CLOSE, a child's LISTEN->SYN_RECV) return before touching sk.
 */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(clawtop_tcp_state, const struct sock *sk, int oldstate, int newstate)
{
	struct net_listener_key listener_key = {};
	struct net_listener listener = {};
	struct net_listener *known;
	__u64 sk_key = (__u64)sk;
	__u16 local_port;
	int error;

	switch (newstate) {
	case TCP_SYN_SENT:
		/* connect(), in the connecting task. */
		if (oldstate != TCP_CLOSE)
			return 0;
		break;
	case TCP_LISTEN:
	case TCP_ESTABLISHED:
		break;
	case TCP_CLOSE:
		if (oldstate != TCP_SYN_SENT && oldstate != TCP_SYN_RECV && oldstate != TCP_LISTEN)
			return 0;
		break;
	default:
		return 0;
	}
	/* SCTP and MPTCP sockets change state through this tracepoint too. */
	if (sk->sk_protocol != IPPROTO_TCP)
		return 0;

	switch (newstate) {
	case TCP_SYN_SENT:
		net_remember_connector(sk);
		return 0;
	case TCP_LISTEN:
		/*
		 * listen(), in the listening task. The port is known when the socket was
		 * bound first; listen() on an unbound socket picks one after this, and its
		 * connections are reported as the unknown process's.
		 */
		net_task_identity(bpf_get_current_task_btf(), &listener.identity);
		listener.sk = sk_key;
		net_listener_key_of(sk, sk->__sk_common.skc_num, &listener_key);
		bpf_map_update_elem(&net_listeners, &listener_key, &listener, BPF_ANY);
		return 0;
	case TCP_ESTABLISHED:
		/* Bound by now: skc_num is the local port. */
		local_port = sk->__sk_common.skc_num;
		/* SYN_RECV of a connecting socket: a simultaneous open, still its connect. */
		if (oldstate == TCP_SYN_SENT)
			net_tcp_outcome(sk, local_port, 0);
		else if (oldstate == TCP_SYN_RECV && !net_tcp_outcome(sk, local_port, 0))
			net_tcp_accepted(sk);
		return 0;
	default: /* TCP_CLOSE */
		if (oldstate == TCP_SYN_SENT || oldstate == TCP_SYN_RECV) {
			/*
			 * sk_err is set before the close (ECONNREFUSED on a reset, ETIMEDOUT);
			 * none means connect() gave up or the socket was closed while waiting.
			 */
			error = sk->sk_err;
			net_tcp_outcome(sk, net_closing_local_port(sk), -(error ? error : ECONNABORTED));
		} else {
			net_listener_key_of(sk, net_closing_local_port(sk), &listener_key);
			known = bpf_map_lookup_elem(&net_listeners, &listener_key);
			/* With SO_REUSEPORT the port may have another listener by now. */
			if (known && known->sk == sk_key)
				bpf_map_delete_elem(&net_listeners, &listener_key);
		}
		return 0;
	}
}
