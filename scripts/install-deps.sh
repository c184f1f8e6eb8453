#!/usr/bin/env bash
# Installs every Debian package the project needs to build, test and benchmark.
# Idempotent; needs root (or sudo).
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  build-essential cmake pkg-config clang-format clang libclang-rt-14-dev python3 util-linux \
  libasio-dev libcxxopts-dev libgtest-dev libgmock-dev libxxhash-dev libeigen3-dev \
  prometheus-cpp-dev nlohmann-json3-dev libssl-dev libzstd-dev liblz4-dev \
  prometheus jq curl \
  netcat-openbsd mbuffer iperf3 socat pv procps psmisc zstd lz4 gzip xz-utils openssh-server openssh-client rsync \
  iproute2 nftables iptables ethtool iputils-ping openssl gnuplot-nox time bc \
  >/dev/null
