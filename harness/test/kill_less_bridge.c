/* fixture_kill_less_bridge: a correct bridge that offers no kill_event_thread
 * (target.h allows NULL). It is the README example (my_bridge.c) with that
 * one entry left out, so every verdict it gets is about the harness: it must
 * pass every property and every scenario that applies, and a scenario with a
 * kill event must come back `n/a`, never a harness error. */
#define handoff_target_entry my_bridge_entry
#include "../../targets/example/my_bridge.c"
#undef handoff_target_entry

static handoff_target g_kill_less;

HANDOFF_TARGET_EXPORT const handoff_target *handoff_target_entry(void) {
  g_kill_less = *my_bridge_entry();
  g_kill_less.name = "fixture_kill_less_bridge";
  g_kill_less.description = "my_bridge without kill_event_thread (a harness test fixture)";
  g_kill_less.kill_event_thread = NULL;
  return &g_kill_less;
}
