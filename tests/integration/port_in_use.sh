#!/usr/bin/env bash
# A receiver on a port that is already taken exits 3 (network) with one readable line, and the
# process that holds the port is not disturbed: a transfer to it still completes.
source "$(dirname "$0")/lib.sh"
vmp_init "$1" 120

free_port P
start_rx holder "$P"
run_vmp second 10 rx "$P"
expect_eq "$VMP_RC" 3 "second rx on a taken port: exit status"
expect_eq "$(wc -l <"$WORK/second.err")" 1 "second rx: number of stderr lines"
expect_clean_error "$WORK/second.err" "^viamillipede rx: .*$P.*(in use|Address already in use)" "second rx"
[[ ! -s $WORK/second.out ]] || fail "second rx wrote to stdout"

random_file "$WORK/in" 100000
run_vmp tx 30 tx 127.0.0.1 "$P" "${NO_TUNE[@]}" <"$WORK/in"
expect_eq "$VMP_RC" 0 "tx to the original receiver"
finish_rx holder
expect_eq "$RX_RC" 0 "original receiver exit status"
expect_hash "$RX_HASH" "$(hash_file "$WORK/in")" "original receiver output"
pass
