/*
 * Mutant polling_event_thread — latency: polling with a sleep.
 * The event thread polls its queue every 10 ms instead of waiting on the
 * condition variable: an idle bridge answers in up to 10 ms. The declared
 * scenario is ci/stress's latency run (its p99 budget).
 */
#define MUTANT_POLLING_EVENT_THREAD 1
#define MUTANT_NAME "polling_event_thread"
#define MUTANT_CLASS "latency: polling with a sleep"
#define MUTANT_MUST_PRODUCE "too_slow"
#define MUTANT_SCENARIO "threads=2 calls=400 payload=0..64 reply=0..64 mix=return:1 max_p99_us=8000"
#include "switchable_bridge.c"
