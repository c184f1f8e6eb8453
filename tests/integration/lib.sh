# shellcheck shell=bash
# Shared helpers for the process-level integration tests (sourced, not run).
#
# Every test runs the real viamillipede binary over loopback and judges it by a byte-exact
# SHA-256 comparison of what went in and what came out; log lines are only extra checks.
#
# Conventions
#   * A test script takes the viamillipede binary as its first argument, exits 0 on pass and
#     1 on fail (one "FAIL [test]: ..." line on stderr, then the tail of the logs involved).
#   * Every background process is started through `spawn` (or a helper built on it), recorded,
#     and ended by pid when the script exits; every file lives in one per-test work dir that
#     is removed on exit (kept when VMP_INTEG_KEEP=1, for debugging).
#   * A per-test watchdog (vmp_init's second argument, seconds) fails the test if it runs
#     too long; single steps are bounded too (wait_exit, run_vmp with a timeout).
#   * Waiting is event driven: bounded polling of ss, /proc, files and logs; a `sleep` only
#     appears where the test needs time to pass (an outage of N seconds), never to "let
#     something start".
#
# Environment
#   VMP_BIG_BYTES    size of the "big" random stream (sizes, chaos tests)   [1 GiB]
#   VMP_HUGE_BYTES   size of the generated stream of the memory test        [10 GiB]
#   VMP_INTEG_CACHE  where the big random file is generated once            [$TMPDIR/vmp-integ-cache-UID]
#   VMP_INTEG_KEEP   1 = keep the work dir of a test                        [0]

#   VMP_RX_EXIT_SECONDS  how long a receiver may take to exit after its transmitter did
#                    [45: rx's documented 30 s linger + slack; rx_exit.sh holds the real
#                    expectation that rx exits promptly once the transmitter closed its legs]

VMP_BIG_BYTES=${VMP_BIG_BYTES:-1073741824}
VMP_RX_EXIT_SECONDS=${VMP_RX_EXIT_SECONDS:-45}
VMP_HUGE_BYTES=${VMP_HUGE_BYTES:-10737418240}
VMP_INTEG_CACHE=${VMP_INTEG_CACHE:-${TMPDIR:-/tmp}/vmp-integ-cache-$(id -u)}

BIN=""
TEST_NAME=$(basename "${0:-test}" .sh)
WORK=""
PIDS=()
NO_TUNE=()
_WATCHDOG_PID=""
_LOGS_ON_FAIL=()
RX_WRAP=()
# AT_EXIT: commands (function names) the cleanup runs once the background processes are gone,
# before the work dir is removed (e.g. sshd_stop of tests/lib/sshd.sh).
AT_EXIT=()

log() { echo "[$(date +%T.%3N)] $TEST_NAME: $*" >&2; }

# fail MESSAGE: the test failed. Prints the message and the tail of the logs registered
# with show_on_fail, then exits 1 (the EXIT trap cleans up).
fail() {
  echo "FAIL [$TEST_NAME]: $*" >&2
  local f
  for f in "${_LOGS_ON_FAIL[@]}"; do
    [[ -s $f ]] || continue
    echo "----- last lines of $(basename "$f") -----" >&2
    tail -n 15 "$f" | tr '\r' '\n' | tail -n 15 >&2
  done
  exit 1
}

pass() {
  echo "PASS [$TEST_NAME]${1:+: $1}" >&2
  exit 0
}

show_on_fail() { _LOGS_ON_FAIL+=("$@"); }

_vmp_cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  [[ -n $_WATCHDOG_PID ]] && { kill -KILL "$_WATCHDOG_PID" && wait "$_WATCHDOG_PID"; } 2>/dev/null
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  # Give them a moment to go (bounded), then insist.
  local i alive
  for ((i = 0; i < 40; i++)); do
    alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.05
  done
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid"; done 2>/dev/null
  local f
  for f in "${AT_EXIT[@]}"; do "$f"; done
  if [[ -n $WORK && -d $WORK ]]; then
    if [[ ${VMP_INTEG_KEEP:-0} == 1 ]]; then
      echo "$TEST_NAME: work dir kept: $WORK" >&2
    else
      rm -rf "$WORK"
    fi
  fi
  exit "$rc"
}

