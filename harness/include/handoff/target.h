/*
 * handoff/target.h — the one contract a bridge implements to be tested.
 *
 * A *target* is a shared library that puts a Ruby bridge (the thing that lets
 * native threads call a Ruby block) behind this C ABI. handoff-stress loads it
 * (`--target-lib path/to/libmybridge.so`) into a process that embeds Ruby,
 * hands it one Ruby handler, and then calls `invoke` from many foreign
 * threads at once, checking that every call gets exactly its own reply.
 *
 * The library exports one function:
 *
 *     HANDOFF_TARGET_EXPORT const handoff_target *handoff_target_entry(void);
 *
 * returning a pointer to a static description whose `abi_version` is
 * HANDOFF_TARGET_ABI_VERSION. The harness refuses any other version with a
 * message naming both; rebuild the target against this header.
 *
 * The handler. `start` receives a Ruby Proc (a VALUE, as uintptr_t) that takes
 * one binary String (the payload) and returns one binary String (the reply),
 * or raises. The target makes its callback from that Proc exactly as it would
 * from a user's block, and must keep it from being collected until `stop`.
 *
 * Threads. `start`, `stop`, `kill_event_thread` and `after_fork_child` run on
 * the Ruby thread that drives the run, with the GVL held. `invoke` may be
 * called from any thread: foreign threads (never registered with Ruby) above
 * all, but also Ruby threads with or without the GVL.
 *
 * Memory ordering. Everything the calling thread wrote before `invoke`
 * happens-before the handler starts; everything the handler did
 * happens-before `invoke` returns a reply. The harness does not add any
 * synchronisation of its own around a call.
 *
 * WARNING: `invoke` must return for every call: with the reply, or with a
 * status saying why not. A call that never returns is reported as a
 * `deadlock` once the harness's watchdog deadline passes.
 *
 * How the block ends, and what `invoke` must hand back for it:
 *   - it returns a String, or `next`s one: HANDOFF_TARGET_OK with it;
 *   - it raises any exception that is neither a SystemExit nor a
 *     SignalException — a StandardError, a library's own `class X <
 *     Exception`, NoMemoryError, SystemStackError, a ScriptError; a `throw`
 *     nobody catches (Ruby raises UncaughtThrowError) — HANDOFF_TARGET_RAISED
 *     with its class and message; the bridge keeps serving later calls;
 *   - it `break`s carrying a String: HANDOFF_TARGET_RAISED with
 *     LocalJumpError (the block called as a Proc) or HANDOFF_TARGET_OK with
 *     that String (the block yielded to);
 *   - it calls `exit` (SystemExit) or raises Interrupt or another
 *     SignalException, for a foreign caller: HANDOFF_TARGET_RAISED as above
 *     (no Ruby thread of the caller's is there for it to end; let go on a
 *     Ruby thread of the bridge's, SystemExit would end the whole process).
 *     For a Ruby caller these are that thread's own flow control, which a
 *     bridge may let go on out of `invoke` or hand to the thread later; the
 *     harness draws them for foreign callers only.
 *   Any other escape of an exception out of `invoke` (it unwinds the
 *   caller's C frames) is a `swallowed_exception`.
 *
 * Interrupts of a Ruby caller. An application may interrupt a Ruby thread
 * while it is inside `invoke`: Thread#raise, Thread#kill, Timeout.timeout.
 * The interrupt must reach that thread: out of `invoke` (a kill goes on and
 * ends the thread), or once `invoke` has returned, or — when the block ran
 * on that very thread and the interrupt landed in it — as that call's
 * HANDOFF_TARGET_RAISED with its class (a kill cannot be handed back: it
 * must go on). The interrupted call may come back with its reply, STOPPED,
 * or not at all; every other call goes on. An interrupt the target caught
 * and dropped is a `swallowed_exception`. (Ruby never delivers a Thread#kill
 * again once rb_protect caught it, and cannot jump it across
 * rb_thread_call_with_gvl: run no block on a Ruby caller that released the
 * GVL, or let nothing catch the kill there.)
 */
