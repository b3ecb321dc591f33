/*
 * Mutant pop_without_mutex — memory ordering (queue popped without its mutex).
 * The event thread, "the only consumer", pops the queue after releasing
 * its mutex, while foreign threads push under it: the head pointer is
 * written by two threads without synchronisation.
 */
#define MUTANT_POP_WITHOUT_MUTEX 1
#define MUTANT_NAME "pop_without_mutex"
#define MUTANT_CLASS "memory ordering (queue popped without its mutex)"
#define MUTANT_MUST_PRODUCE "data_race"
#define MUTANT_SCENARIO "threads=8 calls=4000 mix=return:1"
#include "switchable_bridge.c"
