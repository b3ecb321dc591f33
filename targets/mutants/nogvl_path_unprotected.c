/*
 * Mutant nogvl_path_unprotected — an exception escapes the bridge.
 * A Ruby thread that released the GVL runs the block through
 * rb_thread_call_with_gvl without rb_protect: a raising block unwinds over
 * the C caller's frames. The default run has such callers (callers=...nogvl:1); the declared scenario is that run with 2,000 calls.
 */
#define MUTANT_NOGVL_PATH_UNPROTECTED 1
#define MUTANT_NAME "nogvl_path_unprotected"
#define MUTANT_CLASS "an exception escapes the bridge"
#define MUTANT_MUST_PRODUCE "swallowed_exception"
#define MUTANT_SCENARIO "threads=8 calls=2000 mix=return:90,raise:4,slow:2,gc:2,reenter:1,large:1 callers=foreign:6,gvl:1,nogvl:1"
/* What shows it is content, not timing: one seed is as good as three. */
#define MUTANT_SEEDS 1
#include "switchable_bridge.c"
