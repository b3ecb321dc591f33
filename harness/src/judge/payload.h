// The bytes of a call and of its reply. Every byte follows from (seed, call
// id), so nothing per call is stored, and any byte value may appear (NUL,
// 0xFF, invalid UTF-8) in payloads, replies and exception messages alike.
//
//   payload, >= 16 bytes ("named"): it names its call and what to do:
//     u56 call_id | u8 behaviour | u32 arg | u32 reply_size | stream bytes...
//   payload, < 16 bytes ("anonymous"): stream bytes only; the handler just
//     returns, and the call is checked by content alone.
//   reply, the handler's: reply_size bytes (the payload's own size for an
//     anonymous payload); >= 24 bytes start with
//     u64 call_id | u64 digest of the payload | u64 size, then stream bytes
//     seeded by the payload's digest; shorter ones are stream bytes only.
//   a raising handler raises HandoffHarness::CallError with the message
//     "handoff-harness: call N raised on purpose: " + arg stream bytes;
//   an escaping one leaves its block by its EscapeWay (ExpectedExceptionFor:
//     the class, and that message or Ruby's own for signal, throw, break, exit).
//
// All little-endian. The caller checks what came back against what it sent
// (CheckReply, CheckRaised): a reply computed from another call's payload,
// a truncated or altered one, a message cut at a NUL all differ.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "handoff/scenario.h"

namespace handoff {

constexpr uint32_t kReplyHeaderSize = 24;
constexpr char kRaisedClass[] = "HandoffHarness::CallError";

// FNV-1a, 64-bit.
uint64_t Digest(const char* data, size_t size);

// Writes the payload of `plan` into *out (resized to plan.payload_size).
void WritePayload(const CallPlan& plan, uint64_t seed, std::string* out);

struct PayloadHeader {
  bool named = false;  // false: shorter than a header (anonymous)
  uint64_t call_id = 0;
  uint8_t behaviour = 0;
  uint32_t arg = 0;
  uint32_t reply_size = 0;
};
PayloadHeader ReadPayloadHeader(const char* data, size_t size);

// The reply the handler must produce for this payload.
std::string ComputeReply(const char* payload, size_t size);
// The message of the exception a raising (or escaping) handler raises with
// for this payload.
std::string RaisedMessageFor(const char* payload, size_t size);

// The payload of the speed phases' calls (min_throughput_ratio,
// run/speed_phases.h): anonymous, fixed bytes that no drawn payload has a
// chance worth counting to equal; the handler returns its reply
// (ComputeReply) and counts it as no call of the scenario's.
const std::string& SpeedProbePayload();
bool IsSpeedProbe(const char* payload, size_t size);

// The exception a call's handler leaves with, as the target must name it.
struct ExpectedException {
  std::string class_name;
  std::string message;
};
ExpectedException ExpectedExceptionFor(const char* payload, size_t size);
// Its class alone, from the plan (for a failure's words).
const char* ExpectedClassOf(const CallPlan& plan);

// What a call got back, judged on the calling thread against what it sent.
struct ReplyCheck {
  bool right = false;       // ok: byte for byte the expected reply; raised: the
                            // class name and the whole expected message are in it
  bool names_call = false;  // the reply names a call of this run (header or message)...
  uint64_t named_call = 0;  // ...this one
  uint64_t size = 0;        // bytes received
  uint64_t expected_size = 0;
  // raised: the class is one of the interrupts the harness sends a Ruby
  // caller thread (ruby_caller.h), not the block's own: 0 none,
  // 1 HandoffHarness::CallerInterrupt, 2 HandoffHarness::CallerTimeout.
  uint8_t harness_interrupt = 0;
};
ReplyCheck CheckReply(const char* payload, size_t payload_size, const char* reply,
                      size_t reply_size);
ReplyCheck CheckRaised(const char* payload, size_t payload_size, const char* reply,
                       size_t reply_size);

}  // namespace handoff
