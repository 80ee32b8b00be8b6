// SPDX-License-Identifier: GPL-2.0
/* files monitor: lsm/file_open where it loads, else the openat tracepoints with the path resolved from the returned fd. */