# The watchdog: a bash subshell that waits with `read -t` (no child process that could
# outlive the test and hold ctest's pipes), then fails the test. It kills the test's own
# children first, because bash runs a TERM trap only after the current foreground command.
_vmp_watchdog() {
  local secs=$1 main=$2 fifo=$3
  trap - EXIT INT TERM
  read -r -t "$secs" <>"$fifo"
  echo "FAIL [$TEST_NAME]: still running after ${secs}s (per-test timeout)" >&2
  kill -TERM "$main" 2>/dev/null
  local pid
  for pid in $(ps -o pid= --ppid "$main"); do
    [[ $pid == "$BASHPID" ]] || kill -TERM "$pid" 2>/dev/null
  done
  exit 0
}

# vmp_init BIN [TIMEOUT_SECONDS]: checks, work dir, cleanup trap, watchdog.
vmp_init() {
  BIN=${1:?usage: $0 PATH_TO_VIAMILLIPEDE}
  local timeout=${2:-120}
  [[ -x $BIN ]] || { echo "FAIL [$TEST_NAME]: $BIN is not an executable" >&2; exit 1; }
  local t
  for t in ss sha256sum timeout cmp; do
    command -v "$t" >/dev/null || { echo "FAIL [$TEST_NAME]: needs $t" >&2; exit 1; }
  done
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/vmp-integ-$TEST_NAME.XXXXXX")
  trap _vmp_cleanup EXIT
  trap 'fail "interrupted (signal)"' INT TERM
  mkfifo "$WORK/.watchdog"
  _vmp_watchdog "$timeout" "$$" "$WORK/.watchdog" </dev/null &
  _WATCHDOG_PID=$!
  # Tuning is not wired into every build yet; keep the knobs fixed where the flag exists.
  if "$BIN" --version --no-tune >/dev/null 2>&1; then NO_TUNE=(--no-tune); fi
  log "binary $BIN, work dir $WORK, timeout ${timeout}s"
}

# spawn VAR CMD...: starts CMD in the background (with the caller's redirections), records its
# pid for cleanup and stores it in VAR.
spawn() {
  local _var=$1
  shift
  # Explicit <&0: a background command in a script otherwise gets /dev/null as stdin.
  "$@" <&0 &
  PIDS+=($!)
  printf -v "$_var" '%s' $!
}

# poll_until SECONDS WHAT CMD...: runs CMD every 50 ms until it succeeds; fails the test
# with "WHAT" after SECONDS.
poll_until() {
  local secs=$1 what=$2 i
  shift 2
  for ((i = 0; i < secs * 20; i++)); do
    "$@" && return 0
    sleep 0.05
  done
  fail "timed out after ${secs}s waiting for: $what"
}

alive() { kill -0 "$1" 2>/dev/null; }

# wait_exit VAR PID SECONDS WHAT: waits (bounded) for a background process to end and
# stores its exit status in VAR.
wait_exit() {
  local _var=$1 _pid=$2 _secs=$3 _what=${4:-process $2} _i
  for ((_i = 0; _i < _secs * 20; _i++)); do
    alive "$_pid" || break
    sleep 0.05
  done
  alive "$_pid" && fail "$_what did not exit within ${_secs}s"
  local _rc=0
  wait "$_pid" || _rc=$?
  printf -v "$_var" '%s' "$_rc"
}

# now_ms: monotonic-enough wall clock in milliseconds (for elapsed-time checks only).
now_ms() { date +%s%3N; }

# ---------------------------------------------------------------------------------------
# Ports

_port_in_use() { [[ -n $(ss -Htan "( sport = :$1 or dport = :$1 )" 2>/dev/null) ]]; }

# free_port VAR: stores in VAR a TCP port nothing on this host uses now, outside the
# ephemeral range (so no outgoing connection of a parallel test can take it), distinct from
# the ones this test picked before. (Helpers that can fail store into a variable instead of
# printing: `fail` inside $(...) would only end the subshell.)
_PICKED_PORTS=" "
free_port() {
  local _lo=20000 _hi=32700 _p _i
  for ((_i = 0; _i < 200; _i++)); do
    _p=$((_lo + (RANDOM * 32768 + RANDOM) % (_hi - _lo)))
    [[ $_PICKED_PORTS == *" $_p "* ]] && continue
    _port_in_use "$_p" && continue
    _PICKED_PORTS+="$_p "
    printf -v "$1" '%s' "$_p"
    return 0
  done
  fail "no free TCP port found"
}

