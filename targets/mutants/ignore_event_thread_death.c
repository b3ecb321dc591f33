/*
 * Mutant ignore_event_thread_death — event thread dies, waiters block.
 * Nothing notices the event thread dying: after Thread#kill its queued and
 * later callers wait forever (grpc #23333).
 */
#define MUTANT_IGNORE_EVENT_THREAD_DEATH 1
#define MUTANT_NAME "ignore_event_thread_death"
#define MUTANT_CLASS "event thread dies, waiters block"
#define MUTANT_MUST_PRODUCE "deadlock"
#define MUTANT_SCENARIO "threads=8 calls=4000 mix=return:1 events=kill@500"
#include "switchable_bridge.c"
