/* fixture_abi_v1_bridge: my_bridge.c exported as a target built for ABI
 * version 1, the layout before posts (target.h's version list): only the
 * version-1 fields exist in its description, so a harness that read a post
 * field would read past it. The harness must load it (copied into the full
 * layout, post fields NULL), run it, and call every scenario with posts
 * n/a. With FIXTURE_ABI_VERSION=N in the environment it claims version N
 * instead: 99 must be refused with a message naming the versions spoken
 * (abi_version_test.sh). */
#include <stdlib.h>

#define handoff_target_entry my_bridge_entry
#include "../../targets/example/my_bridge.c"
#undef handoff_target_entry

/* handoff_target as ABI version 1 laid it out. */
typedef struct target_v1 {
  uint32_t abi_version;
  uint32_t flags;
  const char *name;
  const char *description;
  int (*start)(const handoff_target_host *, uintptr_t, char *, size_t);
  void (*invoke)(const char *, size_t, int64_t, handoff_target_reply *);
  void (*stop)(void);
  void (*kill_event_thread)(void);
  void (*after_fork_child)(void);
  void (*describe)(char *, size_t);
} target_v1;

static target_v1 g_v1;

HANDOFF_TARGET_EXPORT const handoff_target *handoff_target_entry(void) {
  const handoff_target *full = my_bridge_entry();
  const char *claimed = getenv("FIXTURE_ABI_VERSION");
  g_v1 = (target_v1){claimed ? (uint32_t)atoi(claimed) : 1u,
                     full->flags & ~HANDOFF_TARGET_HAS_POSTS,
                     "fixture_abi_v1_bridge",
                     "my_bridge built for target ABI version 1 (a harness test fixture)",
                     full->start,
                     full->invoke,
                     full->stop,
                     full->kill_event_thread,
                     full->after_fork_child,
                     full->describe};
  return (const handoff_target *)&g_v1;
}
