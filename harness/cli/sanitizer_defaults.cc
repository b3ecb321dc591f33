// Sanitizer defaults for every harness executable; the TSAN_OPTIONS /
// ASAN_OPTIONS environment variables still override them. A run stops at
// its first report with exit status 66, which the supervisor reads as the
// report's kind. No suppressions: see shared/DESIGN.md (an uninstrumented
// libruby runs clean without any).
extern "C" const char* __tsan_default_options() {
  return "halt_on_error=1:exitcode=66:second_deadlock_stack=1";
}

extern "C" const char* __asan_default_options() { return "detect_leaks=0"; }
