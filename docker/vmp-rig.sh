#!/usr/bin/env bash
# Entrypoint of the rig's rx and tx containers (docker-compose.yml). Installed as
# /usr/local/bin/vmp-rig in the image.
#
#   vmp-rig rx   receive on $PORT, hash what arrives (sha256) into $RESULTS, then linger
#   vmp-rig tx   find rx's address on each path, shape each path's interface with tbf, send
#                $BYTES from $SOURCE at $RATE over both paths, record the input's sha256
#
# Files in $RESULTS (a volume both containers share):
#   rx.addrs   rx's IPv4 addresses (ADDR/PREFIX, one a line), written before it listens
#   rx.sha256, rx.status   sha256 of rx's stdout and viamillipede rx's exit code
#   tx.sha256, tx.status   sha256 of tx's stdin and viamillipede tx's exit code
#   tx.tc      `tc -s qdisc` of both path interfaces after the transfer
#
# Finding rx per path: docker-compose cannot give rx per-network aliases in a way every
# compose implementation understands (podman-compose 1.0.3 rejects the dict form), so rx
# publishes its addresses and tx picks the one inside PATH_A_SUBNET / PATH_B_SUBNET, then
# names them rx-a and rx-b in /etc/hosts. `viamillipede tx rx-a PORT tx rx-b PORT` follows.
set -uo pipefail

role="${1:-}"
R="${RESULTS:-/results}"
PORT="${PORT:-8834}"
log() { printf 'vmp-rig %s: %s\n' "$role" "$*" >&2; }
die() { log "$*"; exit 1; }

# The pipeline runs in the background so that SIGTERM (compose down / stop) ends it at once.
child=""
on_term() { [ -n "$child" ] && kill -TERM "$child" 2>/dev/null; exit 143; }
trap on_term TERM INT

ip2int() { local IFS=.; set -- $1; echo $(( ($1 << 24) + ($2 << 16) + ($3 << 8) + $4 )); }
in_subnet() {   # in_subnet IP NET/BITS
  local bits="${2#*/}" mask
  mask=$(( bits == 0 ? 0 : (0xffffffff << (32 - bits)) & 0xffffffff ))
  (( ($(ip2int "$1") & mask) == ($(ip2int "${2%/*}") & mask) ))
}

rx() {
  mkdir -p "$R"
  rm -f "$R"/rx.*
  ip -o -4 addr show scope global | awk '{print $4}' > "$R/rx.addrs.tmp" \
    && mv "$R/rx.addrs.tmp" "$R/rx.addrs"
  log "listening on port $PORT, addresses: $(tr '\n' ' ' < "$R/rx.addrs")"
  (
    { viamillipede rx "$PORT" --metrics "0.0.0.0:${RX_METRICS_PORT:-9101}" ${RX_ARGS:-}
      echo $? > "$R/rx.status.tmp"; } \
      | sha256sum | cut -d' ' -f1 > "$R/rx.sha256.tmp"
    mv "$R/rx.sha256.tmp" "$R/rx.sha256"
    mv "$R/rx.status.tmp" "$R/rx.status"
  ) &
  child=$!
  wait "$child"
  child=""
  log "viamillipede rx exited $(cat "$R/rx.status" 2>/dev/null || echo '?'), output sha256 $(cat "$R/rx.sha256" 2>/dev/null || echo '?')"
  # Linger (by default until stopped) so that `docker compose up --abort-on-container-exit`
  # ends when tx ends, and a plain `up` keeps Prometheus/Grafana around to look at.
  sleep "${RX_LINGER:-infinity}" &
  child=$!
  wait "$child"
  exit "$(cat "$R/rx.status" 2>/dev/null || echo 1)"
}

