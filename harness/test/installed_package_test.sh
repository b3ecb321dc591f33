#!/usr/bin/env bash
# installed_package_test.sh BUILD_DIR SOURCE_DIR — the harness as a user's
# project gets it: `cmake --install` this build into a fresh prefix, then
# configure, build and test the example project (targets/example/package)
# against that prefix only, with `ctest --output-junit`. The correct bridge
# passes every registered test (a suite scenario each, a property each); the
# broken one fails `basic` as wrong_reply, its replay line in the JUnit file.
set -uo pipefail
build=$1 source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cmake --install "$build" --prefix "$work/prefix" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log"; fail "cmake --install"; }
# Only the package: the project is copied out of the tree first.
cp -r "$source/targets/example/package" "$work/project"
{ cmake -S "$work/project" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" &&
  cmake --build "$work/build"; } >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "the example project did not build"; }
# What is checked here is the package's wiring, not the properties' power
# (their own ctests have that): 5 cases a property, and of broken_bridge's
# tests the one asserted below.
RC_PARAMS="max_success=5" ctest --test-dir "$work/build" -j2 -R '^(my_bridge\.|broken_bridge\.suite\.basic$)' \
  --output-junit "$work/junit.xml" >"$work/ctest.log" 2>&1
status=$?
[[ $status -ne 0 ]] || fail "ctest passed although broken_bridge is broken"
# As many tests as the installed tools list: a suite scenario each, a
# property each of those --all runs against a library.
scenarios=$("$work/prefix/bin/handoff-stress" --suite quick --list-scenarios | wc -l)
properties=$("$work/prefix/bin/handoff-properties" --list --target-lib any | grep -vc '\[not in --all')
ruby -rrexml/document -e '
  xml = REXML::Document.new(File.read(ARGV[0]))
  cases = REXML::XPath.match(xml, "//testcase")
  mine = cases.select { |c| c.attributes["name"].start_with?("my_bridge.") }
  bad = mine.reject { |c| c.attributes["status"] == "run" }.map { |c| c.attributes["name"] }
  errors = []
  want_suite, want_properties = Integer(ARGV[1]), Integer(ARGV[2])
  unless mine.size == want_suite + want_properties
    errors << "my_bridge: #{mine.size} tests, want #{want_suite} suite + #{want_properties} property tests"
  end
  errors << "my_bridge tests not passed: #{bad.join(", ")}" unless bad.empty?
  basic = cases.find { |c| c.attributes["name"] == "broken_bridge.suite.basic" }
  out = basic && REXML::XPath.first(basic, "system-out")&.text.to_s
  errors << "broken_bridge.suite.basic: not failed as wrong_reply with a replay line" unless
    basic && basic.attributes["status"] == "fail" && out.include?("wrong_reply") && out.include?("replay: ")
  puts errors.empty? ? "PASS: #{cases.size} tests; my_bridge passed all #{mine.size}; broken_bridge.suite.basic: wrong_reply" : errors
  exit(errors.empty? ? 0 : 1)' "$work/junit.xml" "$scenarios" "$properties" || { tail -n 30 "$work/ctest.log"; exit 1; }

# A gem's way (extconf.rb + rake): the installed rake tasks build the adapter
# and run the suite on it; a broken adapter makes rake fail.
mkdir -p "$work/gem/ext/handoff_adapter"
cp "$work/prefix/share/handoff/my_bridge.c" "$work/gem/ext/handoff_adapter/"
echo "load '$work/prefix/share/handoff/handoff.rake'" >"$work/gem/Rakefile"
(cd "$work/gem" && HANDOFF_SUITE=quick rake handoff:suite) >"$work/rake.log" 2>&1 ||
  { tail -n 30 "$work/rake.log"; fail "rake handoff:suite on the example bridge"; }
grep -q "<testcase" "$work/gem/tmp/handoff/suite.xml" || fail "rake handoff:suite wrote no JUnit"
cp "$work/project/broken_bridge.c" "$work/gem/ext/handoff_adapter/"
(cd "$work/gem" && HANDOFF_ADAPTER=ext/handoff_adapter/broken_bridge.c \
   HANDOFF_CFLAGS="-DMY_BRIDGE_SOURCE='\"$work/prefix/share/handoff/my_bridge.c\"'" rake handoff:suite) \
  >"$work/rake_broken.log" 2>&1 && fail "rake handoff:suite passed a broken adapter"
grep -q "wrong_reply" "$work/rake_broken.log" || { tail -n 20 "$work/rake_broken.log"; fail "no wrong_reply for the broken adapter"; }
echo "PASS: rake handoff:suite: the example passes, a broken adapter fails"