#ifndef HANDOFF_TARGET_H
#define HANDOFF_TARGET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any change below. The harness still loads a target built for an
 * older version it names in HANDOFF_TARGET_ABI_OLDEST (each version only
 * appends fields: what an older target lacks reads as NULL/0).
 *   1: start, invoke, stop, kill_event_thread, after_fork_child, describe.
 *   2: fire-and-forget posts: post, flush, post_stats, post_policy,
 *      post_capacity (flag HANDOFF_TARGET_HAS_POSTS); status
 *      HANDOFF_TARGET_FULL. */
#define HANDOFF_TARGET_ABI_VERSION 2u
#define HANDOFF_TARGET_ABI_OLDEST 1u

#define HANDOFF_TARGET_EXPORT __attribute__((visibility("default")))

/* What a call came back with; the same meanings as the bridge's statuses. */
typedef enum handoff_target_status {
  HANDOFF_TARGET_OK = 0,        /* reply holds the handler's String */
  HANDOFF_TARGET_RAISED = 1,    /* (any exception: see above) reply holds its class name and its whole
                                   message, byte for byte ("Class: message") */
  HANDOFF_TARGET_STOPPED = 2,   /* bridge stopped or its event thread died */
  HANDOFF_TARGET_TIMED_OUT = 3, /* the call's deadline passed */
  HANDOFF_TARGET_FORKED = 4,    /* the call crossed a fork */
  HANDOFF_TARGET_INVALID = 5,   /* the target refused the call; reply says why */
  HANDOFF_TARGET_FULL = 6       /* post only: the queue is full and the policy
                                   refused this post (not queued, not run) */
} handoff_target_status;

/* Filled by `invoke`. `data` is NULL or a buffer from malloc() that the
 * harness releases with free(); `size` is its length in bytes. */
typedef struct handoff_target_reply {
  handoff_target_status status;
  char *data;
  size_t size;
} handoff_target_reply;

/* What the harness offers a target. */
typedef struct handoff_target_host {
  uint32_t abi_version;
  uint32_t reserved;
  /* Perturbation: the target calls this at its synchronisation points (see
   * HANDOFF_SYNC_POINT); the harness may delay or yield the calling thread
   * there. Safe from any thread, never takes a lock the target could hold.
   * Never NULL. */
  void (*sync_point)(const char *name);
} handoff_target_host;

/* Bits of handoff_target.flags. */
#define HANDOFF_TARGET_HAS_DEADLINES 0x1u   /* invoke honours timeout_ns */
#define HANDOFF_TARGET_HAS_SYNC_POINTS 0x2u /* compiled with HANDOFF_SYNC_POINTS */
#define HANDOFF_TARGET_HAS_POSTS 0x4u       /* post, flush and post_stats are set */

/* Fire-and-forget posts (ABI 2). `post` hands the handler one payload and
 * returns at once, without waiting for the handler to run; the handler runs
 * later on a Ruby thread of the target's, its reply String discarded.
 *
 * The rules the harness checks (a target that cannot keep them leaves
 * HANDOFF_TARGET_HAS_POSTS unset, and every scenario with posts is n/a):
 *   - exactly once: every post `post` accepted (HANDOFF_TARGET_OK) runs
 *     exactly once, or is counted as dropped (post_stats) for a reason its
 *     policy or the lifecycle allows: pushed out of a full queue under
 *     drop_oldest; still queued at `stop`; queued in the parent when the
 *     process forked (never run in the child: a child runs only what was
 *     posted there). None is lost without being counted, none runs twice.
 *   - order: the posts of one thread run in the order that thread posted
 *     them, each started after the one before it ended (the handler never
 *     runs two posts of one thread at once).
 *   - bounded: at most post_capacity posts wait at once; when the queue is
 *     full the policy decides: BLOCK waits for room (a thread holding the
 *     GVL, which cannot wait for it, gets HANDOFF_TARGET_FULL), DROP_NEWEST
 *     and FAIL refuse the new post with HANDOFF_TARGET_FULL, DROP_OLDEST
 *     accepts it and drops the oldest queued one.
 *   - errors: a handler that raises is that post's failure (counted), and
 *     the target goes on; a handler killed (Thread#kill) is counted failed.
 *   - any thread may post (foreign, Ruby with or without the GVL), and a
 *     handler may post; `post` never calls into Ruby on a foreign thread.
 *   - counted: post_stats' figures add up: posted = run + failed + dropped
 *     once flush has returned 0. */
