/*
 * Mutant post_makes_ruby_string — post allocates a Ruby object off the GVL.
 * "Make the payload's String at once, ready for the block": post calls
 * rb_str_new on the posting thread, a foreign thread without the GVL (a
 * heap corrupted at random, as GC runs on another thread).
 */
#define MUTANT_POST_MAKES_RUBY_STRING 1
#define MUTANT_NAME "post_makes_ruby_string"
#define MUTANT_CLASS "post allocates a Ruby object on the native thread"
#define MUTANT_MUST_PRODUCE "gvl_violation"
#define MUTANT_SCENARIO "threads=4 calls=400 payload=16..256 reply=0..64 mix=post:1,return:1 events=none"
#include "switchable_bridge.c"
