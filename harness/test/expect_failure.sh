#!/usr/bin/env bash
# expect_failure.sh HANDOFF_STRESS TARGET KIND SEEDS [SCENARIO [PERTURBATION]]
# Passes only when every one of SEEDS runs (seeds 1..SEEDS) of TARGET fails
# with exactly KIND (exit status 1), never with another kind, a harness
# error or a pass. The mutant tests (label `mutant`) use it.
set -uo pipefail
stress=$1 target=$2 kind=$3 seeds=$4 scenario=${5:-} perturb=${6:-none}
args=(--target "$target" --quiet --json --hang-seconds 5 --perturb "$perturb")
[[ -n "$scenario" ]] && args+=(--scenario "$scenario")
failed=0
for seed in $(seq 1 "$seeds"); do
  out=$("$stress" "${args[@]}" --seed "$seed" 2>/tmp/expect_failure.$$.err)
  status=$?
  verdict=$(sed -n 's/.*"verdict":"\([a-z_]*\)".*/\1/p' <<<"$out")
  if [[ $status -eq 1 && "$verdict" == "$kind" ]]; then
    echo "seed $seed: $target reported $kind, as declared"
  else
    echo "seed $seed: $target was declared to produce $kind, got '${verdict:-nothing}' (exit $status)"
    echo "$out"
    tail -20 /tmp/expect_failure.$$.err
    failed=1
  fi
done
rm -f /tmp/expect_failure.$$.err
exit $failed
