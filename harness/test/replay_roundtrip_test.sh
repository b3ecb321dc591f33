#!/usr/bin/env bash
# replay_roundtrip_test.sh HANDOFF_STRESS
# The replay round trip: a broken bridge fails, its printed `replay:` line is
# taken as printed and rerun 3 times with --replay; the rerun must fail again
# with the same kind. Also runs one schedule twice.
set -uo pipefail
stress=$1
target=mutant_shared_reply_buffer
first=$("$stress" --target "$target" --seed 7 --quiet --hang-seconds 5 \
        --scenario 'threads=8 calls=3000 mix=return:6,slow:2,gc:1' 2>/dev/null)
status=$?
echo "$first"
[[ $status -eq 1 ]] || { echo "FAIL: expected exit 1 from the broken bridge, got $status"; exit 1; }
kind=$(sed -n "s/^FAIL $target: \([a-z_]*\)$/\1/p" <<<"$first")
line=$(sed -n 's/^replay: //p' <<<"$first")
[[ -n "$kind" && -n "$line" ]] || { echo "FAIL: no failure kind or replay line printed"; exit 1; }

echo "--- rerunning: $line --replay 3"
again=$(eval "$line --replay 3 --quiet" 2>/dev/null)
status=$?
echo "$again"
[[ $status -eq 1 ]] || { echo "FAIL: the replay line did not fail again (exit $status)"; exit 1; }
grep -q "^FAIL $target: $kind$" <<<"$again" || { echo "FAIL: the replay failed with another kind"; exit 1; }
reproduced=$(sed -n "s/^runs: .*( .*$kind=\([0-9]*\).*/\1/p" <<<"$again")
echo "replay reproduced $kind in ${reproduced:-0}/3 runs"
[[ "${reproduced:-0}" -ge 1 ]] || { echo "FAIL: no rerun reproduced $kind"; exit 1; }
echo "PASS: the printed line replays the failure ($kind)"
