// owned_value.h — a handoff_value that owns its bytes, and the copies in and
// out of the C structs of bridge.h. No Ruby here: any thread may use these.
#ifndef HANDOFF_SRC_OWNED_VALUE_H
#define HANDOFF_SRC_OWNED_VALUE_H

#include <cstdint>
#include <string>
#include <vector>

#include "handoff/bridge.h"

namespace handoff {

struct OwnedValue {
  handoff_type type = HANDOFF_NIL;
  bool boolean = false;
  int64_t integer = 0;
  double real = 0.0;
  std::string bytes;  // only for HANDOFF_BYTES
};

// Copies `nargs` caller values into `out`. Returns false, with `error` saying
// which argument is bad, for an unknown type or NULL data with a size.
// REQUIRES: args points to nargs values, or nargs == 0.
bool CopyArgs(const handoff_value* args, size_t nargs,
              std::vector<OwnedValue>* out, std::string* error);

// The result of one call, as the replier hands it to the waiter.
struct Outcome {
  handoff_status status = HANDOFF_STOPPED;
  OwnedValue value;
  std::string error_class;    // empty: none
  std::string error_message;  // empty: none
};

Outcome MakeOutcome(handoff_status status, std::string error_class = "",
                    std::string error_message = "");

// Fills `reply` from `outcome`, allocating with malloc what handoff_reply_free
// frees. Returns outcome.status. Never fails short of running out of memory
// (then the reply carries no bytes and no strings).
handoff_status FillReply(const Outcome& outcome, handoff_reply* reply);

}  // namespace handoff

#endif
