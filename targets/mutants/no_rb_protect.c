/*
 * Mutant no_rb_protect — exception escapes the handler thread.
 * The block runs without rb_protect: its exception kills the handler
 * thread before the reply is written, and the caller waits forever (the
 * seed's design; ffi #141).
 */
#define MUTANT_NO_RB_PROTECT 1
#define MUTANT_NAME "no_rb_protect"
#define MUTANT_CLASS "exception escapes the handler thread"
#define MUTANT_MUST_PRODUCE "deadlock"
#define MUTANT_SCENARIO "threads=4 calls=1000 mix=return:9,raise:1"
#include "switchable_bridge.c"
