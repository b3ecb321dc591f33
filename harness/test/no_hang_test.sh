#!/usr/bin/env bash
# no_hang_test.sh BUILD_DIR TARGET VERDICT SCENARIO [PROPERTY...]
# The harness never hangs, whatever the target does (targets/hostile): runs
# handoff-stress against TARGET with SCENARIO, then each PROPERTY of
# handoff-properties, and passes only when each
#   - reports VERDICT (handoff-stress's verdict; a property: the target's
#     failure of that kind, or a pass when VERDICT is pass),
#   - returns within its deadline plus a fixed margin: --hang-seconds + 5 s
#     (the supervisor's) + STARTUP_SLACK for handoff-stress; for a property,
#     its cases and its --shrink-seconds on top,
#   - and leaves no process behind: every process the run created carries an
#     environment marker, and none may be alive once the tool has returned.
set -uo pipefail
build=$1 target=$2 verdict=$3 scenario=$4
shift 4
hang=2 margin=5 startup_slack=${STARTUP_SLACK:-10} cases=3 shrink=10
mark="handoff-no-hang-$$-$RANDOM"
failed=0

leftovers() {
  local pids=()
  for environ in /proc/[0-9]*/environ; do
    if grep -qz "^HANDOFF_NO_HANG_MARK=$mark\$" "$environ" 2>/dev/null; then
      pid=${environ#/proc/}
      pids+=("${pid%/environ}")
    fi
  done
  echo "${pids[*]:-}"
}

# check NAME LIMIT_SECONDS PATTERN COMMAND...: runs COMMAND with the marker,
# output to a log; fails unless it ends in time, its output matches PATTERN
# and nothing it started is left.
check() {
  local name=$1 limit=$2 pattern=$3
  shift 3
  local log start took left
  log=$(mktemp)
  start=$(date +%s.%N)
  HANDOFF_NO_HANG_MARK=$mark timeout -s KILL 600 "$@" >"$log" 2>&1
  local status=$?
  took=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
  left=$(leftovers)
  if ! grep -qE "$pattern" "$log"; then
    echo "FAIL $name: no '$pattern' in its output (exit $status, $took s):"
    tail -n 25 "$log"
    failed=1
  elif awk -v t="$took" -v l="$limit" 'BEGIN { exit !(t > l) }'; then
    echo "FAIL $name: took $took s, over its bound of $limit s"
    failed=1
  else
    echo "ok   $name: '$pattern' in $took s (bound $limit s)"
  fi
  if [[ -n "$left" ]]; then
    echo "FAIL $name: processes left behind: $left"
    ps -o pid,ppid,pgid,stat,comm -p "${left// /,}" 2>/dev/null
    kill -KILL $left 2>/dev/null
    failed=1
  fi
  rm -f "$log"
}

check "handoff-stress --target $target" $((hang + margin + startup_slack)) "\"verdict\":\"$verdict\"" \
  "$build/handoff-stress" --target "$target" --seed 1 --quiet --json --hang-seconds "$hang" \
  --scenario "$scenario"

if [[ $verdict == pass ]]; then
  property_pattern='OK, passed'
else
  property_pattern="the target failed: $verdict"
fi
for property in "$@"; do
  bound=$(( (cases + 1) * (hang + margin + startup_slack) + shrink ))
  check "handoff-properties --property $property --target $target" "$bound" "$property_pattern" \
    "$build/handoff-properties" --property "$property" --target "$target" --cases "$cases" \
    --hang-seconds "$hang" --shrink-seconds "$shrink"
done
exit $failed
