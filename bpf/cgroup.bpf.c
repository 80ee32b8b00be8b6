// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup monitor: cgroup_skb ingress/egress on the v2 root, counted per cgroup in the kernel.
 * Every packet of the host passes here, so no record is ever submitted: the counts sit in
 * the per-CPU cgroup_traffic map and user space reads them on a timer. The programs only
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

/* Adds one packet to the counts of the cgroup owning skb's socket, on this CPU. */
static __always_inline void count_packet(struct __sk_buff *skb, __u64 cgroup_id, bool ingress)
{
	struct cgroup_traffic *traffic;
	struct cgroup_traffic first = {};

	/* 0: no full socket (e.g. a time-wait reply), so no cgroup to charge it to. */
	if (!cgroup_id)
		return;
	traffic = bpf_map_lookup_elem(&cgroup_traffic, &cgroup_id);
	if (traffic) {
		/*
		 * Per-CPU value, so no atomics. Ingress and egress touch different fields;
		 * only a softirq egress nested in a process egress of the same cgroup on
		 * the same CPU can lose a packet, which is cheaper to accept than a locked
		 * add on every packet.
		 */
		if (ingress) {
			traffic->rx_bytes += skb->len;
			traffic->rx_packets++;
		} else {
			traffic->tx_bytes += skb->len;
			traffic->tx_packets++;
		}
		return;
	}

	/* First packet of this cgroup: the kernel zeroes the other CPUs' values. */
	if (ingress) {
		first.rx_bytes = skb->len;
		first.rx_packets = 1;
	} else {
		first.tx_bytes = skb->len;
		first.tx_packets = 1;
	}
	if (bpf_map_update_elem(&cgroup_traffic, &cgroup_id, &first, BPF_NOEXIST) == 0)
		return;
	/* Another CPU inserted it meanwhile: add to this CPU's share of that entry. */
	traffic = bpf_map_lookup_elem(&cgroup_traffic, &cgroup_id);
	if (!traffic)
		return;
	traffic->rx_bytes += first.rx_bytes;
	traffic->rx_packets += first.rx_packets;
	traffic->tx_bytes += first.tx_bytes;
	traffic->tx_packets += first.tx_packets;
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
