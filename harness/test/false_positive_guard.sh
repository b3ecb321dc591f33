#!/usr/bin/env bash
# false_positive_guard.sh HANDOFF_STRESS SANITIZER TARGET...
# The mutant tests prove the harness sees each fault; this proves it sees
# nothing in a correct bridge under the very same scenarios: every TARGET
# must pass every mutant's declared scenario (what each built-in mutant
# declares, from `handoff-stress --list-targets --json`), each distinct
# scenario once. That includes a deadline shorter than its slow
# handlers (timed_out after the deadline is right, not lost_reply). Skipped,
# with a line saying so: fork scenarios in a sanitizer build (handoff-stress
# refuses them), and latency or leak budgets there (SANITIZER is not `none`:
# measured, not judged, under a sanitizer).
set -uo pipefail
stress=$1 sanitizer=$2
shift 2
failed=0
listing=$("$stress" --list-targets --json) || { echo "FAIL: --list-targets --json"; exit 1; }
mapfile -t declared < <(ruby -rjson -e '
  JSON.parse(STDIN.read).fetch("targets").select { |t| t["mutant"] }.each do |t|
    puts "#{t.fetch("name")}\t#{t.fetch("scenario")}"
  end' <<<"$listing")
[[ ${#declared[@]} -gt 0 ]] || { echo "FAIL: no mutant among the built-in targets"; exit 1; }
declare -A seen
for line in "${declared[@]}"; do
  IFS=$'\t' read -r name scenario <<<"$line"
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
