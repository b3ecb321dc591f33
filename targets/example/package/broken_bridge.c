/* The example bridge with one fault: every reply comes back one byte short
 * (an off-by-one in a copy), so the harness reports wrong_reply for every
 * call that returns a reply. */
#define handoff_target_entry my_bridge_entry
#include MY_BRIDGE_SOURCE
#undef handoff_target_entry

static handoff_target g_broken;

static void broken_invoke(const char *payload, size_t size, int64_t timeout_ns,
                          handoff_target_reply *reply) {
  my_bridge_entry()->invoke(payload, size, timeout_ns, reply);
  if (reply->status == HANDOFF_TARGET_OK && reply->size > 0) reply->size -= 1;
}

HANDOFF_TARGET_EXPORT const handoff_target *handoff_target_entry(void) {
  g_broken = *my_bridge_entry();
  g_broken.name = "broken_bridge";
  g_broken.description = "the example bridge, its replies one byte short";
  g_broken.invoke = broken_invoke;
  return &g_broken;
}
