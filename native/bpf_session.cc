// SPDX-License-Identifier: GPL-2.0
#include "bpf_session.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <cstdlib>
#include <unordered_map>
#include <vector>

#include "clawtop.h"
#include "clawtop.skel.h"
#include "errors.h"
#include "libbpf_log.h"

namespace clawtop {

namespace {

// One field of the runtime settings; off switches a filter off. False for an unknown name.
bool ApplySetting(runtime_settings &settings, const std::string &name, bool off, double value) {
  auto set_filter = [&](uint16_t bit) {
    settings.active_filters = off ? settings.active_filters & ~bit : settings.active_filters | bit;
  };
  if (name == "selfTgid") {
    settings.self_tgid = static_cast<uint32_t>(value);
  } else if (name == "benchTgid") {
    settings.bench_tgid = static_cast<uint32_t>(value);
  } else if (name == "filterTgid") {
    settings.filter_tgid = static_cast<uint32_t>(value);
    set_filter(FILTER_PID);
  } else if (name == "filterUid") {
    settings.filter_uid = static_cast<uint32_t>(value);
    set_filter(FILTER_UID);
  } else if (name == "filterCgroupId") {
    settings.filter_cgroup_id = static_cast<uint64_t>(value);
    set_filter(FILTER_CGROUP);
  } else if (name == "filterPort") {
    settings.filter_port = static_cast<uint16_t>(value);
    set_filter(FILTER_PORT);
  } else {
    return false;
  }
  return true;
}

}  // namespace

Napi::Function BpfSession::Define(Napi::Env env) {
  return DefineClass(env, "BpfSession",
                     {
                         InstanceMethod<&BpfSession::Open>("open"),
                         InstanceMethod<&BpfSession::SetMonitor>("setMonitor"),
                         InstanceMethod<&BpfSession::SetSetting>("setSetting"),
                         InstanceMethod<&BpfSession::Start>("start"),
                         InstanceMethod<&BpfSession::HandOverNow>("handOverNow"),
                         InstanceMethod<&BpfSession::ReadCounters>("readCounters"),
                         InstanceMethod<&BpfSession::ReadCgroupTraffic>("readCgroupTraffic"),
                         InstanceMethod<&BpfSession::Close>("close"),
                     });
}

BpfSession::BpfSession(const Napi::CallbackInfo &info) : Napi::ObjectWrap<BpfSession>(info) {}

BpfSession::~BpfSession() { CloseAll(); }

// open({ringSizeBytes, selfTgid, cgroupRoot, monitors, log}) -> hook report. The fixed order of
// libbpf-bootstrap: probe -> open -> set options -> load -> attach.
Napi::Value BpfSession::Open(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (skeleton_ != nullptr) throw Napi::Error::New(env, "failed to open BPF object: already open");
  Napi::Object options = info[0].As<Napi::Object>();
  ring_size_bytes_ = options.Get("ringSizeBytes").As<Napi::Number>().Uint32Value();
  const uint32_t self_tgid = options.Get("selfTgid").As<Napi::Number>().Uint32Value();
  Napi::Array requested = options.Get("monitors").As<Napi::Array>();
  // cgroup programs attach to the cgroup v2 root and so see every cgroup below it.
  const std::string cgroup_root = options.Get("cgroupRoot").As<Napi::String>().Utf8Value();
  cgroup_root_fd_ = cgroup_root.empty() ? -1 : open(cgroup_root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (!cgroup_root.empty() && cgroup_root_fd_ < 0) cgroup_root_error_ = FailureMessage("open cgroup v2 root " + cgroup_root, errno);
  if (cgroup_root.empty()) cgroup_root_error_ = "no cgroup v2 hierarchy is mounted";
  if (options.Get("log").IsFunction()) log_callback_ = Napi::Persistent(options.Get("log").As<Napi::Function>());

  features_.clear();
  for (OptionalFeature feature : {OptionalFeature::kLsm, OptionalFeature::kFentry})
    features_.emplace_back(feature, ProbeFeature(feature));

  failed_programs_.clear();
  // Each program the kernel refuses takes its hook out and the object is loaded again
  // without it; one attempt per program at most.
  while (!OpenAndLoad(env)) {
  }
  if (skeleton_ == nullptr) {
    CloseAll();
    throw Napi::Error::New(env, load_failure_);
  }

  runtime_settings settings = {};
  settings.self_tgid = self_tgid;
  // Filters are in place before any monitor attaches: no event they reject is ever emitted.
  Napi::Value filters = options.Get("filters");
  if (filters.IsArray()) {
    Napi::Array list = filters.As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); i++) {
      Napi::Object filter = list.Get(i).As<Napi::Object>();
      ApplySetting(settings, filter.Get("name").As<Napi::String>().Utf8Value(), false,
                   filter.Get("value").As<Napi::Number>().DoubleValue());
    }
  }
  int error = WriteSettings(settings);
  if (error != 0) {
    CloseAll();
    throw Napi::Error::New(env, FailureMessage("write runtime settings", error));
  }