listening() { [[ -n $(ss -Htln "sport = :$1" 2>/dev/null) ]]; }

# wait_listen PORT PID [SECONDS]: until something listens on PORT; fails early if PID died.
wait_listen() {
  local port=$1 pid=$2 secs=${3:-10} i
  for ((i = 0; i < secs * 20; i++)); do
    listening "$port" && return 0
    alive "$pid" || fail "receiver (pid $pid) exited before listening on port $port"
    sleep 0.05
  done
  fail "nothing listens on port $port after ${secs}s"
}

# ---------------------------------------------------------------------------------------
# Hashing and data

# hash_stdin: hex SHA-256 of stdin. OpenSSL uses the CPU's SHA extensions (~1 GB/s here,
# three times sha256sum); same digest either way.
if command -v openssl >/dev/null && openssl dgst -sha256 -r </dev/null >/dev/null 2>&1; then
  hash_stdin() { openssl dgst -sha256 -r | cut -d' ' -f1; }
else
  hash_stdin() { sha256sum | cut -d' ' -f1; }
fi
hash_file() { hash_stdin <"$1"; }

# random_file PATH BYTES: BYTES of random data (small sizes; /dev/urandom).
random_file() { head -c "$2" /dev/urandom >"$1" || fail "cannot write $1"; }

# gen_stream BYTES: a deterministic pseudo-random stream on stdout (AES-CTR keystream,
# ~1.5 GB/s; /dev/urandom would be ~200 MB/s). Falls back to /dev/urandom.
gen_stream() {
  if command -v openssl >/dev/null; then
    openssl enc -aes-128-ctr -pass pass:viamillipede -nosalt -pbkdf2 </dev/zero 2>/dev/null |
      head -c "$1"
  else
    head -c "$1" /dev/urandom
  fi
}

# big_file VAR BYTES: stores in VAR the path of a cached random file of BYTES (generated
# once, under a lock, shared by the tests of a run; tests/integration/CMakeLists.txt removes
# it at the end of the suite). Its digest is cached next to it as PATH.sha256.
big_file() {
  local _n=$2 _f
  mkdir -p "$VMP_INTEG_CACHE" || fail "cannot create $VMP_INTEG_CACHE"
  _f=$VMP_INTEG_CACHE/random-$_n.bin
  (
    flock -w 300 9 || exit 1
    if [[ ! -f $_f.sha256 || $(stat -c %s "$_f" 2>/dev/null) != "$_n" ]]; then
      rm -f "$_f" "$_f.sha256"
      gen_stream "$_n" >"$_f.tmp" && [[ $(stat -c %s "$_f.tmp") == "$_n" ]] || exit 1
      hash_file "$_f.tmp" >"$_f.sha256.tmp" || exit 1
      mv "$_f.tmp" "$_f" && mv "$_f.sha256.tmp" "$_f.sha256"
    fi
  ) 9>"$VMP_INTEG_CACHE/.lock" || fail "cannot generate $_f"
  printf -v "$1" '%s' "$_f"
}

# ---------------------------------------------------------------------------------------
# Running viamillipede

# start_rx NAME PORT [ARGS...]: starts `viamillipede rx PORT ARGS` in the background and
# waits until it listens. stderr goes to $WORK/NAME.err. stdout goes to the sink chosen by
# RX_SINK:
#   hash (default)  through a FIFO into hash_stdin; the digest lands in $WORK/NAME.sha
#   file            $WORK/NAME.out
#   null            /dev/null
#   "cmd:CMD"       through a FIFO into `bash -c CMD` (run in $WORK)
# Sets RX_PID (viamillipede itself, for signals and its exit status) and SINK_PID.
# RX_WRAP (array): a command prefix such as (/usr/bin/time -o F); RX_PID is then the wrapper's.
start_rx() {
  local name=$1 port=$2
  shift 2
  local sink=${RX_SINK:-hash} out
  SINK_PID=""
  show_on_fail "$WORK/$name.err"
  case $sink in
    hash)
      mkfifo "$WORK/$name.fifo"
      spawn SINK_PID eval 'hash_stdin <"$WORK/$name.fifo" >"$WORK/$name.sha"'
      out=$WORK/$name.fifo
      ;;
    file) out=$WORK/$name.out ;;
    null) out=/dev/null ;;
    cmd:*)
      mkfifo "$WORK/$name.fifo"
      spawn SINK_PID eval 'cd "$WORK" && bash -c "${sink#cmd:}" <"$WORK/$name.fifo"'
      out=$WORK/$name.fifo
      ;;
    *) fail "start_rx: unknown RX_SINK '$sink'" ;;
  esac
  spawn RX_PID "${RX_WRAP[@]}" "$BIN" rx "$port" "$@" </dev/null >"$out" 2>"$WORK/$name.err"
  wait_listen "$port" "$RX_PID"
}