# resolve NAME SUBNET: rx's address on one path, from DNS if NAME resolves (e.g. a per-network
# alias), else from rx.addrs (waits for rx to publish it).
resolve() {
  local name="$1" subnet="$2" addr=""
  addr="$(getent hosts "$name" | awk '{print $1; exit}')"
  [ -n "$addr" ] && { echo "$addr"; return 0; }
  [ -n "$subnet" ] || return 1
  # rx.addrs counts only once it lists the address the name "rx" resolves to: a file left in
  # the volume by an earlier run (a plain `docker compose down` keeps volumes) is ignored.
  local now
  for _ in $(seq 1 "${RX_WAIT:-120}"); do
    now="$(getent hosts rx | awk '{print $1; exit}')"
    if [ -s "$R/rx.addrs" ] && [ -n "$now" ] && grep -q "^${now//./\\.}/" "$R/rx.addrs"; then
      while read -r a; do
        a="${a%/*}"
        if in_subnet "$a" "$subnet"; then echo "$a"; return 0; fi
      done < "$R/rx.addrs"
    fi
    sleep 1
  done
  return 1
}

# shape ADDR RATE: a tbf on the interface that leads to ADDR (the path's egress on tx).
shape() {
  local addr="$1" rate="$2" dev
  dev="$(ip -o route get "$addr" | sed -n 's/.* dev \([^ ]*\).*/\1/p')"
  [ -n "$dev" ] || die "no route to $addr"
  echo "$dev"
  case "$rate" in ""|0|off|none) log "$dev ($addr): not shaped"; return 0;; esac
  tc qdisc replace dev "$dev" root tbf rate "$rate" \
      burst "${TBF_BURST:-64kb}" latency "${TBF_LATENCY:-50ms}" >&2 \
    || die "cannot shape $dev with tbf rate $rate (does the container have cap_add NET_ADMIN?)"
  log "$dev ($addr): tbf rate $rate"
}

tx() {
  mkdir -p "$R"
  rm -f "$R"/tx.*
  local a b dev_a dev_b
  a="$(resolve rx-a "${PATH_A_SUBNET:-}")" || die "cannot find rx on path A (rx-a / ${PATH_A_SUBNET:-no subnet})"
  b="$(resolve rx-b "${PATH_B_SUBNET:-}")" || die "cannot find rx on path B (rx-b / ${PATH_B_SUBNET:-no subnet})"
  getent hosts rx-a >/dev/null || echo "$a rx-a" >> /etc/hosts
  getent hosts rx-b >/dev/null || echo "$b rx-b" >> /etc/hosts
  dev_a="$(shape "$a" "${PATH_A_RATE:-}")" || exit 1
  dev_b="$(shape "$b" "${PATH_B_RATE:-}")" || exit 1
  [ "$dev_a" != "$dev_b" ] || log "warning: both paths leave through $dev_a"

  local limiter=(cat)
  case "${RATE:-}" in ""|0|off|none) ;; *) limiter=(pv -q -L "$RATE");; esac
  log "sending ${BYTES:-4G} bytes of ${SOURCE:-/dev/urandom} at ${RATE:-full speed} to rx-a ($a) and rx-b ($b)"
  mkfifo /tmp/vmp-input.fifo
  sha256sum < /tmp/vmp-input.fifo | cut -d' ' -f1 > "$R/tx.sha256.tmp" &
  local hasher=$!
  (
    head -c "${BYTES:-4G}" "${SOURCE:-/dev/urandom}" | "${limiter[@]}" | tee /tmp/vmp-input.fifo \
      | viamillipede tx rx-a "$PORT" tx rx-b "$PORT" --metrics "0.0.0.0:${TX_METRICS_PORT:-9102}" \
          --progress ${TX_ARGS:-}
  ) &
  child=$!
  wait "$child"
  local status=$?
  child=""
  wait "$hasher"
  mv "$R/tx.sha256.tmp" "$R/tx.sha256"
  { tc -s qdisc show dev "$dev_a"; tc -s qdisc show dev "$dev_b"; } > "$R/tx.tc" 2>&1
  echo "$status" > "$R/tx.status"
  log "viamillipede tx exited $status, input sha256 $(cat "$R/tx.sha256")"
  sed 's/^/  /' "$R/tx.tc" >&2
  # Wait (bounded) for rx's hash, so that whoever reads $RESULTS after tx ends finds both.
  for _ in $(seq 1 30); do [ -s "$R/rx.sha256" ] && break; sleep 1; done
  exit "$status"
}

case "$role" in
  rx) rx ;;
  tx) tx ;;
  *) echo "usage: vmp-rig rx|tx   (see docker/README.md)" >&2; exit 2 ;;
esac
