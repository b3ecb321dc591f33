/*
 * Mutant classify_by_gvl_only — calling thread misclassified.
 * The calling thread is classified by "does it hold the GVL?" alone, so a
 * foreign thread is taken for a Ruby thread that released the GVL and calls
 * rb_thread_call_with_gvl, which Ruby answers with [BUG] and exit (ffi #527,
 * #584). The GVL check (gvl_check.h) reports that call before Ruby exits:
 * gvl_violation (with --no-gvl-check, the [BUG] exit: crash).
 */
#define MUTANT_CLASSIFY_BY_GVL_ONLY 1
#define MUTANT_NAME "classify_by_gvl_only"
#define MUTANT_CLASS "calling thread misclassified"
#define MUTANT_MUST_PRODUCE "gvl_violation"
#define MUTANT_SCENARIO "threads=2 calls=100 mix=return:1"
#include "switchable_bridge.c"
