// callback_object.h — Handoff::Callback, the Ruby object behind a handle.
//
//   Handoff::Callback.new { |*args| reply }   or   Handoff::Callback.new(callable)
//   #handle    -> Integer, the handoff_callback* to give to C code
//   #dispose   -> unregisters it; the handle then answers HANDOFF_INVALID
//   #disposed?
//
// A callback is registered from creation until #dispose: while registered
// neither it nor its block can be collected, and GC.compact moves the block
// safely (marked movable, updated on compaction; the Callback itself is pinned).
#ifndef HANDOFF_SRC_CALLBACK_OBJECT_H
#define HANDOFF_SRC_CALLBACK_OBJECT_H

#include <ruby.h>

namespace handoff {

// Defines Handoff::Callback under `module`. Called once from Init_handoff.
void InitCallbackClass(VALUE module);

}  // namespace handoff

#endif
