#!/usr/bin/env bash
# stdin of every kind: a regular file (sent zero-copy with sendfile, and read with
# --no-zero-copy and with checksums), a file the shell had already partly read, a procfs file
# (reports size 0), a file that shrinks during the transfer, a pipe, a slow producer (pv at
# 2 MB/s for ~3 s, so the reader sees many short reads and pauses) and /dev/null (a character
# device at EOF at once).
source "$(dirname "$0")/lib.sh"
vmp_init "$1" 300
command -v pv >/dev/null || fail "needs pv"

random_file "$WORK/in" $((5 * 1024 * 1024 + 123))
want=$(hash_file "$WORK/in")

transfer regular-file "$WORK/in" 30
transfer regular-file-read "$WORK/in" 30 --no-zero-copy
transfer regular-file-checksums "$WORK/in" 30 checksum -- checksum

# A file the shell had already partly read: the stream starts at stdin's offset, and stdin is
# left at the end of the file afterwards, as any reader would leave it.
exec 3<"$WORK/in"
dd bs=1000 count=1 of=/dev/null status=none <&3
free_port port
start_rx partly-read.rx "$port"
run_vmp partly-read.tx 30 tx 127.0.0.1 "$port" "${NO_TUNE[@]}" <&3
expect_eq "$VMP_RC" 0 "partly-read: tx exit status"
finish_rx partly-read.rx
expect_eq "$RX_RC" 0 "partly-read: rx exit status"
expect_hash "$RX_HASH" "$(tail -c +1001 "$WORK/in" | hash_stdin)" "partly-read"
expect_eq "$(head -c 10 <&3 | wc -c)" 0 "partly-read: bytes left unread on stdin"
exec 3<&-

# procfs reports size 0 for a file with content: it must be read, not skipped.
proc_hash=$(hash_file /proc/version)
[[ $proc_hash != "$(hash_stdin </dev/null)" ]] || fail "/proc/version reads empty here"
WANT_HASH=$proc_hash transfer procfs-file /proc/version 30

# A file cut short while its frames are being sent: tx must fail as a source error (5) with
# a clear line, never deliver a silently short stream as complete.
head -c $((64 * 1024 * 1024)) /dev/zero >"$WORK/shrinks"
free_port port
RX_SINK="cmd:pv -q -L 8M >/dev/null" start_rx shrinks.rx "$port"
start_tx shrinks.tx 127.0.0.1 "$port" "${NO_TUNE[@]}" --window 4M <"$WORK/shrinks"
sleep 1  # a second of transfer (about 8 MB of 64) before the cut
truncate -s 1M "$WORK/shrinks"
wait_exit rc "$TX_PID" 30 "shrinks: tx"
expect_eq "$rc" 5 "shrinks: tx exit status"
expect_clean_error "$WORK/shrinks.tx.err" 'became shorter' "shrinks: tx error line"

WANT_HASH=$want transfer pipe <(cat "$WORK/in") 30

random_file "$WORK/slow" $((6 * 1000 * 1000))
WANT_HASH=$(hash_file "$WORK/slow") transfer slow-producer <(pv -q -L 2M "$WORK/slow") 60
((VMP_MS >= 2000)) || fail "slow-producer: finished in ${VMP_MS} ms; pv should have paced it to ~3 s"

WANT_HASH=$(hash_stdin </dev/null) transfer dev-null /dev/null 30
pass
