#!/usr/bin/env bash
# Tuner rig test (issue 5) on three unequal paths (100/60/30 Mbit/s, 20 ms RTT): see
# tuner_lossy.sh, which does the work.
# Usage: tuner_three.sh VIAMILLIPEDE VMP-LINKEMU   (exit 0 pass, 1 fail, 77 skip)
exec "$(dirname "$0")/tuner_lossy.sh" "${1:?viamillipede}" "${2:?vmp-linkemu}" three
