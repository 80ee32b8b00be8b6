// SPDX-License-Identifier: GPL-2.0
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace clawtop {

// Program types that load on some kernels and not others (shared/PLATFORM.md).
enum class OptionalFeature { kNone, kLsm, kFentry };

struct FeatureProbe {
  bool available;
  std::string reason;  // why not, when not available
};

FeatureProbe ProbeFeature(OptionalFeature feature);
const char *FeatureName(OptionalFeature feature);

// One way to serve a monitor: the programs that make it, and what they need.
struct HookChoice {
  std::string hook;  // what the report shows, e.g. "tp_btf/sched_process_exec"
  OptionalFeature needs;
  std::vector<std::string> programs;  // names in clawtop.bpf.c
  // The monitor's SHARED_HOOK_* bit (bpf/clawtop.h) when one of these programs serves another
  // monitor too; 0 when none does.
  uint32_t shared_hook_bit = 0;
};

// A monitor's ways to be served, best first; the first whose feature loads is used.
struct MonitorHooks {
  std::string monitor;
  std::vector<HookChoice> choices;
};

const std::vector<MonitorHooks> &MonitorTable();

}  // namespace clawtop
