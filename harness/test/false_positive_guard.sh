#!/usr/bin/env bash
# false_positive_guard.sh HANDOFF_STRESS MUTANTS_DIR TARGET...
# The mutant tests prove the harness sees each fault; this proves it sees
# nothing in a correct bridge under the very same scenarios: every TARGET
# must pass every mutant's declared scenario (targets/mutants/*.c). Skipped,
# with a line saying so: scenarios whose deadline is shorter than their slow
# handlers (a correct bridge times out there: lost_reply by design), and
# fork scenarios in a sanitizer build (handoff-stress refuses them).
set -uo pipefail
stress=$1 mutants=$2
shift 2
failed=0
for source in "$mutants"/*.c; do
  name=$(basename "$source" .c)
  scenario=$(sed -n 's/^#define MUTANT_SCENARIO "\(.*\)"$/\1/p' "$source")
  if [[ "$scenario" == *deadline_ms=* ]]; then
    echo "skip $name: its deadline is shorter than its slow handlers"
    continue
  fi
  for target in "$@"; do
    out=$("$stress" --target "$target" --seed 1 --quiet --json --hang-seconds 10 --scenario "$scenario" 2>&1)
    status=$?
    if [[ $status -eq 2 && "$out" == *"fork events cannot run"* ]]; then
      echo "skip $name on $target: fork events need the release build"
    elif [[ $status -eq 0 ]]; then
      echo "pass $target under $name's scenario"
    else
      echo "FAIL $target under $name's scenario ($scenario): exit $status"
      echo "$out" | tail -5
      failed=1
    fi
  done
done
exit $failed
