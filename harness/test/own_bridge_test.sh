#!/usr/bin/env bash
# own_bridge_test.sh HANDOFF_STRESS SOURCE_DIR C_COMPILER [RUBY_PC_MODULE]
# README "Testing your own bridge", as a user does it: the example bridge is
# copied out of the source tree, built there with the README's command (only
# harness/include and Ruby's pkg-config), and run with --target-lib. Also
# checks the clear errors for a missing library and for a non-target library.
set -euo pipefail
stress=$1 source=$2 cc=$3 ruby_pc=${4:-ruby-3.1}  # the README's command names ruby-3.1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$source/targets/example/my_bridge.c" "$work/"
cd "$work"
"$cc" -shared -fPIC -O2 -I"$source/harness/include" $(pkg-config --cflags "$ruby_pc") \
  my_bridge.c $(pkg-config --libs "$ruby_pc") -o libmy_bridge.so
"$stress" --target-lib ./libmy_bridge.so --threads 4 --calls 2000 --seed 1 --quiet

set +e
out=$("$stress" --target-lib ./missing.so 2>&1); status=$?
echo "$out"
[[ $status -eq 2 && "$out" == *"does not exist"* ]] || { echo "FAIL: missing library"; exit 1; }
printf 'int x;\n' > not_a_target.c && "$cc" -shared -fPIC not_a_target.c -o libnot.so
out=$("$stress" --target-lib ./libnot.so 2>&1); status=$?
echo "$out"
[[ $status -eq 2 && "$out" == *"is not a handoff target"* ]] || { echo "FAIL: non-target library"; exit 1; }
echo "PASS: an out-of-tree bridge is tested through --target-lib"
