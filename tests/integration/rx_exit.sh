#!/usr/bin/env bash
# The receiver exits promptly once the stream is complete and the transmitter has closed its
# legs (the 30 s linger is only for a transmitter that never closes them). Checked with one
# leg and with the default four.
source "$(dirname "$0")/lib.sh"
vmp_init "$1" 120

random_file "$WORK/in" 1000
want=$(hash_file "$WORK/in")
for threads in 1 4; do
  free_port P
  start_rx rx$threads "$P"
  run_vmp tx$threads 30 tx 127.0.0.1 "$P" "${NO_TUNE[@]}" threads $threads <"$WORK/in"
  expect_eq "$VMP_RC" 0 "threads $threads: tx exit status"
  t0=$(now_ms)
  finish_rx rx$threads 45
  waited=$(($(now_ms) - t0))
  expect_eq "$RX_RC" 0 "threads $threads: rx exit status"
  expect_hash "$RX_HASH" "$want" "threads $threads"
  log "threads $threads: rx exited ${waited} ms after tx"
  ((waited <= 5000)) ||
    fail "threads $threads: rx exited ${waited} ms after the transmitter (expected <= 5 s: the transmitter had closed every leg)"
done
pass
