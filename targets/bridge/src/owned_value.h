// owned_value.h — a handoff_value that owns its bytes, and the copies in and
// out of the C structs of bridge.h. No Ruby here: any thread may use these.
#ifndef HANDOFF_SRC_OWNED_VALUE_H
#define HANDOFF_SRC_OWNED_VALUE_H

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "handoff/bridge.h"

namespace handoff {

// Bytes in a buffer from malloc(), with one NUL past the end, so that a
// reply hands the buffer itself to its C caller (handoff_reply_free frees
// it) instead of copying it once more. Move-only. Assign reuses the buffer
// it has when it is big enough (a calling thread's request keeps its
// argument buffers from call to call: no fresh pages per call), up to
// kKeptCapacity; a bigger one is given back by the next smaller Assign.
class MallocBytes {
 public:
  static constexpr size_t kKeptCapacity = (size_t{64} << 10) + 1;  // 64 KiB and its NUL

  // Copies `size` bytes from `data`. Out of memory: left empty.
  void Assign(const char* data, size_t size);
  // Makes room for `size` bytes (and the NUL) without copying: holds no
  // bytes yet. Out of memory: left without a buffer.
  void Reserve(size_t size);
  const char* data() const { return buffer_ ? buffer_.get() : ""; }
  size_t size() const { return size_; }
  // The buffer (NUL-terminated, for free()), or nullptr when empty; leaves this empty.
  char* Release();
  // Frees the buffer if it holds more than `capacity` bytes; leaves this empty then.
  void GiveBackAbove(size_t capacity) {
    if (capacity_ > capacity) std::free(Release());
  }

 private:
  struct Free {
    void operator()(char* p) const { std::free(p); }
  };
  std::unique_ptr<char, Free> buffer_;
  size_t size_ = 0;
  size_t capacity_ = 0;  // bytes of buffer_, NUL included
};

struct OwnedValue {
  handoff_type type = HANDOFF_NIL;
  bool boolean = false;
  int64_t integer = 0;
  double real = 0.0;
  MallocBytes bytes;  // only for HANDOFF_BYTES
};

// Whether `nargs` caller values can be copied: false, with `error` saying
// which argument is bad, for an unknown type or NULL data with a size.
// REQUIRES: args points to nargs values, or nargs == 0.
bool ValidArgs(const handoff_value* args, size_t nargs, std::string* error);

// Copies `nargs` caller values into `out`, reusing its elements' buffers.
// REQUIRES: ValidArgs(args, nargs) is true.
void CopyValidArgs(const handoff_value* args, size_t nargs, std::vector<OwnedValue>* out);

// ValidArgs, then CopyValidArgs.
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
// frees; a bytes value's buffer moves from `outcome` into the reply. Returns
// outcome.status. Never fails short of running out of memory (then the reply
// carries no bytes and no strings).
handoff_status FillReply(Outcome&& outcome, handoff_reply* reply);

}  // namespace handoff

#endif
