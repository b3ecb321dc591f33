#!/usr/bin/env bash
# harness.abi_version: a target built for ABI version 1 (before posts) still
# loads and passes, with posts n/a; one claiming an unknown version (99) is
# refused, exit 2, with a message naming the versions this harness speaks.
# Usage: abi_version_test.sh BUILD_DIR
set -uo pipefail
build=$1 stress="$1/handoff-stress" lib="$1/targets/libhandoff_target_fixture_abi_v1_bridge.so"
failed=0
out=$("$stress" --target-lib "$lib" --threads 4 --calls 400 2>&1); rc=$?
if [[ $rc -eq 0 && $out == *"PASS fixture_abi_v1_bridge"* ]]; then echo "ok: a version-1 target loads and passes"
else echo "FAIL: version-1 target (exit $rc):"; echo "$out" | tail -5; failed=1; fi
out=$("$stress" --target-lib "$lib" --scenario 'threads=2 calls=100 mix=return:1,post:1' 2>&1); rc=$?
if [[ $rc -eq 0 && $out == *"N/A fixture_abi_v1_bridge"* ]]; then echo "ok: posts are n/a for a version-1 target"
else echo "FAIL: posts against a version-1 target (exit $rc):"; echo "$out" | tail -5; failed=1; fi
out=$(FIXTURE_ABI_VERSION=99 "$stress" --target-lib "$lib" --calls 10 2>&1); rc=$?
if [[ $rc -eq 2 && $out == *"version 99"* && $out == *"versions 1 to 2"* ]]; then echo "ok: version 99 refused: $(grep -m1 'version 99' <<<"$out")"
else echo "FAIL: version 99 (exit $rc):"; echo "$out" | tail -5; failed=1; fi
exit $failed
