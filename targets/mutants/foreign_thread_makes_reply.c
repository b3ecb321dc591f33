/*
 * Mutant foreign_thread_makes_reply — the GVL rule (the Ruby C API on a
 * foreign thread). The Ruby thread only runs the block and hands its result
 * (a VALUE) to the waiting caller, which makes its reply from it itself:
 * rb_String(result) and a copy of the bytes, on a thread Ruby did not create
 * and that can never hold the GVL. For a String result rb_String returns at
 * once, so nothing crashes and every reply is right: only the GVL check
 * (gvl_check.h) sees it, on the first call (ffi #527's family: Ruby objects
 * touched off the GVL "because it is only a read").
 */
#define MUTANT_FOREIGN_THREAD_MAKES_REPLY 1
#define MUTANT_NAME "foreign_thread_makes_reply"
#define MUTANT_CLASS "GVL rule (Ruby C API on a foreign thread)"
#define MUTANT_MUST_PRODUCE "gvl_violation"
#define MUTANT_SCENARIO "threads=2 calls=100 mix=return:1"
#include "switchable_bridge.c"
