#include "run/background_load.h"

#include <ruby.h>

#include <string>

#include "handoff/embedded_ruby.h"

namespace handoff {
namespace {

VALUE g_background = Qnil;  // the threads' Array, rooted once started

}  // namespace

std::vector<long> StartBackground(int count) {
  std::vector<long> thread_ids;
  if (count <= 0) return thread_ids;
  std::string error;
  std::string code =
      "started = Queue.new\n"
      "$handoff_background = Array.new(" + std::to_string(count) + ") do\n"
      "  Thread.new { started << Thread.current.native_thread_id; x = 0; loop { 2000.times { x += 1 }; Thread.pass } }\n"
      "end\n"
      "Array.new(" + std::to_string(count) + ") { started.pop }";
  VALUE ids = Qnil;
  if (!EvalRuby(code, &error, &ids)) return thread_ids;
  EvalRuby("$handoff_background", &error, &g_background);
  rb_gc_register_address(&g_background);
  for (long i = 0; i < RARRAY_LEN(ids); ++i) thread_ids.push_back(NUM2LONG(rb_ary_entry(ids, i)));
  return thread_ids;
}

void StopBackground() {
  std::string error;
  EvalRuby("($handoff_background || []).each { |t| t.kill; t.join }; $handoff_background = nil",
           &error);
}

}  // namespace handoff