  ring_positions_bytes_ = 2 * sysconf(_SC_PAGESIZE);
  ring_positions_ = mmap(nullptr, ring_positions_bytes_, PROT_READ, MAP_SHARED,
                         bpf_map__fd(skeleton_->maps.events), 0);
  if (ring_positions_ == MAP_FAILED) {
    int error_number = errno;
    ring_positions_ = nullptr;
    CloseAll();
    throw Napi::Error::New(env, FailureMessage("map ring buffer positions", error_number));
  }

  size_t page_size = sysconf(_SC_PAGESIZE);
  fold_slots_bytes_ = (fold_slot_count_ * sizeof(file_fold_slot) + page_size - 1) / page_size * page_size;
  void *fold_slots = mmap(nullptr, fold_slots_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED,
                          bpf_map__fd(skeleton_->maps.files_fold_slots), 0);
  if (fold_slots == MAP_FAILED) {
    int error_number = errno;
    CloseAll();
    throw Napi::Error::New(env, FailureMessage("map file fold slots", error_number));
  }
  fold_slots_ = static_cast<file_fold_slot *>(fold_slots);

  for (uint32_t i = 0; i < requested.Length(); i++) {
    MonitorState *monitor = FindMonitor(requested.Get(i).As<Napi::String>().Utf8Value());
    if (monitor != nullptr) Attach(*monitor);
  }
  ForwardLibbpfLog(env);
  return HookReport(env);
}

namespace {

// libbpf says "prog 'NAME': failed to load: -ERRNO" for the program that sank a load.
bool FindFailedProgram(const std::vector<std::string> &log, std::string &name, int &error_number) {
  static const std::string kPrefix = "prog '";
  static const std::string kFailed = "': failed to load: ";
  for (const std::string &line : log) {
    size_t start = line.find(kPrefix);
    size_t failed = line.find(kFailed);
    if (start == std::string::npos || failed == std::string::npos || failed < start) continue;
    name = line.substr(start + kPrefix.size(), failed - start - kPrefix.size());
    error_number = std::atoi(line.c_str() + failed + kFailed.size());
    return true;
  }
  return false;
}

// The verifier's last word, when it said one short enough to quote.
std::string LastLogLine(const char *log) {
  std::string text(log);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  const size_t newline = text.rfind('\n');
  std::string last = newline == std::string::npos ? text : text.substr(newline + 1);
  return last.size() <= 160 ? last : "";
}

// Test hook (test/kernel/degrade.test.ts, files.test.ts): CLAWTOP_TEST_FAIL_PROGRAM=NAME gives
// that program an attach type its program type does not accept, or, for a plain tracepoint
// program, which never checks it, the sleepable flag none may have. The kernel refuses it as it
// would refuse a program this kernel cannot run. Never set outside tests; it only ever removes
// a hook.
void BreakProgramForTest(bpf_object *object) {
  const char *name = std::getenv("CLAWTOP_TEST_FAIL_PROGRAM");
  if (name == nullptr || *name == '\0') return;
  bpf_program *program = bpf_object__find_program_by_name(object, name);
  if (program == nullptr || !bpf_program__autoload(program)) return;
  if (bpf_program__type(program) == BPF_PROG_TYPE_TRACEPOINT)
    bpf_program__set_flags(program, bpf_program__flags(program) | BPF_F_SLEEPABLE);
  else
    bpf_program__set_expected_attach_type(program, BPF_CGROUP_SOCK_OPS);
}

// The verifier gives up with EAGAIN whenever a signal is pending, and libbpf retries only a
// few times: a profiler's SIGPROF every millisecond (node --cpu-prof) made every program
// "refused". Signals that arrive meanwhile are delivered once the load is done.
int LoadWithSignalsBlocked(clawtop_bpf *skeleton) {
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &previous);
  int error = clawtop_bpf__load(skeleton);
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return error;
}

}  // namespace

