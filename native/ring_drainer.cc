// SPDX-License-Identifier: GPL-2.0
#include "ring_drainer.h"

#include <bpf/libbpf.h>

#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "clawtop.h"
#include "errors.h"

namespace clawtop {
namespace {

// With BPF_RB_NO_WAKEUP the poll timeout bounds how late a record below the watermark
// arrives. While records come it is the shortest, so a steady stream reaches JavaScript
// in batches 50 ms apart: at 10 ms, 10k events/s came as 100 small batches a second,
// each paying its hand-over and cold caches (--json: 3.2% of a core, not 2.3%). Each
// poll that finds the ring empty doubles it, up to the longest: an idle host wakes the
// reader 4 times a second, and the first record after a quiet spell is at most 250 ms
// late (the screen redraws twice a second). A flood is no later: past a watermark of
// data the kernel wakes the reader at once.
constexpr int kShortestPollTimeoutMs = 50;
constexpr int kLongestPollTimeoutMs = 250;
// A batch is handed over once it holds this much, so a flood cannot grow it forever.
constexpr size_t kBatchBytes = 1 << 20;
// Batches waiting for the JS thread; past this the worker waits and the ring fills.
constexpr size_t kQueuedBatches = 4;
// Returned by AppendRecord to stop libbpf's consume loop; not an errno.
constexpr int kBatchFull = -1000000;

// The worker's name (at most 15 characters).
constexpr char kThreadName[] = "ring-reader";
// epoll_event.data of the wake-up eventfd; the ring's is 0.
constexpr uint64_t kWakeUpEvent = 1;

// Room past kBatchBytes for the record that fills a batch.
constexpr size_t kBatchSlackBytes = 4096;

Batch *NewBatch() {
  auto *batch = new Batch();
  batch->reserve(kBatchBytes + kBatchSlackBytes);
  return batch;
}

}  // namespace

void DeliverBatch(Napi::Env env, Napi::Function on_batch, DeliveryBuffer *delivery, Batch *batch) {
  // env is null when the function is being torn down with batches still queued.
  if (env != nullptr && on_batch != nullptr) {
    try {
      if (delivery->storage.IsEmpty() || delivery->storage.Value().ByteLength() < batch->size()) {
        size_t capacity = std::max(batch->size(), kBatchBytes + kBatchSlackBytes);
        delivery->storage = Napi::Persistent(Napi::ArrayBuffer::New(env, capacity));
      }
      Napi::ArrayBuffer storage = delivery->storage.Value();
      std::memcpy(storage.Data(), batch->data(), batch->size());
      on_batch.Call({Napi::Uint8Array::New(env, batch->size(), storage, 0)});
    } catch (const Napi::Error &error) {
      error.ThrowAsJavaScriptException();
    }
  }
  delete batch;
}

RingDrainer::RingDrainer(Napi::Env env, int ring_map_fd, file_fold_slot *fold_slots, size_t fold_slot_count,
                         Napi::Function on_batch)
    : batch_(NewBatch()), fold_slots_(fold_slots), fold_slot_count_(fold_slot_count), env_(env) {
  ring_ = ring_buffer__new(ring_map_fd, AppendRecord, this, nullptr);
  if (ring_ == nullptr) {
    int error_number = errno;
    delete batch_;
    throw Napi::Error::New(env, FailureMessage("create ring buffer reader", error_number));
  }
  // libbpf's own epoll is level-triggered: with a steady producer it reports the ring
  // readable at once, every time, and batches shrink to a few records. Edge-triggered,
  // the reader wakes only on the kernel's forced wakeups (one per watermark of data) or
  // at the timeout, and takes everything queued in large batches. Beside the ring it
  // waits on an eventfd, through which the JS thread wakes it at once: to stop it, or to
  // have it hand over what is queued without waiting out its timeout.
  wakeup_epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_up_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event readable{};
  readable.events = EPOLLIN | EPOLLET;
  epoll_event woken{};
  woken.events = EPOLLIN;
  woken.data.u64 = kWakeUpEvent;
  if (wakeup_epoll_fd_ < 0 || wake_up_fd_ < 0 ||
      epoll_ctl(wakeup_epoll_fd_, EPOLL_CTL_ADD, ring_map_fd, &readable) < 0 ||
      epoll_ctl(wakeup_epoll_fd_, EPOLL_CTL_ADD, wake_up_fd_, &woken) < 0) {
    int error_number = errno;
    if (wakeup_epoll_fd_ >= 0) close(wakeup_epoll_fd_);
    if (wake_up_fd_ >= 0) close(wake_up_fd_);
    ring_buffer__free(ring_);
    delete batch_;
    throw Napi::Error::New(env, FailureMessage("watch ring buffer", error_number));
  }
  // The function owns the delivery buffer: batches still queued at teardown reach DeliverBatch
  // after the drainer is gone.
  deliver_ = BatchFunction::New(env, on_batch, "clawtop-ring-drainer", kQueuedBatches, 1, new DeliveryBuffer(),
                                [](Napi::Env, void *, DeliveryBuffer *delivery) { delete delivery; });
  // Registered after the thread-safe function, so at environment teardown it runs first
  // (hooks run in reverse order) and the worker is gone before the function is.
  teardown_hook_registered_ = napi_add_env_cleanup_hook(env, OnEnvironmentTeardown, this) == napi_ok;
  worker_ = std::thread([this] { Drain(); });
  // Named for top -H and /proc/PID/task, from here so the name is set once start() returns.
  pthread_setname_np(worker_.native_handle(), kThreadName);
}

RingDrainer::~RingDrainer() { Stop(); }

void RingDrainer::OnEnvironmentTeardown(void *self) {
  auto *drainer = static_cast<RingDrainer *>(self);
  drainer->teardown_hook_registered_ = false;
  drainer->Stop();
}

void RingDrainer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  running_ = false;
  // Wakes a worker waiting for the ring, and one blocked on a full queue (its later calls
  // return napi_closing).
  WakeUp();
  deliver_.Abort();
  if (worker_.joinable()) worker_.join();
  if (teardown_hook_registered_) napi_remove_env_cleanup_hook(env_, OnEnvironmentTeardown, this);
  teardown_hook_registered_ = false;
  ring_buffer__free(ring_);
  ring_ = nullptr;
  close(wakeup_epoll_fd_);
  close(wake_up_fd_);
  delete batch_;
  batch_ = nullptr;
}

