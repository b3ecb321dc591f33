// Names for code addresses in a report: the function (static ones too, from
// the object's .symtab when the file has one; C++ names demangled), its
// offset, and the object's file name, e.g.
//   "queue_and_wait+0x2c (libhandoff_target_my_bridge.so+0x2a3c)".
// For the GVL check's reports (gvl_check.h), which name the target's frames.
#pragma once

#include <string>

namespace handoff {

// `address` is a return address: the call before it is what is named.
// Allocates and opens files: not async-signal-safe.
std::string FrameName(const void* address);

}  // namespace handoff
