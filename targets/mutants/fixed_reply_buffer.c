/*
 * Mutant fixed_reply_buffer — a reply cut short.
 * Replies are copied into a 4 KiB slot: anything longer comes back
 * truncated. The default run's replies reach 64 KiB (and 1 MiB for large); the
 * declared scenario is that run with 2,000 calls.
 */
#define MUTANT_FIXED_REPLY_BUFFER 1
#define MUTANT_NAME "fixed_reply_buffer"
#define MUTANT_CLASS "a reply cut short"
#define MUTANT_MUST_PRODUCE "wrong_reply"
#define MUTANT_SCENARIO "threads=8 calls=2000 mix=return:90,raise:4,slow:2,gc:2,reenter:1,large:1 callers=foreign:6,gvl:1,nogvl:1"
/* What shows it is content, not timing: one seed is as good as three. */
#define MUTANT_SEEDS 1
#include "switchable_bridge.c"
