// SPDX-License-Identifier: GPL-2.0
#pragma once

#include <string>
#include <vector>

namespace clawtop {

// libbpf prints from any thread at any time; its lines are kept here until the JS
// thread takes them and hands them to the log callback (shown with --verbose).
void CaptureLibbpfLog();
std::vector<std::string> TakeLibbpfLog();

}  // namespace clawtop