// One attempt: open the object, choose its programs, load. Returns true when done (loaded, or
// failed for good with load_failure_ set and skeleton_ null); false when a program was refused
// and the caller should try again without it.
bool BpfSession::OpenAndLoad(Napi::Env env) {
  ChooseHooks();
  skeleton_ = clawtop_bpf__open();
  if (skeleton_ == nullptr) {
    int error_number = errno;
    ForwardLibbpfLog(env);
    load_failure_ = FailureMessage("open BPF object", error_number);
    return true;
  }
  bpf_map__set_max_entries(skeleton_->maps.events, ring_size_bytes_);
  int possible_cpus = libbpf_num_possible_cpus();
  if (possible_cpus <= 0) {
    load_failure_ = FailureMessage("count possible CPUs", -possible_cpus);
    clawtop_bpf__destroy(skeleton_);
    skeleton_ = nullptr;
    return true;
  }
  fold_slot_count_ = possible_cpus;
  bpf_map__set_max_entries(skeleton_->maps.files_fold_slots, fold_slot_count_);
  skeleton_->rodata->wakeup_watermark_bytes = ring_size_bytes_ / 16;
  // Only the programs of the chosen hooks load: one that cannot would sink the whole object.
  // The verifier writes into verifier_log_ only when a program fails (libbpf retries the
  // failed load with logging on).
  verifier_log_.assign(kVerifierLogBytes, '\0');
  bpf_program *program;
  bpf_object__for_each_program(program, skeleton_->obj) {
    bool chosen = false;
    for (const MonitorState &monitor : monitors_)
      if (monitor.choice != nullptr)
        for (const std::string &name : monitor.choice->programs) chosen |= name == bpf_program__name(program);
    bpf_program__set_autoload(program, chosen);
    if (chosen) bpf_program__set_log_buf(program, verifier_log_.data(), verifier_log_.size());
  }
  BreakProgramForTest(skeleton_->obj);
  int error = LoadWithSignalsBlocked(skeleton_);
  if (error == 0) {
    ForwardLibbpfLog(env);
    std::vector<char>().swap(verifier_log_);  // libbpf reads it only while loading
    return true;
  }

  std::vector<std::string> log = TakeLibbpfLog();
  const std::string verifier_last_line = LastLogLine(verifier_log_.data());
  if (!log_callback_.IsEmpty()) {
    for (const std::string &line : log) log_callback_.Call({Napi::String::New(env, line)});
    std::string verifier_log(verifier_log_.data());
    size_t start = 0;
    while (start < verifier_log.size()) {
      size_t end = verifier_log.find('\n', start);
      if (end == std::string::npos) end = verifier_log.size();
      log_callback_.Call({Napi::String::New(env, "verifier: " + verifier_log.substr(start, end - start))});
      start = end + 1;
    }
  }
  clawtop_bpf__destroy(skeleton_);
  skeleton_ = nullptr;
  std::string name;
  int error_number = 0;
  if (!FindFailedProgram(log, name, error_number) || failed_programs_.count(name) != 0 || error_number == 0) {
    load_failure_ = FailureMessage("load BPF object", error);
    return true;
  }
  std::string reason = name + ": " + std::strerror(error_number < 0 ? -error_number : error_number);
  if (!verifier_last_line.empty()) reason += " (verifier: " + verifier_last_line + ")";
  failed_programs_[name] = reason;
  return false;
}

