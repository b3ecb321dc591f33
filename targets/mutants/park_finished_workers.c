/*
 * Mutant park_finished_workers — resource (a thread per call that never ends).
 * A Ruby thread that finished its request parks, without the GVL, "to be
 * reused"; but the event thread starts a new thread for every request, so
 * one more thread stays parked per call until stop wakes them all. Every
 * reply is right and stop is clean: the process just holds a thread (and
 * its stack) for every call it has served.
 */
#define MUTANT_PARK_FINISHED_WORKERS 1
#define MUTANT_NAME "park_finished_workers"
#define MUTANT_CLASS "resource (a thread per call that never ends)"
#define MUTANT_MUST_PRODUCE "handle_leak"
#define MUTANT_SCENARIO "threads=4 calls=400 mix=return:1"
/* What shows it is content, not timing: one seed is as good as three. */
#define MUTANT_SEEDS 1
#include "switchable_bridge.c"
