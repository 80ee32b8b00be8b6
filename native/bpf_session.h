// SPDX-License-Identifier: GPL-2.0
#pragma once

#include <napi.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hooks.h"
#include "ring_drainer.h"

struct bpf_link;
struct bpf_program;
struct clawtop_bpf;
struct runtime_settings;

namespace clawtop {

// The whole native surface: load the BPF object once, attach and detach monitors,
// write runtime settings, drain the ring, read the kernel's counters, close.
// Arguments are validated in TypeScript (src/core/native.ts).
class BpfSession : public Napi::ObjectWrap<BpfSession> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit BpfSession(const Napi::CallbackInfo &info);
  ~BpfSession() override;

 private:
  struct MonitorState {
    const MonitorHooks *hooks;
    const HookChoice *choice;  // null when no way to serve it loads here
    std::string fallback_reason;
    std::vector<std::string> attached_programs;  // names, each a key of links_
    std::string attach_error;
    std::string load_error;  // why a hook of this monitor did not load, when one did not
  };

  Napi::Value Open(const Napi::CallbackInfo &info);
  Napi::Value SetMonitor(const Napi::CallbackInfo &info);
  Napi::Value SetSetting(const Napi::CallbackInfo &info);
  Napi::Value Start(const Napi::CallbackInfo &info);
  Napi::Value HandOverNow(const Napi::CallbackInfo &info);
  Napi::Value ReadCounters(const Napi::CallbackInfo &info);
  Napi::Value ReadCgroupTraffic(const Napi::CallbackInfo &info);
  Napi::Value Close(const Napi::CallbackInfo &info);

  static bool IsCgroupProgram(const bpf_program *program);
  void ChooseHooks();
  bool OpenAndLoad(Napi::Env env);
  bool Attach(MonitorState &monitor);
  void Detach(MonitorState &monitor);
  int ReadSettings(runtime_settings &settings);
  int WriteSettings(const runtime_settings &settings);
  int SetSharedHookUser(const MonitorState &monitor, bool on);
  MonitorState *FindMonitor(const std::string &name);
  Napi::Object HookReport(Napi::Env env);
  void ForwardLibbpfLog(Napi::Env env);
  void CloseAll();

  struct Link {
    bpf_link *link;
    int users;  // monitors attached through it: a program two monitors share is attached once
  };

  clawtop_bpf *skeleton_ = nullptr;
  std::vector<MonitorState> monitors_;
  std::map<std::string, Link> links_;  // by program name
  std::vector<std::pair<OptionalFeature, FeatureProbe>> features_;
  std::unique_ptr<RingDrainer> drainer_;
  Napi::FunctionReference log_callback_;
  // Read-only view of the ring's consumer and producer positions, for its fill level.
  void *ring_positions_ = nullptr;
  size_t ring_positions_bytes_ = 0;
  // The files monitor's per-CPU slots of folded opens, read and written by the drainer.
  file_fold_slot *fold_slots_ = nullptr;
  size_t fold_slot_count_ = 0;
  size_t fold_slots_bytes_ = 0;
  uint32_t ring_size_bytes_ = 0;
  int cgroup_root_fd_ = -1;
  std::string cgroup_root_error_;
  // Programs the kernel refused, by name, with its reason: their hooks are not chosen again.
  std::map<std::string, std::string> failed_programs_;
  std::string load_failure_;  // why the object could not load at all
  static constexpr size_t kVerifierLogBytes = 64 * 1024;
  std::vector<char> verifier_log_;
};

}  // namespace clawtop