typedef enum handoff_target_post_policy {
  HANDOFF_TARGET_POST_BLOCK = 0,
  HANDOFF_TARGET_POST_DROP_NEWEST = 1,
  HANDOFF_TARGET_POST_DROP_OLDEST = 2,
  HANDOFF_TARGET_POST_FAIL = 3
} handoff_target_post_policy;

typedef struct handoff_target_post_stats {
  uint64_t posted;  /* accepted: post returned HANDOFF_TARGET_OK */
  uint64_t run;     /* accepted and run: the handler returned */
  uint64_t failed;  /* accepted and run: the handler raised, or was killed in it */
  uint64_t dropped; /* accepted, then discarded without running (the reasons above) */
  uint64_t refused; /* not accepted: post returned anything but HANDOFF_TARGET_OK */
} handoff_target_post_stats;

typedef struct handoff_target {
  uint32_t abi_version; /* HANDOFF_TARGET_ABI_VERSION */
  uint32_t flags;       /* HANDOFF_TARGET_* bits */
  const char *name;     /* short, no spaces: shown in every report */
  const char *description;

  /* Loads the bridge into the running Ruby VM, makes a callback from
   * `handler` and starts dispatching. Returns 0, or -1 after writing a
   * one-line reason into error[error_size].
   * REQUIRES: GVL held; called once per process. */
  int (*start)(const handoff_target_host *host, uintptr_t handler, char *error,
               size_t error_size);

  /* Calls the handler with payload[size] and waits for its reply.
   * timeout_ns > 0 is a deadline the target may honour (flag
   * HANDOFF_TARGET_HAS_DEADLINES); 0 means none.
   * REQUIRES: start returned 0. Any thread. reply is written before return. */
  void (*invoke)(const char *payload, size_t size, int64_t timeout_ns,
                 handoff_target_reply *reply);

  /* Stops dispatching: calls in flight complete or return a status, later
   * calls return at once (HANDOFF_TARGET_STOPPED). REQUIRES: GVL held. */
  void (*stop)(void);

  /* Optional (NULL if the target has no such thread): kills the Ruby thread
   * that runs handlers, as Thread#kill would. REQUIRES: GVL held. */
  void (*kill_event_thread)(void);

  /* Optional: in a forked child, makes the bridge usable again.
   * NULL means the bridge needs nothing. REQUIRES: GVL held, in the child. */
  void (*after_fork_child)(void);

  /* Optional: one line of the target's state for the deadlock dump
   * (queued requests, live threads...). Any thread; must not block. */
  void (*describe)(char *buffer, size_t size);

  /* ---- ABI 2: fire-and-forget posts, with HANDOFF_TARGET_HAS_POSTS ---- */

  /* Hands payload[size] to the handler and returns at once: OK (accepted),
   * STOPPED or FORKED (not running), FULL (the policy refused it), INVALID.
   * Copies the payload before it returns. Any thread; BLOCK may wait for
   * room (not on a thread holding the GVL). */
  handoff_target_status (*post)(const char *payload, size_t size);

  /* Waits until every post accepted so far has run or been dropped, up to
   * timeout_ns; returns 0, or -1 when the time ran out. REQUIRES: GVL held
   * (the target lets its post threads run while it waits). */
  int (*flush)(int64_t timeout_ns);

  /* The post counters since `start` (in a forked child: since the fork).
   * Any thread; never blocks. */
  void (*post_stats)(handoff_target_post_stats *out);

  uint32_t post_policy;   /* a handoff_target_post_policy */
  uint32_t post_capacity; /* the most posts that wait at once (>= 1) */
} handoff_target;

