// SPDX-License-Identifier: GPL-2.0
#include "libbpf_log.h"

#include <bpf/libbpf.h>

#include <cstdarg>
#include <cstdio>
#include <mutex>

namespace clawtop {
namespace {

// A verifier log can run to megabytes; past this the rest is dropped.
constexpr size_t kMaxPendingBytes = 256 * 1024;

std::mutex pending_mutex;
std::vector<std::string> pending_lines;
size_t pending_bytes = 0;

int OnLibbpfPrint(enum libbpf_print_level level, const char *format, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char line[1024];
  int length = vsnprintf(line, sizeof(line), format, args);
  if (length <= 0) return length;
  std::string text(line);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  std::lock_guard<std::mutex> lock(pending_mutex);
  if (pending_bytes + text.size() > kMaxPendingBytes) return length;
  pending_bytes += text.size();
  pending_lines.push_back(std::move(text));
  return length;
}

}  // namespace

void CaptureLibbpfLog() { libbpf_set_print(OnLibbpfPrint); }

std::vector<std::string> TakeLibbpfLog() {
  std::lock_guard<std::mutex> lock(pending_mutex);
  std::vector<std::string> lines;
  lines.swap(pending_lines);
  pending_bytes = 0;
  return lines;
}

}  // namespace clawtop