# finish_rx NAME [SECONDS]: waits for the receiver started last (RX_PID) and its sink; sets
# RX_RC and, with the hash sink, RX_HASH.
finish_rx() {
  local name=$1 secs=${2:-$VMP_RX_EXIT_SECONDS}
  wait_exit RX_RC "$RX_PID" "$secs" "receiver $name"
  if [[ -n $SINK_PID ]]; then
    local _sink_rc
    wait_exit _sink_rc "$SINK_PID" 30 "sink of $name"
  fi
  RX_HASH=""
  [[ -f $WORK/$name.sha ]] && RX_HASH=$(<"$WORK/$name.sha")
  return 0
}

# run_vmp NAME SECONDS ARGS...: runs viamillipede ARGS in the foreground (stdin as given by
# the caller), bounded by SECONDS; stderr to $WORK/NAME.err, stdout to $WORK/NAME.out.
# Sets VMP_RC (124 = timed out) and VMP_MS (elapsed).
run_vmp() {
  local name=$1 secs=$2
  shift 2
  show_on_fail "$WORK/$name.err"
  local t0 rc=0
  t0=$(now_ms)
  timeout -k 5 "$secs" "$BIN" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
  VMP_MS=$(($(now_ms) - t0))
  VMP_RC=$rc
  [[ $rc == 124 || $rc == 137 ]] && log "viamillipede $* timed out after ${secs}s"
  return 0
}

# start_tx NAME ARGS...: viamillipede tx ARGS in the background, stdin as given by the caller
# (e.g. `start_tx tx1 127.0.0.1 $P < file`), stderr to $WORK/NAME.err. Sets TX_PID.
start_tx() {
  local name=$1
  shift
  show_on_fail "$WORK/$name.err"
  spawn TX_PID "$BIN" tx "$@" >/dev/null 2>"$WORK/$name.err"
}

# input_hash VAR FILE: the digest of FILE (cached FILE.sha256 of big_file when present).
input_hash() {
  if [[ -f $2.sha256 ]]; then
    printf -v "$1" '%s' "$(<"$2.sha256")"
  else
    printf -v "$1" '%s' "$(hash_file "$2")"
  fi
}

