/*
 * Mutant handler_calls_block_without_gvl — the GVL rule (the Ruby C API
 * inside rb_thread_call_without_gvl). The Ruby thread that serves a request
 * releases the GVL and calls the block (rb_funcall) from inside the
 * without-GVL function: a Ruby thread that does not hold the GVL runs Ruby
 * code alongside the thread that does. It crashes or corrupts the VM only
 * when two such calls, or one and the GC, actually overlap; the GVL check
 * (gvl_check.h) reports the first rb_funcall.
 */
#define MUTANT_HANDLER_CALLS_BLOCK_WITHOUT_GVL 1
#define MUTANT_NAME "handler_calls_block_without_gvl"
#define MUTANT_CLASS "GVL rule (Ruby C API inside rb_thread_call_without_gvl)"
#define MUTANT_MUST_PRODUCE "gvl_violation"
#define MUTANT_SCENARIO "threads=2 calls=100 mix=return:1"
#include "switchable_bridge.c"
