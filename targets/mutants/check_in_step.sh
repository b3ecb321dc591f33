#!/usr/bin/env bash
# check_in_step.sh SWITCHABLE EXAMPLE CC — passes when SWITCHABLE
# (targets/mutants/switchable_bridge.c) with every MUTANT_* switch off is
# EXAMPLE (targets/example/my_bridge.c), code for code: unifdef resolves the
# switches, CC's preprocessor (-fpreprocessed: nothing expanded or included)
# strips the comments of both, and any difference left is printed.
set -uo pipefail
switchable=$1 example=$2 cc=$3
command -v unifdef >/dev/null || { echo "check_in_step: unifdef not found (apt-get install unifdef; ci/bootstrap does)"; exit 1; }
mapfile -t off < <(grep -o 'MUTANT_[A-Z_]*' "$switchable" | sort -u | sed 's/^/-U/')
[[ ${#off[@]} -gt 0 ]] || { echo "check_in_step: no MUTANT_* switch in $switchable"; exit 1; }
resolved=$(unifdef "${off[@]}" "$switchable"); rc=$?
[[ $rc -le 1 ]] || { echo "check_in_step: unifdef failed on $switchable"; exit 1; }
code_of() { "$cc" -fpreprocessed -dD -E -P -x c - | sed 's/[[:space:]]*$//' | grep -v '^$'; }
if diff -u <(code_of <<<"$resolved") <(code_of <"$example") --label "$switchable, switches off" --label "$example"; then
  echo "check_in_step: $switchable with its ${#off[@]} switches off is $example"
else
  echo "check_in_step: they differ (above): make the same change in both"; exit 1
fi
