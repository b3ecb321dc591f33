/*
 * Mutant done_without_sync — memory ordering (done flag read without synchronisation).
 * The waiter polls `done` as a plain bool, with no lock or acquire, and
 * then reads the reply: nothing orders the handler's writes before it.
 */
#define MUTANT_DONE_WITHOUT_SYNC 1
#define MUTANT_NAME "done_without_sync"
#define MUTANT_CLASS "memory ordering (done flag read without synchronisation)"
#define MUTANT_MUST_PRODUCE "data_race"
#define MUTANT_SCENARIO "threads=4 calls=2000 mix=return:1"
#include "switchable_bridge.c"
