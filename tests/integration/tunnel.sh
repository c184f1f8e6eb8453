#!/usr/bin/env bash
# ssh with viamillipede, both ways round, against a private sshd (tests/lib/sshd.sh: 127.0.0.1,
# a spare port, fresh ed25519 keys, key authentication, TCP forwarding allowed):
#  a) ssh through a TCP tunnel: `viamillipede rx PA tx localhost PB charmode terminate PT` and
#     `viamillipede rx PB tx localhost PA charmode initiate localhost SSHD_PORT` (the original's
#     words), then `ssh -p PT 127.0.0.1 CMD`. CMD hashes what it reads (UP: VMP_BIG_BYTES / 8
#     bytes sent by ssh) while it writes the cached big file (VMP_BIG_BYTES, 1 GiB): both
#     directions at once. Both digests must be exact, ssh must exit 0, then both viamillipede
#     processes exit 0 within VMP_RX_EXIT_SECONDS (one connection per run) with nothing on
#     stdout; no session left in sshd, no process of the test left, the ports closed;
#  b) rsync through a fresh pair of ends started with the long options (--rx --tx --charmode
#     --terminate PT / --initiate 127.0.0.1:SSHD_PORT): `rsync -a -e 'ssh -p PT ...'` of a tree
#     (empty file, small files, text, a symlink, modes, a VMP_BIG_BYTES / 16 file); the trees
#     must match file by file (type, mode, size, mtime, link target, sha256), the same exits;
#  c) viamillipede carried by two `ssh -N -L` forwards (the original's t_ssh_as_bearer):
#     `rx PR`, forwards P1 and P2 to localhost:PR, `tx localhost P1 tx localhost P2 threads 2`
#     of VMP_BIG_BYTES / 4: exact output, both exit 0, a leg up through each forward;
#  d) half-closes through the tunnel, without ssh (which closes its connection at once at the
#     end): tools/halfclose.py on both sides of a fresh pair each time. client-first: the client
#     sends 5 MB and shuts its write side, the server answers 3 MB only after EOF; server-first:
#     the other way round. Both digests exact, both ends exit 0 after the connection.
# VMP_TUNNEL_PARTS (default "a b c d") picks the parts. sshd, ssh and rsync must be installed
# (scripts/install-deps.sh): a missing one fails the test. Parts a and b need a binary with
# terminate/initiate (so does d); without them the test fails and says so.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/sshd.sh
source "$(dirname "$0")/../lib/sshd.sh"
vmp_init "$1" 600
VMP_TUNNEL_PARTS=${VMP_TUNNEL_PARTS:-a b c d}
TOOLS=$(dirname "$0")/tools
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ in the source tree
part() { [[ " $VMP_TUNNEL_PARTS " == *" $1 "* ]]; }

for t in ssh ssh-keygen rsync find diff python3; do
  command -v "$t" >/dev/null || fail "needs $t (scripts/install-deps.sh installs it)"
done
[[ -x /usr/sbin/sshd ]] || fail "needs /usr/sbin/sshd (openssh-server; scripts/install-deps.sh)"
if part a || part b || part d; then
  "$BIN" --help 2>&1 | grep -q -- --terminate ||
    fail "$BIN has no --terminate (parts a, b and d need terminate/initiate; VMP_TUNNEL_PARTS=c runs the rest)"
fi

AT_EXIT+=(sshd_stop)
SSHD_LOG_LEVEL=INFO sshd_start "$WORK/sshd" --forwarding 2>"$WORK/sshd_start.err" ||
  fail "the private sshd did not start: $(tr '\n' ' ' <"$WORK/sshd_start.err")"
show_on_fail "$SSHD_LOG"
log "private sshd on 127.0.0.1:$SSH_PORT (pid $SSHD_PID)"
# The test's own footing: the key works without viamillipede in between.
timeout 30 "${SSH_CMD[@]}" 127.0.0.1 true 2>"$WORK/ssh-direct.err" ||
  fail "ssh straight to the private sshd failed: $(tr '\n' ' ' <"$WORK/ssh-direct.err")"

# ---------------------------------------------------------------------------------------
# Helpers

INI_PID="" TERM_PID="" TERM_PORT="" TUN_PORTS=()
CRASH='AddressSanitizer|LeakSanitizer|runtime error:|Assertion|terminate called|Segmentation|core dumped|Aborted'

