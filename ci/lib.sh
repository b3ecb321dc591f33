# ci/lib.sh — shared by the ci/ scripts: build one preset, quietly, into
# build/<preset>, printing the log only when something fails.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# build_preset NAME — configure and build; returns non-zero on failure.
build_preset() {
  local preset=$1
  local log="$ROOT/build/$preset.build.log"
  mkdir -p "$ROOT/build"
  echo "== [$preset] configure + build (log: build/$preset.build.log)"
  if ! { cmake --preset "$preset" && cmake --build --preset "$preset"; } >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "== [$preset] BUILD FAILED"
    return 1
  fi
}
