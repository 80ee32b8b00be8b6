// SPDX-License-Identifier: GPL-2.0
#pragma once

#include <napi.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

struct ring_buffer;
struct file_fold_slot;

namespace clawtop {

using Batch = std::vector<uint8_t>;

// Where the JS thread copies each batch for onBatch: one ArrayBuffer, reused for every
// delivery. A fresh Buffer per batch (up to 100 a second, 1 MiB each) was memory outside
// the JS heap that only a garbage collection gave back, and clawtop's RSS swung by tens
// of MB with the collector's pace.
struct DeliveryBuffer {
  Napi::Reference<Napi::ArrayBuffer> storage;
};

void DeliverBatch(Napi::Env env, Napi::Function on_batch, DeliveryBuffer *delivery, Batch *batch);

// Drains the BPF ring buffer on a worker thread and hands JavaScript one Uint8Array per
// batch of concatenated records, valid only during the call (its memory is reused). The worker never touches Napi values; the bounded
// queue makes a slow reader push back on the worker, and the ring (whose losses the
// kernel counts) absorbs the rest.
class RingDrainer {
 public:
  // fold_slots: the files monitor's per-CPU slots (bpf/clawtop.h), mapped into this process.
  RingDrainer(Napi::Env env, int ring_map_fd, file_fold_slot *fold_slots, size_t fold_slot_count,
              Napi::Function on_batch);
  ~RingDrainer();
  RingDrainer(const RingDrainer &) = delete;
  RingDrainer &operator=(const RingDrainer &) = delete;

  // Has the worker hand over what the ring holds now rather than at its next poll, which
  // may be up to its longest timeout away on an idle host.
  void HandOverNow();

  // Idempotent; joins the worker. Must run on the JS thread.
  void Stop();

  // FILE records written from the fold slots so far: the kernel's counters do not have them.
  uint64_t FoldSlotRecords() const { return fold_slot_records_.load(std::memory_order_relaxed); }

 private:
  using BatchFunction = Napi::TypedThreadSafeFunction<DeliveryBuffer, Batch, DeliverBatch>;

  static int AppendRecord(void *context, void *data, size_t size);
  static void OnEnvironmentTeardown(void *self);
  void Drain();
  void TakeFoldedOpens();
  void Flush();
  void WakeUp();

  ring_buffer *ring_ = nullptr;
  int wakeup_epoll_fd_ = -1;
  int wake_up_fd_ = -1;
  Batch *batch_;
  file_fold_slot *fold_slots_;
  size_t fold_slot_count_;
  // Records of the opens taken from the slots in this round, handed over after the ring's.
  Batch folded_opens_;
  std::atomic<uint64_t> fold_slot_records_{0};
  BatchFunction deliver_;
  Napi::Env env_;
  bool teardown_hook_registered_ = false;
  std::thread worker_;
  std::atomic<bool> running_{true};
  bool stopped_ = false;
};

}  // namespace clawtop
