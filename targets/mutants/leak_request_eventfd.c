/*
 * Mutant leak_request_eventfd — resource (a descriptor per call never closed).
 * Every request opens an eventfd that complete() signals, for a waiter that
 * would poll() it with its deadline; free_request frees the request but
 * never closes the descriptor. Nothing fails while the process has
 * descriptors to spare (the soft limit here is 20,000): the calls all come
 * back right, and only a process that runs long enough dies of EMFILE.
 */
#define MUTANT_LEAK_REQUEST_EVENTFD 1
#define MUTANT_NAME "leak_request_eventfd"
#define MUTANT_CLASS "resource (a descriptor per call never closed)"
#define MUTANT_MUST_PRODUCE "handle_leak"
#define MUTANT_SCENARIO "threads=4 calls=400 mix=return:1"
/* What shows it is content, not timing: one seed is as good as three. */
#define MUTANT_SEEDS 1
#include "switchable_bridge.c"
