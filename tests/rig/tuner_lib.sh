# shellcheck shell=bash
# Helpers for the tuner's rig tests (tuner_*.sh) and tests/tuner/convergence_rig.sh (sourced,
# not run). On top of lib.sh: timed viamillipede transfers whose throughput is counted on the
# receiver's side once a second (never the tuner's own numbers), a grid sweep
# of static configurations (--no-tune), the "poor" starting profile, mid-transfer changes
# (a path dies, loss rises) and the per-second convergence table.
#
# Throughput: Mbit/s = 1e6 bits/s of TCP payload that arrived at the receiver host on its path
# interfaces (nftables counter in the rx namespace, prerouting: bytes - 52 x packets, i.e. minus
# IPv4 + TCP-with-timestamps headers), sampled every second. Not the receiver's stdout: that
# comes in bursts (a frame late on one leg holds back everything behind it, then up to a window
# is written at once; seen: 0 Mbit/s for 5 s, then 470 Mbit/s in one second on a 100 Mbit/s
# path), so a per-second stdout rate would flatter or punish a second arbitrarily. The stdout
# total of each run is logged next to it as a cross-check (pv).

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# tl_init VIAMILLIPEDE EMU: vmp_init plus the tools used here and a 32 MiB random source that
# the transfers cycle through (incompressible, cheap to produce at any rate).
tl_init() {
  vmp_init "$@"
  require_tools pv jq awk mkfifo
  "$VMP" --help 2>&1 | grep -q -- --tune-profile || skip "$VMP has no tuner (--tune-profile)"
  make_input "$RIG_WORK/src" 32
}

# Targets of a scenario, as viamillipede tx arguments.
tl_targets() {
  case $1 in
    1) echo "10.77.1.2 $VMP_PORT" ;;
    2) echo "10.77.1.2 $VMP_PORT tx 10.77.2.2 $VMP_PORT" ;;
    3) echo "10.77.1.2 $VMP_PORT tx 10.77.2.2 $VMP_PORT tx 10.77.3.2 $VMP_PORT" ;;
    23) echo "10.77.2.2 $VMP_PORT tx 10.77.3.2 $VMP_PORT" ;;
  esac
}

# tl_poor_profile FILE LINKS: the poor start genome the issue asks for: 1 leg, 16 KiB frames,
# and cubic (on a lossy long path one cubic connection is held to a few Mbit/s by the Mathis
# limit; with the namespace's default bbr one leg would already be near the optimum).
tl_poor_profile() {
  local weights="[]"
  (($2 > 1)) && weights=$(awk -v n="$2" 'BEGIN { printf "["; for (i = 0; i < n; i++) printf "%s100", (i ? "," : ""); printf "]" }')
  cat >"$1" <<JSON
{"format":"viamillipede-tuner-profile","version":1,"link_count":$2,"fitness":0,
 "knobs":{"legs":1,"legs_per_link_max":64,"frame_bytes":16384,"window_bytes":67108864,
          "sndbuf_bytes":0,"rcvbuf_bytes":0,"congestion":"cubic","link_weights":$weights}}
JSON
}

# Receiver-side payload counter (see the top): reset, read.
tl_counter_reset() {
  in_rx nft delete table inet vmptl_rx 2>/dev/null || true
  in_rx nft -f - <<NFT
table inet vmptl_rx {
  counter rxin { }
  chain pre { type filter hook prerouting priority -400; policy accept;
    iifname "path*" meta l4proto tcp counter name "rxin"
  }
}
NFT
}
tl_counter_read() {
  in_rx nft list counter inet vmptl_rx rxin |
    awk '/packets/ { for (k = 1; k < NF; k++) { if ($k == "packets") p = $(k + 1); if ($k == "bytes") b = $(k + 1) } print b - 52 * p }'
}
# Samples "epoch payload_bytes" every second until killed.
tl_sampler() {
  while :; do
    echo "$(date +%s.%N) $(tl_counter_read)"
    sleep 1
  done
}

