// SPDX-License-Identifier: GPL-2.0
/* net monitor: lsm/socket_connect where it loads, else cgroup/connect4+6; tp_btf/inet_sock_set_state for outcomes and inbound connections. */