# start_tunnel NAME words|long [TARGET_PORT]: a fresh pair of ends, the initiating one
# (NAME.ini, toward 127.0.0.1:TARGET_PORT, default the private sshd) first, then the
# terminating one (NAME.term) once the other listens. Sets TERM_PORT, INI_PID, TERM_PID,
# TUN_PORTS (every port of the pair).
start_tunnel() {
  local name=$1 style=$2 target=${3:-$SSH_PORT} pa pb ini term
  free_port pa
  free_port pb
  free_port TERM_PORT
  TUN_PORTS=("$pa" "$pb" "$TERM_PORT")
  if [[ $style == words ]]; then
    ini=(rx "$pb" tx localhost "$pa" charmode initiate localhost "$target")
    term=(rx "$pa" tx localhost "$pb" charmode terminate "$TERM_PORT")
  else
    ini=(--rx "$pb" --tx "127.0.0.1:$pa" --charmode --initiate "127.0.0.1:$target")
    term=(--rx "$pa" --tx "127.0.0.1:$pb" --charmode --terminate "$TERM_PORT")
  fi
  show_on_fail "$WORK/$name.ini.err" "$WORK/$name.term.err"
  echo "viamillipede ${ini[*]} ${NO_TUNE[*]}" >"$WORK/$name.ini.cmd"
  echo "viamillipede ${term[*]} ${NO_TUNE[*]}" >"$WORK/$name.term.cmd"
  spawn INI_PID "$BIN" "${ini[@]}" "${NO_TUNE[@]}" </dev/null >"$WORK/$name.ini.out" 2>"$WORK/$name.ini.err"
  wait_listen "$pb" "$INI_PID"
  spawn TERM_PID "$BIN" "${term[@]}" "${NO_TUNE[@]}" </dev/null >"$WORK/$name.term.out" 2>"$WORK/$name.term.err"
  wait_listen "$pa" "$TERM_PID"
  wait_listen "$TERM_PORT" "$TERM_PID"
  log "$name: tunnel 127.0.0.1:$TERM_PORT -> ($pa <-> $pb) -> 127.0.0.1:$target ($style syntax)"
}

# finish_tunnel NAME: after the client ended, both ends exit 0 (bounded), wrote nothing on
# stdout, and leave nothing behind (no sshd session, no child of this script, no port open).
finish_tunnel() {
  local name=$1 rc t0 p
  t0=$(now_ms)
  wait_exit rc "$TERM_PID" "$VMP_RX_EXIT_SECONDS" "$name: terminating end (after the client ended)"
  expect_eq "$rc" 0 "$name: terminating end exit status"
  wait_exit rc "$INI_PID" "$VMP_RX_EXIT_SECONDS" "$name: initiating end (after the client ended)"
  expect_eq "$rc" 0 "$name: initiating end exit status"
  log "$name: both ends exited 0, $(($(now_ms) - t0)) ms after the client"
  for p in ini term; do
    [[ ! -s $WORK/$name.$p.out ]] ||
      fail "$name: the $p end wrote $(file_size "$WORK/$name.$p.out") bytes on stdout (the tunnel carries the stream)"
    expect_no_grep "$WORK/$name.$p.err" "$CRASH" "$name: $p end's stderr"
  done
  no_leftovers "$name" "${TUN_PORTS[@]}"
}

# no_leftovers WHAT PORT...: sshd has no session left, this script no child but the watchdog
# and sshd, and nothing listens on or is connected to the PORTs (TIME_WAIT aside).
no_leftovers() {
  local what=$1 p kids
  shift
  sshd_settle 10 2>/dev/null || fail "$what: sshd still has session processes: $(sshd_children)"
  ps -o pid=,args= --ppid $$ >"$WORK/children"
  kids=$(awk -v w="$_WATCHDOG_PID" -v s="$SSHD_PID" '$1 != w && $1 != s && $2 != "ps"' "$WORK/children")
  [[ -z $kids ]] || fail "$what: processes left: $kids"
  # Anywhere on the host (children that outlived their parent go to init): none names a port.
  ps -eo pid=,args= >"$WORK/processes"
  for p in "$@"; do
    kids=$(awk -v p="$p" -v me=$$ '$1 != me && $0 ~ ("(^|[^0-9])" p "([^0-9]|$)")' "$WORK/processes")
    [[ -z $kids ]] || fail "$what: a process still names port $p: $kids"
  done
  for p in "$@"; do
    ! ss -Htan "( sport = :$p or dport = :$p )" | grep -qv TIME-WAIT ||
      fail "$what: port $p still in use: $(ss -Htanp "( sport = :$p or dport = :$p )" | tr '\n' ' ')"
  done
}

# A single-quoted ssh command line for rsync -e (which splits on spaces and honours quotes,
# not backslashes). ssh_e PORT.
ssh_e() {
  local a out="ssh -p $1"
  for a in "${SSH_OPTS[@]}"; do out+=" '$a'"; done
  printf '%s' "$out"
}

if part a || part b || part c; then
  big_file BIG "$VMP_BIG_BYTES"
  input_hash BIG_HASH "$BIG"
