/*
 * Mutant zero_copy_reply — a Ruby object's memory read on a foreign thread.
 * "Zero copy": the handler keeps the block's reply String alive (in a
 * registered Array) and the waiting foreign caller copies the bytes straight
 * out of it with RSTRING_PTR/RSTRING_LEN — inline reads, no Ruby API call,
 * so no GVL check sees it, and the object is rooted, so nothing crashes. But
 * the caller reads the object without the GVL while the GC, running on a
 * Ruby thread, writes the same word (marking ages a young object in its
 * flags): a race with Ruby's own code, invisible while libruby is not
 * instrumented. Caught as data_race only by the tsan-ruby preset.
 */
#define MUTANT_ZERO_COPY_REPLY 1
#define MUTANT_NAME "zero_copy_reply"
#define MUTANT_CLASS "GVL rule (a Ruby object read on a foreign thread)"
#define MUTANT_MUST_PRODUCE "data_race"
#define MUTANT_NEEDS "instrumented_ruby"
#define MUTANT_SCENARIO "threads=8 calls=4000 mix=return:4,gc:1 gc_objects=2000"
#include "switchable_bridge.c"
