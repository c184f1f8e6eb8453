# shellcheck shell=bash
# shellcheck disable=SC2034  # SSH_CMD and the other results are the caller's
# A private sshd for benchmarks and tests (sourced, not run): /usr/sbin/sshd -D -e on
# 127.0.0.1 and a spare port, its own config, fresh ed25519 host and client keys, key
# authentication only, for the user running the script (root on the CI machines: Debian 12).
#
#   source tests/lib/sshd.sh
#   sshd_start DIR [--forwarding]  || exit 1   # DIR: a fresh directory it may create and fill
#   "${SSH_CMD[@]}" 127.0.0.1 'echo hi'         # or: eval "$SSH_BASE 127.0.0.1 'echo hi'"
#   ssh -p OTHER_PORT "${SSH_OPTS[@]}" 127.0.0.1 ...  # the same key and options, another port
#   sshd_stop                                   # also from the caller's EXIT trap
#
# sshd_start sets (and exports):
#   SSHD_PID     the sshd listener's pid (sshd_stop ends it; callers need not record it)
#   SSH_PORT     the port it listens on (127.0.0.1 only)
#   SSH_KEY      the client's private key (its public half is the only authorized key)
#   SSH_USER     the user to log in as (the current one)
#   SSHD_LOG     sshd's stderr (-e), LogLevel ERROR unless SSHD_LOG_LEVEL says otherwise
#   SSH_OPTS     (array) client options without the port: -F /dev/null -T -x -a -i KEY -l USER
#                and -o options for batch use (no agent, no known_hosts, no compression)
#   SSH_CMD      (array) ssh -p SSH_PORT "${SSH_OPTS[@]}"
#   SSH_OPTS_STR, SSH_BASE  the same two as shell-quoted strings (for `rsync -e`, `bash -c`)
# --forwarding: AllowTcpForwarding yes (for `ssh -N -L`), otherwise no.
# The remote shell gets SHLVL=1, so bash skips ~/.bashrc for a remote command (0.1 s here).
#
# Return status 1 with a line on stderr (and the tail of sshd's log) when sshd cannot start.
# Errors name the calling script (${0##*/}).
#
# /run/sshd (sshd's privilege separation directory; Debian creates it only when sshd runs as
# a service): created when missing, and removed by the last sshd_stop of the scripts that use
# this file, only when one of them created it (a registry in /run/vmp-sshd.users, under a
# flock of /run, so that parallel tests do not pull it from under each other).

SSHD_PID="" SSH_PORT="" SSH_KEY="" SSH_USER="" SSHD_LOG="" SSH_OPTS=() SSH_CMD=() SSH_OPTS_STR="" SSH_BASE=""
_SSHD_REG=/run/vmp-sshd.users

_sshd_err() { echo "${0##*/}: $*" >&2; }

# _sshd_port_free PORT: no socket uses PORT (listening, connected or in TIME_WAIT).
_sshd_port_free() { [[ -z $(ss -tanH "( sport = :$1 or dport = :$1 )" 2>/dev/null) ]]; }

# _sshd_register / _sshd_unregister: the /run/sshd registry (see the header).
_sshd_register() {
  [[ $(id -u) == 0 ]] || return 0  # only root's sshd chroots into it
  (
    flock -w 30 8 || exit 1
    mkdir -p "$_SSHD_REG" || exit 1
    if [[ ! -d /run/sshd ]]; then
      mkdir -m 755 /run/sshd || exit 1
      : >"$_SSHD_REG/created"
    fi
    : >"$_SSHD_REG/$$"
  ) 8</run 2>/dev/null || [[ -d /run/sshd ]]
}
_sshd_unregister() {
  [[ -e $_SSHD_REG/$$ ]] || return 0
  (
    flock -w 30 8 || exit 1
    rm -f "$_SSHD_REG/$$"
    local f
    for f in "$_SSHD_REG"/*; do
      [[ -e $f ]] || continue
      f=${f##*/}
      [[ $f == created ]] && continue
      kill -0 "$f" 2>/dev/null && exit 0  # another user is still there
      rm -f "$_SSHD_REG/$f"               # gone without stopping its sshd
    done
    [[ -e $_SSHD_REG/created ]] && rmdir /run/sshd 2>/dev/null
    rm -rf "$_SSHD_REG"
  ) 8</run
  return 0
}

