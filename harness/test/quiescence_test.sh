#!/usr/bin/env bash
# quiescence_test.sh HANDOFF_STRESS
# The quiescence detector (harness/src/run/quiescence.h), end to end:
#   - a deadlocking mutant is reported as `deadlock` by it ("stuck: ...")
#     well before a long --hang-seconds, and the verdict says how long after
#     the last progress it was detected;
#   - with --no-quiescence the same run waits for the timeout instead;
#   - a correct bridge whose handlers sleep longer than the detector's floor
#     (slow_us=600000, every thread asleep for 0.6 s at a time) passes: the
#     window follows the scenario.
set -uo pipefail
stress=$1
failed=0
deadlocking=(--target mutant_handler_on_event_thread --seed 1 --quiet --json
             --scenario "threads=4 calls=1000 mix=return:9,reenter:1")

start=$SECONDS
out=$("$stress" "${deadlocking[@]}" --hang-seconds 20 2>/dev/null)
took=$((SECONDS - start))
if [[ "$out" != *'"verdict":"deadlock"'* || "$out" != *'stuck: every thread asleep'* ||
      "$out" != *'detected '*' s after the last call returned'* ]]; then
  echo "FAIL: the deadlocking mutant was not reported stuck: $out"
  failed=1
elif (( took > 10 )); then
  echo "FAIL: stuck reported after ${took} s (hang timeout 20 s; it should take about 1 s)"
  failed=1
else
  echo "ok: deadlock reported as stuck in ${took} s with --hang-seconds 20"
fi

start=$SECONDS
out=$("$stress" "${deadlocking[@]}" --hang-seconds 3 --no-quiescence 2>/dev/null)
took=$((SECONDS - start))
if [[ "$out" != *'"verdict":"deadlock"'* || "$out" != *'(--hang-seconds)'* || $took -lt 3 ]]; then
  echo "FAIL: with --no-quiescence the deadlock should come from the 3 s timeout (${took} s): $out"
  failed=1
else
  echo "ok: with --no-quiescence the timeout reported it after ${took} s"
fi

out=$("$stress" --target bridge --seed 1 --quiet --json --hang-seconds 60 \
      --scenario "threads=2 calls=8 mix=slow:1 slow_us=600000" 2>/dev/null)
if [[ "$out" != *'"verdict":"pass"'* ]]; then
  echo "FAIL: handlers asleep 0.6 s each are not a deadlock: $out"
  failed=1
else
  echo "ok: handlers asleep 0.6 s at a time pass"
fi
exit $failed
