/*
 * Mutant stop_flag_unsynchronised — stop races the callers.
 * invoke reads a fast-path stopped flag without the lock, stop() writes it
 * without the lock: a data race between stop and the callers. Shown with
 * return-only calls: the harness's own records order nothing between the
 * callers and the stop (run_log.h). ThreadSanitizer builds only.
 */
#define MUTANT_STOP_FLAG_UNSYNCHRONISED 1
#define MUTANT_NAME "stop_flag_unsynchronised"
#define MUTANT_CLASS "stop races the callers"
#define MUTANT_MUST_PRODUCE "data_race"
#define MUTANT_SCENARIO "threads=8 calls=4000 mix=return:1 events=stop@2000"
#include "switchable_bridge.c"
