#!/usr/bin/env bash
# Three targets on one receiver: `tx 127.0.0.1 P tx 127.0.0.2 P tx 127.0.0.3 P` (the receiver
# listens on every address). The output must be byte-exact and legs must have run on all three
# addresses, as both ends report them (tx: "leg N up on ADDR:P", rx: "leg N from PEER on ADDR:P").
# Which addresses carry the bytes is the preference rule's business: on loopback the first
# target can take everything, so later ones may carry nothing (tests/rig/test_2_three_paths.sh
# checks the spill-over on paths of different speeds). Here the receiver's per-address
# accounting (--stats-json) must add up to the stream and show the first target used.
source "$(dirname "$0")/lib.sh"
vmp_init "$1" 120

random_file "$WORK/in" $((32 * 1024 * 1024))
free_port P
start_rx rx "$P" verbose 1 --stats-json "$WORK/rx.json"
run_vmp tx 60 tx 127.0.0.1 "$P" tx 127.0.0.2 "$P" tx 127.0.0.3 "$P" "${NO_TUNE[@]}" threads 6 verbose 1 <"$WORK/in"
expect_eq "$VMP_RC" 0 "tx exit status"
finish_rx rx
expect_eq "$RX_RC" 0 "rx exit status"
expect_hash "$RX_HASH" "$(hash_file "$WORK/in")" "three targets"
for a in 127.0.0.1 127.0.0.2 127.0.0.3; do
  expect_grep "$WORK/tx.err" "leg [0-9]+ up on $a:$P\$" "tx: no leg up on $a"
  expect_grep "$WORK/rx.err" "leg [0-9]+ from .* on $a:$P\$" "rx: no leg arrived on $a"
done
# The receiver's own accounting: bytes arrived on each of the three addresses.
if command -v jq >/dev/null; then
  [[ -s $WORK/rx.json ]] || fail "rx wrote no --stats-json file"
  total=0
  for a in 127.0.0.1 127.0.0.2 127.0.0.3; do
    b=$(jq -r --arg t "$a:$P" '[.links[] | select(.target == $t) | .bytes] | add // 0' "$WORK/rx.json")
    log "rx received $b bytes on $a"
    [[ $a == 127.0.0.1 ]] && ((b == 0)) && fail "rx --stats-json: nothing arrived on the first target"
    total=$((total + b))
  done
  expect_eq "$total" "$(file_size "$WORK/in")" "rx --stats-json: bytes over all addresses"
  expect_eq "$(jq -r '.bytes_out' "$WORK/rx.json")" "$(file_size "$WORK/in")" "rx --stats-json bytes_out"
fi
pass