# split_args TX_ARGS... [-- RX_ARGS...]: sets the arrays TX_ARGS and RX_ARGS.
split_args() {
  TX_ARGS=()
  RX_ARGS=()
  while (($#)); do
    if [[ $1 == -- ]]; then
      shift
      RX_ARGS=("$@")
      return
    fi
    TX_ARGS+=("$1")
    shift
  done
}

# transfer NAME INPUT SECONDS [TX_ARGS...] [-- RX_ARGS...]: the basic end-to-end check.
# (INPUT may be a pipe such as <(cmd); then pass its digest in WANT_HASH.) A
# receiver on a fresh port (extra RX_ARGS), `viamillipede tx 127.0.0.1 PORT TX_ARGS < INPUT`
# bounded by SECONDS; both must exit 0 and the receiver's stdout must hash like INPUT.
# Logs: $WORK/NAME.rx.err, $WORK/NAME.tx.err.
transfer() {
  local name=$1 input=$2 secs=$3
  shift 3
  local port want
  split_args "$@"
  if [[ -n ${WANT_HASH:-} ]]; then want=$WANT_HASH; else input_hash want "$input"; fi
  free_port port
  start_rx "$name.rx" "$port" "${RX_ARGS[@]}"
  run_vmp "$name.tx" "$secs" tx 127.0.0.1 "$port" "${NO_TUNE[@]}" "${TX_ARGS[@]}" <"$input"
  expect_eq "$VMP_RC" 0 "$name: tx exit status"
  finish_rx "$name.rx"
  expect_eq "$RX_RC" 0 "$name: rx exit status"
  expect_hash "$RX_HASH" "$want" "$name"
  log "$name: ${VMP_MS} ms, sha256 matches"
}

# ---------------------------------------------------------------------------------------
# Checks

expect_eq() {  # expect_eq GOT WANT WHAT
  [[ $1 == "$2" ]] || fail "$3: got '$1', expected '$2'"
}

expect_hash() {  # expect_hash GOT WANT WHAT
  [[ -n $1 ]] || fail "$3: no output digest (the sink produced nothing)"
  [[ $1 == "$2" ]] || fail "$3: output differs from input (sha256 $1, expected $2)"
}

expect_grep() {  # expect_grep FILE REGEX WHAT   (extended regex)
  grep -Eq -- "$2" "$1" || fail "$3: no line matching /$2/ in $(basename "$1")"
}

expect_no_grep() {  # expect_no_grep FILE REGEX WHAT
  if grep -Eq -- "$2" "$1"; then fail "$3: unexpected line matching /$2/ in $(basename "$1")"; fi
}

# expect_usage_error NAME: the run recorded by run_vmp NAME was a usage error: exit 2, empty
# stdout, exactly "viamillipede: <what>" + the --help hint on stderr.
expect_usage_error() {
  local name=$1 err=$WORK/$1.err
  expect_eq "$VMP_RC" 2 "$name: exit status"
  [[ ! -s $WORK/$name.out ]] || fail "$name: usage error printed on stdout"
  expect_eq "$(wc -l <"$err")" 2 "$name: number of stderr lines"
  expect_grep "$err" '^viamillipede: [^ ]' "$name: first line"
  expect_eq "$(sed -n 2p "$err")" "Try 'viamillipede --help' for usage." "$name: second line"
}

# expect_one_line_error FILE REGEX WHAT: the run's stderr has a line matching REGEX and no
# sign of a crash (sanitizer report, assertion, exception text, core dump).
expect_clean_error() {
  expect_grep "$1" "$2" "$3"
  expect_no_grep "$1" 'AddressSanitizer|runtime error:|Assertion|terminate called|Segmentation|core dumped|Aborted' "$3"
}

# ---------------------------------------------------------------------------------------
# Handshakes crafted by hand (wire protocol 3, see src/wire/protocol.hpp): 32-byte Hello =
# "VMPD", u16 version, u16 flags, 4-byte checkphrase, u64 session, u32 leg, u32 outage
# timeout, u32 reserved; all big-endian.

# hello_bytes VERSION PHRASE4 SESSION LEG: writes a Hello on stdout (PHRASE4: exactly 4
# bytes, NUL-padded by the caller if shorter, e.g. 'yoda').
hello_bytes() {
  local version=$1 phrase=$2 session=$3 leg=$4
  printf 'VMPD'
  printf "\\x$(printf %02x $((version >> 8)))\\x$(printf %02x $((version & 255)))"
  printf '\x00\x00'
  printf '%s' "$phrase"
  _be "$session" 8
  _be "$leg" 4
  _be 30 4
  _be 0 4
}

# _be VALUE BYTES: VALUE as a big-endian integer of BYTES bytes (VALUE may be a decimal
# string up to 2^64-1; bash arithmetic wraps, which keeps the bit pattern).
_be() {
  local v=$1 n=$2 i out=""
  for ((i = 0; i < n; i++)); do
    out="\\x$(printf %02x $((v & 255)))$out"
    v=$((v >> 8))
  done
  printf "$out"
}

# send_bytes PORT [SOURCE_ADDRESS]: sends stdin to 127.0.0.1:PORT (from SOURCE_ADDRESS, e.g.
# 127.0.0.5, when given), half-closes, reads whatever comes back (discarded) until the peer
# closes or is idle for 1 s; bounded to 5 s.
send_bytes() {
  local port=$1 src=${2:-}
  timeout 5 nc -N -w 1 ${src:+-s "$src"} 127.0.0.1 "$port" >/dev/null 2>&1 || true
}

# file_size PATH: bytes in PATH (0 if missing).
file_size() { stat -c %s "$1" 2>/dev/null || echo 0; }
