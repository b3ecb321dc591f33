/*
 * Mutant lifo_queue — LIFO queue starves early callers.
 * Requests are pushed at the front of the queue, as in the seed design:
 * under load the newest caller is served first and an early one waits
 * far longer than anyone else (ffi, LMFAO, code reading).
 */
#define MUTANT_LIFO_QUEUE 1
#define MUTANT_NAME "lifo_queue"
#define MUTANT_CLASS "LIFO queue starves early callers"
#define MUTANT_MUST_PRODUCE "starvation"
#define MUTANT_SCENARIO "threads=64 calls=16000 payload=16..256 reply=24..256 mix=return:1 background=3 fairness=6"
#include "switchable_bridge.c"
