// sized_reply.h — for adapters whose library carries a reply as one
// pointer-sized value (glib2's closure result, glib2_log's reply slot): the
// reply as one malloc'd block [u64 size | bytes], made by the Ruby side and
// taken apart by invoke.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "handoff/target.h"

namespace handoff_targets {

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
