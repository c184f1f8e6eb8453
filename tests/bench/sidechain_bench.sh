#!/usr/bin/env bash
# Compression sidechain vs the usual serial pipelines: viamillipede --compress none / lz4 /
# zstd:1 / zstd:3 / auto and --filter 'gzip -1', beside `zstd -T0 -1 | nc`, `lz4 -1 | nc`,
# `gzip -1 | nc` and `zstd -T0 -1 | mbuffer`, in the same run, interleaved (round-robin over the
# contenders, R rounds, medians reported), pipe in (`cat FILE |`) and pipe out (`| cat >/dev/null`).
# Prints markdown tables. Not a test: it asserts nothing about speed.
#
#   tests/bench/sidechain_bench.sh [--size 1G] [--rounds 3] [--bin PATH] [--only LIST]
#                                  [--tx-args 'ARGS'] [--data-cmd 'CMD'] [--timeout S]
#                                  [--wan PATH/TO/vmp-linkemu [--wan-size 100M] [--wan-path 100,40,0]]
#                                  [--contenders REGEX]
#   --size       input bytes (numfmt IEC suffixes: 64M, 1G) [1G]
#   --rounds     rounds; each runs every contender once, in order [3]
#   --bin        viamillipede binary [build/viamillipede of this checkout]
#   --only       comma list of: loopback (real data), random (incompressible), wan
#                [loopback,random, plus wan when --wan is given]
#   --tx-args    extra arguments for every viamillipede tx (e.g. --no-tune) []
#   --data-cmd   shell command whose first SIZE bytes are the real data
#                [tar cf - -C /usr share lib]  (/usr/share first, then /usr/lib)
#   --timeout    seconds one side of one run may take [60 + SIZE in MB / 4]
#   --wan EMU    also run every contender across the rig's emulated WAN path (tests/rig:
#                topology.sh via lib.sh's rig_init/rig_up; needs root, takes the rig lock),
#                tx in the rig's tx namespace, rx in its rx namespace at 10.77.1.2
#   --wan-size   input bytes for the WAN runs (first bytes of the real data) [100M]
#   --wan-path   RATE_MBIT,RTT_MS[,LOSS_PCT] of the emulated path [100,40,0]
#   --contenders only the contenders whose table name matches this extended regex, e.g.
#                'zstd:3|auto|T0 -1 .. nc' for a long WAN run that would take hours with all [all]
#
# Method:
# * Timing: wall clock from starting the transmitter until both ends have exited (the receiver
#   last, when the whole stream is in the sink). "input MB/s" = input bytes / that, 1 MB = 1e6 B.
# * CPU: /usr/bin/time -f '%U %S' around each side's `bash -c PIPELINE` (the rusage of all
#   waited-for descendants: cat, compressor, nc/mbuffer, viamillipede and its filter children,
#   decompressor, sink cat), user + sys of both sides, per GB (1e9 B) of input.
# * Correctness: before the timed rounds every contender makes one untimed run whose output goes
#   through sha256sum and must equal the input's; a contender that fails is reported as FAIL and
#   not timed. In the timed rounds both ends must exit 0 (pipefail; the decompressors check their
#   frame checksums, viamillipede's transmitter exits 0 only after the receiver confirmed) and the
#   transmitter's --stats-json must count every input byte.
# * The gzip pair's ceiling: `gzip -1` and `gzip -dc` alone on the same bytes (file to
#   /dev/null, once per round, after the rounds), CPU per GB; both ends share the machine's
#   cores, so cores / (both per byte) bounds any arrangement of the pair on this machine;
#   with the transfer's own CPU per byte added (the `--compress none` row, when it ran),
#   a tighter bound.
# * Ratio = input bytes / bytes on the wire. viamillipede: "sidechain.ratio" of --stats-json when
#   present, else bytes_in / tcp_acked_bytes (marked *; includes frame headers), median of the
#   rounds. Pipelines: the compressed stream nc/mbuffer received in the untimed run, measured.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=bench_lib.sh
source "$here/bench_lib.sh"
bin=$here/../../build/viamillipede
timeout_given=0 size_arg=1G rounds=3 only="" tx_args="" timeout_s="" wan_emu="" wan_size_arg=100M wan_path=100,40,0
data_cmd='tar cf - -C /usr share lib'
BENCH_EXTRA_OPTS[--data-cmd]=data_cmd
contenders=""
BENCH_EXTRA_OPTS[--contenders]=contenders
bench_parse_args "$@"
if [[ -z $only ]]; then
  only=loopback,random
  [[ -n $wan_emu ]] && only+=,wan
