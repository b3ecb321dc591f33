/*
 * Mutant unblock_means_stop — spurious unblock taken as real.
 * The event thread takes any return from its GVL-free wait with nothing
 * popped as "we are being stopped" and exits, so a spurious unblock
 * (Thread#wakeup runs the unblocking function) stops the bridge and every
 * later call fails with `stopped` (ruby/ruby #898, grpc #38210).
 */
#define MUTANT_UNBLOCK_MEANS_STOP 1
#define MUTANT_NAME "unblock_means_stop"
#define MUTANT_CLASS "spurious unblock taken as real"
#define MUTANT_MUST_PRODUCE "unexpected_status"
#define MUTANT_SCENARIO "threads=8 calls=4000 mix=return:1 events=wakeup@500"
#include "switchable_bridge.c"
