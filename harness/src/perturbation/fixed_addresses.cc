#include "perturbation/fixed_addresses.h"

#include <sys/personality.h>
#include <unistd.h>

namespace handoff {

bool FixedAddresses() {
  int current = personality(0xffffffff);
  return current != -1 && (current & ADDR_NO_RANDOMIZE) != 0;
}

void ReexecWithFixedAddresses(char** argv) {
  int current = personality(0xffffffff);
  if (current == -1 || (current & ADDR_NO_RANDOMIZE) != 0) return;
  if (personality(static_cast<unsigned long>(current) | ADDR_NO_RANDOMIZE) == -1) return;
  execv("/proc/self/exe", argv);
  personality(static_cast<unsigned long>(current));  // exec failed: go on as before
}

}  // namespace handoff
