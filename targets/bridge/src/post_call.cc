#include "post_call.h"

#include <ruby.h>

#include <string>

#include "callback_handle.h"
#include "request_queue.h"

extern "C" int ruby_thread_has_gvl_p(void);

namespace handoff {

handoff_status Post(handoff_callback* cb, const handoff_value* args, size_t nargs) {
  CallbackHandle* handle = CallbackHandle::From(cb);
  PostQueue& posts = CurrentQueue().posts();
  std::string error;
  if (handle->disposed.load(std::memory_order_acquire) || (args == nullptr && nargs != 0) ||
      !ValidArgs(args, nargs, &error)) {
    return posts.Refused(HANDOFF_INVALID);
  }
  // A thread holding the GVL cannot wait for the post thread, which needs it.
  bool holds_gvl = ruby_native_thread_p() && ruby_thread_has_gvl_p();
  return posts.Post(handle, args, nargs, !holds_gvl);
}

void Stats(handoff_callback*, handoff_stats* out) { *out = CurrentQueue().posts().Stats(); }

}  // namespace handoff
