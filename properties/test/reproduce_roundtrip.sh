#!/usr/bin/env bash
# reproduce_roundtrip.sh HANDOFF_PROPERTIES — a property that fails (the
# mutant that swallows exceptions, under raise_becomes_raised) prints
# RC_PARAMS="reproduce=..." and its shrunk scenario; rerunning with that
# RC_PARAMS must fail again with the same shrunk scenario.
set -uo pipefail
properties=$1
# 30 cases: the first, small ones may draw no raising call (weights and sizes
# grow with RapidCheck's size), and a sanitizer build defaults to 8 cases.
args=(--property raise_becomes_raised --target mutant_swallow_exceptions --cases 30)
first=$(RC_PARAMS= "$properties" "${args[@]}" 2>&1)
status=$?
[[ $status -eq 1 ]] || { echo "$first"; echo "FAIL: the mutant's property exited $status, expected 1"; exit 1; }
reproduce=$(grep -o 'RC_PARAMS="reproduce=[^"]*"' <<<"$first" | sed 's/^RC_PARAMS="//; s/"$//')
scenario=$(grep -m1 '^scenario: ' <<<"$first")
[[ -n $reproduce ]] || { echo "$first"; echo "FAIL: no RC_PARAMS=\"reproduce=...\" printed"; exit 1; }
[[ -n $scenario ]] || { echo "$first"; echo "FAIL: no shrunk scenario printed"; exit 1; }
echo "first run:  $scenario"
echo "reproduce:  RC_PARAMS=\"${reproduce:0:40}...\""

again=$(RC_PARAMS="$reproduce" "$properties" "${args[@]}" 2>&1)
status=$?
scenario_again=$(grep -m1 '^scenario: ' <<<"$again")
echo "reproduced: $scenario_again (exit $status)"
if [[ $status -ne 1 || "$scenario_again" != "$scenario" ]]; then
  echo "$again"
  echo "FAIL: the reproduce string did not give the same failing counterexample"
  exit 1
fi
echo "PASS: same shrunk counterexample, failing again"
