/*
 * Mutant nap_per_call — speed: a sleep in every call.
 * Correct in every other way, but each handler thread naps 1 ms, GVL held,
 * before it runs the block ("let the caller get to its wait first"): every
 * reply is right and an idle bridge still answers within the latency
 * scenario's 8 ms p99, yet no more than about 1,000 calls a second go
 * through, whatever the callers. The declared scenario is the suite's
 * throughput run (min_throughput_ratio: its speed against the condvar floor
 * measured in the same run).
 */
#define MUTANT_NAP_PER_CALL 1
#define MUTANT_NAME "nap_per_call"
#define MUTANT_CLASS "speed: a 1 ms sleep in every call"
#define MUTANT_MUST_PRODUCE "too_slow_throughput"
#define MUTANT_SCENARIO "threads=8 calls=401 payload=0..64 reply=0..64 mix=return:1 min_throughput_ratio=0.01"
#include "switchable_bridge.c"
