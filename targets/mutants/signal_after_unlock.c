/*
 * Mutant signal_after_unlock — request destroyed while signalled.
 * The handler thread sets `done` under the request's mutex but signals the
 * condition variable after unlocking it; the waiter can see `done`, return
 * and free the request (and its condvar) while the signal is still running:
 * pthread_cond_destroy races pthread_cond_signal (grpc #42809). Only a race
 * detector sees it reliably.
 */
#define MUTANT_SIGNAL_AFTER_UNLOCK 1
#define MUTANT_NAME "signal_after_unlock"
#define MUTANT_CLASS "destroy after signal"
#define MUTANT_MUST_PRODUCE "data_race"
#define MUTANT_SCENARIO "threads=8 calls=4000 mix=return:1"
#include "switchable_bridge.c"
