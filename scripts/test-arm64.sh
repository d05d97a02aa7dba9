#!/usr/bin/env bash
# The storage core on arm64 from an x86-64 machine: native/test/*.cc (core_test) cross-compiled for
# aarch64 and run under qemu-user, which emulates the ARMv8 CRC32 instructions. It checks the
# ARMv8 CRC-32C (and the portable one) against the standard vector and the portable code on every
# length 0..4096, and runs the rest of the core's tests. On an arm64 machine `npm test` does this
# natively (test/native/crc32c.test.ts checks every implementation the CPU runs).
# Installs g++-aarch64-linux-gnu and qemu-user with apt-get when they are missing (root or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v aarch64-linux-gnu-g++ >/dev/null || need+=(g++-aarch64-linux-gnu)
command -v qemu-aarch64 >/dev/null || need+=(qemu-user)
if ((${#need[@]})); then
  sudo=()
  [[ $(id -u) -ne 0 ]] && sudo=(sudo)
  "${sudo[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q "${need[@]}"
fi

OUT=build-arm64
mkdir -p "$OUT"
aarch64-linux-gnu-g++ -std=c++17 -O2 -Wall -Wextra -pthread -Inative native/core/*.cc native/test/*.cc \
  -o "$OUT/core_test"
qemu-aarch64 -L /usr/aarch64-linux-gnu "$OUT/core_test"