# tl_run SECONDS SAMPLES TARGETS [tx options...]: one transfer of SECONDS (the transmitter is
# ended then). SAMPLES gets "elapsed_s bytes" lines (cumulative payload bytes received, see the
# top), elapsed from the moment the transmitter started. With TL_AT="S CMD..." set, CMD runs S
# seconds after the transmitter started (a mid-transfer change). TL_RX_ARGS / TL_TX_ARGS: extra
# receiver / transmitter options (e.g. "--verbose 3" when debugging a run).
tl_run() {
  local secs=$1 samples=$2 targets=$3
  shift 3
  local fifo=$RIG_WORK/rx.fifo raw=$RIG_WORK/pv.raw pv_pid rx_pid tx_pid t_pv t_tx smp_pid
  rm -f "$fifo" "$raw"
  tl_counter_reset
  mkfifo "$fifo"
  spawn pv_pid timeout -k 2 $((secs + 30)) pv -f -n -b -t -i 1 "$fifo" >/dev/null 2>"$raw"
  t_pv=$(date +%s.%N)
  spawn rx_pid ip netns exec "$NS_RX" timeout -k 2 $((secs + 25)) "$VMP" rx "$VMP_PORT" ${TL_RX_ARGS:-} \
    >"$fifo" 2>"$RIG_WORK/rx.err"
  wait_listen "$NS_RX" "$VMP_PORT"
  t_tx=$(date +%s.%N)
  tl_sampler >"$RIG_WORK/net.raw" &
  smp_pid=$!
  RIG_PIDS+=("$smp_pid")
  # shellcheck disable=SC2016,SC2086 # inner bash expands; targets are a word list
  spawn tx_pid bash -c 'set -o pipefail; src=$1; shift; while cat "$src"; do :; done |
      ip netns exec "$@"' _ "$RIG_WORK/src" "$NS_TX" timeout -k 2 "$secs" "$VMP" tx $targets ${TL_TX_ARGS:-} "$@" \
    >/dev/null 2>"$RIG_WORK/tx.err"
  if [[ -n ${TL_AT:-} ]]; then
    local at cmd
    read -r at cmd <<<"$TL_AT"
    sleep "$at"
    log "t=${at}s: $cmd"
    eval "$cmd"
  fi
  wait "$tx_pid" 2>/dev/null || true
  kill -TERM "$smp_pid" 2>/dev/null || true
  wait "$smp_pid" 2>/dev/null || true
  kill -TERM "$rx_pid" 2>/dev/null || true
  wait "$rx_pid" 2>/dev/null || true
  wait "$pv_pid" 2>/dev/null || true
  # The next run overwrites tx.err/rx.err (show_logs reads them); a kept work directory
  # (VMP_RIG_KEEP) has each run's own.
  cp "$RIG_WORK/tx.err" "$samples.tx.err" && cp "$RIG_WORK/rx.err" "$samples.rx.err"
  awk -v t0="$t_tx" '{ t = $1 - t0; if (t > 0.5) printf "%.3f %d\n", t, $2 }' "$RIG_WORK/net.raw" >"$samples"
  [[ -s $samples ]] || { show_logs; fail "no throughput samples (did the transfer start?)"; }
  awk -v o="$(awk -v a="$t_pv" -v b="$t_tx" 'BEGIN { print b - a }')" \
    '{ t = $1 - o; if (t > 0) printf "%.3f %d\n", t, $2 }' "$raw" >"$samples.stdout"
  TL_STDOUT_MBIT=$(awk -v s="$secs" 'END { printf "%.1f", $2 * 8 / 1e6 / s }' "$raw")
  TL_NET_MBIT=$(awk -v s="$secs" 'END { printf "%.1f", $2 * 8 / 1e6 / s }' "$samples")
  log "run of ${secs}s: mean payload received $TL_NET_MBIT Mbit/s, out of rx stdout $TL_STDOUT_MBIT Mbit/s"
}

# tl_avg SAMPLES FROM TO: mean Mbit/s between elapsed FROM and TO (nearest samples).
tl_avg() {
  awk -v f="$2" -v t="$3" '
    { T[NR] = $1; B[NR] = $2 }
    END {
      bf = 0; tf = 0; bt = 0; tt = 0
      for (i = 1; i <= NR; i++) { if (T[i] <= f) { tf = T[i]; bf = B[i] } if (T[i] <= t) { tt = T[i]; bt = B[i] } }
      if (tt <= tf) { print 0; exit }
      printf "%.1f\n", (bt - bf) * 8 / 1e6 / (tt - tf)
    }' "$1"
}

# tl_grid NAME SECONDS TARGETS "CONFIG" ...: each CONFIG ("legs cc frame") runs SECONDS with
# --no-tune; its steady goodput (from second 2 on) is logged; sets TL_GRID_BEST (Mbit/s) and
# TL_GRID_BEST_CFG. Appends "name legs cc frame mbit" lines to $TL_GRID_TSV when set.
tl_grid() {
  local name=$1 secs=$2 targets=$3
  shift 3
  local best=0 cfg legs cc frame m
  TL_GRID_BEST_CFG=""
  for cfg in "$@"; do
    read -r legs cc frame <<<"$cfg"
    tl_run "$secs" "$RIG_WORK/grid.samples" "$targets" --no-tune --threads "$legs" \
      --congestion "$cc" --frame-size "$frame"
    m=$(tl_avg "$RIG_WORK/grid.samples" 2 "$secs")
    log "grid $name: legs $legs, $cc, frame $frame: $m Mbit/s"
    [[ -n ${TL_GRID_TSV:-} ]] && printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$legs" "$cc" "$frame" "$m" >>"$TL_GRID_TSV"
    if awk -v a="$m" -v b="$best" 'BEGIN { exit !(a > b) }'; then
      best=$m
      TL_GRID_BEST_CFG=$cfg
    fi
  done
  TL_GRID_BEST=$best
}

