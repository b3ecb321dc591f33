// The bytes of a call and of its reply. The payload names its call and the
// behaviour the handler must show; the reply is a function of the whole
// payload, so a reply computed from another call's payload (or from a
// corrupted one) is recognised after the run.
//
//   payload: u64 call_id | u8 behaviour | 3 zero bytes | u32 arg | filler...
//   reply:   u64 call_id | u64 digest of the payload | u64 extra | extra bytes
//
// All little-endian. The filler and the extra bytes are deterministic
// patterns, so nothing has to be kept to check them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "scenario.h"

namespace handoff {

constexpr uint32_t kPayloadHeaderSize = 16;
constexpr uint32_t kReplyHeaderSize = 24;

// FNV-1a, 64-bit.
uint64_t Digest(const char* data, size_t size);

// Writes the payload of `plan` into *out (resized to plan.payload_size).
void WritePayload(const CallPlan& plan, uint64_t seed, std::string* out);

struct PayloadHeader {
  uint64_t call_id = 0;
  uint8_t behaviour = 0;
  uint32_t arg = 0;
};
// False if the payload is too short to hold a header.
bool ReadPayloadHeader(const char* data, size_t size, PayloadHeader* header);

// The reply the handler must produce for this payload.
std::string ComputeReply(const char* payload, size_t size);

// What a reply says about itself.
struct ReplyFacts {
  bool well_formed = false;  // header present, extra bytes intact
  uint64_t call_id = 0;
  uint64_t payload_digest = 0;
};
ReplyFacts ReadReply(const char* data, size_t size);

// The message of the exception a raising handler throws for `call_id`, and
// the call id read back from such a message (false if it is not one).
std::string RaisedMessageFor(uint64_t call_id);
bool ReadRaisedMessage(const char* data, size_t size, uint64_t* call_id);

// The nested call a re-entrant handler fires for `outer_call_id`.
CallPlan NestedCallOf(const Scenario& scenario, uint64_t outer_call_id);

}  // namespace handoff
