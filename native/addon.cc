// SPDX-License-Identifier: GPL-2.0
// Registers the addon's exports; each concern lives in its own file.
#include <napi.h>

#include "bpf_session.h"
#include "libbpf_log.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  clawtop::CaptureLibbpfLog();
  exports.Set("BpfSession", clawtop::BpfSession::Define(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(clawtop, Init)
