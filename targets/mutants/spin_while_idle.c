/*
 * Mutant spin_while_idle — an event thread that spins on its queue (a
 * busy loop between looks) instead of waiting on the condition variable, to save the
 * microseconds of a wakeup. Every call is answered right, and fast; the
 * cost is a core burnt whenever nobody calls, which only an idle window
 * shows (release builds).
 */
#define MUTANT_SPIN_WHILE_IDLE 1
#define MUTANT_NAME "spin_while_idle"
#define MUTANT_CLASS "a busy event thread (spins on its queue while idle)"
#define MUTANT_MUST_PRODUCE "idle_cpu"
#define MUTANT_SCENARIO "threads=4 calls=1000 mix=return:1 events=idle@500"
#include "switchable_bridge.c"
