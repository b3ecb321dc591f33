/*
 * hostile.c — targets that attack the harness itself, not bridges with a
 * bug class: each is targets/example/my_bridge.c (a correct bridge) with one
 * hostile act switched on by HOSTILE_<MODE>. The no-hang tests
 * (harness/test/no_hang_test.sh) check that handoff-stress and the
 * properties still return a verdict within their deadline plus a small
 * fixed margin, and that no process the run created is left behind.
 *
 *   HOSTILE_FORK_CHILD_BLOCKS  after_fork_child blocks forever, SIGTERM ignored
 *   HOSTILE_STOP_BLOCKS        stop() never returns (GVL held)
 *   HOSTILE_EXIT_IN_BLOCK      the block calls Process.exit! on the first call
 *   HOSTILE_SIGSTOP_IN_BLOCK   the block stops its own process (SIGSTOP) on the first call
 *   HOSTILE_IGNORES_SIGTERM    SIGTERM ignored, and the first call's block never returns
 *   HOSTILE_FORKS_GRANDCHILDREN  the 1st, 51st, ... block forks a process that leaves the
 *                              process group (setsid), ignores SIGTERM and
 *                              sleeps forever holding the run's pipes; the
 *                              bridge itself stays correct (the run passes)
 *
 * Every process it forks names itself "handoff-hostile" (prctl), and the
 * tests look for leftovers by an environment marker the run inherits.
 */
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#define handoff_target_entry my_bridge_target_entry
#include "../example/my_bridge.c"
#undef handoff_target_entry

static void hostile_forever(void) {
  signal(SIGTERM, SIG_IGN);
  for (;;) pause();
}

/* A process that outlives whoever forked it: own session, SIGTERM ignored. */
static VALUE hostile_fork_lingering(VALUE self) {
  (void)self;
  pid_t pid = fork();
  if (pid == 0) {
    setsid();
    prctl(PR_SET_NAME, "handoff-hostile");
    hostile_forever();
  }
  return Qnil;
}

static VALUE hostile_block_forever(VALUE self) {
  (void)self;
  signal(SIGTERM, SIG_IGN);
  rb_thread_call_without_gvl((void *(*)(void *))hostile_forever, NULL, NULL, NULL);
  return Qnil;
}

/* The block the bridge runs: the harness's handler behind a hostile act. */
static const char kHostileBlock[] =
#if defined(HOSTILE_EXIT_IN_BLOCK)
    "proc { |payload| Process.exit!(3) if ($hostile_calls += 1) == 1; $hostile_handler.call(payload) }";
#elif defined(HOSTILE_SIGSTOP_IN_BLOCK)
    "proc { |payload| Process.kill(:STOP, $$) if ($hostile_calls += 1) == 1; $hostile_handler.call(payload) }";
#elif defined(HOSTILE_IGNORES_SIGTERM)
    "proc { |payload| HostileTarget.block_forever if ($hostile_calls += 1) == 1; $hostile_handler.call(payload) }";
#elif defined(HOSTILE_FORKS_GRANDCHILDREN)
    "proc { |payload| HostileTarget.fork_lingering if ($hostile_calls += 1) % 50 == 1; $hostile_handler.call(payload) }";
#else
    "$hostile_handler";
#endif

static int hostile_start(const handoff_target_host *host, uintptr_t handler, char *error,
                         size_t error_size) {
  VALUE module = rb_define_module("HostileTarget");
  rb_define_module_function(module, "fork_lingering", hostile_fork_lingering, 0);
  rb_define_module_function(module, "block_forever", hostile_block_forever, 0);
  rb_gv_set("$hostile_handler", (VALUE)handler);
  rb_gv_set("$hostile_calls", INT2FIX(0));
  VALUE block = rb_eval_string(kHostileBlock);
  static VALUE kept = Qnil;
  kept = block;
  rb_gc_register_address(&kept);
  return my_start(host, (uintptr_t)block, error, error_size);
}

static void hostile_stop(void) {
#ifdef HOSTILE_STOP_BLOCKS
  hostile_forever();
#endif
  my_stop();
}

static void hostile_after_fork_child(void) {
#ifdef HOSTILE_FORK_CHILD_BLOCKS
  prctl(PR_SET_NAME, "handoff-hostile");
  hostile_forever();
#endif
  my_after_fork_child();
}

static const handoff_target kHostileTarget = {
    HANDOFF_TARGET_ABI_VERSION,
    HANDOFF_TARGET_HAS_DEADLINES | HANDOFF_SYNC_POINTS_FLAG,
    "hostile_" HOSTILE_NAME,
    "attacks the harness (no-hang tests): " HOSTILE_NAME,
    hostile_start,
    my_invoke,
    hostile_stop,
    my_kill_event_thread,
    hostile_after_fork_child,
    my_describe,    NULL, /* no posts (ABI 2: post, flush, post_stats, policy, capacity) */
    NULL,
    NULL,
    0,
    0,
};

HANDOFF_TARGET_EXPORT const handoff_target *handoff_target_entry(void) { return &kHostileTarget; }
