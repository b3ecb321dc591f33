/*
 * Mutant ruby_thread_means_gvl — calling thread misclassified.
 * The calling thread is classified by "is it a Ruby thread?" alone, so a
 * Ruby thread that released the GVL (a block that re-enters the bridge from
 * inside rb_thread_call_without_gvl) is taken for one holding it and runs the
 * block itself, without the GVL: ruby-glib2 3.4.3's rbgutil_invoke_callback
 * path (with reenter_nogvl: a crash or deadlock in 2 runs of 10). The GVL
 * check (gvl_check.h) reports the first Ruby call on that path.
 */
#define MUTANT_RUBY_THREAD_MEANS_GVL 1
#define MUTANT_NAME "ruby_thread_means_gvl"
#define MUTANT_CLASS "calling thread misclassified"
#define MUTANT_MUST_PRODUCE "gvl_violation"
#define MUTANT_SCENARIO "threads=4 calls=400 mix=return:3,reenter_nogvl:1"
#include "switchable_bridge.c"
