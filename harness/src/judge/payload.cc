#include "judge/payload.h"

#include <cstdlib>
#include <cstring>
#include <string_view>

namespace handoff {
namespace {

void PutU64(char* at, uint64_t v, int bytes = 8) {
  for (int i = 0; i < bytes; ++i) at[i] = static_cast<char>(v >> (8 * i));
}
uint64_t GetU64(const char* at, int bytes = 8) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(at[i])) << (8 * i);
  return v;
}

// Deterministic bytes of every value (xorshift64 from a seed).
void FillStream(uint64_t seed, char* out, size_t size) {
  uint64_t x = seed | 1;
  for (size_t i = 0; i < size; i += 8) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    size_t n = size - i < 8 ? size - i : 8;
    for (size_t k = 0; k < n; ++k) out[i + k] = static_cast<char>(x >> (8 * k));
  }
}

constexpr char kRaisedPrefix[] = "handoff-harness: call ";
constexpr char kRaisedMiddle[] = " raised on purpose: ";
constexpr uint64_t kReplyStreamSalt = 0x7265706c79ull;    // "reply"
constexpr uint64_t kMessageStreamSalt = 0x72616973ull;    // "rais"

// By EscapeWay: the class the handler's way out raises (next: none), and
// Ruby's own message where the harness gives none (signal, throw, break,
// exit: measured with Ruby 3.1-3.4); nullptr: the harness's message.
struct EscapeException {
  const char* class_name;
  const char* ruby_message;
};
constexpr EscapeException kEscapeExceptions[kEscapeWayCount] = {
    {"HandoffHarness::Abort", nullptr},       {"Interrupt", nullptr},
    {"SignalException", "SIGTERM"},           {"NoMemoryError", nullptr},
    {"SystemStackError", nullptr},            {"NotImplementedError", nullptr},
    {"UncaughtThrowError", "uncaught throw :handoff_call_"},  // + the call id
    {"LocalJumpError", "break from proc-closure"},
    {"", nullptr},                            {"SystemExit", "exit"}};

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

}  // namespace

uint64_t Digest(const char* data, size_t size) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < size; ++i) {
    h ^= static_cast<uint8_t>(data[i]);
    h *= 0x100000001b3ull;
  }
  return h;
}

static void MakePayload(const CallPlan& plan, uint64_t seed, char* p) {
  uint64_t stream_seed = seed ^ (plan.call_id * 0x9e3779b97f4a7c15ull);
  if (plan.payload_size < kPayloadHeaderSize) {
    FillStream(stream_seed, p, plan.payload_size);
    return;
  }
  PutU64(p, plan.call_id, 7);
  p[7] = static_cast<char>(plan.behaviour);
  PutU64(p + 8, plan.arg, 4);
  PutU64(p + 12, plan.reply_size, 4);
  FillStream(stream_seed, p + kPayloadHeaderSize, plan.payload_size - kPayloadHeaderSize);
}

void WritePayload(const CallPlan& plan, uint64_t seed, std::string* out) {
  // Made in a scratch buffer and copied with memcpy: in a TSan build this
  // file is not instrumented, and the copy is what the runtime sees written.
  thread_local std::string scratch;
  scratch.assign(plan.payload_size, '\0');
  MakePayload(plan, seed, &scratch[0]);
  out->resize(plan.payload_size);
  if (plan.payload_size != 0) std::memcpy(&(*out)[0], scratch.data(), plan.payload_size);
}

PayloadHeader ReadPayloadHeader(const char* data, size_t size) {
  PayloadHeader header;
  if (data == nullptr || size < kPayloadHeaderSize) return header;
  header.named = true;
  header.call_id = GetU64(data, 7);
  header.behaviour = static_cast<uint8_t>(data[7]);
  header.arg = static_cast<uint32_t>(GetU64(data + 8, 4));
  header.reply_size = static_cast<uint32_t>(GetU64(data + 12, 4));
  return header;
}

