/*
 * Mutant queue_every_caller — GVL holder waits on the event thread.
 * Every caller is queued to the event thread, even a Ruby thread that holds
 * the GVL: it then waits, GVL in hand, for an event thread that needs the
 * GVL to run anything (ffi #241, #343, #560). A block that fires a callback
 * from its own thread (reenter_gvl) hangs the VM.
 */
#define MUTANT_QUEUE_EVERY_CALLER 1
#define MUTANT_NAME "queue_every_caller"
#define MUTANT_CLASS "GVL holder waits on the event thread"
#define MUTANT_MUST_PRODUCE "deadlock"
#define MUTANT_SCENARIO "threads=4 calls=400 mix=return:8,reenter_gvl:2"
#include "switchable_bridge.c"
