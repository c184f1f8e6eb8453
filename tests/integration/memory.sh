#!/usr/bin/env bash
# Bounded memory: a VMP_HUGE_BYTES stream (default 10 GiB, generated on the fly, never stored)
# goes through tx --window 64M and rx into a hasher. The output must hash like the generated
# stream, and the peak RSS of tx and of rx (GNU time's maximum resident set size) must each stay
# under VMP_RSS_LIMIT_MIB (default: window 64 MiB + 64 MiB = 128 MiB; measured 33-74 MiB for
# each on a 2-core Debian 12 VM, RelWithDebInfo).
source "$(dirname "$0")/lib.sh"
vmp_init "$1" 600
[[ -x /usr/bin/time ]] || fail "needs GNU time (/usr/bin/time)"

N=$VMP_HUGE_BYTES
LIMIT_MIB=${VMP_RSS_LIMIT_MIB:-128}
# Under AddressSanitizer (shadow memory, quarantine) RSS says nothing about our buffers: the
# bound is then only checked when VMP_RSS_LIMIT_MIB is given explicitly.
if [[ -z ${VMP_RSS_LIMIT_MIB:-} ]] && ldd "$BIN" 2>/dev/null | grep -q libasan; then
  LIMIT_MIB=0
  log "AddressSanitizer build: peak RSS is reported, not bounded"
fi
free_port P
RX_WRAP=(/usr/bin/time -f %M -o "$WORK/rx.rss")
start_rx rx "$P"
RX_WRAP=()
mkfifo "$WORK/gen.fifo"
genhash=""
spawn genhash eval 'hash_stdin <"$WORK/gen.fifo" >"$WORK/gen.sha"'
t0=$(now_ms)
gen_stream "$N" | tee "$WORK/gen.fifo" |
  /usr/bin/time -f %M -o "$WORK/tx.rss" timeout 500 "$BIN" tx 127.0.0.1 "$P" "${NO_TUNE[@]}" --window 64M \
    2>"$WORK/tx.err"
rcs=("${PIPESTATUS[@]}")
ms=$(($(now_ms) - t0))
show_on_fail "$WORK/tx.err"
expect_eq "${rcs[2]}" 0 "tx exit status"
finish_rx rx
expect_eq "$RX_RC" 0 "rx exit status"
wait_exit rc "$genhash" 30 "input hasher"
expect_hash "$RX_HASH" "$(<"$WORK/gen.sha")" "$N-byte stream"
tx_kib=$(tail -n 1 "$WORK/tx.rss")
rx_kib=$(tail -n 1 "$WORK/rx.rss")
log "$N bytes in $ms ms ($((N / 1048576 * 1000 / (ms + 1))) MiB/s); peak RSS tx $((tx_kib / 1024)) MiB, rx $((rx_kib / 1024)) MiB (limit $LIMIT_MIB MiB)"
((LIMIT_MIB == 0 || tx_kib <= LIMIT_MIB * 1024)) || fail "tx peak RSS $((tx_kib / 1024)) MiB exceeds $LIMIT_MIB MiB"
((LIMIT_MIB == 0 || rx_kib <= LIMIT_MIB * 1024)) || fail "rx peak RSS $((rx_kib / 1024)) MiB exceeds $LIMIT_MIB MiB"
pass
