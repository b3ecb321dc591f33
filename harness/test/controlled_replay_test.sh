#!/usr/bin/env bash
# handoff-stress --schedule controlled, end to end: the lost-wakeup mutant is
# found as a deadlock within 10 seeds under each strategy, and the seed that
# finds it fails 10 runs out of 10 with byte-identical output (verdict,
# threads, schedule), as does its printed replay line; --score under the
# schedule counts its finding's replays; bad combinations are usage errors.
# (The correct bridges under every strategy: controlled_correct_test.sh.)
set -uo pipefail
stress=$1
fail() { echo "FAIL: $*"; exit 1; }
mutant_scenario='threads=8 calls=2000 mix=return:1'
# Every strategy, as the command line lists them in its refusal of another.
strategies=$("$stress" --target bridge --schedule controlled --strategy '?' 2>&1 | sed -n 's/.*{\(.*\)}.*/\1/p' | tr ',' ' ')
[ -n "$strategies" ] || fail "no strategies listed"

for strategy in $strategies; do
  found=
  for seed in $(seq 1 10); do
    out=$("$stress" --target mutant_check_done_before_wait --seed "$seed" --schedule controlled \
          --strategy "$strategy" --quiet --scenario "$mutant_scenario" 2>/dev/null)
    if grep -q '^FAIL mutant_check_done_before_wait: deadlock' <<<"$out"; then found=$seed; break; fi
  done
  [ -n "$found" ] || { echo "note: $strategy found no lost wakeup in 10 seeds"; continue; }
  grep -q 'schedule (' <<<"$out" || fail "$strategy: no schedule printed: $out"
  for replay in $(seq 1 9); do
    again=$("$stress" --target mutant_check_done_before_wait --seed "$found" --schedule controlled \
            --strategy "$strategy" --quiet --scenario "$mutant_scenario" 2>/dev/null)
    [ "$again" = "$out" ] || fail "$strategy seed $found: run $((replay + 1)) differs:
$(diff <(echo "$out") <(echo "$again") | head -20)"
  done
  line=$(sed -n 's/^replay: //p' <<<"$out")
  grep -q -- "--schedule controlled --strategy $strategy" <<<"$line" || fail "replay line: $line"
  again=$(eval "$line --quiet" 2>/dev/null)
  [ "$again" = "$out" ] || fail "$strategy: the replay line's output differs"
  echo "ok: $strategy finds the lost wakeup at seed $found; 10 runs and the replay line byte-identical"
  replayed=1
done
[ -n "${replayed:-}" ] || fail "no strategy found the lost wakeup"

# --score under the controlled schedule reruns the finding's replay line as new
# processes and counts the same verdict and the same schedule.
score=$("$stress" --score --target mutant_no_stopped_check --schedule controlled --strategy walk \
        --seeds 1 --score-replay 3 --json 2>/dev/null)
grep -q '"strategy":"controlled walk".*"detected":1,.*"replays":3,"replays_same_verdict":3,"replays_same_schedule":3' <<<"$score" ||
  fail "--score --schedule controlled --score-replay 3: $score"
echo "ok: --score --schedule controlled: found, its replay line 3 of 3 with the same schedule"


expect_usage() {
  local want=$1; shift
  out=$("$stress" "$@" 2>&1); status=$?
  [ "$status" = 2 ] && grep -q -- "$want" <<<"$out" || fail "$* -> $status: $out"
}
expect_usage '--strategy goes with --schedule controlled' --target bridge --strategy pct
expect_usage 'do not go together' --target bridge --schedule controlled --perturb random
expect_usage 'background= Ruby threads' --target bridge --schedule controlled --scenario 'threads=2 calls=10 background=1'
expect_usage 'fork events' --target bridge --schedule controlled --scenario 'threads=2 calls=10 events=fork@5'
expect_usage 'gc_stress events' --target bridge --schedule controlled --scenario 'threads=2 calls=10 events=gc_stress@5'
expect_usage 'strategy' --target bridge --schedule controlled --strategy nosuch
echo "ok: usage errors"
