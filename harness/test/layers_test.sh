#!/usr/bin/env bash
# layers_test.sh SOURCE_DIR — the harness's layers, as the folders' READMEs
# state them: every quoted include in harness/src/<folder> and harness/cli
# names a folder at or below its own, properties/ and bench/ include only the
# public headers (properties also the front ends' harness/cli), and nothing
# under harness/ includes a file under targets/.
set -uo pipefail
root=$1
# What each folder may include, besides the public headers (handoff/...).
declare -A may=(
  [host]="host"
  [model]="model host"
  [perturb]="perturb model host"
  [judge]="judge perturb model host"
  [gvl]="gvl model host"
  [run]="run judge gvl perturb model host"
  [cli]="cli run judge gvl perturb model host"
)
failed=0
check() {  # FOLDER_NAME FILES...: each include's first path part must be allowed
  local folder=$1; shift
  local file line target first
  for file in "$@"; do
    while IFS= read -r line; do
      target=${line#*\"}; target=${target%%\"*}
      first=${target%%/*}
      [[ $target == */* ]] || continue  # a file of the same folder (properties/, bench/)
      [[ $first == handoff ]] && continue
      if [[ " ${may[$folder]:-} " != *" $first "* ]]; then
        echo "FAIL: ${file#"$root"/} includes \"$target\" (${folder} may include: public headers${may[$folder]:+, ${may[$folder]}})"
        failed=1
      fi
    done < <(grep -E '^#include "' "$file")
  done
}
for folder in host model perturb judge gvl run; do
  mapfile -t files < <(find "$root/harness/src/$folder" -name '*.h' -o -name '*.cc' | sort)
  [[ ${#files[@]} -gt 0 ]] || { echo "FAIL: harness/src/$folder has no sources"; failed=1; }
  check "$folder" "${files[@]}"
done
unknown=$(find "$root/harness/src" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' |
          grep -vxE 'host|model|perturb|judge|gvl|run')
[[ -z "$unknown" ]] || { echo "FAIL: harness/src has folders no layer names: $unknown"; failed=1; }
mapfile -t files < <(find "$root/harness/cli" -name '*.h' -o -name '*.cc' | sort)
check cli "${files[@]}"
may[properties]="cli"
may[bench]=""
for outside in properties bench; do
  mapfile -t files < <(find "$root/$outside" -maxdepth 1 -name '*.h' -o -maxdepth 1 -name '*.cc' | sort)
  check "$outside" "${files[@]}"
done
if grep -rnE '^#include ".*targets/' "$root/harness/src" "$root/harness/cli" "$root/harness/include"; then
  echo "FAIL: an include from harness/ into targets/ (above)"; failed=1
fi
[[ $failed -eq 0 ]] && echo "ok: every include points down the harness's layers"
exit $failed