void BpfSession::ChooseHooks() {
  monitors_.clear();
  for (const MonitorHooks &hooks : MonitorTable()) {
    MonitorState state{&hooks, nullptr, "", {}, "", ""};
    for (const HookChoice &choice : hooks.choices) {
      for (const auto &[feature, probe] : features_) {
        if (feature == choice.needs && !probe.available && state.fallback_reason.empty())
          state.fallback_reason = choice.hook + " unavailable: " + probe.reason;
      }
      bool available = true;
      for (const auto &[feature, probe] : features_) available &= feature != choice.needs || probe.available;
      for (const std::string &name : choice.programs) {
        auto failed = failed_programs_.find(name);
        if (!available || failed == failed_programs_.end()) continue;
        available = false;
        state.load_error = choice.hook + " failed to load: " + failed->second;
        if (state.fallback_reason.empty()) state.fallback_reason = state.load_error;
      }
      if (available) {
        state.choice = &choice;
        break;
      }
    }
    monitors_.push_back(std::move(state));
  }
}

bool BpfSession::IsCgroupProgram(const bpf_program *program) {
  const bpf_prog_type type = bpf_program__type(program);
  return type == BPF_PROG_TYPE_CGROUP_SKB || type == BPF_PROG_TYPE_CGROUP_SOCK_ADDR;
}

BpfSession::MonitorState *BpfSession::FindMonitor(const std::string &name) {
  for (MonitorState &monitor : monitors_)
    if (monitor.hooks->monitor == name) return &monitor;
  return nullptr;
}

bool BpfSession::Attach(MonitorState &monitor) {
  if (!monitor.attached_programs.empty()) return true;
  monitor.attach_error.clear();
  if (monitor.choice == nullptr) {
    monitor.attach_error = !monitor.load_error.empty()
                               ? monitor.load_error
                               : "no hook for " + monitor.hooks->monitor + " loads on this kernel";
    return false;
  }
  // Before its programs attach, so that a shared one serves this monitor from its first event.
  int error = SetSharedHookUser(monitor, true);
  if (error != 0) {
    monitor.attach_error = FailureMessage("write runtime settings", error);
    return false;
  }
  for (const std::string &name : monitor.choice->programs) {
    auto shared = links_.find(name);
    if (shared != links_.end()) {
      shared->second.users++;
      monitor.attached_programs.push_back(name);
      continue;
    }
    bpf_program *program = bpf_object__find_program_by_name(skeleton_->obj, name.c_str());
    if (program == nullptr) {
      monitor.attach_error = FailureMessage("attach " + name, ENOENT);
    } else if (IsCgroupProgram(program) && cgroup_root_fd_ < 0) {
      monitor.attach_error = "failed to attach " + name + ": " + cgroup_root_error_;
    } else {
      bpf_link *link = IsCgroupProgram(program) ? bpf_program__attach_cgroup(program, cgroup_root_fd_)
                                                : bpf_program__attach(program);
      if (link != nullptr) {
        links_[name] = {link, 1};
        monitor.attached_programs.push_back(name);
        continue;
      }
      monitor.attach_error = FailureMessage("attach " + name, errno);
    }
    Detach(monitor);
    return false;
  }
  return true;
}

void BpfSession::Detach(MonitorState &monitor) {
  // An array map's only entry: the write does not fail once the object is loaded.
  if (skeleton_ != nullptr) SetSharedHookUser(monitor, false);
  for (const std::string &name : monitor.attached_programs) {
    auto shared = links_.find(name);
    if (--shared->second.users > 0) continue;
    bpf_link__destroy(shared->second.link);
    links_.erase(shared);
  }
  monitor.attached_programs.clear();
}

int BpfSession::ReadSettings(runtime_settings &settings) {
  const uint32_t zero = 0;
  return bpf_map__lookup_elem(skeleton_->maps.runtime_settings, &zero, sizeof(zero), &settings, sizeof(settings), 0);
}

