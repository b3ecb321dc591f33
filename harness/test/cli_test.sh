#!/usr/bin/env bash
# cli_test.sh HANDOFF_STRESS README — every bad flag or value is one line on
# stderr and exit status 2; --help and --list-targets work; README's failure
# kind table names exactly the kinds --help lists (result.cc's table).
set -uo pipefail
stress=$1 readme=$2
failed=0
expect_usage_error() {
  local out status
  out=$("$stress" "$@" 2>&1 >/dev/null); status=$?
  if [[ $status -eq 2 && $(wc -l <<<"$out") -eq 1 && "$out" == handoff-stress:* ]]; then
    echo "ok: $* -> $out"
  else
    echo "FAIL: $* -> exit $status: $out"; failed=1
  fi
}
expect_usage_error
expect_usage_error --target bridge --target-lib x.so
expect_usage_error --target no_such_target
expect_usage_error --target bridge --threads 0
expect_usage_error --target bridge --calls many
expect_usage_error --target bridge --perturb sometimes
expect_usage_error --target bridge --seconds -1
expect_usage_error --target bridge --replay
expect_usage_error --target bridge --scenario 'threads=2 colour=blue'
expect_usage_error --target bridge --scenario 'mix=return:0'
expect_usage_error --target bridge --scenario 'events=explode@3'
expect_usage_error --target bridge --bogus
expect_usage_error --target bridge --replay 2 --seconds 3
expect_usage_error --target bridge --declared
expect_usage_error --score --target-lib x.so
expect_usage_error --target bridge --score-replay 3
expect_usage_error --score --score-replay 0
expect_usage_error --suite bogus --target bridge
expect_usage_error --suite quick
expect_usage_error --suite quick --target bridge --only nosuch
expect_usage_error --suite quick --target bridge --jobs 0
expect_usage_error --suite quick --target bridge,nosuch
expect_usage_error --target bridge --junit out.xml
# (captured first: grep -q leaving early would SIGPIPE a longer output under pipefail)
help=$("$stress" --help) && grep -q "usage: handoff-stress" <<<"$help" || { echo "FAIL: --help"; failed=1; }
listing=$("$stress" --list-targets) && grep -q "^bridge " <<<"$listing" || { echo "FAIL: --list-targets"; failed=1; }
help_kinds=$(sed -n '/^failure kinds/,$p' <<<"$help" | awk 'NR > 1 && NF { print $1 }' | sort)
readme_kinds=$(awk '/^\| failure kind \| meaning \|/ { t = 1; next } t && !/^\|/ { t = 0 } t' "$readme" |
  cut -d'|' -f2 | grep -o '`[a-z_]*`' | tr -d '`' | sort -u)
if [[ -n $help_kinds && $help_kinds == "$readme_kinds" ]]; then
  echo "ok: README's failure kind table names the $(wc -l <<<"$help_kinds") kinds --help lists"
else
  echo "FAIL: failure kinds, --help vs README's table:"; diff <(echo "$help_kinds") <(echo "$readme_kinds"); failed=1
fi
exit $failed
