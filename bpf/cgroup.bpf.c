// SPDX-License-Identifier: GPL-2.0
/* cgroup monitor: cgroup_skb ingress/egress on the v2 root, counted per cgroup in the kernel. */
