#!/usr/bin/env bash
# Structural checks of dashboards/*.json that Grafana would otherwise only show at load time:
# a datasource variable of type prometheus and an instance variable, every query through
# ${datasource}, unique panel ids and refIds, panels inside the 24-column grid without overlap,
# and the provisioning files in place. Needs only jq.
set -euo pipefail
require() {  # command, Debian package
  command -v "$1" >/dev/null || { echo "FAIL: $1 not found (apt-get install $2)" >&2; exit 1; }
}
require jq jq
dir=${1:?usage: $0 DASHBOARD_DIR}
status=0
fail() { echo "FAIL: $*" >&2; status=1; }

[[ -f $dir/provisioning/dashboards/viamillipede.yaml ]] || fail "dashboard provisioning file missing"
[[ -f $dir/provisioning/datasources/prometheus.yaml ]] || fail "datasource provisioning file missing"

for f in "$dir"/*.json; do
  name=$(basename "$f")
  jq -e . "$f" >/dev/null || { fail "$name is not JSON"; continue; }
  jq -e '.uid and .title and (.schemaVersion | type == "number")' "$f" >/dev/null ||
    fail "$name: uid, title or schemaVersion missing"
  jq -e '.templating.list | any(.name == "datasource" and .type == "datasource" and .query == "prometheus")' \
    "$f" >/dev/null || fail "$name: no datasource variable of type prometheus"
  jq -e '.templating.list | any(.name == "instance" and .type == "query"
           and (.definition | test("^label_values\\(viamillipede_[a-z_]+, *instance\\)$")))' \
    "$f" >/dev/null || fail "$name: no instance variable from label_values(viamillipede_..., instance)"

  # Panels: top level and inside collapsed rows.
  panels='[.panels[] | ., (.panels // [])[]]'
  dup=$(jq -r "$panels | group_by(.id) | map(select(length > 1) | .[0].id) | .[]" "$f")
  [[ -z $dup ]] || fail "$name: duplicate panel ids: $dup"
  bad_ds=$(jq -r "$panels | .[] | select(.type != \"row\") |
      select((.datasource.uid != \"\${datasource}\") or
             any(.targets[]; .datasource.uid != \"\${datasource}\")) | .title" "$f")
  [[ -z $bad_ds ]] || fail "$name: panels not using \${datasource}: $bad_ds"
  no_targets=$(jq -r "$panels | .[] | select(.type != \"row\") |
      select((.targets // []) | length == 0 or any(.[]; (.expr // \"\") == \"\")) | .title" "$f")
  [[ -z $no_targets ]] || fail "$name: panels without a query: $no_targets"
  dup_ref=$(jq -r "$panels | .[] | select(.type != \"row\") |
      select([.targets[].refId] | length != (unique | length)) | .title" "$f")
  [[ -z $dup_ref ]] || fail "$name: duplicate refIds in: $dup_ref"
  outside=$(jq -r "$panels | .[] | select(.gridPos.x + .gridPos.w > 24 or .gridPos.w < 1
      or .gridPos.h < 1) | .title" "$f")
  [[ -z $outside ]] || fail "$name: panels outside the grid: $outside"
  overlap=$(jq -r "$panels | [.[] | .gridPos + {t: .title}] as \$g |
      [range(0; \$g | length) as \$i | range(\$i + 1; \$g | length) as \$j | [\$g[\$i], \$g[\$j]] |
       select(.[0].x < .[1].x + .[1].w and .[1].x < .[0].x + .[0].w and
              .[0].y < .[1].y + .[1].h and .[1].y < .[0].y + .[0].h) |
       \"\(.[0].t) / \(.[1].t)\"] | .[]" "$f")
  [[ -z $overlap ]] || fail "$name: overlapping panels: $overlap"
  echo "$name: $(jq "$panels | map(select(.type != \"row\")) | length" "$f") panels, $(jq '[.. | objects | select(has("expr"))] | length' "$f") queries"
done
exit $status
