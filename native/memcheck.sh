#!/usr/bin/env bash
# The uring backend's native tests under valgrind's memcheck: the uring contract, the worker-thread, lifetime and
# fault tests, each file in its own `node` under memcheck. Fails (exit 9) on any memory error or a definite leak.
# Needs a build first (npm run build; `npm run test:memcheck` does both) and valgrind on PATH.
#
#   npm run test:memcheck                                # every file below
#   native/memcheck.sh dist/test/backends/uring/faults.test.js   # one file
#
# Memcheck keeps the descriptor limit the process started with and refuses Node's raise of its soft limit to
# the hard one; the 10,000-connection fault case then stalls at ~1,000 accepts (EMFILE). So the soft limit is
# raised here, before valgrind starts. Clients the tests spawn (child processes) run natively
# (--trace-children=no). memcheck.supp holds the reports that are Node's own, not the addon's.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "memcheck.sh: valgrind is not installed" >&2; exit 2; }
ulimit -Sn "$(ulimit -Hn)"
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  files=(dist/test/backends/contract/uring.test.js dist/test/backends/uring/threads.test.js
         dist/test/backends/uring/lifetime.test.js dist/test/backends/uring/faults.test.js)
fi
failed=0
for file in "${files[@]}"; do
  echo "== memcheck: $file"
  valgrind --tool=memcheck --error-exitcode=9 --trace-children=no --leak-check=full \
    --errors-for-leak-kinds=definite --show-leak-kinds=definite --suppressions=native/memcheck.supp \
    node "$file" || { echo "== memcheck: $file failed (exit $?)"; failed=1; }
done
exit "$failed"
