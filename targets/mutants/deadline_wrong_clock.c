/*
 * Mutant deadline_wrong_clock — deadlines (a deadline on the wrong clock).
 * The deadline is computed from CLOCK_REALTIME, but the condition variable
 * waits on CLOCK_MONOTONIC (pthread_condattr_setclock): to it the deadline is
 * decades away, so no call ever times out. The target still declares
 * HANDOFF_TARGET_HAS_DEADLINES; every reply is right, it just comes when the
 * block is done, however long past the caller's deadline that is.
 */
#define MUTANT_DEADLINE_WRONG_CLOCK 1
#define MUTANT_NAME "deadline_wrong_clock"
#define MUTANT_CLASS "deadlines (a deadline on the wrong clock)"
#define MUTANT_MUST_PRODUCE "deadline_missed"
#define MUTANT_SCENARIO "threads=8 calls=96 mix=return:9,slow:1 slow_us=2000000 deadline_ms=20"
/* What shows it is content, not timing: one seed is as good as three. */
#define MUTANT_SEEDS 1
#include "switchable_bridge.c"
