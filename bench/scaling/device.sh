#!/usr/bin/env bash
# Runs the scaling scenario on a machine prepared by bench/scaling/prepare.sh (the .scaling/ folder carried
# there), writing scaling.json, scaling.md and the log to OUT (default: .scaling/out).
#   bash bench/scaling/device.sh [run.js options...]
set -euo pipefail
cd "$(dirname "$0")/../../.scaling"
out=${OUT:-$PWD/out}
mkdir -p "$out" work
[ -x work/node ] || xz -dc node.xz > work/node && chmod +x work/node
[ -d work/dist ] || tar xJf app.tar.xz -C work
ulimit -n 65536 2>/dev/null || true
cd work
./node dist/bench/scaling/run.js --out "$out" "$@" 2>&1 | tee "$out/scaling.log"
