// SPDX-License-Identifier: GPL-2.0
#pragma once

#include <cstring>
#include <string>

namespace clawtop {

// Every native error reads "failed to <verb> <object>: <strerror>".
inline std::string FailureMessage(const std::string &verb_and_object, int error_number) {
  return "failed to " + verb_and_object + ": " + std::strerror(error_number < 0 ? -error_number : error_number);
}

}  // namespace clawtop
