#!/usr/bin/env bash
# suite_test.sh HANDOFF_STRESS — handoff-stress --suite: one table for
# several targets, a verdict per scenario. A correct bridge passes every
# scenario; a mutant that swallows exceptions fails `raise` with
# swallowed_exception, in the table, the JSON and the JUnit file (its failure
# text carrying the replay line); a bridge without kill_event_thread is n/a
# (JUnit skipped) for the scenarios with kill events; exit status 1.
set -uo pipefail
stress=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failed=0
# One JUnit case per scenario per target; the kill-less bridge is n/a for
# every scenario with a kill event.
scenarios=$("$stress" --suite quick --list-scenarios | wc -l)
with_kills=$("$stress" --suite quick --list-scenarios | grep -cE '[=,]kill@')
out=$("$stress" --suite quick --target my_bridge,mutant_swallow_exceptions,fixture_kill_less_bridge \
      --threads 4 --calls 400 --seed 1 --jobs 2 --json-file "$dir/s.json" --junit "$dir/s.xml" 2>"$dir/err")
status=$?
echo "$out" | sed -n '/^## /,/^$/p'
[[ $status -eq 1 ]] || { echo "FAIL: exit $status, want 1 (a mutant failed)"; failed=1; }
grep -q "handoff-stress: suite: my_bridge: $scenarios pass" "$dir/err" ||
  { echo "FAIL: no progress line for my_bridge:"; cat "$dir/err"; failed=1; }
ruby -rjson -rrexml/document -e '
  table = JSON.parse(File.read(ARGV[0]))
  by = table["targets"].to_h { |t| [t["target"], t["runs"].to_h { |r| [r["scenario"], r] }] }
  errors = []
  errors << "my_bridge did not pass everything" unless by["my_bridge"].values.all? { |r| r["verdict"] == "pass" }
  raise_run = by["mutant_swallow_exceptions"]["raise"]
  errors << "mutant raise: #{raise_run["verdict"]}" unless raise_run["verdict"] == "swallowed_exception"
  errors << "mutant raise: no replay line" unless raise_run["replay"].include?("--target mutant_swallow_exceptions")
  %w[lifecycle aimed].each do |s|
    errors << "kill-less #{s}: #{by["fixture_kill_less_bridge"][s]["verdict"]}" unless by["fixture_kill_less_bridge"][s]["verdict"] == "n/a"
  end
  xml = REXML::Document.new(File.read(ARGV[1]))
  cases = REXML::XPath.match(xml, "//testcase").size
  errors << "JUnit: #{cases} testcases, want #{3 * Integer(ARGV[2])}" unless cases == 3 * Integer(ARGV[2])
  failure = REXML::XPath.first(xml, "//testsuite[@name=\"mutant_swallow_exceptions\"]/testcase[@name=\"raise\"]/failure")
  errors << "JUnit: no failure for the mutant raise" unless failure && failure.attributes["message"] == "swallowed_exception" && failure.text.include?("replay: ")
  skipped = REXML::XPath.match(xml, "//testsuite[@name=\"fixture_kill_less_bridge\"]/testcase/skipped").size
  errors << "JUnit: #{skipped} skipped for the kill-less bridge, want #{ARGV[3]}" unless skipped == Integer(ARGV[3])
  puts errors.empty? ? "json and junit as expected" : errors
  exit(errors.empty? ? 0 : 1)' "$dir/s.json" "$dir/s.xml" "$scenarios" "$with_kills" || failed=1
"$stress" --suite quick --target nosuch >/dev/null 2>&1
[[ $? -eq 2 ]] || { echo "FAIL: an unknown target is not a usage error"; failed=1; }
[[ $failed -eq 0 ]] && echo "PASS"
exit $failed
