// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup monitor: cgroup_skb ingress/egress on the v2 root, counted per cgroup in the kernel.
 * Every packet of the host passes here, so no record is ever submitted: the counts sit in
 * the per-CPU cgroup_traffic map and user space reads them on a timer. The programs only
 * observe and always return 1 (allow).
 */

/* Adds one packet to the counts of the cgroup owning skb's socket, on this CPU. */
static __always_inline void count_packet(struct __sk_buff *skb, bool ingress)
{
	__u64 cgroup_id = bpf_skb_cgroup_id(skb);
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
	count_packet(skb, true);
	return 1;
}

SEC("cgroup_skb/egress")
int clawtop_skb_egress(struct __sk_buff *skb)
{
	count_packet(skb, false);
	return 1;
}