fi
if want wan && [[ -z $wan_emu ]]; then echo "--only wan needs --wan PATH/TO/vmp-linkemu" >&2; exit 2; fi
[[ -x $bin ]] || { echo "viamillipede binary $bin not found: build it or pass --bin" >&2; exit 2; }
bench_need_tools nc zstd lz4 gzip mbuffer ss sha256sum timeout numfmt awk jq
timeout_s=${timeout_s:-$((60 + size / 4000000))}

# ---- processes and cleanup, where the two ends run (bench_lib.sh) ---------------------------
bench_init sidechain-bench

# ---- contenders ----------------------------------------------------------------------------
# A contender: NAME, KIND (vmp | pipe | local), RX (receiving command; for a pipe the network
# part), DEC (a pipe's decompressor), TX (reads stdin). A local contender has no network: TX is
# the whole job and DEC the job of its verify run. HOST, PORT and STATS are filled in per run.
q_bin=$(printf %q "$bin")
NAMES=() KINDS=() RXS=() DECS=() TXS=()
add() { NAMES+=("$1"); KINDS+=("$2"); RXS+=("$3"); DECS+=("$4"); TXS+=("$5"); }
add_vmp() {
  local label=$1 rxopt=$2 txopt=$3
  add "viamillipede $label" vmp "$q_bin rx PORT $rxopt" "" \
    "$q_bin tx HOST PORT $txopt --stats-json STATS $tx_args"
}
vmp_contenders() {
  add_vmp "--compress none" "" "--compress none"
  add_vmp "--compress lz4" "" "--compress lz4"
  add_vmp "--compress zstd:1" "" "--compress zstd:1"
  add_vmp "--compress zstd:3" "" "--compress zstd:3"
  add_vmp "--compress auto" "" "--compress auto"
  add_vmp "--filter 'gzip -1'" "--unfilter 'gzip -dc'" "--filter 'gzip -1'"
}
pipe_contenders() {
  add "zstd -T0 -1 \| nc" pipe "nc -l HOST PORT" "zstd -q -dc" "zstd -q -T0 -1 -c | nc -N HOST PORT"
  add "lz4 -1 \| nc" pipe "nc -l HOST PORT" "lz4 -q -dc" "lz4 -q -1 -c | nc -N HOST PORT"
  add "gzip -1 \| nc" pipe "nc -l HOST PORT" "gzip -dc" "gzip -1 -c | nc -N HOST PORT"
  add "zstd -T0 -1 \| mbuffer" pipe "mbuffer -q -m 256M -I PORT -o -" "zstd -q -dc" \
    "zstd -q -T0 -1 -c | mbuffer -q -m 256M -O HOST:PORT"
}

