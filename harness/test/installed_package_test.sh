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
ctest --test-dir "$work/build" -j2 --output-junit "$work/junit.xml" >"$work/ctest.log" 2>&1
status=$?
[[ $status -ne 0 ]] || fail "ctest passed although broken_bridge is broken"
ruby -rrexml/document -e '
  xml = REXML::Document.new(File.read(ARGV[0]))
  cases = REXML::XPath.match(xml, "//testcase")
  mine = cases.select { |c| c.attributes["name"].start_with?("my_bridge.") }
  bad = mine.reject { |c| c.attributes["status"] == "run" }.map { |c| c.attributes["name"] }
  errors = []
  errors << "my_bridge: #{mine.size} tests, want 13 suite + 8 property tests" unless mine.size == 21
  errors << "my_bridge tests not passed: #{bad.join(", ")}" unless bad.empty?
  basic = cases.find { |c| c.attributes["name"] == "broken_bridge.suite.basic" }
  out = basic && REXML::XPath.first(basic, "system-out")&.text.to_s
  errors << "broken_bridge.suite.basic: not failed as wrong_reply with a replay line" unless
    basic && basic.attributes["status"] == "fail" && out.include?("wrong_reply") && out.include?("replay: ")
  puts errors.empty? ? "PASS: #{cases.size} tests; my_bridge passed all #{mine.size}; broken_bridge.suite.basic: wrong_reply" : errors
  exit(errors.empty? ? 0 : 1)' "$work/junit.xml" || { tail -n 30 "$work/ctest.log"; exit 1; }
