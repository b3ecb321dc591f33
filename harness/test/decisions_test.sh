#!/usr/bin/env bash
# decisions_test.sh HANDOFF_STRESS — a failing run under a perturbation
# strategy prints, next to its replay line, where the decisions it acted on
# are, and that file holds them ("step N thread T <action> at <point>").
# Needs a build with sync points (the sanitizer presets).
set -uo pipefail
stress=$1
out=$("$stress" --target mutant_check_done_before_wait --perturb random --seed 1 --quiet \
        --scenario 'threads=8 calls=20000 mix=return:1' --hang-seconds 5 2>/dev/null)
status=$?
echo "$out" | tail -4
[[ $status -eq 1 ]] || { echo "FAIL: expected the mutant to fail (exit 1), got $status"; exit 1; }
line=$(grep '^decisions: ' <<<"$out") || { echo "FAIL: no decisions line after the replay line"; exit 1; }
file=${line##* in }
[[ -s $file ]] || { echo "FAIL: $file is missing or empty"; exit 1; }
bad=$(grep -cvE '^step [0-9]+ thread [0-9]+ (yield|spin [0-9]+ iterations|sleep [0-9]+ us) at [a-z_.]+$' "$file")
[[ $bad -eq 0 ]] || { echo "FAIL: $bad malformed lines in $file:"; grep -vE '^step ' "$file" | head -3; exit 1; }
echo "ok: $(wc -l <"$file") decisions in $file"
rm -f "$file"