# ---- one run -------------------------------------------------------------------------------
# run_one I INPUT MODE: sets RESULT="seconds cpu_seconds ratio flag"; MODE timed or verify.
# Returns 1 (with the ends' stderr on ours) when an end fails, 2 when the receiver never
# listened (a port taken meanwhile by someone else, or a start-up failure). Not run in a
# subshell, so the cleanup trap knows every pid it starts.
run_one() {
  local i=$1 in=$2 mode=$3 rx dec tx sink rxcmd txcmd
  next_port
  rx=${RXS[$i]//PORT/$port} dec=${DECS[$i]} tx=${TXS[$i]//PORT/$port}
  rx=${rx//HOST/$HOST}
  tx=${tx//HOST/$HOST}
  tx=${tx//STATS/$work/stats.json}
  rm -f "$work/stats.json" "$work/wire" "$work/out.sha"
  if [[ $mode == verify ]]; then
    sink="sha256sum | cut -d' ' -f1 >$work/out.sha"
    if [[ ${KINDS[$i]} == pipe ]]; then
      # The compressed stream lands in a file (its size: bytes on the wire), then is decoded.
      rxcmd="$rx >$work/wire && $dec <$work/wire | $sink"
    else
      rxcmd="$rx | $sink"
    fi
  else
    sink="cat >/dev/null"
    rxcmd="$rx${dec:+ | $dec} | $sink"
  fi
  txcmd="cat $(printf %q "$in") | $tx"
  if [[ ${KINDS[$i]} == local ]]; then
    rxcmd=""
    txcmd=$tx
    [[ $mode == verify ]] && txcmd=${DECS[$i]}" | $sink"
    echo "0 0" >"$work/rx.time"  # no receiving end
  fi
  run_ends "$rxcmd" "$txcmd" /dev/null || return $?
  local bad=""
  ((RC_TX == 0)) || bad+=" tx exit $RC_TX;"
  ((RC_RX == 0)) || bad+=" rx exit $RC_RX;"
  local ratio=- flag=""
  if [[ ${KINDS[$i]} == vmp ]]; then
    if [[ -s $work/stats.json ]]; then
      local got
      got=$(jq -r '.bytes_in' "$work/stats.json")
      [[ $got == "$(stat -c %s "$in")" ]] || bad+=" stats bytes_in $got;"
      read -r ratio flag < <(jq -r 'if .sidechain.ratio then "\(.sidechain.ratio) -"
        elif (.tcp_acked_bytes // 0) > 0 then "\(.bytes_in / .tcp_acked_bytes) *"
        else "- -" end' "$work/stats.json")
      [[ $flag == - ]] && flag=""
    else
      bad+=" no --stats-json;"
    fi
  elif [[ $mode == verify && -f $work/wire ]]; then
    ratio=$(awk -v a="$(stat -c %s "$in")" -v b="$(stat -c %s "$work/wire")" 'BEGIN { print (b > 0) ? a / b : "-" }')
  fi
  if [[ $mode == verify && -z $bad ]]; then
    output_matches "$in" || bad+=" sha256 of the output differs;"
  fi
  if [[ -n $bad ]]; then
    report_failed "${NAMES[$i]} ($mode):$bad"
    return 1
  fi
  RESULT="$(ends_secs) $(ends_cpu) $ratio ${flag:--}"
}

# ---- the runs: every entry verified, then R rounds, round-robin over all entries ------------
# An entry is SCEN INDEX INPUT; results in $work/r.SCEN.INDEX.{secs,cpu,ratio,flag,state}.
bench() {
  local e i b r secs cpu ratio flag
  for e in "${!E_SCEN[@]}"; do
    i=${E_IDX[$e]} b=$work/r.${E_SCEN[$e]}.${E_IDX[$e]}
    : >"$b.secs"; : >"$b.cpu"; : >"$b.ratio"; : >"$b.flag"
    echo "${E_SCEN[$e]} verify: ${NAMES[$i]}" >&2
    if try "$i" "${E_IN[$e]}" verify; then
      read -r secs cpu ratio flag <<<"$RESULT"
      echo ok >"$b.state"
      [[ ${KINDS[$i]} == pipe ]] && echo "$ratio" >"$b.ratio"
    else
      echo "FAIL (output check)" >"$b.state"
    fi
  done
  for ((r = 1; r <= rounds; r++)); do
    for e in "${!E_SCEN[@]}"; do
      i=${E_IDX[$e]} b=$work/r.${E_SCEN[$e]}.${E_IDX[$e]}
      [[ $(cat "$b.state") == ok ]] || continue
      echo "${E_SCEN[$e]} round $r/$rounds: ${NAMES[$i]}" >&2
      if try "$i" "${E_IN[$e]}" timed; then
        read -r secs cpu ratio flag <<<"$RESULT"
        echo "$secs" >>"$b.secs"
        echo "$cpu" >>"$b.cpu"
        [[ ${KINDS[$i]} == vmp && $ratio != - ]] && echo "$ratio" >>"$b.ratio"
        [[ $flag != - ]] && echo "$flag" >"$b.flag"
      else
        echo "FAIL (round $r)" >"$b.state"
      fi
    done
  done
  E_SCEN=() E_IDX=() E_IN=()
}

# mbs SCEN I BYTES -> median input MB/s (or empty; also when contender I did not run)
mbs() {
  local s
  [[ -f $work/r.$1.$2.secs ]] || return 0
  s=$(median <"$work/r.$1.$2.secs")
  [[ $s == - ]] || awk -v b="$3" -v s="$s" 'BEGIN { print b / 1e6 / s }'
}
index_of() { local i; for i in "${!NAMES[@]}"; do [[ ${NAMES[$i]} == "$1" ]] && { echo "$i"; return; }; done; }

table_full() {  # table_full SCEN FIRST LAST BYTES [EXTRA_INDEX...]
  local scen=$1 first=$2 last=$3 bytes=$4 i zi gi zb gb
  local rows
  mapfile -t rows < <(seq "$first" "$last")
  rows+=("${@:5}")
  zi=$(index_of "zstd -T0 -1 \| nc") gi=$(index_of "gzip -1 \| nc")
  zb=$(mbs "$scen" "$zi" "$bytes") gb=$(mbs "$scen" "$gi" "$bytes")
  echo "| contender | input MB/s | min | max | ratio | CPU s/GB | vs zstd -T0 pipeline | vs gzip pipeline |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for i in "${rows[@]}"; do
    local b=$work/r.$scen.$i state
    [[ -f $b.state ]] || continue  # not among --contenders
    state=$(cat "$b.state")
    if [[ $state != ok ]]; then
      echo "| ${NAMES[$i]} | $state | | | | | | |"
      continue
    fi
    local m lo hi ratio cpu vz=- vg=-
    m=$(mbs "$scen" "$i" "$bytes")
    lo=$(awk -v b="$bytes" -v s="$(sort -g "$b.secs" | tail -1)" 'BEGIN { print b / 1e6 / s }')
    hi=$(awk -v b="$bytes" -v s="$(sort -g "$b.secs" | head -1)" 'BEGIN { print b / 1e6 / s }')
    ratio=$(median <"$b.ratio")
    cpu=$(median <"$b.cpu")
    # Throughput against the two baselines: for viamillipede's rows, and 1.00x on the baseline.
    if [[ ${KINDS[$i]} == vmp || $i == "$zi" ]]; then
      [[ -n $zb ]] && vz=$(awk -v a="$m" -v z="$zb" 'BEGIN { printf "%.2fx", a / z }')
    fi
    if [[ ${KINDS[$i]} != pipe || $i == "$gi" ]]; then
      [[ -n $gb ]] && vg=$(awk -v a="$m" -v z="$gb" 'BEGIN { printf "%.2fx", a / z }')
    fi
    awk -v n="${NAMES[$i]}" -v m="$m" -v lo="$lo" -v hi="$hi" -v r="$ratio" -v f="$(cat "$b.flag")" \
      -v c="$cpu" -v gbs="$(awk -v b="$bytes" 'BEGIN { print b / 1e9 }')" -v vz="$vz" -v vg="$vg" \
      'function f1(x) { return sprintf(x < 100 ? "%.1f" : "%.0f", x) }
       BEGIN { rr = (r == "-") ? "-" : sprintf("%.2f%s", r, f);
               printf "| %s | %s | %s | %s | %s | %.2f | %s | %s |\n", n, f1(m), f1(lo), f1(hi), rr, c / gbs, vz, vg }'
  done
}

# ---- inputs --------------------------------------------------------------------------------
make_inputs() {
  local need=0
  want loopback && need=$size
  want wan && ((wan_size > need)) && need=$wan_size
  if ((need > 0)); then
    echo "input: first $need bytes of: $data_cmd" >&2
    # Reading stops at SIZE; the producer then dies of SIGPIPE, which is expected.
    (bash -c "$data_cmd" 2>/dev/null || true) | head -c "$need" >"$work/real"
    cat "$work/real" >/dev/null
    if want loopback; then
      mkdir -p "$work/chunks"
      split -b 8M -a 5 "$work/real" "$work/chunks/c."
    fi
    SHA[$work/real]=$(sha256sum "$work/real" | cut -d' ' -f1)
    if want wan; then
      head -c "$wan_size" "$work/real" >"$work/wan"
      SHA[$work/wan]=$(sha256sum "$work/wan" | cut -d' ' -f1)
    fi
  fi
  if want random; then
    head -c "$size" /dev/urandom >"$work/random"
    SHA[$work/random]=$(sha256sum "$work/random" | cut -d' ' -f1)
  fi
}

make_inputs

# Loopback contenders first (host network); WAN after, on the rig.
vmp_contenders
pipe_contenders
n_full=${#NAMES[@]}
add_vmp "--compress none" "" "--compress none"
add_vmp "--compress auto" "" "--compress auto"
add_vmp "--compress lz4" "" "--compress lz4"
n_rand_last=$((${#NAMES[@]} - 1))
# The reference: the gzip pair over the pre-split chunks, cores at once, no transfer (see Method).
q_chunks=$(printf %q "$work/chunks")
add "\`gzip -1 \| gzip -dc\` per 8 MiB chunk, $(nproc) at once, no transfer" local "" \
  "for f in $q_chunks/c.*; do gzip -1 -c \"\$f\" | gzip -dc; done" \
  "printf '%s\\0' $q_chunks/c.* | xargs -0 -P $(nproc) -n 1 sh -c 'gzip -1 -c \"\$1\" | gzip -dc >/dev/null' sh"
i_ideal=$((${#NAMES[@]} - 1))

# gzip_alone: `gzip -1` and `gzip -dc` by themselves on the real data, file to /dev/null, once
# per round; CPU seconds (user+sys) in $work/alone.{gzip,gunzip}. With both ends on one
# machine, the filter pair's compressing and decompressing share its cores, so
# cores / (both per byte) is the most any arrangement of the pair can reach here.
gzip_alone() {
  local r
  gzip -1 -c "$work/real" >"$work/real.gz"
  : >"$work/alone.gzip"; : >"$work/alone.gunzip"
  for ((r = 1; r <= rounds; r++)); do
    echo "loopback round $r/$rounds: gzip -1 and gzip -dc alone" >&2
    /usr/bin/time -f '%U %S' -o "$work/alone.t" gzip -1 -c "$work/real" >/dev/null
    awk '{ print $1 + $2 }' "$work/alone.t" >>"$work/alone.gzip"
    /usr/bin/time -f '%U %S' -o "$work/alone.t" gzip -dc "$work/real.gz" >/dev/null
    awk '{ print $1 + $2 }' "$work/alone.t" >>"$work/alone.gunzip"
  done
  rm -f "$work/real.gz"
}

# Real and random data in the same rounds; the WAN after, on the rig.
# picked I: contender I is among --contenders.
picked() { [[ -z $contenders ]] || grep -Eq -- "$contenders" <<<"${NAMES[$1]}"; }
if want loopback; then
  for ((i = 0; i < n_full; i++)); do if picked "$i"; then entry loopback "$i" "$work/real"; fi; done
  if picked "$i_ideal"; then entry loopback "$i_ideal" "$work/real"; fi
fi
if want random; then
  for ((i = n_full; i <= n_rand_last; i++)); do if picked "$i"; then entry random "$i" "$work/random"; fi; done
fi
((${#E_SCEN[@]} == 0)) || bench
if want loopback; then gzip_alone; fi
if want wan; then
  setup_wan
  for ((i = 0; i < n_full; i++)); do if picked "$i"; then entry wan "$i" "$work/wan"; fi; done
  bench
fi

# ---- report --------------------------------------------------------------------------------
real_bytes=$( [[ -f $work/real ]] && stat -c %s "$work/real" || echo 0)
echo
echo "Command: $cmdline"
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r), $(date -u '+%F %H:%M UTC'); $("$bin" --version 2>&1 | head -1)"
echo "Median of $rounds interleaved rounds; cat FILE | sender ... receiver | cat >/dev/null; timeout ${timeout_s}s per side."
echo "MB/s = input bytes / wall s (1e6 B); CPU = user+sys of both ends, all processes, per 1e9 B of input;"
echo "ratio = input / wire bytes (viamillipede: stats-json sidechain.ratio; * = bytes_in / tcp_acked_bytes instead;"
echo "pipelines: compressed stream as received, measured in the untimed sha256-checked run)."
if want loopback; then
  echo
  echo "Loopback, real data: $(numfmt --to=iec "$real_bytes") ($real_bytes B) of \`$data_cmd\`"
  echo
  table_full loopback 0 $((n_full - 1)) "$real_bytes" "$i_ideal"
  gz=$(median <"$work/alone.gzip") gd=$(median <"$work/alone.gunzip")
  gb=$(mbs loopback "$(index_of "gzip -1 \| nc")" "$real_bytes")
  echo
  # The transfer's own cost: the plain contender's CPU per GB in the same rounds (when it ran).
  ni=$(index_of "viamillipede --compress none")
  tcpu=0
  if [[ $(cat "$work/r.loopback.$ni.state" 2>/dev/null) == ok ]]; then
    tcpu=$(awk -v c="$(median <"$work/r.loopback.$ni.cpu")" -v b="$real_bytes" 'BEGIN { print c / (b / 1e9) }')
  fi
  awk -v c="$gz" -v d="$gd" -v n="$(nproc)" -v b="$real_bytes" -v g="${gb:-0}" -v t="$tcpu" 'BEGIN {
    gbs = b / 1e9; ceil = n * gbs / (c + d) * 1000
    printf "gzip alone on the same bytes (median of the rounds): `gzip -1` %.2f CPU-s/GB, `gzip -dc` %.2f.\n", c / gbs, d / gbs
    printf "With both ends on these %d cores, no arrangement of the filter pair passes %d / (%.2f + %.2f) = %.0f MB/s", n, n, c / gbs, d / gbs, ceil
    if (g > 0) printf " (%.2fx the serial gzip pipeline)", ceil / g
    print "."
    if (t > 0) {
      tceil = n / (c / gbs + d / gbs + t) * 1000
      printf "With the transfer'"'"'s own cost added (viamillipede --compress none above: %.2f CPU-s/GB), %d / (%.2f + %.2f + %.2f) = %.0f MB/s", t, n, c / gbs, d / gbs, t, tceil
      if (g > 0) printf " (%.2fx)", tceil / g
      print "."
    }
  }'
  ideal=$(mbs loopback "$i_ideal" "$real_bytes")
  pair=$(mbs loopback "$(index_of "viamillipede --filter 'gzip -1'")" "$real_bytes")
  if [[ -n $ideal && -n $gb ]]; then
    awk -v r="$ideal" -v g="$gb" -v p="${pair:-0}" 'BEGIN {
      printf "The pair with no transfer at all (the reference row) reached %.1f MB/s, %.2fx the serial gzip pipeline", r, r / g
      if (p > 0) printf "; viamillipede'"'"'s filter pair %.0f%% of it", 100 * p / r
      print "."
    }'
  fi
fi
if want random; then
  echo
  echo "Loopback, incompressible: $(numfmt --to=iec "$size") of /dev/urandom"
  echo
  echo "| contender | input MB/s | min | max | ratio | CPU s/GB |"
  echo "|---|---:|---:|---:|---:|---:|"
  for ((i = n_full; i <= n_rand_last; i++)); do
    b=$work/r.random.$i
    [[ -f $b.state ]] || continue  # not among --contenders
    if [[ $(cat "$b.state") != ok ]]; then echo "| ${NAMES[$i]} | $(cat "$b.state") | | | | |"; continue; fi
    awk -v n="${NAMES[$i]}" -v bytes="$size" -v s="$(median <"$b.secs")" -v lo="$(sort -g "$b.secs" | tail -1)" \
      -v hi="$(sort -g "$b.secs" | head -1)" -v r="$(median <"$b.ratio")" -v f="$(cat "$b.flag")" -v c="$(median <"$b.cpu")" \
      'function f1(x) { return sprintf(x < 100 ? "%.1f" : "%.0f", x) }
       BEGIN { rr = (r == "-") ? "-" : sprintf("%.2f%s", r, f);
               printf "| %s | %s | %s | %s | %s | %.2f |\n", n, f1(bytes / 1e6 / s), f1(bytes / 1e6 / lo), f1(bytes / 1e6 / hi), rr, c / (bytes / 1e9) }'
  done
fi
if want wan; then
  echo
  wan_bytes=$(stat -c %s "$work/wan")
  echo "Emulated WAN path $wan_path (RATE_MBIT,RTT_MS,LOSS_PCT; tests/rig, $HOST, namespaces $NS_TX -> $NS_RX),"
  echo "real data: $(numfmt --to=iec "$wan_bytes") ($wan_bytes B), the first bytes of the loopback input"
  echo
  table_full wan 0 $((n_full - 1)) "$wan_bytes"
fi
# Exit 1 when a contender failed its output check or a round (the table says which).
! grep -q FAIL "$work"/r.*.state 2>/dev/null
