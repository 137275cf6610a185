#!/usr/bin/env bash
# npm run test:asan: builds the addon with AddressSanitizer and UndefinedBehaviorSanitizer (gcc, with
# Debian's libasan/libubsan) into build-asan/, then runs the whole jest suite in the network lab
# against that build, and fails on any sanitizer report, also from child processes.
#
# - The normal build (build/) is never touched: the sanitized addon is built from a copy of the
#   sources in build-asan/src and loaded through MULTICAST_EXPERT_INTERNAL_TEST_ADDON, an internal
#   variable that lib/native.ts honours for this run only.
# - Node itself is not instrumented, so the ASan runtime is preloaded (LD_PRELOAD) into node and
#   everything the tests start; LeakSanitizer is off (V8 keeps memory until exit on purpose: the
#   valgrind run, test/sanitizers/valgrind.sh, checks leaks). ASan and UBSan errors are fatal
#   (-fno-sanitize-recover=all, halt_on_error=1); ASan writes its reports to build-asan/logs/, which
#   must stay empty, UBSan to stderr, which is searched.
#
# Extra arguments go to jest (e.g. a test file).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
out="$root/build-asan"
logs="$out/logs"

libasan=$(gcc -print-file-name=libasan.so)
libubsan=$(gcc -print-file-name=libubsan.so)
for lib in "$libasan" "$libubsan"; do
  if [ ! -e "$lib" ]; then
    echo "test:asan: $(basename "$lib") not found; install gcc's sanitizer runtimes (apt-get install libasan8 libubsan1)" >&2
    exit 1
  fi
done
libasan=$(readlink -f "$libasan")

# node-gyp: npm tells scripts where its own copy is; otherwise one on the PATH.
if [ -n "${npm_config_node_gyp:-}" ]; then
  gyp=(node "$npm_config_node_gyp")
else
  gyp=(node-gyp)
fi

echo "== test:asan: building the addon with -fsanitize=address,undefined into build-asan/"
start=$(date +%s)
rm -rf "$out"
mkdir -p "$out/src" "$logs"
cp -r binding.gyp native "$out/src/"
flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1"
(cd "$out/src" && CC=gcc CXX=g++ CFLAGS="$flags" CXXFLAGS="$flags" LDFLAGS="-fsanitize=address,undefined" \
  "${gyp[@]}" rebuild --loglevel=warn >"$out/build.log" 2>&1) || {
  cat "$out/build.log" >&2
  exit 1
}
addon="$out/src/build/Release/multicast_expert.node"
# The build must really be instrumented: it needs the ASan and UBSan runtimes.
needed=$(readelf -d "$addon" | grep NEEDED)
for lib in libasan libubsan; do
  grep -q "$lib" <<<"$needed" || {
    echo "test:asan: $addon does not link $lib: the sanitizer flags were not applied" >&2
    exit 1
  }
done
echo "   built in $(($(date +%s) - start)) s: $addon"

export MULTICAST_EXPERT_INTERNAL_TEST_ADDON="$addon"
export LD_PRELOAD="$libasan${LD_PRELOAD:+:$LD_PRELOAD}"
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=1:allow_user_segv_handler=1:detect_stack_use_after_return=0:log_path=$logs/asan"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:log_path=$logs/ubsan"

npm run --silent build:ts
# The loader must pick the sanitized build (a silent fallback to build/ would prove nothing).
node -e '
  require("./dist/native.js").native();
  const maps = require("fs").readFileSync("/proc/self/maps", "utf8");
  if (!maps.includes(process.env.MULTICAST_EXPERT_INTERNAL_TEST_ADDON) || !maps.includes("libasan"))
    { console.error("test:asan: the sanitized addon is not the one loaded"); process.exit(1); }
'

echo "== test:asan: the whole suite against the sanitized addon (in the lab)"
start=$(date +%s)
status=0
# Instrumented code (and every agent and CLI process under LD_PRELOAD=libasan) runs a few times
# slower: a test's hang guard is four times the plain suite's 30 s.
node lab/enter-lab.js node_modules/.bin/jest --runInBand --testTimeout 120000 "$@" 2>&1 | tee "$out/jest.log" || status=$?
echo "   jest finished in $(($(date +%s) - start)) s with status $status"

reports=$(find "$logs" -type f | sort)
# UBSan writes to stderr whatever log_path says (gcc 12's runtime), so the output is searched too.
if grep -qE "runtime error:|ERROR: AddressSanitizer|SUMMARY: (Address|UndefinedBehavior)Sanitizer" "$out/jest.log"; then
  echo "== test:asan: a sanitizer report is in the output above" >&2
  exit 1
fi
if [ -n "$reports" ]; then
  echo "== test:asan: sanitizer reports:" >&2
  for f in $reports; do
    echo "--- $f" >&2
    cat "$f" >&2
  done
  exit 1
fi
if [ "$status" -ne 0 ]; then
  echo "== test:asan: jest failed (status $status)" >&2
  exit "$status"
fi
echo "== test:asan: the suite passed with no AddressSanitizer or UndefinedBehaviorSanitizer report"
