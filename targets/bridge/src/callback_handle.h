// callback_handle.h — the native side of one Handoff::Callback.
//
// Its first member is the handoff_callback that C code holds (bridge.h), so a
// handoff_callback* converts back to a CallbackHandle*. References: one for
// the Ruby object, one per request in flight; the memory is freed with the
// last. The block VALUE is only read with the GVL held and only while the
// handle is not disposed (the Ruby object, and so the block, stays registered
// in Handoff's registry until #dispose).
#ifndef HANDOFF_SRC_CALLBACK_HANDLE_H
#define HANDOFF_SRC_CALLBACK_HANDLE_H

#include <ruby.h>

#include <atomic>

#include "handoff/bridge.h"

namespace handoff {

struct CallbackHandle {
  handoff_callback abi;           // must stay first
  std::atomic<int> refs{1};
  std::atomic<bool> disposed{false};
  VALUE callable = Qnil;          // GVL only; marked and moved by the Ruby object
  VALUE self = Qnil;              // GVL only; the Handoff::Callback, pinned while registered

  static CallbackHandle* From(handoff_callback* cb) {
    return reinterpret_cast<CallbackHandle*>(cb);
  }
  void Retain() { refs.fetch_add(1, std::memory_order_relaxed); }
  void Release() {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
};

}  // namespace handoff

#endif
