#!/usr/bin/env bash
# stdin of every kind: a regular file, a pipe, a slow producer (pv at 2 MB/s for ~3 s, so the
# reader sees many short reads and pauses) and /dev/null (a character device at EOF at once).
source "$(dirname "$0")/lib.sh"
vmp_init "$1" 300
command -v pv >/dev/null || fail "needs pv"

random_file "$WORK/in" $((5 * 1024 * 1024 + 123))
want=$(hash_file "$WORK/in")

transfer regular-file "$WORK/in" 30

WANT_HASH=$want transfer pipe <(cat "$WORK/in") 30

random_file "$WORK/slow" $((6 * 1000 * 1000))
WANT_HASH=$(hash_file "$WORK/slow") transfer slow-producer <(pv -q -L 2M "$WORK/slow") 60
((VMP_MS >= 2000)) || fail "slow-producer: finished in ${VMP_MS} ms; pv should have paced it to ~3 s"

WANT_HASH=$(hash_stdin </dev/null) transfer dev-null /dev/null 30
pass
