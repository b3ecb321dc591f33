#!/usr/bin/env bash
# controlled_correct_test.sh HANDOFF_STRESS — the correct bridges (those CMake
# marks CORRECT: targets/correct_targets.txt next to handoff-stress) pass a
# lifecycle scenario under the controlled schedule with every strategy it
# lists, seeds 1 and 2. In a ThreadSanitizer build this is the check that the schedule's own
# bookkeeping stays invisible to the sanitizer: a read of the harness's
# records it could see was once a false data race on every correct bridge
# (gcc's runtime).
set -uo pipefail
stress=$1
fail() { echo "FAIL: $*"; exit 1; }
correct_list="$(dirname "$stress")/targets/correct_targets.txt"
[ -s "$correct_list" ] || fail "no correct targets listed in $correct_list"
strategies=$("$stress" --target bridge --schedule controlled --strategy '?' 2>&1 | sed -n 's/.*{\(.*\)}.*/\1/p' | tr ',' ' ')
[ -n "$strategies" ] || fail "no strategies listed"
scenario='threads=6 calls=600 mix=return:90,raise:4,slow:2,gc:2,reenter:1,large:1 callers=foreign:4,gvl:1,nogvl:1 events=kill@300,stop@570'
while read -r target; do
  [ -n "$target" ] || continue
  for strategy in $strategies; do
    for seed in 1 2; do
      out=$("$stress" --target "$target" --seed "$seed" --schedule controlled --strategy "$strategy" \
            --quiet --scenario "$scenario" 2>&1) || fail "$target $strategy seed $seed: $out"
    done
  done
  echo "ok: $target passes seeds 1 and 2 under each strategy ($strategies)"
done <"$correct_list"