int BpfSession::WriteSettings(const runtime_settings &settings) {
  const uint32_t zero = 0;
  return bpf_map__update_elem(skeleton_->maps.runtime_settings, &zero, sizeof(zero), &settings, sizeof(settings),
                              BPF_ANY);
}

// Which monitors a shared program serves: runtime_settings.shared_hook_users.
int BpfSession::SetSharedHookUser(const MonitorState &monitor, bool on) {
  const uint32_t bit = monitor.choice != nullptr ? monitor.choice->shared_hook_bit : 0;
  if (bit == 0) return 0;
  runtime_settings settings = {};
  int error = ReadSettings(settings);
  if (error != 0) return error;
  settings.shared_hook_users = on ? settings.shared_hook_users | bit : settings.shared_hook_users & ~bit;
  return WriteSettings(settings);
}

// setMonitor(name, on): attach or detach a monitor's programs; an unwatched monitor costs nothing.
Napi::Value BpfSession::SetMonitor(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (skeleton_ == nullptr) throw Napi::Error::New(env, "failed to set monitor: BPF object not open");
  const std::string name = info[0].As<Napi::String>().Utf8Value();
  MonitorState *monitor = FindMonitor(name);
  if (monitor == nullptr) throw Napi::Error::New(env, "failed to set monitor " + name + ": no such monitor");
  if (info[1].As<Napi::Boolean>().Value()) {
    bool attached = Attach(*monitor);
    ForwardLibbpfLog(env);
    if (!attached) throw Napi::Error::New(env, monitor->attach_error);
  } else {
    Detach(*monitor);
  }
  return HookReport(env);
}


// setSetting(name, value): one field of the runtime_settings map; for a filter, null
// switches it off.
Napi::Value BpfSession::SetSetting(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (skeleton_ == nullptr) throw Napi::Error::New(env, "failed to write runtime settings: BPF object not open");
  const std::string name = info[0].As<Napi::String>().Utf8Value();
  const bool off = info[1].IsNull();
  const double value = off ? 0 : info[1].As<Napi::Number>().DoubleValue();
  runtime_settings settings = {};
  int error = ReadSettings(settings);
  if (error != 0) throw Napi::Error::New(env, FailureMessage("read runtime settings", error));
  if (!ApplySetting(settings, name, off, value)) {
    throw Napi::Error::New(env, "failed to write runtime setting " + name + ": no such setting");
  }
  error = WriteSettings(settings);
  if (error != 0) throw Napi::Error::New(env, FailureMessage("write runtime settings", error));
  return env.Undefined();
}

// start(onBatch): onBatch(Buffer) receives concatenated records, on the JS thread.
Napi::Value BpfSession::Start(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (skeleton_ == nullptr) throw Napi::Error::New(env, "failed to start ring buffer reader: BPF object not open");
  if (drainer_) throw Napi::Error::New(env, "failed to start ring buffer reader: already started");
  drainer_ = std::make_unique<RingDrainer>(env, bpf_map__fd(skeleton_->maps.events), fold_slots_, fold_slot_count_,
                                           info[0].As<Napi::Function>());
  return env.Undefined();
}

// handOverNow(): the reader hands over what the ring holds now, not at its next poll. Does
// nothing before start() and after close().
Napi::Value BpfSession::HandOverNow(const Napi::CallbackInfo &info) {
  if (drainer_) drainer_->HandOverNow();
  return info.Env().Undefined();
}

