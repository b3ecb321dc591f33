#!/usr/bin/env bash
# expect_failure.sh HANDOFF_STRESS TARGET KIND SEEDS [SCENARIO [PERTURBATION [RUNS]]]
# Passes only when, for every seed 1..SEEDS, TARGET fails with exactly KIND
# (exit status 1) within RUNS runs (default 5: seed, seed+1000, ..., as
# `handoff-stress --score` does). A run that passes is a miss and the next
# run of that seed goes on; any other kind, a harness error or a crash fails
# the test at once. Real threads under a real scheduler are not fully
# controlled: the budget says how often a timing-dependent bug may hide, and
# the runs-to-detect are printed so a drop in detection shows in the log.
# The findings in the wild (harness.finding.*) use it. KIND may list
# alternatives: "crash|use_after_free".
set -uo pipefail
stress=$1 target=$2 kind=$3 seeds=$4 scenario=${5:-} perturb=${6:-none} runs=${7:-5}
args=(--target "$target" --quiet --json --hang-seconds 5 --perturb "$perturb")
[[ -n "$scenario" ]] && args+=(--scenario "$scenario")
err=$(mktemp)
trap 'rm -f "$err"' EXIT
failed=0
for seed in $(seq 1 "$seeds"); do
  detected=0
  for run in $(seq 0 $((runs - 1))); do
    run_seed=$((seed + 1000 * run))
    out=$("$stress" "${args[@]}" --seed "$run_seed" 2>"$err")
    status=$?
    verdict=$(ruby -rjson -e 'puts JSON.parse(STDIN.read)["verdict"] rescue nil' <<<"$out" 2>/dev/null)
    if [[ $status -eq 1 && -n "$verdict" && "|$kind|" == *"|$verdict|"* ]]; then
      echo "seed $seed: $target reported $verdict, as declared (run $((run + 1)) of $runs, seed $run_seed)"
      detected=1
      break
    fi
    if [[ $status -eq 0 && "$verdict" == "pass" ]]; then
      echo "seed $seed: run $((run + 1)) (seed $run_seed) missed it: pass"
      continue
    fi
    echo "seed $seed: $target was declared to produce $kind, got '${verdict:-nothing}' (exit $status, seed $run_seed)"
    echo "$out"
    tail -20 "$err"
    failed=1
    detected=1  # reported above; no miss line
    break
  done
  if [[ $detected -eq 0 ]]; then
    echo "seed $seed: $target was declared to produce $kind; $runs runs all passed"
    failed=1
  fi
done
exit $failed