std::string ComputeReply(const char* payload, size_t size) {
  PayloadHeader header = ReadPayloadHeader(payload, size);
  uint64_t digest = Digest(payload, size);
  size_t reply_size = header.named ? header.reply_size : size;
  std::string reply(reply_size, '\0');
  if (reply_size < kReplyHeaderSize) {
    FillStream(digest ^ kReplyStreamSalt, &reply[0], reply_size);
    return reply;
  }
  PutU64(&reply[0], header.named ? header.call_id : UINT64_MAX);
  PutU64(&reply[8], digest);
  PutU64(&reply[16], reply_size);
  FillStream(digest ^ kReplyStreamSalt, &reply[kReplyHeaderSize], reply_size - kReplyHeaderSize);
  return reply;
}

std::string RaisedMessageFor(const char* payload, size_t size) {
  PayloadHeader header = ReadPayloadHeader(payload, size);
  uint32_t bytes = header.behaviour == static_cast<uint8_t>(Behaviour::kEscape) ? header.arg & kEscapeMessageMask
                   : header.behaviour == static_cast<uint8_t>(Behaviour::kPost) ? header.arg & kPostArgMask
                                                                               : header.arg;
  std::string message = kRaisedPrefix + std::to_string(header.call_id) + kRaisedMiddle;
  size_t prefix = message.size();
  message.resize(prefix + bytes);
  FillStream(Digest(payload, size) ^ kMessageStreamSalt, &message[prefix], bytes);
  return message;
}

ExpectedException ExpectedExceptionFor(const char* payload, size_t size) {
  PayloadHeader header = ReadPayloadHeader(payload, size);
  if (header.behaviour != static_cast<uint8_t>(Behaviour::kEscape)) {
    return {kRaisedClass, RaisedMessageFor(payload, size)};
  }
  EscapeWay way = EscapeWayOf(header.arg);
  const EscapeException& e = kEscapeExceptions[static_cast<int>(way)];
  if (e.ruby_message == nullptr) return {e.class_name, RaisedMessageFor(payload, size)};
  std::string message = e.ruby_message;
  if (way == EscapeWay::kThrow) message += std::to_string(header.call_id);
  return {e.class_name, message};
}

const char* ExpectedClassOf(const CallPlan& plan) {
  if (plan.behaviour != Behaviour::kEscape) return kRaisedClass;
  return kEscapeExceptions[static_cast<int>(EscapeWayOf(plan.arg))].class_name;
}

ReplyCheck CheckReply(const char* payload, size_t payload_size, const char* reply,
                      size_t reply_size) {
  std::string expected = ComputeReply(payload, payload_size);
  ReplyCheck check;
  check.size = reply_size;
  check.expected_size = expected.size();
  check.right = reply_size == expected.size() &&
                (reply_size == 0 || std::memcmp(reply, expected.data(), reply_size) == 0);
  if (!check.right && reply != nullptr && reply_size >= kReplyHeaderSize &&
      GetU64(reply + 16) == reply_size && GetU64(reply) <= kMaxCallId) {
    check.names_call = true;
    check.named_call = GetU64(reply);
  }
  return check;
}

ReplyCheck CheckRaised(const char* payload, size_t payload_size, const char* reply,
                       size_t reply_size) {
  ExpectedException expected = ExpectedExceptionFor(payload, payload_size);
  std::string_view got(reply != nullptr ? reply : "", reply != nullptr ? reply_size : 0);
  ReplyCheck check;
  check.size = reply_size;
  check.expected_size = expected.message.size();
  check.right = Contains(got, expected.class_name) && Contains(got, expected.message);
  if (got.rfind("HandoffHarness::CallerInterrupt", 0) == 0) check.harness_interrupt = 1;
  if (got.rfind("HandoffHarness::CallerTimeout", 0) == 0) check.harness_interrupt = 2;
  size_t at = got.find(kRaisedPrefix);
  if (!check.right && at != std::string_view::npos) {
    check.names_call = true;
    check.named_call = std::strtoull(std::string(got.substr(at + sizeof(kRaisedPrefix) - 1, 20)).c_str(),
                                     nullptr, 10);
  }
  return check;
}

const std::string& SpeedProbePayload() {
  static const std::string probe("handoff\xffspeed\0\x01", 15);
  return probe;
}

bool IsSpeedProbe(const char* payload, size_t size) {
  const std::string& probe = SpeedProbePayload();
  return size == probe.size() && std::memcmp(payload, probe.data(), size) == 0;
}

}  // namespace handoff