# tl_table SAMPLES TUNELOG OPT [CHANGE_AT OPT_AFTER]: the per-second convergence table on
# stdout (second, Mbit/s in that second, trailing 5 s mean, generations finished, the tuner's
# best-so-far fitness in Mbit/s, the grid optimum in force, and as a cross-check the trailing
# 5 s mean of what came out of the receiver's stdout) as tab-separated values.
tl_table() {
  local samples=$1 tlog=$2 opt=$3 change=${4:-} opt2=${5:-}
  local gens=$RIG_WORK/gens.tsv
  : >"$gens"
  [[ -s $tlog ]] && jq -r '[.time_seconds, .generation, .best.fitness] | @tsv' "$tlog" >"$gens"
  local so=$samples.stdout
  [[ -f $so ]] || so=/dev/null
  awk -v opt="$opt" -v change="$change" -v opt2="$opt2" -v gf="$gens" -v sf="$so" '
    BEGIN {
      n = 0; while ((getline line < gf) > 0) { split(line, a, "\t"); n++; GT[n] = a[1]; GG[n] = a[2]; GB[n] = a[3] }
      ns = 0; while ((getline line < sf) > 0) { split(line, a, " "); ns++; ST[ns] = a[1]; SB[ns] = a[2] }
    }
    { T[NR] = $1; B[NR] = $2 }
    # Cumulative bytes at second s, linearly interpolated between samples (0 at 0).
    function at(s,   i, pt, pb) {
      pt = 0; pb = 0
      for (i = 1; i <= NR; i++) {
        if (T[i] >= s) return pb + (B[i] - pb) * (s - pt) / (T[i] - pt)
        pt = T[i]; pb = B[i]
      }
      return pb
    }
    function sat(s,   i, pt, pb) {
      pt = 0; pb = 0
      for (i = 1; i <= ns; i++) {
        if (ST[i] >= s) return pb + (SB[i] - pb) * (s - pt) / (ST[i] - pt)
        pt = ST[i]; pb = SB[i]
      }
      return pb
    }
    END {
      last = int(T[NR])
      for (s = 1; s <= last; s++) {
        m = (at(s) - at(s - 1)) * 8 / 1e6
        lo = s - 5; if (lo < 0) lo = 0
        m3 = (at(s) - at(lo)) * 8 / 1e6 / (s - lo)
        g = -1; bf = 0
        for (i = 1; i <= n; i++) if (GT[i] <= s) { g = GG[i]; bf = GB[i] }
        o = (change != "" && s > change) ? opt2 : opt
        so5 = (sat(s) - sat(lo)) * 8 / 1e6 / (s - lo)
        printf "%d\t%.1f\t%.1f\t%s\t%.1f\t%.1f\t%.1f\n", s, m, m3, (g < 0 ? "-" : g), bf * 8 / 1e6, o, so5
      }
    }' "$samples"
}

# tl_t90 TABLE FROM [COLUMN]: first second s >= FROM + 5 whose trailing 5 s mean (column 3,
# received; 7 = stdout) is >= 90% of the optimum in force, counted from FROM; "none" if never.
tl_t90() {
  awk -F'\t' -v from="$2" -v c="${3:-3}" '$1 >= from + 5 && $c >= 0.9 * $6 { print $1 - from; found = 1; exit }
    END { if (!found) print "none" }' "$1"
}

tl_print_table() {
  printf '%6s %9s %9s %5s %12s %9s %10s\n' second Mbit/s 5s_mean gen best_so_far optimum stdout_5s
  awk -F'\t' '{ printf "%6d %9.1f %9.1f %5s %12.1f %9.1f %10.1f\n", $1, $2, $3, $4, $5, $6, $7 }' "$1"
}

# Mid-transfer changes.
# tl_loss_up PATH PERCENT: extra loss on PATH in the data direction, in the receiver host's
# prerouting (nftables numgen), on top of the emulator's loss.
tl_loss_up() {
  local per10k
  per10k=$(awk -v p="$2" 'BEGIN { printf "%d", p * 100 }')
  in_rx nft -f - <<NFT
table inet vmptuner {
  chain pre { type filter hook prerouting priority -300; policy accept;
    iifname "path$1" numgen random mod 10000 < $per10k drop
  }
}
NFT
}

# tl_loss_clear: removes tl_loss_up's extra loss (every path).
tl_loss_clear() { in_rx nft delete table inet vmptuner; }

# tl_print_tunelog TUNELOG: every evaluation of the tuned run, one line each (generation end
# time, purpose, goodput in Mbit/s, aborted, the knobs), so a failed run says what was tried.
tl_print_tunelog() {
  [[ -s $1 ]] || return 0
  echo "tuner log (generation, ends at s: purpose id Mbit/s [aborted] knobs):"
  jq -r '"gen \(.generation), ends at \(.time_seconds * 10 | floor / 10) s",
    (.evaluations[] | "  \(.purpose) \(.id) \(.goodput * 8 / 1e6 * 10 | floor / 10)\(if .aborted then " aborted" else "" end)  legs \(.knobs.legs)/\(.knobs.legs_per_link_max) \(if .knobs.congestion == "" then "default" else .knobs.congestion end) frame \(.knobs.frame_bytes / 1024 | floor)K window \(.knobs.window_bytes / 1048576 | floor)M snd \(.knobs.sndbuf_bytes / 1024 | floor)K rcv \(.knobs.rcvbuf_bytes / 1024 | floor)K weights \(.knobs.link_weights | map(tostring) | join(","))")' "$1"
}
