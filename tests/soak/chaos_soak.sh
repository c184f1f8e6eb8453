#!/usr/bin/env bash
# Chaos soak, run before a release (not part of the suite: it takes minutes and a lot of I/O).
# Moves SOAK_GIB GiB of pseudo-random data through a transmitter that resets the leg of every
# SOAK_CHAOS-th frame, with checksums on both ends, over loopback, and compares the sha256 of
# what went in with what came out. Prints one result line (append it to tests/soak/README.md).
#   tests/soak/chaos_soak.sh [path/to/viamillipede]      SOAK_GIB=10 SOAK_CHAOS=300 SOAK_LEGS=8
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-build/viamillipede}
GIB=${SOAK_GIB:-10}
CHAOS=${SOAK_CHAOS:-300}
LEGS=${SOAK_LEGS:-8}
[[ -x $BIN ]] || { echo "chaos_soak: $BIN is not built (cmake --build build)" >&2; exit 2; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vmp-soak.XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
PORT=$((20000 + RANDOM % 20000))

# The input is generated on the fly (no 10 GiB file needed) and hashed on the way in.
gen() { openssl enc -aes-128-ctr -nosalt -pass pass:viamillipede-soak -in /dev/zero 2>/dev/null | head -c $((GIB * 1024 * 1024 * 1024)); }

"$BIN" rx "$PORT" checksum --stats-json "$WORK/rx.json" 2>"$WORK/rx.err" | sha256sum | cut -d' ' -f1 >"$WORK/out.sha" &
RX=$!
sleep 0.5
start=$(date +%s.%N)
set +e
gen | tee >(sha256sum | cut -d' ' -f1 >"$WORK/in.sha") |
  "$BIN" tx 127.0.0.1 "$PORT" threads "$LEGS" checksum chaos "$CHAOS" --no-tune \
    --stats-json "$WORK/tx.json" 2>"$WORK/tx.err"
tx_rc=${PIPESTATUS[2]}
wait "$RX"
rx_rc=$?
set -e
end=$(date +%s.%N)
sleep 0.5  # the tee'd hash finishes writing
in_sha=$(cat "$WORK/in.sha")
out_sha=$(cat "$WORK/out.sha")
secs=$(echo "$end - $start" | bc)
resent=$(jq '.resent_frames // "?"' "$WORK/tx.json" 2>/dev/null || echo "?")
reconnects=$(jq '.reconnects // "?"' "$WORK/tx.json" 2>/dev/null || echo "?")
verdict=PASS
[[ $tx_rc == 0 && $rx_rc == 0 && $in_sha == "$out_sha" ]] || verdict=FAIL
printf '| %s | %s | %s GiB | chaos %s, %s legs, checksum | %.0f s | %s | %s | tx %s rx %s | %s |\n' \
  "$(date -u +%F)" "$(git rev-parse --short HEAD 2>/dev/null || echo '?')" "$GIB" "$CHAOS" "$LEGS" \
  "$secs" "$resent" "$reconnects" "$tx_rc" "$rx_rc" "$verdict"
[[ $verdict == PASS ]] || { tail -n 3 "$WORK/tx.err" "$WORK/rx.err" >&2; exit 1; }
