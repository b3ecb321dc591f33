#!/usr/bin/env bash
# false_positive_guard.sh HANDOFF_STRESS MUTANTS_DIR SANITIZER TARGET...
# The mutant tests prove the harness sees each fault; this proves it sees
# nothing in a correct bridge under the very same scenarios: every TARGET
# must pass every mutant's declared scenario (targets/mutants/*.c), each
# distinct scenario once. That includes a deadline shorter than its slow
# handlers (timed_out after the deadline is right, not lost_reply). Skipped,
# with a line saying so: fork scenarios in a sanitizer build (handoff-stress
# refuses them), and latency or leak budgets there (SANITIZER is not `none`:
# measured, not judged, under a sanitizer).
set -uo pipefail
stress=$1 mutants=$2 sanitizer=$3
shift 3
failed=0
declare -A seen
for source in "$mutants"/*.c; do
  name=$(basename "$source" .c)
  scenario=$(sed -n 's/^#define MUTANT_SCENARIO "\(.*\)"$/\1/p' "$source")
  if [[ -n "${seen[$scenario]:-}" ]]; then
    echo "same scenario as ${seen[$scenario]}: $name"
    continue
  fi
  seen[$scenario]=$name
  if [[ $sanitizer != none && "$scenario" =~ (max_p99_us|leak_bytes_per_call)= ]]; then
    echo "skip $name: latency and leak budgets are judged in the release build only"
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