// readCounters() -> {emitted[slot], dropped[slot], ringFillBytes, ringSizeBytes}, summed over CPUs.
Napi::Value BpfSession::ReadCounters(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (skeleton_ == nullptr) throw Napi::Error::New(env, "failed to read counters: BPF object not open");
  const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) throw Napi::Error::New(env, FailureMessage("count possible CPUs", cpus));
  std::vector<kind_counters> per_cpu(cpus);
  Napi::Array emitted = Napi::Array::New(env, COUNTER_SLOTS);
  Napi::Array dropped = Napi::Array::New(env, COUNTER_SLOTS);
  for (uint32_t slot = 0; slot < COUNTER_SLOTS; slot++) {
    int error = bpf_map__lookup_elem(skeleton_->maps.event_counters, &slot, sizeof(slot), per_cpu.data(),
                                     per_cpu.size() * sizeof(kind_counters), 0);
    if (error != 0) throw Napi::Error::New(env, FailureMessage("read event counters", error));
    uint64_t emitted_sum = 0, dropped_sum = 0;
    for (const kind_counters &counters : per_cpu) {
      emitted_sum += counters.emitted;
      dropped_sum += counters.dropped;
    }
    if (slot == EVENT_KIND_FILE && drainer_) emitted_sum += drainer_->FoldSlotRecords();
    emitted.Set(slot, Napi::Number::New(env, static_cast<double>(emitted_sum)));
    dropped.Set(slot, Napi::Number::New(env, static_cast<double>(dropped_sum)));
  }
  const auto *consumer = static_cast<const unsigned long *>(ring_positions_);
  const auto *producer = reinterpret_cast<const unsigned long *>(
      static_cast<const char *>(ring_positions_) + ring_positions_bytes_ / 2);
  const unsigned long queued = __atomic_load_n(producer, __ATOMIC_ACQUIRE) - __atomic_load_n(consumer, __ATOMIC_ACQUIRE);

  Napi::Object counters = Napi::Object::New(env);
  counters.Set("emitted", emitted);
  counters.Set("dropped", dropped);
  counters.Set("ringFillBytes", Napi::Number::New(env, static_cast<double>(queued)));
  counters.Set("ringSizeBytes", Napi::Number::New(env, ring_size_bytes_));
  return counters;
}

namespace {

// bpf/cgroup.bpf.c's struct cgroup_traffic_cache: a CPU's latest cgroup and the traffic counted
// for it that is not in cgroup_traffic yet. Its size is checked against the map's.
struct CgroupTrafficCache {
  uint64_t cgroup_id;  // 0: none yet
  cgroup_traffic traffic;
};

void AddTraffic(cgroup_traffic &total, const cgroup_traffic &traffic) {
  total.rx_bytes += traffic.rx_bytes;
  total.tx_bytes += traffic.tx_bytes;
  total.rx_packets += traffic.rx_packets;
  total.tx_packets += traffic.tx_packets;
}

}  // namespace

// readCgroupTraffic() -> [{cgroupId, rxBytes, txBytes, rxPackets, txPackets}], totals since
// load summed over CPUs: the kernel counts per packet, user space reads on a timer.
Napi::Value BpfSession::ReadCgroupTraffic(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (skeleton_ == nullptr) throw Napi::Error::New(env, "failed to read cgroup traffic: BPF object not open");
  const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) throw Napi::Error::New(env, FailureMessage("count possible CPUs", cpus));
  bpf_map *cache_map = skeleton_->maps.cgroup_traffic_cache;
  if (bpf_map__value_size(cache_map) != sizeof(CgroupTrafficCache))
    throw Napi::Error::New(env, "failed to read cgroup traffic: the cache's layout differs from the BPF object's");
  std::vector<uint64_t> order;
  std::unordered_map<uint64_t, cgroup_traffic> totals;
  std::vector<cgroup_traffic> per_cpu(cpus);
  bpf_map *map = skeleton_->maps.cgroup_traffic;
  uint64_t key = 0;
  uint64_t next_key;
  const void *previous = nullptr;
  while (bpf_map__get_next_key(map, previous, &next_key, sizeof(next_key)) == 0) {
    key = next_key;
    previous = &key;
    // An entry evicted between the two calls is simply skipped.
    if (bpf_map__lookup_elem(map, &key, sizeof(key), per_cpu.data(), per_cpu.size() * sizeof(cgroup_traffic), 0) != 0)
      continue;
    auto [total, inserted] = totals.try_emplace(key, cgroup_traffic{});
    if (inserted) order.push_back(key);
    for (const cgroup_traffic &traffic : per_cpu) AddTraffic(total->second, traffic);
  }
  // After the map: the kernel empties a CPU's cache before adding it to the map, so a packet
  // is missed until the next read at worst, never counted twice.
  std::vector<CgroupTrafficCache> caches(cpus);
  const uint32_t zero = 0;
  if (bpf_map__lookup_elem(cache_map, &zero, sizeof(zero), caches.data(), caches.size() * sizeof(CgroupTrafficCache),
                           0) == 0) {
    for (const CgroupTrafficCache &cache : caches) {
      if (cache.cgroup_id == 0) continue;
      auto [total, inserted] = totals.try_emplace(cache.cgroup_id, cgroup_traffic{});
      if (inserted) order.push_back(cache.cgroup_id);
      AddTraffic(total->second, cache.traffic);
    }
  }
  Napi::Array rows = Napi::Array::New(env);
  for (uint64_t cgroup_id : order) {
    const cgroup_traffic &total = totals[cgroup_id];
    Napi::Object row = Napi::Object::New(env);
    row.Set("cgroupId", Napi::Number::New(env, static_cast<double>(cgroup_id)));
    row.Set("rxBytes", Napi::Number::New(env, static_cast<double>(total.rx_bytes)));
    row.Set("txBytes", Napi::Number::New(env, static_cast<double>(total.tx_bytes)));
    row.Set("rxPackets", Napi::Number::New(env, static_cast<double>(total.rx_packets)));
    row.Set("txPackets", Napi::Number::New(env, static_cast<double>(total.tx_packets)));
    rows.Set(rows.Length(), row);
  }
  return rows;
}

