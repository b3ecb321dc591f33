#include "handoff/embedded_ruby.h"

#include <ruby/thread.h>
#include <ruby/version.h>
#include <stdlib.h>

namespace handoff {
namespace {

VALUE EvalThunk(VALUE code) { return rb_eval_string(StringValueCStr(code)); }

}  // namespace

void StartEmbeddedRuby() {
#if RUBY_API_VERSION_MAJOR == 3 && RUBY_API_VERSION_MINOR < 2
  // Ruby 3.1's compaction reads one VM stack slot past each thread's top
  // frame, where the address of a dead object may be left (ruby/ruby#7081,
  // fixed in 3.2.1); when that object's heap page has been freed, the read
  // crashes. A GC.compact between heap moves frees pages: a correct bridge
  // crashed in 6 runs of 100 of `events=move@500,move@1500,compact@2000,
  // move@2500,move@3500` (the suite's `mixed`), and in 0 of 100 with every
  // page kept, which a free-slot ratio of 1 does (read when Ruby starts;
  // one set by the user is left alone).
  setenv("RUBY_GC_HEAP_FREE_SLOTS_MAX_RATIO", "1.0", 0);
#endif
  static int argc = 1;
  static char arg0[] = "handoff-stress";
  static char* argv_storage[] = {arg0, nullptr};
  char** argv = argv_storage;
  ruby_sysinit(&argc, &argv);
  ruby_init();
  // What `ruby` does before a script (Ruby-defined core methods, rubygems);
  // the empty script is not run.
  static char e[] = "-e", empty[] = "";
  char* options[] = {arg0, e, empty};
  ruby_options(3, options);
}

bool EvalRuby(const std::string& code, std::string* error, VALUE* result) {
  int state = 0;
  VALUE value = rb_protect(EvalThunk, rb_str_new(code.data(), static_cast<long>(code.size())),
                           &state);
  if (state != 0) {
    VALUE exception = rb_errinfo();
    rb_set_errinfo(Qnil);
    if (NIL_P(exception)) {
      *error = "Ruby did a non-local exit (throw, exit or kill)";
    } else {
      VALUE text = rb_funcall(exception, rb_intern("full_message"), 1,
                              rb_hash_new());
      *error = StringValueCStr(text);
    }
    return false;
  }
  if (result != nullptr) *result = value;
  return true;
}

void CallWithoutGvl(const std::function<void()>& body) {
  rb_thread_call_without_gvl(
      [](void* arg) -> void* {
        (*static_cast<const std::function<void()>*>(arg))();
        return nullptr;
      },
      const_cast<std::function<void()>*>(&body), nullptr, nullptr);
}

}  // namespace handoff
