#!/usr/bin/env bash
# npm run test:valgrind: runs test/sanitizers/valgrind-cycles.js (open, join, send, receive, leave,
# close) under valgrind memcheck, in the network lab, against the normal build of the addon, and
# fails on any invalid read or write, use of uninitialised memory, or definite leak.
# Cycles: MCE_VALGRIND_CYCLES (default 1000).
set -euo pipefail
cd "$(dirname "$0")/../.."
cycles="${MCE_VALGRIND_CYCLES:-1000}"
command -v valgrind >/dev/null || {
  echo "test:valgrind: valgrind is not installed (apt-get install valgrind)" >&2
  exit 1
}
npm run --silent build:ts
mkdir -p build-asan
log="build-asan/valgrind.log"
echo "== test:valgrind: $cycles cycles under memcheck (log: $log)"
start=$(date +%s)
status=0
node lab/enter-lab.js valgrind --tool=memcheck --suppressions=test/sanitizers/node.supp --leak-check=full --show-leak-kinds=definite \
  --errors-for-leak-kinds=definite --error-exitcode=99 --num-callers=30 \
  node test/sanitizers/valgrind-cycles.js "$cycles" >"$log" 2>&1 || status=$?
grep -E "valgrind-cycles:|definitely lost:|indirectly lost:|ERROR SUMMARY:" "$log" | sed 's/^==[0-9]*== */   /'
echo "   finished in $(($(date +%s) - start)) s with status $status"
if [ "$status" -ne 0 ] || ! grep -q "ERROR SUMMARY: 0 errors" "$log" || ! grep -qE "definitely lost: 0 bytes|no leaks are possible" "$log"; then
  echo "== test:valgrind: memcheck found errors or leaks:" >&2
  cat "$log" >&2
  exit 1
fi
echo "== test:valgrind: no invalid access, no definite leak"
