#!/usr/bin/env bash
# The command line: the original tool's word syntax (the examples of its README, with our
# hosts), the --long forms, and usage errors (exit 2, one line + the --help hint, nothing on
# stdout). Every example that should work really transfers and is checked byte-exact.
source "$(dirname "$0")/lib.sh"
vmp_init "$1" 480

random_file "$WORK/in" $((3 * 1024 * 1024 + 17))

# Examples of the original README (hosts replaced by loopback).
transfer threads16 "$WORK/in" 30 threads 16 verbose 1
n=$(grep -Eo 'leg [0-9]+ up on' "$WORK/threads16.tx.err" | sort -u | wc -l)
expect_eq "$n" 16 "threads 16: distinct legs up"
transfer checksum "$WORK/in" 30 checksum -- checksum
transfer checksums-alias "$WORK/in" 30 checksums -- checksum
transfer chaos1731 "$WORK/in" 30 chaos 1731
transfer checkphrase "$WORK/in" 30 checkphrase 'wat!' -- checkphrase 'wat!'
transfer rx-verbose5 "$WORK/in" 30 -- verbose 5
# Long forms.
transfer long-forms "$WORK/in" 30 --threads 4 --checksum --chaos 50 --verbose 1 --checkphrase 'wat!' \
  -- --checkphrase 'wat!' --checksum
# `localhost` resolves (to ::1 and 127.0.0.1; rx listens dual-stack).
free_port P
start_rx localhost.rx "$P"
run_vmp localhost.tx 30 tx localhost "$P" "${NO_TUNE[@]}" <"$WORK/in"
expect_eq "$VMP_RC" 0 "tx localhost: exit status"
finish_rx localhost.rx
expect_eq "$RX_RC" 0 "tx localhost: rx exit status"
expect_hash "$RX_HASH" "$(hash_file "$WORK/in")" "tx localhost"
# Five links in preference order (the README's transport graph), all on this host.
free_port P
start_rx graph.rx "$P"
run_vmp graph.tx 30 tx 127.0.0.1 "$P" tx 127.0.0.2 "$P" tx 127.0.0.3 "$P" tx 127.0.0.4 "$P" \
  tx localhost "$P" "${NO_TUNE[@]}" threads 5 <"$WORK/in"
expect_eq "$VMP_RC" 0 "five tx targets: exit status"
finish_rx graph.rx
expect_eq "$RX_RC" 0 "five tx targets: rx exit status"
expect_hash "$RX_HASH" "$(hash_file "$WORK/in")" "five tx targets"

# --version / --help: exit 0 on stdout.
run_vmp version 5 --version
expect_eq "$VMP_RC" 0 "--version exit status"
expect_grep "$WORK/version.out" '^viamillipede [0-9]' "--version output"
run_vmp help 5 --help
expect_eq "$VMP_RC" 0 "--help exit status"
expect_grep "$WORK/help.out" 'threads' "--help output"

# Usage errors.
run_vmp threads0 5 tx 127.0.0.1 9 threads 0 && expect_usage_error threads0
run_vmp threads65 5 tx 127.0.0.1 9 threads 65 && expect_usage_error threads65
run_vmp unknown-word 5 tx 127.0.0.1 9 frobnicate && expect_usage_error unknown-word
run_vmp no-mode 5 threads 4 && expect_usage_error no-mode
run_vmp nothing 5 && expect_usage_error nothing
# rx and tx together is full duplex (duplex.sh); bad combinations of the original's words:
run_vmp two-rx 5 rx 9 rx 10 tx 127.0.0.1 9 && expect_usage_error two-rx
run_vmp term-and-init 5 rx 9 tx 127.0.0.1 10 terminate 11 initiate localhost 22 &&
  expect_usage_error term-and-init
run_vmp term-one-way 5 tx 127.0.0.1 10 terminate 11 && expect_usage_error term-one-way
run_vmp prbs-tunnel 5 rx 9 tx 127.0.0.1 10 prbs 1 initiate localhost 22 &&
  expect_usage_error prbs-tunnel
run_vmp leglimit-rx 5 rx 9 leglimit 4 && expect_usage_error leglimit-rx
run_vmp leglimit-nan 5 tx 127.0.0.1 9 leglimit many && expect_usage_error leglimit-nan
run_vmp tx-missing-port 5 tx 127.0.0.1 && expect_usage_error tx-missing-port
run_vmp bad-port 5 rx 70000 && expect_usage_error bad-port
run_vmp port0 5 tx 127.0.0.1 0 && expect_usage_error port0
run_vmp threads-word 5 tx 127.0.0.1 9 threads many && expect_usage_error threads-word
run_vmp long-phrase 5 tx 127.0.0.1 9 checkphrase toolong && expect_usage_error long-phrase
run_vmp empty-phrase 5 rx 9 checkphrase '' && expect_usage_error empty-phrase
run_vmp verbose99 5 rx 9 verbose 99 && expect_usage_error verbose99
run_vmp frame-size 5 tx 127.0.0.1 9 --frame-size 1T && expect_usage_error frame-size
run_vmp unknown-option 5 tx 127.0.0.1 9 --bogus && expect_usage_error unknown-option
# Options for the other role are an error, not silently ignored (--rcvbuf is for both).
run_vmp rx-frame 5 rx 9 --frame-size 128K && expect_usage_error rx-frame
expect_grep "$WORK/rx-frame.err" 'frame-size is for tx only' "rx-frame: names the option"
run_vmp rx-threads 5 rx 9 threads 8 && expect_usage_error rx-threads
run_vmp rx-chaos 5 rx 9 chaos 100 && expect_usage_error rx-chaos
run_vmp rx-no-tune 5 rx 9 --no-tune && expect_usage_error rx-no-tune
run_vmp tx-bind 5 tx 127.0.0.1 9 --bind 127.0.0.1 && expect_usage_error tx-bind
run_vmp rx-rcvbuf-range 5 rx 9 --rcvbuf 1 && expect_usage_error rx-rcvbuf-range
pass