fi

# ---------------------------------------------------------------------------------------
# a) ssh through a terminate/initiate tunnel, both directions at once.
if part a; then
  up_bytes=$((VMP_BIG_BYTES / 8))
  head -c "$up_bytes" "$BIG" >"$WORK/a.up" || fail "cannot write $WORK/a.up"
  input_hash UP_HASH "$WORK/a.up"
  start_tunnel a words
  # The remote shell hashes its stdin in the background (explicit <&0: a background job of a
  # non-interactive shell otherwise reads /dev/null) while it writes the big file.
  remote="sha256sum <&0 >$(printf %q "$WORK/a.up.remote") & cat $(printf %q "$BIG"); wait"
  show_on_fail "$WORK/a.ssh.err"
  t0=$(now_ms)
  timeout -k 5 $((120 + VMP_BIG_BYTES / 4000000)) ssh -p "$TERM_PORT" "${SSH_OPTS[@]}" 127.0.0.1 \
    "$remote" <"$WORK/a.up" 2>"$WORK/a.ssh.err" | hash_stdin >"$WORK/a.down.sha"
  rc=${PIPESTATUS[0]}
  ms=$(($(now_ms) - t0))
  [[ $rc != 124 && $rc != 137 ]] || fail "a: ssh through the tunnel still running after $((120 + VMP_BIG_BYTES / 4000000)) s"
  expect_eq "$rc" 0 "a: ssh exit status"
  expect_hash "$(<"$WORK/a.down.sha")" "$BIG_HASH" "a: what ssh printed (remote cat of $VMP_BIG_BYTES bytes)"
  [[ -s $WORK/a.up.remote ]] || fail "a: the remote side wrote no digest of its stdin"
  expect_hash "$(cut -d' ' -f1 "$WORK/a.up.remote")" "$UP_HASH" "a: what the remote side read ($up_bytes bytes sent by ssh)"
  log "a: ssh through the tunnel: $VMP_BIG_BYTES bytes down and $up_bytes up in $ms ms" \
    "($(((VMP_BIG_BYTES + up_bytes) / 1000 / (ms > 0 ? ms : 1))) MB/s together), both exact"
  finish_tunnel a
fi

# ---------------------------------------------------------------------------------------
# b) rsync through a fresh tunnel, long options.
if part b; then
  src=$WORK/b.src dst=$WORK/b.dst
  mkdir -p "$src/sub/deeper" "$src/emptydir" "$dst" || fail "cannot create $src"
  : >"$src/empty"
  random_file "$src/one" 1
  random_file "$src/small" 4097
  seq 1 200000 >"$src/sub/text"
  head -c $((VMP_BIG_BYTES / 16)) "$BIG" >"$src/sub/deeper/large" || fail "cannot write the large file"
  ln -s sub/text "$src/link"
  chmod 0600 "$src/small"
  chmod 0755 "$src/sub/text"
  touch -d '2001-02-03 04:05:06' "$src/one"
  start_tunnel b long
  show_on_fail "$WORK/b.rsync.err"
  t0=$(now_ms)
  rc=0
  timeout -k 5 $((120 + VMP_BIG_BYTES / 16 / 2000000)) \
    rsync -a -e "$(ssh_e "$TERM_PORT")" "$src/" "127.0.0.1:$dst/" >"$WORK/b.rsync.out" 2>"$WORK/b.rsync.err" ||
    rc=$?
  ms=$(($(now_ms) - t0))
  [[ $rc != 124 && $rc != 137 ]] || fail "b: rsync through the tunnel still running after $((120 + VMP_BIG_BYTES / 16 / 2000000)) s"
  expect_eq "$rc" 0 "b: rsync exit status"
  # list_tree DIR: one line a path: type, mode, size (files), mtime (not of links), link target, sha256.
  list_tree() {
    (cd "$1" && find . -mindepth 1 \( -type l -printf '%P %y %l\n' \) -o \
      \( -type d -printf '%P %y %m\n' \) -o \
      \( -type f -printf '%P %y %m %s %Ts ' -exec sh -c 'sha256sum <"$1" | cut -d" " -f1' sh {} \; \) |
      LC_ALL=C sort)
  }
  list_tree "$src" >"$WORK/b.src.tree"
  list_tree "$dst" >"$WORK/b.dst.tree"
  expect_eq "$(wc -l <"$WORK/b.src.tree")" 9 "b: entries in the source tree (the check itself)"
  diff "$WORK/b.src.tree" "$WORK/b.dst.tree" >"$WORK/b.tree.diff" ||
    fail "b: the copy differs from the source: $(head -c 600 "$WORK/b.tree.diff" | tr '\n' ' ')"
  diff -r --no-dereference "$src" "$dst" >/dev/null || fail "b: diff -r finds the trees different"
  log "b: rsync -a of $(du -sb "$src" | cut -f1) bytes in $ms ms through the tunnel, trees equal"
  finish_tunnel b
