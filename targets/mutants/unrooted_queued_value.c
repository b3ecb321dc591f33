/*
 * Mutant unrooted_queued_value — GC collects a queued value.
 * The event thread makes the Ruby String for a request's payload and hands
 * it to the handler thread inside the request, a malloc'd struct the GC
 * never scans: while the handler thread waits for the GVL, a GC can collect
 * the String, and the block is handed a dead object: the VM crashes
 * (ffi #820, #1089; grpc #41809).
 */
#define MUTANT_UNROOTED_QUEUED_VALUE 1
#define MUTANT_NAME "unrooted_queued_value"
#define MUTANT_CLASS "GC collects a queued value"
#define MUTANT_MUST_PRODUCE "crash"
#define MUTANT_SCENARIO "threads=8 calls=4000 mix=return:4,gc:1 gc_objects=5000"
#include "switchable_bridge.c"
