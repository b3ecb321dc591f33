/*
 * handoff/mutant.h — how a deliberately broken target (a *mutant*) declares
 * what the harness must find in it.
 *
 * A mutant is an ordinary target (handoff/target.h) that also exports
 *
 *     HANDOFF_TARGET_EXPORT const handoff_mutant handoff_mutant_declaration;
 *
 * This declaration is the one source of what the mutant is: `handoff-stress
 * --score` runs every built-in target that has one with its scenario and
 * checks the verdict against `must_produce`, and each mutant's ctest is
 * `handoff-stress --score --declared --target mutant_<name>` (its declared
 * strategy only; skipped, with the reason, where the build cannot show it).
 */
#ifndef HANDOFF_MUTANT_H
#define HANDOFF_MUTANT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

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

#endif /* HANDOFF_MUTANT_H */
