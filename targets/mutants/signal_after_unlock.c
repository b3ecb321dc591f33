/*
 * Mutant signal_after_unlock — must produce: data_race (ThreadSanitizer builds).
 * The handler thread sets `done` under the request's mutex but signals the
 * condition variable after unlocking it; the waiter can see `done`, return
 * and destroy the request (and its condvar, on its stack) while the signal
 * is still running: pthread_cond_destroy races pthread_cond_signal
 * (DESIGN.md class 8; grpc #42809). Only a race detector sees it reliably.
 */
#define MUTANT_SIGNAL_AFTER_UNLOCK 1
#define MY_BRIDGE_NAME "mutant_signal_after_unlock"
#define MY_BRIDGE_DESCRIPTION "broken on purpose: notify after unlock, then destroy (class 8) -> data_race"
#include "../example/my_bridge.c"
