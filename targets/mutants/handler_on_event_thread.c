/*
 * Mutant handler_on_event_thread — re-entrant callback.
 * The event thread runs each block itself: a block that fires another
 * foreign callback and waits for it waits on the only thread that could
 * serve it (LMFAO comment; karafka-rdkafka #454).
 */
#define MUTANT_HANDLER_ON_EVENT_THREAD 1
#define MUTANT_NAME "handler_on_event_thread"
#define MUTANT_CLASS "re-entrant callback"
#define MUTANT_MUST_PRODUCE "deadlock"
#define MUTANT_SCENARIO "threads=4 calls=1000 mix=return:9,reenter:1"
#include "switchable_bridge.c"
