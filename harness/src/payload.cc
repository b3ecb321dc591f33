#include "payload.h"

#include <cstdlib>
#include <cstring>

namespace handoff {
namespace {

void PutU64(char* at, uint64_t v) {
  for (int i = 0; i < 8; ++i) at[i] = static_cast<char>(v >> (8 * i));
}
uint64_t GetU64(const char* at) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(at[i])) << (8 * i);
  return v;
}
char ExtraByte(uint64_t call_id, uint64_t i) { return static_cast<char>((call_id + i) * 31); }

constexpr char kRaisedPrefix[] = "handoff-harness: call ";

}  // namespace

uint64_t Digest(const char* data, size_t size) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < size; ++i) {
    h ^= static_cast<uint8_t>(data[i]);
    h *= 0x100000001b3ull;
  }
  return h;
}

void WritePayload(const CallPlan& plan, uint64_t seed, std::string* out) {
  out->assign(plan.payload_size, '\0');
  char* p = &(*out)[0];
  PutU64(p, plan.call_id);
  p[8] = static_cast<char>(plan.behaviour);
  uint64_t arg = plan.arg;
  for (int i = 0; i < 4; ++i) p[12 + i] = static_cast<char>(arg >> (8 * i));
  uint64_t x = seed ^ (plan.call_id * 0x9e3779b97f4a7c15ull) ^ 1;
  for (uint32_t i = kPayloadHeaderSize; i < plan.payload_size; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    p[i] = static_cast<char>(x);
  }
}

bool ReadPayloadHeader(const char* data, size_t size, PayloadHeader* header) {
  if (data == nullptr || size < kPayloadHeaderSize) return false;
  header->call_id = GetU64(data);
  header->behaviour = static_cast<uint8_t>(data[8]);
  header->arg = static_cast<uint32_t>(GetU64(data + 8) >> 32);
  return true;
}

std::string ComputeReply(const char* payload, size_t size) {
  PayloadHeader header;
  ReadPayloadHeader(payload, size, &header);
  uint64_t extra = header.behaviour == static_cast<uint8_t>(Behaviour::kLarge) ? header.arg : 0;
  std::string reply(kReplyHeaderSize + extra, '\0');
  PutU64(&reply[0], header.call_id);
  PutU64(&reply[8], Digest(payload, size));
  PutU64(&reply[16], extra);
  for (uint64_t i = 0; i < extra; ++i) reply[kReplyHeaderSize + i] = ExtraByte(header.call_id, i);
  return reply;
}

ReplyFacts ReadReply(const char* data, size_t size) {
  ReplyFacts facts;
  if (data == nullptr || size < kReplyHeaderSize) return facts;
  facts.call_id = GetU64(data);
  facts.payload_digest = GetU64(data + 8);
  uint64_t extra = GetU64(data + 16);
  if (extra != size - kReplyHeaderSize) return facts;
  for (uint64_t i = 0; i < extra; ++i) {
    if (data[kReplyHeaderSize + i] != ExtraByte(facts.call_id, i)) return facts;
  }
  facts.well_formed = true;
  return facts;
}

std::string RaisedMessageFor(uint64_t call_id) {
  return kRaisedPrefix + std::to_string(call_id) + " raised on purpose";
}

bool ReadRaisedMessage(const char* data, size_t size, uint64_t* call_id) {
  std::string text(data ? data : "", data ? size : 0);
  size_t at = text.find(kRaisedPrefix);
  if (at == std::string::npos) return false;
  *call_id = std::strtoull(text.c_str() + at + sizeof(kRaisedPrefix) - 1, nullptr, 10);
  return true;
}

CallPlan NestedCallOf(const Scenario& scenario, uint64_t outer_call_id) {
  return CallPlan{scenario.calls + outer_call_id, Behaviour::kReturn, 0, scenario.payload_min};
}

}  // namespace handoff
