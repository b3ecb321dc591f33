// Sanitizer defaults for every harness executable; the TSAN_OPTIONS /
// ASAN_OPTIONS environment variables still override them. A run stops at
// its first report with exit status 66, which the supervisor reads as the
// report's kind. No suppressions with an uninstrumented libruby: it runs
// clean without any.
// report_thread_leaks=0: the harness leaves threads unjoined only when it
// abandons a hung run (the watchdog's _exit), and TSan's leak report would
// then replace that run's `deadlock` verdict; a target's leaked threads are
// not a failure kind. report_signal_unsafe=0: Ruby's own SEGV handler (its
// [BUG] crash report) calls malloc; with the report on, every crash of the
// VM under TSan would be reported as a TSan error instead of a `crash`.
// atexit_sleep_ms=100 (TSan's default is 1000): TSan sleeps that long in a
// process's exit to catch races with exit-time teardown; every run is a
// process of its own, so the full second was most of a short run's time
// (a property's case, a mutant's seed). 100 ms still gives a thread a
// stopped target left running the time to race with the teardown.
// HANDOFF_TSAN_SUPPRESSIONS: only with a TSan-instrumented libruby (preset
// tsan-ruby), the races inside Ruby itself (cmake/tsan_ruby.supp).
extern "C" const char* __tsan_default_options() {
  return "halt_on_error=1:exitcode=66:second_deadlock_stack=1:report_thread_leaks=0:"
         "report_signal_unsafe=0:atexit_sleep_ms=100"
#ifdef HANDOFF_TSAN_SUPPRESSIONS
         ":suppressions=" HANDOFF_TSAN_SUPPRESSIONS
#endif
      ;
}

// use_sigaltstack=0: Ruby 3.1 gives each Ruby thread a malloc'd signal
// stack and leaves it registered when the thread ends; a finished thread
// waits in Ruby's thread cache for 3 s, then exits, and ASan's thread
// teardown tries to munmap that stack ("unable to unmap" CHECK, every run
// whose hang detection waited over 3 s died as a `crash` instead of the
// `deadlock` it was). Ruby installs its own stack-overflow handler anyway.
extern "C" const char* __asan_default_options() { return "detect_leaks=0:use_sigaltstack=0"; }
