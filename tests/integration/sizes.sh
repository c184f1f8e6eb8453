#!/usr/bin/env bash
# Sizes: empty stdin, one byte, one frame minus/exactly/plus one byte, two exact frames, and
# a big random stream (VMP_BIG_BYTES, default 1 GiB). Each must arrive byte-exact and both
# ends must exit 0.
source "$(dirname "$0")/lib.sh"
vmp_init "$1" 360

FRAME=65536
: >"$WORK/empty"
random_file "$WORK/one" 1
random_file "$WORK/frame-1" $((FRAME - 1))
random_file "$WORK/frame" $FRAME
random_file "$WORK/frame+1" $((FRAME + 1))
random_file "$WORK/2frames" $((2 * FRAME))

transfer empty "$WORK/empty" 30
transfer one-byte "$WORK/one" 30
for f in frame-1 frame frame+1 2frames; do
  transfer "$f" "$WORK/$f" 30 --frame-size 64K
done

big_file BIG "$VMP_BIG_BYTES"
transfer big "$BIG" 150

pass