Napi::Value BpfSession::Close(const Napi::CallbackInfo &info) {
  CloseAll();
  ForwardLibbpfLog(info.Env());
  return info.Env().Undefined();
}

// Idempotent. Links go before the object, so no program fires into a freed ring.
void BpfSession::CloseAll() {
  if (drainer_) drainer_->Stop();
  drainer_.reset();
  for (MonitorState &monitor : monitors_) Detach(monitor);
  if (ring_positions_ != nullptr) munmap(ring_positions_, ring_positions_bytes_);
  ring_positions_ = nullptr;
  if (fold_slots_ != nullptr) munmap(fold_slots_, fold_slots_bytes_);
  fold_slots_ = nullptr;
  clawtop_bpf__destroy(skeleton_);
  skeleton_ = nullptr;
  if (cgroup_root_fd_ >= 0) close(cgroup_root_fd_);
  cgroup_root_fd_ = -1;
}

Napi::Object BpfSession::HookReport(Napi::Env env) {
  Napi::Array hooks = Napi::Array::New(env);
  for (const MonitorState &monitor : monitors_) {
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("monitor", monitor.hooks->monitor);
    entry.Set("hook", monitor.choice != nullptr ? monitor.choice->hook : "none");
    entry.Set("mode", monitor.choice == nullptr                        ? "unavailable"
                      : monitor.choice == &monitor.hooks->choices.front() ? "preferred"
                                                                          : "fallback");
    entry.Set("attached", !monitor.attached_programs.empty());
    const std::string &reason = !monitor.attach_error.empty()                           ? monitor.attach_error
                                : monitor.choice == nullptr && !monitor.load_error.empty() ? monitor.load_error
                                                                                           : monitor.fallback_reason;
    entry.Set("reason", reason.empty() ? env.Null() : Napi::String::New(env, reason));
    hooks.Set(hooks.Length(), entry);
  }
  Napi::Array features = Napi::Array::New(env);
  for (const auto &[feature, probe] : features_) {
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("feature", FeatureName(feature));
    entry.Set("available", probe.available);
    entry.Set("reason", probe.reason.empty() ? env.Null() : Napi::String::New(env, probe.reason));
    features.Set(features.Length(), entry);
  }
  Napi::Object report = Napi::Object::New(env);
  report.Set("hooks", hooks);
  report.Set("features", features);
  return report;
}

void BpfSession::ForwardLibbpfLog(Napi::Env env) {
  std::vector<std::string> lines = TakeLibbpfLog();
  if (log_callback_.IsEmpty()) return;
  for (const std::string &line : lines) log_callback_.Call({Napi::String::New(env, line)});
}

}  // namespace clawtop
