/*
 * Mutant message_as_c_string — the exception's message lost.
 * The exception's message is copied as a C string: a message with a NUL
 * byte comes back cut short. The default run raises binary messages; the declared scenario is that
 * run with 2,000 calls.
 */
#define MUTANT_MESSAGE_AS_C_STRING 1
#define MUTANT_NAME "message_as_c_string"
#define MUTANT_CLASS "the exception's message lost"
#define MUTANT_MUST_PRODUCE "swallowed_exception"
#define MUTANT_SCENARIO "threads=8 calls=2000 mix=return:90,raise:4,slow:2,gc:2,reenter:1,large:1 callers=foreign:6,gvl:1,nogvl:1"
/* What shows it is content, not timing: one seed is as good as three. */
#define MUTANT_SEEDS 1
#include "switchable_bridge.c"
