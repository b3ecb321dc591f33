/*
 * Mutant kill_dropped_without_gvl — a Thread#kill of a Ruby caller is
 * dropped. A Ruby thread that released the GVL calls the bridge, which runs
 * the block through rb_thread_call_with_gvl. A Thread#kill that lands in the
 * block is caught by rb_protect, and cannot be re-raised across
 * rb_thread_call_with_gvl; "Ruby delivers it again later", the bridge
 * assumes, and returns `stopped`. Ruby does not: the thread lives on, makes
 * its next calls, and whoever killed it waits on its join (what
 * my_bridge.c did before the caller_kill event showed it).
 */
#define MUTANT_KILL_DROPPED_WITHOUT_GVL 1
#define MUTANT_NAME "kill_dropped_without_gvl"
#define MUTANT_CLASS "a Thread#kill of a Ruby caller thread inside the bridge is dropped"
#define MUTANT_MUST_PRODUCE "swallowed_exception"
#define MUTANT_SCENARIO "threads=3 calls=1500 mix=return:8,slow:1 callers=nogvl:1 events=caller_kill@200,caller_kill@500,caller_kill@800"
#include "switchable_bridge.c"
