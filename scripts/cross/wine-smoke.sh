#!/usr/bin/env bash
# The win32-x64 prebuild in real Windows node (node.exe under Wine), inside the network lab:
#
#   scripts/cross/wine-smoke.sh        # from anywhere (npm run test:wine); after npm run prebuilds
#
# What runs (scripts/cross/wine/wine-lab.js): a lab host with one known interface and no default
# route; a wineserver started in that host's network namespace (Wine's sockets belong to the
# wineserver: started outside, they would be the machine's); node.exe loading the package from a
# staging copy (dist/, the prebuild as node-gyp-build finds it): smoke.js checks the interface list
# against the setup, the interface functions, input validation and library errors, and the Winsock
# errors Wine returns; then the jest suites that need no lab (test/run-unit.js). Any call to a
# function Wine does not implement fails the run.
#
# Wine is not Windows: Wine 8 lacks MCAST_JOIN_GROUP (WSAENOPROTOOPT), IP_MULTICAST_IF by index
# (WSAEINVAL), GetIpInterfaceEntry (it aborts) and NotifyIpInterfaceChange (a stub), so this proves
# that the binary loads and that enumeration, validation and errors work on win32, not multicast.
#
# Needs wine64 (Debian: wine64), the lab (root or user namespaces), npm (the registry, the first
# time: node.exe pinned in pins.sh, and the package's Windows node_modules from package-lock.json).
# Without Wine it prints a "skipped" line, unless REQUIRE_CROSS=1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source scripts/cross/lib.sh

find_tool() {
  local c
  for c in "$@"; do
    if [[ -x "$c" ]]; then echo "$c"; return 0; fi
    if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
  done
  return 1
}
# Debian keeps Wine's binaries in /usr/lib/wine; its wineserver there is a wrapper that forces -p0.
if ! MCE_WINE="$(find_tool /usr/lib/wine/wine64 wine64)" || ! MCE_WINESERVER="$(find_tool /usr/lib/wine/wineserver64 wineserver)"; then
  [[ "${REQUIRE_CROSS:-0}" == "1" ]] && cross_die "wine64 not found (install wine64)"
  echo "skipped: the Windows run (wine64 not found; Debian: wine64)"
  exit 0
fi
export MCE_WINE MCE_WINESERVER

# The binary: the prebuild, else the cross build (made now if there is none).
ADDON=prebuilds/win32-x64/multicast-expert.node
if [[ ! -f "$ADDON" ]]; then
  ADDON=build-cross/win32-x64/multicast_expert.node
  [[ -f "$ADDON" ]] || bash scripts/cross/build-windows.sh
  [[ -f "$ADDON" ]] || cross_die "no win32-x64 binary (scripts/cross/build-windows.sh made none)"
fi
NODE_EXE="$(fetch_pinned "$NODE_WIN_PACKAGE" "$NODE_WIN_INTEGRITY")/bin/node.exe"
npm run build:ts >/dev/null

# The staging copy: the package's Windows node_modules (jest and node-gyp-build with their win32
# variants, from package-lock.json), kept while the lock file stays the same, and the project's
# files, copied fresh. Not under the cache: jest under Windows finds no tests below a directory
# whose name starts with a dot (~/.cache); not in the repository, where jest would find a second
# package of the same name.
STAGE="${MCE_WINE_STAGE:-${TMPDIR:-/tmp}/multicast-expert-wine-stage-$(id -u)}"
[[ "$STAGE" != */.* ]] || cross_die "the Wine stage $STAGE has a directory starting with a dot (set MCE_WINE_STAGE)"
LOCK_SUM="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ "$(cat "$STAGE/lock-sum" 2>/dev/null || true)" != "$LOCK_SUM" ]]; then
  echo "== node_modules for win32-x64 (npm ci --os=win32 --cpu=x64)"
  rm -rf "$STAGE"
  mkdir -p "$STAGE"
  cp package.json package-lock.json "$STAGE/"
  (cd "$STAGE" && npm ci --os=win32 --cpu=x64 --ignore-scripts --no-audit --no-fund --loglevel=error)
  echo "$LOCK_SUM" >"$STAGE/lock-sum"
fi
rm -rf "$STAGE"/{dist,lib,test,lab,scripts,prebuilds,wine-out}
cp -r package.json tsconfig.json dist lib test lab "$STAGE/"
mkdir -p "$STAGE/scripts/cross" "$STAGE/prebuilds/win32-x64"
cp -r scripts/cross/wine "$STAGE/scripts/cross/"
cp "$ADDON" "$STAGE/prebuilds/win32-x64/multicast-expert.node"

echo "== Windows node $(basename "$(dirname "$(dirname "$NODE_EXE")")") under $("$MCE_WINE" --version 2>/dev/null || echo wine), in the lab"
WINEPREFIX="$CROSS_CACHE/wine-prefix" node lab/enter-lab.js node scripts/cross/wine/wine-lab.js "$STAGE" "$NODE_EXE"
