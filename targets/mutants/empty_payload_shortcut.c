/*
 * Mutant empty_payload_shortcut — a request dropped before dispatch.
 * An empty payload is answered at once with an empty reply ("nothing to
 * hand over"), the block never called. Only content-checked (anonymous)
 * payloads can show it: the handler ran fewer times than such calls
 * returned ok. The declared scenario is the default run (2,000 calls instead of 10,000).
 */
#define MUTANT_EMPTY_PAYLOAD_SHORTCUT 1
#define MUTANT_NAME "empty_payload_shortcut"
#define MUTANT_CLASS "a request dropped before dispatch"
#define MUTANT_MUST_PRODUCE "handler_not_once"
#define MUTANT_SCENARIO "threads=8 calls=2000 mix=return:90,raise:4,slow:2,gc:2,reenter:1,large:1 callers=foreign:6,gvl:1,nogvl:1"
/* What shows it is content, not timing: one seed is as good as three. */
#define MUTANT_SEEDS 1
#include "switchable_bridge.c"
