#!/usr/bin/env bash
# Runs the docker-compose rig on a machine with no Docker engine, using podman + podman-compose
# (the recipe in ../shared/containers.md), and checks the result:
#   1. rx's output is byte-identical to tx's input (sha256 of both, written to a shared volume);
#   2. tx exited 0 (the receiver confirmed every byte) and rx exited 0;
#   3. Prometheus scraped both viamillipede endpoints (up == 1) and saw bytes flowing
#      (viamillipede_output_bytes_total > 0 for role tx and rx) while the transfer ran.
# Needs root. Bounded in time (RIG_TIMEOUT seconds for the compose run); always cleans up.
#
#   docker/run-podman.sh                      # defaults: 96 MiB at 4 MiB/s (~25 s of transfer)
#   BYTES=256M RATE=16M docker/run-podman.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
cd "$repo"

export BYTES="${BYTES:-96M}"            # small, so the run ends
export RATE="${RATE:-4M}"               # pv rate limit: keeps the transfer long enough to scrape
export PATH_A_RATE="${PATH_A_RATE:-24mbit}"   # 4M/s (32 mbit) does not fit: spills to B
export PATH_B_RATE="${PATH_B_RATE:-16mbit}"
# Host ports the rig publishes; pick free ones here so a Prometheus the test suite runs on 9090
# does not collide with ours. (Grafana is not part of the podman run.)
export PROMETHEUS_PORT="${PROMETHEUS_PORT:-19090}"
RIG_TIMEOUT="${RIG_TIMEOUT:-900}"       # seconds for build + transfer
PROJECT="${PROJECT:-vmp-rig}"
BASE_IMAGE="docker.io/library/debian:bookworm-slim"
compose=(podman-compose -p "$PROJECT" -f docker/docker-compose.yml -f docker/docker-compose.podman.yml)

