# ci/lib.sh — shared by the ci/ scripts: build one preset, quietly, into
# build/<preset>, printing the log only when something fails.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# build_preset NAME [TARGET...] — configure and build (only TARGETs when
# given); returns non-zero on failure.
build_preset() {
  local preset=$1
  shift
  local targets=()
  [[ $# -gt 0 ]] && targets=(--target "$@")
  local log="$ROOT/build/$preset.build.log"
  mkdir -p "$ROOT/build"
  echo "== [$preset] configure + build${targets[*]:+ ${targets[*]}} (log: build/$preset.build.log)"
  if ! { cmake --preset "$preset" && cmake --build --preset "$preset" "${targets[@]}"; } >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "== [$preset] BUILD FAILED"
    return 1
  fi
}

# build_with_ruby PREFIX PRESET DIR LOG [TARGET...] — configure PRESET into
# DIR against the Ruby at PREFIX (HANDOFF_RUBY_ROOT) and build TARGETs (all
# when none); the log goes to LOG, its tail to the terminal on failure.
build_with_ruby() {
  local prefix=$1 preset=$2 dir=$3 log=$4
  shift 4
  local targets=()
  [[ $# -gt 0 ]] && targets=(--target "$@")
  mkdir -p "$(dirname "$log")"
  echo "== [Ruby $(basename "$prefix") / $preset] configure + build (log: $log)"
  if ! { cmake --preset "$preset" -B "$dir" -DHANDOFF_RUBY_ROOT="$prefix" &&
         cmake --build "$dir" -j2 "${targets[@]}"; } >"$log" 2>&1; then
    tail -n 30 "$log"
    return 1
  fi
}

# ctest_counts LOG — sets `ctest_passed`, `ctest_failed` and `ctest_skipped`
# from ctest's summary in LOG ("100% tests passed, 0 tests failed out of 12",
# then one "NN - name (Skipped)" line per test the build cannot run: a
# mutant whose bug this build cannot show); returns non-zero when there is
# none (ctest did not get that far).
ctest_counts() {
  local summary
  summary=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$1" | tail -n 1)
  [[ $summary =~ ([0-9]+)\ tests\ failed\ out\ of\ ([0-9]+) ]] || return 1
  ctest_failed=${BASH_REMATCH[1]}
  ctest_skipped=$(sed -n '/tests passed, [0-9]* tests failed out of/,$p' "$1" | grep -cE '^[[:space:]]+[0-9]+ - .* \(Skipped\)$')
  ctest_passed=$((BASH_REMATCH[2] - BASH_REMATCH[1] - ctest_skipped))
}

# print_usage SCRIPT — the script's help: its leading comment block (every
# line after the shebang up to the first line that is not a comment).
print_usage() {
  awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$1"
}

# test_times LOG PRESET — "seconds preset name" for every test ctest's LOG
# shows finished ("  3/109 Test  #3: harness.cli ....   Passed    1.33 sec").
test_times() {
  sed -nE 's/^ *[0-9]+\/[0-9]+ Test +#[0-9]+: ([^ ]+) .* ([0-9]+\.[0-9]+) sec$/\2 \1/p' "$1" |
    awk -v preset="$2" '{ print $1, preset, $2 }'
}
