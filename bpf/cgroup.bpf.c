// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup monitor: cgroup_skb ingress/egress on the v2 root, counted per cgroup in the kernel.
 * Every packet of the host passes here, so no record is ever submitted: the counts sit in
 * the per-CPU cgroup_traffic map (the latest cgroup's in cgroup_traffic_cache) and user
 * space reads them on a timer. The programs only
 * observe and always return 1 (allow).
 *
 * Each hook has two programs: the first reads the socket's cgroup with plain loads through
 * bpf_cast_to_kern_ctx (Linux 6.2), the second with the bpf_skb_cgroup_id() helper for
 * older kernels (native/hooks.cc falls back to it). A helper call costs tens of ns where
 * every return goes through a mitigation thunk (SRSO "Safe RET" on the measured machine),
 * and these run on every packet.
 */

extern void *bpf_cast_to_kern_ctx(void *object) __ksym __weak;

/*
 * What bpf_skb_cgroup_id() returns, read directly. These programs run only for a packet
 * of a full socket (__cgroup_bpf_run_filter_skb() checks, and sets skb->sk to it).
 */
static __always_inline __u64 skb_cgroup_id_loads(struct __sk_buff *skb)
{
	struct sk_buff *kernel_skb = bpf_cast_to_kern_ctx(skb);
	struct sock *sk = kernel_skb->sk;

	/* Never null here, but the verifier requires the check. */
	if (!sk)
		return 0;
	return sk->sk_cgrp_data.cgroup->kn->id;
}

/*
 * This CPU's latest cgroup and the traffic counted for it since, added to cgroup_traffic
 * only when a packet of another cgroup comes: most packets in a row are one cgroup's, and
 * this array's lookup is inlined where the hash's is a call (94 -> 58 ns a packet here).
 * User space reads cgroup_traffic first, then adds these (native/bpf_session.cc mirrors
 * the struct).
 */
struct cgroup_traffic_cache {
	__u64 cgroup_id;	/* 0: none yet */
	struct cgroup_traffic traffic;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cgroup_traffic_cache);
} cgroup_traffic_cache SEC(".maps");

/* Adds counted to cgroup_id's share of this CPU in cgroup_traffic. */
static __always_inline void add_cgroup_traffic(__u64 cgroup_id, const struct cgroup_traffic *counted)
{
	struct cgroup_traffic *traffic = bpf_map_lookup_elem(&cgroup_traffic, &cgroup_id);

	/* First traffic of this cgroup: the kernel zeroes the other CPUs' values. */
	if (!traffic && bpf_map_update_elem(&cgroup_traffic, &cgroup_id, counted, BPF_NOEXIST) == 0)
		return;
	/* Known, or another CPU inserted it meanwhile. */
	if (!traffic)
		traffic = bpf_map_lookup_elem(&cgroup_traffic, &cgroup_id);
	if (!traffic)
		return;
	traffic->rx_bytes += counted->rx_bytes;
	traffic->rx_packets += counted->rx_packets;
	traffic->tx_bytes += counted->tx_bytes;
	traffic->tx_packets += counted->tx_packets;
}

/*
 * Adds one packet to the counts of the cgroup owning skb's socket, on this CPU. Per-CPU
 * values, so no atomics. Ingress and egress touch different fields; only a softirq
 * egress nested in a process egress on the same CPU can lose a packet (or, when the two
 * are different cgroups' and the nested one replaces the cache, count it to the other
 * cgroup), which is cheaper to accept than a locked add on every packet.
 */
static __always_inline void count_packet(struct __sk_buff *skb, __u64 cgroup_id, bool ingress)
{
	struct cgroup_traffic_cache *cache;
	struct cgroup_traffic counted;
	__u64 previous;
	__u32 zero = 0;

	/* 0: no cgroup to charge it to. */
	if (!cgroup_id)
		return;
	cache = bpf_map_lookup_elem(&cgroup_traffic_cache, &zero);
	if (!cache)
		return;
	if (cache->cgroup_id != cgroup_id) {
		/*
		 * Emptied before its counts reach cgroup_traffic: a reader between the two
		 * misses them until its next read, but never counts them twice.
		 */
		previous = cache->cgroup_id;
		counted = cache->traffic;
		cache->cgroup_id = cgroup_id;
		__builtin_memset(&cache->traffic, 0, sizeof(cache->traffic));
		if (previous)
			add_cgroup_traffic(previous, &counted);
	}
	if (ingress) {
		cache->traffic.rx_bytes += skb->len;
		cache->traffic.rx_packets++;
	} else {
		cache->traffic.tx_bytes += skb->len;
		cache->traffic.tx_packets++;
	}
}

SEC("cgroup_skb/ingress")
int clawtop_skb_ingress(struct __sk_buff *skb)
{
	count_packet(skb, skb_cgroup_id_loads(skb), true);
	return 1;
}

SEC("cgroup_skb/egress")
int clawtop_skb_egress(struct __sk_buff *skb)
{
	count_packet(skb, skb_cgroup_id_loads(skb), false);
	return 1;
}

/* The same, for kernels before 6.2 (no bpf_cast_to_kern_ctx). */
SEC("cgroup_skb/ingress")
int clawtop_skb_ingress_helper(struct __sk_buff *skb)
{
	count_packet(skb, bpf_skb_cgroup_id(skb), true);
	return 1;
}

SEC("cgroup_skb/egress")
int clawtop_skb_egress_helper(struct __sk_buff *skb)
{
	count_packet(skb, bpf_skb_cgroup_id(skb), false);
	return 1;
}
