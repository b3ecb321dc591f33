#!/usr/bin/env bash
# kill_less_bridge_test.sh BUILD_DIR CASES — a correct bridge that offers no
# kill_event_thread (fixture_kill_less_bridge; target.h allows NULL) is
# never failed or errored for it: a scenario with a kill event is `n/a`
# (exit 0, JSON verdict "n/a"), and every property that applies holds
# (handoff-properties --all draws no kill event for it).
set -uo pipefail
build=$1 cases=$2
stress="$build/handoff-stress" properties="$build/handoff-properties"
target=fixture_kill_less_bridge
failed=0
scenario="threads=2 calls=100 mix=return:1 events=kill@50"

out=$("$stress" --target $target --seed 1 --quiet --scenario "$scenario" 2>&1)
status=$?
if [[ $status -ne 0 || "$out" != *"N/A $target: "*"kill_event_thread is NULL"* ]]; then
  echo "FAIL: a kill scenario against $target: exit $status (want 0 and an N/A line):"
  echo "$out"
  failed=1
fi
json=$("$stress" --target $target --seed 1 --quiet --json --scenario "$scenario" 2>&1)
status=$?
verdict=$(ruby -rjson -e 'puts JSON.parse(STDIN.read)["verdict"]' <<<"$json" 2>&1)
if [[ $status -ne 0 || "$verdict" != "n/a" ]]; then
  echo "FAIL: --json: exit $status, verdict '$verdict' (want 0 and n/a): $json"
  failed=1
fi

junit=$(mktemp)
trap 'rm -f "$junit"' EXIT
out=$("$properties" --all --target $target --cases "$cases" --quiet --junit "$junit" 2>&1)
status=$?
listed=$("$properties" --list | wc -l)
if ! ruby -rrexml/document -e '
  xml = REXML::Document.new(File.read(ARGV[0]))
  cases = REXML::XPath.match(xml, "//testcase").size
  skipped = REXML::XPath.match(xml, "//testcase/skipped").size
  bad = REXML::XPath.match(xml, "//testcase/failure | //testcase/error").size
  exit(cases == Integer(ARGV[1]) && skipped >= 2 && bad == 0 ? 0 : 1)' "$junit" "$listed"; then
  # (2 skipped everywhere: a soak property, a bridge-only one; a sanitizer
  # build also skips the fork property)
  echo "FAIL: --junit: want a testcase per property --list names ($listed), 2 or more skipped, none failed:"
  cat "$junit"; failed=1
fi
summary=$(sed -n '/^## handoff-properties --all/,$p' <<<"$out")
echo "$summary"
if [[ $status -ne 0 ]] || ! grep -q '^held ' <<<"$summary" || grep -qE '^(FAILED|ERROR)' <<<"$summary"; then
  echo "FAIL: handoff-properties --all against $target: exit $status"
  echo "$out" | tail -n 40
  failed=1
fi
[[ $failed -eq 0 ]] && echo "PASS: $target: n/a for kill scenarios, every applicable property held"
exit $failed
