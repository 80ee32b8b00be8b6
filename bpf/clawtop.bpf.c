// SPDX-License-Identifier: GPL-2.0
/*
 * clawtop's kernel side: one object, so every monitor shares one ring buffer, one set
 * of counters and one runtime settings map; one file per monitor, included here.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "clawtop.h"

char LICENSE[] SEC("license") = "GPL";

#include "common.bpf.h"
#include "exec.bpf.c"
#include "files.bpf.c"
#include "net.bpf.c"
#include "cgroup.bpf.c"
#include "syscalls.bpf.c"
#include "bench.bpf.c"
