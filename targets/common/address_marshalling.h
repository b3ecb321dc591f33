// address_marshalling.h — for adapters whose library carries the call's data
// as integers (glib2's closure arguments and result, glib2_log's message):
// the payload read from its address by the Ruby block (a module function),
// and the reply as one malloc'd block [u64 size | bytes] made on the Ruby
// side and taken apart by invoke.
#pragma once

#include <ruby.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "handoff/target.h"

namespace handoff_targets {

// A Ruby module function (address, size) -> the payload bytes, a String.
inline VALUE PayloadAt(VALUE, VALUE address, VALUE size) {
  auto* data = reinterpret_cast<const char*>(static_cast<uintptr_t>(rb_num2ull(address)));
  return rb_str_new(data, static_cast<long>(rb_num2ull(size)));
}

// A malloc'd [u64 size | bytes] copy of data[size].
inline char* NewSizedReply(const char* data, uint64_t size) {
  auto* block = static_cast<char*>(std::malloc(sizeof size + size));
  std::memcpy(block, &size, sizeof size);
  std::memcpy(block + sizeof size, data, size);
  return block;
}

// *reply = OK with the block's bytes; frees the block.
inline void TakeSizedReply(char* block, handoff_target_reply* reply) {
  uint64_t size;
  std::memcpy(&size, block, sizeof size);
  reply->status = HANDOFF_TARGET_OK;
  reply->data = static_cast<char*>(std::malloc(size + 1));
  std::memcpy(reply->data, block + sizeof size, size);
  reply->size = size;
  std::free(block);
}

// *reply = INVALID carrying `why` (the library came back without a reply).
inline void NoReply(const char* why, handoff_target_reply* reply) {
  size_t size = std::strlen(why);
  reply->status = HANDOFF_TARGET_INVALID;
  reply->data = static_cast<char*>(std::malloc(size + 1));
  std::memcpy(reply->data, why, size + 1);
  reply->size = size;
}

}  // namespace handoff_targets
