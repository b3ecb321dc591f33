#include "host/fixed_addresses.h"

#include <sys/personality.h>
#include <unistd.h>

#include <cstdlib>

#include "handoff/run.h"

namespace handoff {

bool FixedAddresses() {
  int current = personality(0xffffffff);
  return current != -1 && (current & ADDR_NO_RANDOMIZE) != 0;
}

void ReexecWithFixedAddresses(char** argv) {
  bool heap_set = std::getenv("RUBY_GC_HEAP_INIT_SLOTS") != nullptr;
  int current = personality(0xffffffff);
  if (current == -1 || (FixedAddresses() && heap_set)) return;
  if (!FixedAddresses() && personality(static_cast<unsigned long>(current) | ADDR_NO_RANDOMIZE) == -1) {
    return;
  }
  if (!heap_set) setenv("RUBY_GC_HEAP_INIT_SLOTS", kControlledHeapSlots, 1);
  execv("/proc/self/exe", argv);
  personality(static_cast<unsigned long>(current));  // exec failed: go on as before
  if (!heap_set) unsetenv("RUBY_GC_HEAP_INIT_SLOTS");
}

}  // namespace handoff
