// SPDX-License-Identifier: GPL-2.0
#include "hooks.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <memory>

#include "clawtop.h"
#include "errors.h"

namespace clawtop {
namespace {

struct ProbeTarget {
  bpf_prog_type program_type;
  bpf_attach_type attach_type;
  const char *kernel_function;  // a function every kernel with this feature has
};

ProbeTarget TargetFor(OptionalFeature feature) {
  if (feature == OptionalFeature::kLsm) return {BPF_PROG_TYPE_LSM, BPF_LSM_MAC, "bpf_lsm_file_open"};
  return {BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, "bpf_fentry_test1"};
}

// An LSM program loads and attaches even where the bpf LSM is not active; it just never runs.
// Only securityfs lists the active LSMs: unread, the LSM hooks might see nothing at all.
std::string InactiveLsmReason() {
  std::ifstream lsm_list("/sys/kernel/security/lsm");
  std::string active;
  if (!lsm_list || !std::getline(lsm_list, active))
    return "cannot tell whether the bpf LSM is active: /sys/kernel/security/lsm is unreadable "
           "(mount -t securityfs securityfs /sys/kernel/security)";
  if (("," + active + ",").find(",bpf,") != std::string::npos) return "";
  return "the bpf LSM is not active (" + active + "); boot with lsm=" + active + ",bpf";
}

}  // namespace

const char *FeatureName(OptionalFeature feature) {
  switch (feature) {
    case OptionalFeature::kLsm: return "lsm";
    case OptionalFeature::kFentry: return "fentry";
    default: return "none";
  }
}

// Loads and attaches a two-instruction program of the feature's type, then drops it:
// libbpf aborts a whole object when one program fails, so find out first.
FeatureProbe ProbeFeature(OptionalFeature feature) {
  if (feature == OptionalFeature::kNone) return {true, ""};
  const ProbeTarget target = TargetFor(feature);
  const std::string what = std::string("a probe ") + FeatureName(feature) + " program";

  std::unique_ptr<btf, decltype(&btf__free)> kernel_btf(btf__load_vmlinux_btf(), btf__free);
  if (!kernel_btf) return {false, FailureMessage("read kernel BTF", errno)};
  int function_id = btf__find_by_name_kind(kernel_btf.get(), target.kernel_function, BTF_KIND_FUNC);
  if (function_id < 0) return {false, std::string("the kernel has no ") + target.kernel_function};

  const bpf_insn return_zero[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0},
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
  };
  LIBBPF_OPTS(bpf_prog_load_opts, load_options, .expected_attach_type = target.attach_type,
              .attach_btf_id = static_cast<__u32>(function_id));
  int program_fd = bpf_prog_load(target.program_type, nullptr, "GPL", return_zero, 2, &load_options);
  if (program_fd < 0) return {false, FailureMessage("load " + what, errno)};
  int link_fd = bpf_link_create(program_fd, 0, target.attach_type, nullptr);
  int attach_errno = errno;
  close(program_fd);
  if (link_fd < 0) return {false, FailureMessage("attach " + what, attach_errno)};
  close(link_fd);

  if (feature == OptionalFeature::kLsm) {
    std::string inactive = InactiveLsmReason();
    if (!inactive.empty()) return {false, inactive};
  }
  return {true, ""};
}

const std::vector<MonitorHooks> &MonitorTable() {
  static const std::vector<MonitorHooks> table = {
      {"exec",
       {{"tp_btf/sched_process_{exec,exit}", OptionalFeature::kNone,
         {"clawtop_exec", "clawtop_exit"}}}},
      {"files",
       {{"lsm/file_open", OptionalFeature::kLsm, {"clawtop_file_open"}},
        // Every syscall on the host takes the slow path while this is attached. The program
        // serves the syscalls monitor too: see openat_exit() in bpf/syscalls.bpf.c.
        {"tracepoint/syscalls/sys_exit_openat", OptionalFeature::kNone, {"clawtop_openat_exit"}, SHARED_HOOK_FILES},
        // The same hook for kernels before 6.2, where the program above (bpf_rdonly_cast)
        // cannot load: a probe-read helper call per field, half as costly again per open.
        {"tracepoint/syscalls/sys_exit_openat", OptionalFeature::kNone, {"clawtop_openat_exit_probe_reads"},
         SHARED_HOOK_FILES}}},
      {"net",
       {{"lsm/socket_connect + tp_btf/inet_sock_set_state", OptionalFeature::kLsm,
         {"clawtop_socket_connect", "clawtop_tcp_state"}},
        {"cgroup/connect{4,6} + tp_btf/inet_sock_set_state", OptionalFeature::kNone,
         {"clawtop_connect4", "clawtop_connect6", "clawtop_tcp_state"}}}},
      {"cgroup",
       {{"cgroup_skb/{ingress,egress}", OptionalFeature::kNone, {"clawtop_skb_ingress", "clawtop_skb_egress"}},
        // The same hooks for kernels before 6.2, where the programs above (bpf_cast_to_kern_ctx)
        // cannot load: a bpf_skb_cgroup_id() helper call per packet.
        {"cgroup_skb/{ingress,egress}", OptionalFeature::kNone,
         {"clawtop_skb_ingress_helper", "clawtop_skb_egress_helper"}}}},
      {"syscalls",
       {{"tracepoint/syscalls/sys_{enter,exit}_{execve,openat} + tp_btf/sched_process_exec",
         OptionalFeature::kNone,
         {"clawtop_sys_execve_enter", "clawtop_sys_execve_running", "clawtop_sys_execve_exit",
          "clawtop_sys_openat_enter", "clawtop_openat_exit"},
         SHARED_HOOK_SYSCALLS},
        // The same hooks for kernels before 6.2, with the files fallback's program twin there.
        {"tracepoint/syscalls/sys_{enter,exit}_{execve,openat} + tp_btf/sched_process_exec",
         OptionalFeature::kNone,
         {"clawtop_sys_execve_enter", "clawtop_sys_execve_running", "clawtop_sys_execve_exit",
          "clawtop_sys_openat_enter", "clawtop_openat_exit_probe_reads"},
         SHARED_HOOK_SYSCALLS}}},
      // Not a user-facing monitor: the getppid probe of bench/pipeline.
      {"bench", {{"tracepoint/syscalls/sys_enter_getppid", OptionalFeature::kNone, {"clawtop_bench"}}}},
  };
  return table;
}

}  // namespace clawtop