fi

# ---------------------------------------------------------------------------------------
# c) viamillipede carried by two ssh -N -L forwards.
if part c; then
  c_bytes=$((VMP_BIG_BYTES / 4))
  head -c "$c_bytes" "$BIG" >"$WORK/c.in" || fail "cannot write $WORK/c.in"
  free_port PR
  free_port P1
  free_port P2
  start_rx c.rx "$PR"
  for n in 1 2; do
    p=P$n
    show_on_fail "$WORK/c.fwd$n.err"
    spawn "FWD$n" "${SSH_CMD[@]}" -N -o ExitOnForwardFailure=yes -L "${!p}:localhost:$PR" 127.0.0.1 \
      </dev/null >/dev/null 2>"$WORK/c.fwd$n.err"
  done
  # fwd_up PORT PID ERR: the forward listens; fails the test when its ssh has gone.
  # shellcheck disable=SC2317  # called through poll_until
  fwd_up() { listening "$1" || { alive "$2" || fail "c: ssh -N -L $1 exited: $(tr '\n' ' ' <"$3")"; false; }; }
  for n in 1 2; do
    p=P$n pid=FWD$n
    poll_until 20 "ssh -L forward on port ${!p}" fwd_up "${!p}" "${!pid}" "$WORK/c.fwd$n.err"
  done
  log "c: ssh -N -L $P1 and $P2 to localhost:$PR up"
  run_vmp c.tx 300 tx localhost "$P1" tx localhost "$P2" threads 2 verbose 1 "${NO_TUNE[@]}" <"$WORK/c.in"
  expect_eq "$VMP_RC" 0 "c: tx exit status"
  finish_rx c.rx
  expect_eq "$RX_RC" 0 "c: rx exit status"
  input_hash C_HASH "$WORK/c.in"
  expect_hash "$RX_HASH" "$C_HASH" "c: through two ssh -L forwards"
  for p in "$P1" "$P2"; do
    expect_grep "$WORK/c.tx.err" "leg [0-9]+ up on .*:$p\$" "c: no leg up through the forward on port $p"
  done
  log "c: $c_bytes bytes through ssh -L $P1 and $P2 in $VMP_MS ms, exact"
  for n in 1 2; do
    pid=FWD$n
    kill -TERM "${!pid}" 2>/dev/null
    wait_exit rc "${!pid}" 10 "c: ssh -N -L (forward $n) after TERM"
  done
  no_leftovers c "$PR" "$P1" "$P2"
fi

# ---------------------------------------------------------------------------------------
# d) Half-closes, each way round, through a fresh pair each time.
if part d; then
  # json_field FILE KEY
  json_field() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
  c_send=5000000 s_send=3000000
  c_sha=$(python3 "$TOOLS/halfclose.py" digest "$c_send" 22)
  s_sha=$(python3 "$TOOLS/halfclose.py" digest "$s_send" 11)
  for order in client-first server-first; do
    name=d-$order
    free_port PS
    show_on_fail "$WORK/$name.server.err" "$WORK/$name.client.err"
    spawn SRV_PID python3 "$TOOLS/halfclose.py" server "$PS" "$order" "$s_send" 11 "$WORK/$name.server.json" \
      </dev/null 2>"$WORK/$name.server.err"
    wait_listen "$PS" "$SRV_PID"
    start_tunnel "$name" words "$PS"
    rc=0
    timeout -k 5 90 python3 "$TOOLS/halfclose.py" client "$TERM_PORT" "$order" "$c_send" 22 \
      >"$WORK/$name.client.json" 2>"$WORK/$name.client.err" || rc=$?
    expect_eq "$rc" 0 "$name: client exit status (3: the server's half-close never came)"
    wait_exit rc "$SRV_PID" 90 "$name: server"
    expect_eq "$rc" 0 "$name: server exit status (3: the client's half-close never came)"
    expect_eq "$(json_field "$WORK/$name.client.json" received)" "$s_send" "$name: bytes the client received"
    expect_hash "$(json_field "$WORK/$name.client.json" sha256)" "$s_sha" "$name: what the client received"
    expect_eq "$(json_field "$WORK/$name.server.json" received)" "$c_send" "$name: bytes the server received"
    expect_hash "$(json_field "$WORK/$name.server.json" sha256)" "$c_sha" "$name: what the server received"
    log "$name: $c_send bytes up, $s_send down around a half-close, exact"
    finish_tunnel "$name"
  done
fi

pass "parts: $VMP_TUNNEL_PARTS"
