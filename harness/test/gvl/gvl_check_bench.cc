// gvl_check_bench: what the GVL check (harness/src/gvl/gvl_check.h) costs per
// checked call. The probe object (gvl_probe.c) calls rb_obj_class (a few ns
// of work) and rb_str_new (an allocation) in a loop through its imports,
// first bound straight to libruby, then through the check's stubs, in one
// process with the GVL held, after a warm-up round. Prints ns per call, the
// best of 7 rounds each.
//   build/release/harness/test/gvl/gvl_check_bench [calls per round]
#include <dlfcn.h>
#include <ruby.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "gvl/gvl_check.h"
#include "handoff/embedded_ruby.h"

namespace {

using ObjClassLoop = unsigned long (*)(unsigned long, VALUE);
using StrNewLoop = unsigned long (*)(unsigned long);

template <typename F>
double BestNanosPerCall(unsigned long calls, F loop) {
  double best = 1e30;
  for (int round = 0; round < 7; ++round) {
    auto start = std::chrono::steady_clock::now();
    loop(calls);
    double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
    best = std::min(best, ns / static_cast<double>(calls));
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  RUBY_INIT_STACK;
  handoff::StartEmbeddedRuby();
  unsigned long calls = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 2000000;
  void* probe = dlopen(GVL_PROBE_PATH, RTLD_NOW | RTLD_LOCAL);
  if (probe == nullptr) {
    std::fprintf(stderr, "gvl_check_bench: %s\n", dlerror());
    return 2;
  }
  auto obj_class = reinterpret_cast<ObjClassLoop>(dlsym(probe, "gvl_probe_loop_obj_class"));
  auto str_new = reinterpret_cast<StrNewLoop>(dlsym(probe, "gvl_probe_loop_str_new"));
  VALUE object = rb_str_new_cstr("x");
  rb_gc_register_address(&object);
  auto measure = [&](double* a, double* b) {
    *a = BestNanosPerCall(calls, [&](unsigned long n) { obj_class(n, object); });
    // With the GC on: its share is the same in both measurements.
    *b = BestNanosPerCall(calls / 10, [&](unsigned long n) { str_new(n); });
    rb_gc_start();
  };
  double off_class, off_str, on_class, on_str;
  measure(&off_class, &off_str);  // warm-up: heap pages, caches, CPU clock
  measure(&off_class, &off_str);
  handoff_target target{};
  target.invoke = reinterpret_cast<decltype(target.invoke)>(reinterpret_cast<void*>(obj_class));
  handoff::StartGvlCheck(&target, [](const handoff::Result&) { std::abort(); });
  handoff::GvlCheckTargetStarted();
  measure(&on_class, &on_str);
  std::printf("| call | check off (ns/call) | check on (ns/call) | cost of the check (ns/call) |\n");
  std::printf("|---|---|---|---|\n");
  std::printf("| rb_obj_class | %.2f | %.2f | %.2f |\n", off_class, on_class, on_class - off_class);
  std::printf("| rb_str_new (8 B) | %.2f | %.2f | %.2f |\n", off_str, on_str, on_str - off_str);
  return 0;
}
