#include "owned_value.h"

#include <cstdlib>
#include <cstring>
#include <type_traits>

namespace handoff {

void MallocBytes::Assign(const char* data, size_t size) {
  bool fits = buffer_ && capacity_ > size;
  bool hoards = capacity_ > kKeptCapacity && size < kKeptCapacity;
  if (!fits || hoards) {
    buffer_.reset(static_cast<char*>(std::malloc(size + 1)));
    capacity_ = buffer_ ? size + 1 : 0;
  }
  size_ = buffer_ ? size : 0;
  if (!buffer_) return;
  if (size != 0) std::memcpy(buffer_.get(), data, size);
  buffer_.get()[size] = '\0';
}

void MallocBytes::Reserve(size_t size) {
  if (buffer_ && capacity_ > size) return;
  buffer_.reset(static_cast<char*>(std::malloc(size + 1)));
  capacity_ = buffer_ ? size + 1 : 0;
  size_ = 0;
}

char* MallocBytes::Release() {
  size_ = 0;
  capacity_ = 0;
  return buffer_.release();
}

namespace {

// The type field as an integer: a C caller may pass any value, and loading
// an out-of-range enum is undefined behaviour in C++.
std::underlying_type_t<handoff_type> RawType(const handoff_value& v) {
  std::underlying_type_t<handoff_type> raw_type;
  std::memcpy(&raw_type, &v.type, sizeof raw_type);
  return raw_type;
}

}  // namespace

bool ValidArgs(const handoff_value* args, size_t nargs, std::string* error) {
  for (size_t i = 0; i < nargs; ++i) {
    const handoff_value& in = args[i];
    switch (RawType(in)) {
      case HANDOFF_NIL:
      case HANDOFF_BOOL:
      case HANDOFF_INT:
      case HANDOFF_DOUBLE: break;
      case HANDOFF_BYTES:
        if (in.as.bytes.data == nullptr && in.as.bytes.size != 0) {
          *error = "argument " + std::to_string(i) + ": bytes with NULL data and size " +
                   std::to_string(in.as.bytes.size);
          return false;
        }
        break;
      default:
        *error = "argument " + std::to_string(i) + ": unknown handoff_type " +
                 std::to_string(RawType(in));
        return false;
    }
  }
  return true;
}

void CopyValidArgs(const handoff_value* args, size_t nargs, std::vector<OwnedValue>* out) {
  out->resize(nargs);
  for (size_t i = 0; i < nargs; ++i) {
    const handoff_value& in = args[i];
    OwnedValue& v = (*out)[i];
    v.type = in.type;
    switch (in.type) {
      case HANDOFF_NIL: break;
      case HANDOFF_BOOL: v.boolean = in.as.boolean != 0; break;
      case HANDOFF_INT: v.integer = in.as.integer; break;
      case HANDOFF_DOUBLE: v.real = in.as.real; break;
      case HANDOFF_BYTES: v.bytes.Assign(in.as.bytes.data, in.as.bytes.size); break;
    }
  }
}

bool CopyArgs(const handoff_value* args, size_t nargs,
              std::vector<OwnedValue>* out, std::string* error) {
  if (!ValidArgs(args, nargs, error)) return false;
  CopyValidArgs(args, nargs, out);
  return true;
}

Outcome MakeOutcome(handoff_status status, std::string error_class,
                    std::string error_message) {
  Outcome o;
  o.status = status;
  o.error_class = std::move(error_class);
  o.error_message = std::move(error_message);
  return o;
}

static char* CopyCString(const std::string& s) {
  if (s.empty()) return nullptr;
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (p != nullptr) std::memcpy(p, s.c_str(), s.size() + 1);
  return p;
}

handoff_status FillReply(Outcome&& outcome, handoff_reply* reply) {
  reply->status = outcome.status;
  reply->value = handoff_nil();
  reply->error_class = CopyCString(outcome.error_class);
  reply->error_message = CopyCString(outcome.error_message);
  reply->error_message_size = reply->error_message != nullptr ? outcome.error_message.size() : 0;
  if (outcome.status != HANDOFF_OK) return outcome.status;
  OwnedValue& v = outcome.value;
  switch (v.type) {
    case HANDOFF_NIL: break;
    case HANDOFF_BOOL: reply->value = handoff_bool(v.boolean); break;
    case HANDOFF_INT: reply->value = handoff_int(v.integer); break;
    case HANDOFF_DOUBLE: reply->value = handoff_double(v.real); break;
    case HANDOFF_BYTES: {
      // One extra NUL byte (MallocBytes has it) so C callers may treat short
      // text replies as strings. An empty value owns no buffer: give it one.
      size_t size = v.bytes.size();
      if (size == 0) v.bytes.Assign("", 0);
      char* p = v.bytes.Release();
      if (p != nullptr) reply->value = handoff_bytes(p, size);
      break;
    }
  }
  return outcome.status;
}

}  // namespace handoff