log() { printf 'run-podman: %s\n' "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root (podman rootful, debootstrap)"

# --- 1. podman, podman-compose, runc, debootstrap + containers.conf (containers.md) -----------
setup() {
  if ! command -v podman >/dev/null || ! command -v podman-compose >/dev/null \
     || ! command -v runc >/dev/null || ! command -v debootstrap >/dev/null; then
    log "installing podman podman-compose runc debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman podman-compose runc debootstrap >/dev/null
  fi
  mkdir -p /etc/containers
  if [ ! -s /etc/containers/containers.conf ]; then
    printf '[containers]\ndefault_ulimits = []\n[engine]\ncgroup_manager = "cgroupfs"\nruntime = "runc"\n' \
      > /etc/containers/containers.conf
  fi
  # Offline stand-in for the official base image (public registries are unreachable here).
  if ! podman image exists "$BASE_IMAGE"; then
    local rootfs
    rootfs="$(mktemp -d /tmp/vmp-rootfs.XXXXXX)"
    log "debootstrapping $BASE_IMAGE into $rootfs (a few minutes)"
    debootstrap --variant=minbase bookworm "$rootfs" >/tmp/vmp-debootstrap.log 2>&1 \
      || { rm -rf "$rootfs"; die "debootstrap failed, see /tmp/vmp-debootstrap.log"; }
    tar -C "$rootfs" -c . | podman import - "$BASE_IMAGE" >/dev/null
    rm -rf "$rootfs"
  fi
}
setup
[ "${SETUP_ONLY:-0}" = 1 ] && { log "setup done"; exit 0; }
command -v curl >/dev/null && command -v jq >/dev/null || die "needs curl and jq (scripts/install-deps.sh)"

export BUILD_JOBS="${BUILD_JOBS:-1}"    # one compile job: these machines are shared
export NET_A_SUBNET="${NET_A_SUBNET:-10.213.1.0/24}"
export NET_B_SUBNET="${NET_B_SUBNET:-10.213.2.0/24}"
services=(prometheus rx tx)             # grafana: see docker-compose.podman.yml
nets=("${PROJECT}_net_a" "${PROJECT}_net_b" "${PROJECT}_mon")
runlog="$(mktemp /tmp/vmp-rig.XXXXXX.log)"

cleanup() {
  "${compose[@]}" down -v -t 2 "${services[@]}" >>"$runlog" 2>&1 || true
  # `down` with a service list keeps volumes and networks: remove ours by name.
  podman volume rm -f "${PROJECT}_results" >>"$runlog" 2>&1 || true
  podman network rm -f "${nets[@]}" >>"$runlog" 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cleanup   # leftovers of an interrupted run

# --- 2. networks: podman-compose 1.0.3 ignores `ipam`, so create the paths with the subnets
#        tx looks for (it skips creating networks that exist) ------------------------------
podman network create --label "io.podman.compose.project=$PROJECT" \
  --subnet "$NET_A_SUBNET" "${PROJECT}_net_a" >/dev/null
podman network create --label "io.podman.compose.project=$PROJECT" \
  --subnet "$NET_B_SUBNET" "${PROJECT}_net_b" >/dev/null

# --- 3. build + run until tx ends (rx and Prometheus linger) --------------------------------
log "BYTES=$BYTES RATE=$RATE PATH_A_RATE=$PATH_A_RATE PATH_B_RATE=$PATH_B_RATE; log: $runlog"
start=$(date +%s)
set +e
timeout --kill-after=10 "$RIG_TIMEOUT" "${compose[@]}" up --build --abort-on-container-exit \
  --exit-code-from tx "${services[@]}" >"$runlog" 2>&1
up_status=$?
set -e
log "podman-compose up ended with $up_status after $(( $(date +%s) - start )) s"
[ "$up_status" -ne 124 ] || die "timed out after $RIG_TIMEOUT s (log: $runlog)"

# --- 4. checks -------------------------------------------------------------------------------
failures=0
check() { if eval "$2"; then log "ok   $1"; else log "FAIL $1"; failures=$((failures + 1)); fi; }

results="$(podman volume inspect "${PROJECT}_results" -f '{{.Mountpoint}}' 2>/dev/null || true)"
get() { cat "$results/$1" 2>/dev/null || echo "missing"; }
tx_sha="$(get tx.sha256)"; rx_sha="$(get rx.sha256)"
tx_status="$(get tx.status)"; rx_status="$(get rx.status)"
log "tx: exit $tx_status, input sha256  $tx_sha"
log "rx: exit $rx_status, output sha256 $rx_sha"
check "tx exited 0 (receiver confirmed every byte)" '[ "$tx_status" = 0 ]'
check "rx exited 0" '[ "$rx_status" = 0 ]'
check "rx output sha256 == tx input sha256" '[ "$tx_sha" != missing ] && [ "$tx_sha" = "$rx_sha" ]'
if [ -s "$results/tx.tc" ]; then
  sed 's/^/run-podman:   /' "$results/tx.tc" >&2
  check "both paths shaped by tbf" '[ "$(grep -c "qdisc tbf" "$results/tx.tc")" -eq 2 ]'
else
  check "both paths shaped by tbf (tx.tc)" false
fi

# Prometheus is still up (abort-on-container-exit stops nothing): ask it what it scraped
# during the transfer. From the host through the published port; inside the container if the
# port is not reachable from here.
promq() {
  local q="$1" out
  if out="$(curl -sfG "http://127.0.0.1:$PROMETHEUS_PORT/api/v1/query" --data-urlencode "query=$q" 2>/dev/null)"; then
    log "asked Prometheus at 127.0.0.1:$PROMETHEUS_PORT: $q"
  elif out="$(podman exec "${PROJECT}_prometheus_1" curl -sfG "http://127.0.0.1:9090/api/v1/query" \
                --data-urlencode "query=$q" 2>/dev/null)"; then
    log "asked Prometheus inside ${PROJECT}_prometheus_1 (host port unreachable): $q"
  else
    return 1
  fi
  printf '%s' "$out"
}
window="$(( $(date +%s) - start + 60 ))s"
up_json="$(promq "max by (service) (max_over_time(up{job=\"viamillipede\"}[$window]))" || echo '{}')"
bytes_json="$(promq "max by (role) (max_over_time(viamillipede_output_bytes_total[$window]))" || echo '{}')"
val() { jq -r --arg k "$1" --arg v "$2" '[.data.result[]? | select(.metric[$k] == $v) | .value[1]][0] // "none"' <<<"$3"; }
for s in tx rx; do
  v="$(val service "$s" "$up_json")"
  check "Prometheus scraped $s (max up = $v)" '[ "$v" = 1 ]'
  b="$(val role "$s" "$bytes_json")"
  check "Prometheus saw viamillipede_output_bytes_total{role=\"$s\"} > 0 (max $b)" \
    'awk -v b="$b" "BEGIN { exit !(b + 0 > 0) }"'
done

if [ "$failures" -ne 0 ]; then
  log "last lines of $runlog:"; tail -n 40 "$runlog" | sed 's/^/  /' >&2
  die "$failures check(s) failed"
fi
log "PASS"
