#!/usr/bin/env bash
# sanitizer_mismatch_test.sh HANDOFF_STRESS SANITIZER C_COMPILER_ID SOURCE_DIR RUBY_MODULE
# A library built for another sanitizer than the harness is refused with
# the fix named, exit 2 (a release harness: TSan libraries from gcc and
# clang; a clang-TSan harness: a gcc-TSan library); an uninstrumented library
# under a TSan harness runs with a warning that TSan sees none of its code.
set -uo pipefail
stress=$1 sanitizer=$2 compiler=$3 source=$4 ruby=$5
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags=(-shared -fPIC -O1 -I"$source/harness/include")
read -r -a ruby_flags <<<"$(pkg-config --cflags --libs "$ruby")"
build() { "$1" "${flags[@]}" "${@:3}" "$source/targets/example/my_bridge.c" "${ruby_flags[@]}" -o "$work/$2.so"; }
build gcc gcc_tsan -fsanitize=thread || exit 1
build clang-14 clang_tsan -fsanitize=thread || exit 1
build gcc plain || exit 1
failed=0
expect() {  # expect LIBRARY STATUS PATTERN
  out=$("$stress" --target-lib "$work/$1.so" --calls 50 --threads 2 --seed 1 --quiet 2>&1)
  status=$?
  if [[ $status -eq $2 && "$out" == *"$3"* ]]; then
    echo "ok   $1: exit $status, '$3'"
  else
    echo "FAIL $1: exit $status (want $2), want '$3' in:"; echo "$out"; failed=1
  fi
}
if [[ $sanitizer == none ]]; then
  expect clang_tsan 2 "is built with -fsanitize=thread, but this harness is not a ThreadSanitizer build"
  expect gcc_tsan 2 "is not a ThreadSanitizer build"
  expect plain 0 "PASS"
elif [[ $sanitizer == thread ]]; then
  expect plain 0 "ThreadSanitizer sees none of its code"
  if [[ $compiler == Clang ]]; then
    expect gcc_tsan 2 "but this harness carries clang's"
    expect clang_tsan 0 "PASS"
  fi
fi
exit $failed
