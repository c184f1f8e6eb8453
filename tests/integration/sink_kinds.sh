#!/usr/bin/env bash
# stdout of every kind the receiver treats differently: a pipe, a regular file and /dev/null
# take frames by splice(2) (zero-copy); a file opened for appending (>>) refuses splice and is
# written by copy; --no-zero-copy copies on purpose; a slow pipe lets frames pile up beyond the
# receiver's pipe budget, so spliced and copied frames interleave in one stream.
source "$(dirname "$0")/lib.sh"
vmp_init "$1" 300
command -v pv >/dev/null || fail "needs pv"

random_file "$WORK/in" $((24 * 1024 * 1024 + 77))
want=$(hash_file "$WORK/in")

transfer pipe "$WORK/in" 60 threads 4
transfer pipe-copying "$WORK/in" 60 threads 4 -- --no-zero-copy

# to_sink NAME SINK: a transfer of $WORK/in into RX_SINK=SINK (file or null); both exit 0.
to_sink() {
  local name=$1 port
  free_port port
  RX_SINK=$2 start_rx "$name.rx" "$port"
  run_vmp "$name.tx" 60 tx 127.0.0.1 "$port" "${NO_TUNE[@]}" threads 4 <"$WORK/in"
  expect_eq "$VMP_RC" 0 "$name: tx exit status"
  finish_rx "$name.rx"
  expect_eq "$RX_RC" 0 "$name: rx exit status"
}
to_sink regular-file file
expect_eq "$(hash_file "$WORK/regular-file.rx.out")" "$want" "regular-file: file content"
to_sink dev-null null

# Appending: what was in the file stays, the stream follows it.
printf 'already here\n' >"$WORK/appended"
free_port port
spawn RX_PID "$BIN" rx "$port" </dev/null >>"$WORK/appended" 2>"$WORK/append.rx.err"
show_on_fail "$WORK/append.rx.err"
wait_listen "$port" "$RX_PID"
run_vmp append.tx 60 tx 127.0.0.1 "$port" "${NO_TUNE[@]}" threads 4 <"$WORK/in"
expect_eq "$VMP_RC" 0 "append: tx exit status"
wait_exit rc "$RX_PID" "$VMP_RX_EXIT_SECONDS" "append: rx"
expect_eq "$rc" 0 "append: rx exit status"
expect_eq "$(cat <(printf 'already here\n') "$WORK/in" | hash_stdin)" \
  "$(hash_file "$WORK/appended")" "append: file content"

# A sink slower than the legs: ~100 frames wait for the writer, more than the 32 pipes the
# receiver lends, so some are spliced and the others copied.
# (The sink runs in $WORK; finish_rx reads the digest from NAME.sha.)
WANT_HASH=$want RX_SINK="cmd:pv -q -L 16M | sha256sum | cut -d' ' -f1 >slow-sink.rx.sha" \
  transfer slow-sink "$WORK/in" 60 threads 8 --frame-size 256K
pass
