#!/usr/bin/env bash
# `promtool check metrics` on real exposition served over HTTP by the exporter: the synthetic
# transmitter and receiver of vmp_fake_exporter (every family, tuner included).
# Usage: promtool_check.sh FAKE_EXPORTER_BINARY
set -euo pipefail
require() {  # command, Debian package
  command -v "$1" >/dev/null || { echo "FAIL: $1 not found (apt-get install $2)" >&2; exit 1; }
}
require promtool prometheus
require curl curl
fake=${1:?usage: promtool_check.sh FAKE_EXPORTER_BINARY}
work=$(mktemp -d)
coproc FAKE { exec "$fake"; }
fake_pid=$FAKE_PID
cleanup() {
  # The fake exporter serves until its stdin closes.
  [[ -n ${FAKE[1]:-} ]] && exec {FAKE[1]}>&-
  wait "$fake_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

status=0
for _ in tx rx; do
  read -r -t 10 role endpoint <&"${FAKE[0]}" || { echo "fake exporter did not start" >&2; exit 1; }
  curl -fsS "http://$endpoint/metrics" >"$work/$role.prom"
  if ! promtool check metrics <"$work/$role.prom"; then
    echo "FAIL: promtool check metrics on the $role exposition" >&2
    status=1
  fi
  n=$(grep -c '^viamillipede_' "$work/$role.prom")
  echo "$role: $n viamillipede_ samples checked by promtool"
  [[ $n -gt 20 ]] || { echo "FAIL: too few samples from $role" >&2; status=1; }
done
exit $status