# sshd_start DIR [--forwarding]: see the header.
sshd_start() {
  local d=${1:?usage: sshd_start DIR [--forwarding]} forwarding=no
  shift
  while (($#)); do
    case $1 in
      --forwarding) forwarding=yes ;;
      *) _sshd_err "sshd_start: unknown option $1"; return 1 ;;
    esac
    shift
  done
  [[ -x /usr/sbin/sshd ]] || { _sshd_err "/usr/sbin/sshd not installed (openssh-server)"; return 1; }
  local t
  for t in ssh ssh-keygen ss; do
    command -v "$t" >/dev/null || { _sshd_err "$t not installed"; return 1; }
  done
  mkdir -p "$d" && chmod 700 "$d" || return 1
  rm -f "$d/host_ed25519" "$d/host_ed25519.pub" "$d/client_ed25519" "$d/client_ed25519.pub"
  ssh-keygen -q -t ed25519 -N '' -C vmp-private-sshd-host -f "$d/host_ed25519" || return 1
  ssh-keygen -q -t ed25519 -N '' -C vmp-private-sshd-client -f "$d/client_ed25519" || return 1
  cp "$d/client_ed25519.pub" "$d/authorized_keys" || return 1
  _sshd_register || { _sshd_err "cannot create /run/sshd (sshd's privilege separation directory)"; return 1; }
  SSH_USER=$(id -un)
  SSH_KEY=$d/client_ed25519
  SSHD_LOG=$d/sshd.log
  # A spare port outside the ephemeral range; another one if someone takes it meanwhile.
  local attempt i
  for ((attempt = 0; attempt < 5; attempt++)); do
    SSH_PORT=""
    for ((i = 0; i < 200; i++)); do
      t=$((20000 + (RANDOM * 32768 + RANDOM) % 12700))
      _sshd_port_free "$t" && { SSH_PORT=$t; break; }
    done
    [[ -n $SSH_PORT ]] || { _sshd_err "no free port for the private sshd"; return 1; }
    cat >"$d/sshd_config" <<EOF
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $d/host_ed25519
AuthorizedKeysFile $d/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Compression no
UseDNS no
PrintMotd no
PrintLastLog no
PermitUserRC no
X11Forwarding no
AllowTcpForwarding $forwarding
PidFile none
LogLevel ${SSHD_LOG_LEVEL:-ERROR}
# bash sources ~/.bashrc for a command run by sshd only at SHLVL < 2
SetEnv SHLVL=1
EOF
    /usr/sbin/sshd -t -f "$d/sshd_config" 2>"$SSHD_LOG" || {
      _sshd_err "sshd -t refused $d/sshd_config:"
      tail -n 8 "$SSHD_LOG" >&2
      return 1
    }
    # fd 8 and 9 (flock fds of the callers, e.g. the rig lock) stay out of the daemon.
    /usr/sbin/sshd -D -e -f "$d/sshd_config" </dev/null >/dev/null 2>"$SSHD_LOG" 8>&- 9>&- &
    SSHD_PID=$!
    for ((i = 0; i < 250; i++)); do
      [[ -n $(ss -ltnH "sport = :$SSH_PORT" 2>/dev/null) ]] && break
      kill -0 "$SSHD_PID" 2>/dev/null || break
      sleep 0.02
    done
    [[ -n $(ss -ltnH "sport = :$SSH_PORT" 2>/dev/null) ]] && kill -0 "$SSHD_PID" 2>/dev/null && break
    _sshd_reap_listener
    grep -q 'Address already in use' "$SSHD_LOG" 2>/dev/null || break
  done
  if [[ -z $SSHD_PID ]]; then
    _sshd_err "the private sshd did not start:"
    tail -n 8 "$SSHD_LOG" >&2
    return 1
  fi
  SSH_OPTS=(-F /dev/null -T -x -a -i "$SSH_KEY" -l "$SSH_USER"
    -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no
    -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null
    -o LogLevel=ERROR -o Compression=no)
  SSH_CMD=(ssh -p "$SSH_PORT" "${SSH_OPTS[@]}")
  SSH_OPTS_STR=$(printf '%q ' "${SSH_OPTS[@]}")
  SSH_OPTS_STR=${SSH_OPTS_STR% }
  SSH_BASE="ssh -p $SSH_PORT $SSH_OPTS_STR"
  export SSHD_PID SSH_PORT SSH_KEY SSH_USER SSHD_LOG SSH_OPTS_STR SSH_BASE
  return 0
}

# _sshd_reap_listener: ends the listener (TERM, bounded, then KILL) and forgets it.
_sshd_reap_listener() {
  [[ -n $SSHD_PID ]] || return 0
  local i
  kill -TERM "$SSHD_PID" 2>/dev/null
  for ((i = 0; i < 100; i++)); do
    kill -0 "$SSHD_PID" 2>/dev/null || break
    sleep 0.02
  done
  kill -KILL "$SSHD_PID" 2>/dev/null
  wait "$SSHD_PID" 2>/dev/null
  SSHD_PID=""
}

# sshd_children: the pids of sshd's session processes, on one line (empty when none).
sshd_children() {
  [[ -n $SSHD_PID ]] || return 0
  if [[ -r /proc/$SSHD_PID/task/$SSHD_PID/children ]]; then
    tr -s ' \n' ' ' <"/proc/$SSHD_PID/task/$SSHD_PID/children" | sed 's/ $//'
  else
    ps -o pid= --ppid "$SSHD_PID" | tr -s ' \n' ' ' | sed 's/^ //; s/ $//'
  fi
}

# sshd_settle [SECONDS]: until sshd has reaped every session (bounded, default 10 s);
# status 1 with a line on stderr otherwise.
sshd_settle() {
  local secs=${1:-10} i
  for ((i = 0; i < secs * 50; i++)); do
    [[ -z $(sshd_children) ]] && return 0
    sleep 0.02
  done
  _sshd_err "sshd still has session processes $secs s after the client ended"
  return 1
}

# sshd_stop: ends the session processes still there and the listener, and gives /run/sshd
# back (see the header). Safe to call twice, or when sshd_start failed.
sshd_stop() {
  local p
  if [[ -n $SSHD_PID ]]; then
    for p in $(sshd_children); do kill -TERM "$p" 2>/dev/null; done
    _sshd_reap_listener
  fi
  _sshd_unregister
  return 0
}
