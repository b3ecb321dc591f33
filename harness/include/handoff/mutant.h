/*
 * handoff/mutant.h — how a deliberately broken target (a *mutant*) declares
 * what the harness must find in it.
 *
 * A mutant is an ordinary target (handoff/target.h) that also exports
 *
 *     HANDOFF_TARGET_EXPORT const handoff_mutant handoff_mutant_declaration;
 *
 * `handoff-stress --score` runs every built-in target that has one with its
 * scenario and checks the verdict against `must_produce`; the mutant tests
 * (ctest label `mutant`) read the same declaration from the mutant's source.
 */
#ifndef HANDOFF_MUTANT_H
#define HANDOFF_MUTANT_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct handoff_mutant {
  const char *must_produce; /* a failure kind: "deadlock", "data_race", ... */
  const char *scenario;     /* scenario text (harness scenario.h) that exposes it */
  const char *bug_class;    /* "class 5 (lost wakeup)": DESIGN.md's bug class */
} handoff_mutant;

#define HANDOFF_MUTANT_SYMBOL "handoff_mutant_declaration"

/* Optional: what a build must have for the harness to see the bug at all. A
 * mutant that needs it also exports
 *
 *     HANDOFF_TARGET_EXPORT const char *const handoff_mutant_needs = "...";
 *
 * "instrumented_ruby": libruby built with ThreadSanitizer (preset tsan-ruby),
 * for a race whose other side is Ruby's own code. Elsewhere the mutant is
 * built but neither tested nor scored. */
#define HANDOFF_MUTANT_NEEDS_SYMBOL "handoff_mutant_needs"
#define HANDOFF_MUTANT_NEEDS_INSTRUMENTED_RUBY "instrumented_ruby"

#ifdef __cplusplus
}
#endif

#endif /* HANDOFF_MUTANT_H */