int RingDrainer::AppendRecord(void *context, void *data, size_t size) {
  auto *self = static_cast<RingDrainer *>(context);
  const auto *bytes = static_cast<const uint8_t *>(data);
  self->batch_->insert(self->batch_->end(), bytes, bytes + size);
  return self->batch_->size() >= kBatchBytes ? kBatchFull : 0;
}

void RingDrainer::HandOverNow() {
  if (!stopped_) WakeUp();
}

void RingDrainer::WakeUp() {
  uint64_t one = 1;
  // Only fails when the counter is full, and then the reader has a wake-up pending anyway.
  [[maybe_unused]] ssize_t written = write(wake_up_fd_, &one, sizeof(one));
}

void RingDrainer::Drain() {
  int timeout_ms = kShortestPollTimeoutMs;
  epoll_event wakeups[2];
  while (running_) {
    int ready = epoll_wait(wakeup_epoll_fd_, wakeups, 2, timeout_ms);
    for (int index = 0; index < ready; index++) {
      if (wakeups[index].data.u64 != kWakeUpEvent) continue;
      uint64_t count;
      [[maybe_unused]] ssize_t read_bytes = read(wake_up_fd_, &count, sizeof(count));
    }
    // Taken before the ring is read: a count's own record, written before the count began,
    // is then in this batch ahead of it.
    TakeFoldedOpens();
    bool found_records = !folded_opens_.empty();
    int result;
    do {
      result = ring_buffer__consume(ring_);
      found_records = found_records || result != 0;
      if (result == kBatchFull) Flush();
    } while (result == kBatchFull && running_);
    batch_->insert(batch_->end(), folded_opens_.begin(), folded_opens_.end());
    folded_opens_.clear();
    Flush();
    timeout_ms = found_records ? kShortestPollTimeoutMs : std::min(2 * timeout_ms, kLongestPollTimeoutMs);
  }
}

// The counts of repeated opens waiting in the CPUs' slots (bpf/clawtop.h), each as a
// FILE_FLAG_REPEATS copy of its slot's record. A slot's CPU may be folding into it or
// writing it over meanwhile: the compare-and-swap takes the count only if the state,
// generation included, is still the one read before the record was copied.
void RingDrainer::TakeFoldedOpens() {
  for (size_t cpu = 0; cpu < fold_slot_count_; cpu++) {
    file_fold_slot *slot = &fold_slots_[cpu];
    uint64_t state = __atomic_load_n(&slot->state, __ATOMIC_ACQUIRE);
    // A CPU folding an open every few hundred ns can win the race; its count then waits a poll.
    for (int attempt = 0; attempt < 3 && (state & FILE_FOLD_COUNT_MASK) != 0; attempt++) {
      file_event record;
      std::memcpy(&record, &slot->record, sizeof(record));
      uint64_t taken = state & ~(FILE_FOLD_LIVE | FILE_FOLD_COUNT_MASK);
      if (!__atomic_compare_exchange_n(&slot->state, &state, taken, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        continue;
      timespec now;
      clock_gettime(CLOCK_MONOTONIC, &now);
      record.header.flags |= FILE_FLAG_REPEATS | FILE_FLAG_FROM_FOLD_SLOT;
      record.header.timestamp_ns = static_cast<uint64_t>(now.tv_sec) * 1000000000ULL + now.tv_nsec;
      record.count = static_cast<uint32_t>(state & FILE_FOLD_COUNT_MASK);
      const auto *bytes = reinterpret_cast<const uint8_t *>(&record);
      folded_opens_.insert(folded_opens_.end(), bytes, bytes + sizeof(record));
      fold_slot_records_.fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
}

void RingDrainer::Flush() {
  if (batch_->empty()) return;
  if (deliver_.BlockingCall(batch_) != napi_ok) {
    // Closing: the batch was not queued, so it is still ours.
    batch_->clear();
    return;
  }
  batch_ = NewBatch();
}

}  // namespace clawtop