typedef const handoff_target *(*handoff_target_entry_fn)(void);
#define HANDOFF_TARGET_ENTRY_SYMBOL "handoff_target_entry"

/*
 * Synchronisation points. A target marks the places where its threads hand
 * over (before a push, after a pop, before a notify, around a wait) with
 *
 *     HANDOFF_SYNC_POINT("queue.push");
 *
 * Compiled only when HANDOFF_SYNC_POINTS is defined (the stress and sanitizer
 * builds); in a release build it is nothing at all. Define the hook once in
 * the target with HANDOFF_SYNC_HOOK_DEFINITION and set it in `start`:
 *
 *     handoff_sync_hook = host->sync_point;
 *
 * (set before any foreign thread starts, so every later read is ordered.)
 */
#ifdef HANDOFF_SYNC_POINTS
extern __attribute__((visibility("hidden"))) void (*handoff_sync_hook)(const char *);
#define HANDOFF_SYNC_HOOK_DEFINITION \
  __attribute__((visibility("hidden"))) void (*handoff_sync_hook)(const char *) = 0
#define HANDOFF_SYNC_POINT(name)                       \
  do {                                                 \
    void (*hook_)(const char *) = handoff_sync_hook;   \
    if (hook_) hook_(name);                            \
  } while (0)
#define HANDOFF_SYNC_POINTS_FLAG HANDOFF_TARGET_HAS_SYNC_POINTS
#else
#define HANDOFF_SYNC_HOOK_DEFINITION \
  __attribute__((visibility("hidden"), unused)) void (*handoff_sync_hook)(const char *) = 0
#define HANDOFF_SYNC_POINT(name) ((void)0)
#define HANDOFF_SYNC_POINTS_FLAG 0u
#endif

/* A *mutant*: a deliberately broken target that declares what the harness
 * must find in it, by also exporting
 *
 *     HANDOFF_TARGET_EXPORT const handoff_mutant handoff_mutant_declaration;
 *
 * This declaration is the one source of what the mutant is: `handoff-stress
 * --score` runs every built-in target that has one with its scenario and
 * checks the verdict against `must_produce`, and each mutant's ctest is
 * `handoff-stress --score --declared --target mutant_<name>` (its declared
 * strategy only; skipped, with the reason, where the build cannot show it).
 * A bridge under test never needs it. */
typedef struct handoff_mutant {
  const char *must_produce; /* a failure kind: "deadlock", "data_race", ... */
  const char *scenario;     /* scenario text (harness scenario.h) that exposes it */
  const char *bug_class;    /* what is broken, named: "lost wakeup" */
  /* The perturbation strategy its test runs under (handoff-stress --perturb);
   * NULL or "" for none. Its test is skipped in builds without the target's
   * synchronisation points. */
  const char *perturbation;
  /* A second kind its test accepts (a sanitizer names the same bug otherwise
   * on some schedules; the mutant's source says why), or NULL. */
  const char *also_accepted;
  /* What a build must have for the harness to see the bug at all, or NULL.
   * "instrumented_ruby": libruby built with ThreadSanitizer (preset
   * tsan-ruby), for a race whose other side is Ruby's own code. */
  const char *needs;
} handoff_mutant;

/* The strategy a declaration names: its `perturbation`, or "none". */
static inline const char *handoff_mutant_perturbation(const handoff_mutant *m) {
  return m->perturbation != NULL && m->perturbation[0] != '\0' ? m->perturbation : "none";
}

#define HANDOFF_MUTANT_SYMBOL "handoff_mutant_declaration"
#define HANDOFF_MUTANT_NEEDS_INSTRUMENTED_RUBY "instrumented_ruby"

#ifdef __cplusplus
}
#endif

#endif /* HANDOFF_TARGET_H */
