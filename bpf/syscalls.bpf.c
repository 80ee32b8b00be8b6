// SPDX-License-Identifier: GPL-2.0
/* syscalls monitor (opt-in): execve and openat, enter and exit paired per thread. */
