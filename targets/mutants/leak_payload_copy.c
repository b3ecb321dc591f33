/*
 * Mutant leak_payload_copy — memory (a copy never freed).
 * The payload copy of every foreign caller's request is never freed. The
 * declared scenario is ci/stress's long run (leak check on, 140,000 calls).
 */
#define MUTANT_LEAK_PAYLOAD_COPY 1
#define MUTANT_NAME "leak_payload_copy"
#define MUTANT_CLASS "memory (a copy never freed)"
#define MUTANT_MUST_PRODUCE "leak"
#define MUTANT_SCENARIO "threads=16 calls=140000 payload=0..4096 reply=0..4096 mix=return:9,raise:1 leak_bytes_per_call=256"
/* What shows it is content, not timing: one seed is as good as three. */
#define MUTANT_SEEDS 1
#include "switchable_bridge.c"
