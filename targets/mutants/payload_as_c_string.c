/*
 * Mutant payload_as_c_string — a reply made from the wrong bytes.
 * A foreign caller's payload is copied as a C string, up to its first NUL
 * byte: binary payloads reach the block truncated. Caught by the default
 * handoff-stress run (its payloads hold NUL bytes); the declared scenario is
 * that default (2,000 calls instead of 10,000).
 */
#define MUTANT_PAYLOAD_AS_C_STRING 1
#define MUTANT_NAME "payload_as_c_string"
#define MUTANT_CLASS "a reply made from the wrong bytes"
#define MUTANT_MUST_PRODUCE "wrong_reply"
#define MUTANT_SCENARIO "threads=8 calls=2000 mix=return:90,raise:4,slow:2,gc:2,reenter:1,large:1 callers=foreign:6,gvl:1,nogvl:1"
/* What shows it is content, not timing: one seed is as good as three. */
#define MUTANT_SEEDS 1
#include "switchable_bridge.c"
