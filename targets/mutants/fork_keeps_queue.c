/*
 * Mutant fork_keeps_queue — state inherited across fork.
 * In a forked child the bridge restarts its event thread but keeps the
 * parent's queue, so the child runs the parent's callbacks again
 * (ffi #884, #1050, #1114).
 */
#define MUTANT_FORK_KEEPS_QUEUE 1
#define MUTANT_NAME "fork_keeps_queue"
#define MUTANT_CLASS "state inherited across fork"
#define MUTANT_MUST_PRODUCE "handler_not_once"
#define MUTANT_SCENARIO "threads=16 calls=8000 mix=return:1 background=2 events=fork@1000,fork@3000,fork@5000"
#include "switchable_bridge.c"
