#!/usr/bin/env bash
# Unpacks Debian's own Node.js (bookworm: Node 18, the oldest version package.json's engines
# promises) for an architecture into a private root, and prints that root's path. Used by
# scripts/dist/tarball.sh to run the installed package under Node 18 (amd64) and under qemu-user (arm64).
#
#   scripts/dist/debian-node.sh amd64|arm64     # prints the root; <root>/usr/bin/node is the binary
#
# apt runs with a private state (its own package lists and an empty dpkg status, so it fetches node
# with every library it needs): the machine's apt configuration and dpkg database are not touched,
# and no foreign architecture is added. The root is cached under MCE_DIST_CACHE.
set -euo pipefail

ARCH="${1:?usage: debian-node.sh amd64|arm64}"
CACHE="${MCE_DIST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/multicast-expert-dist}"
ROOT="$CACHE/node-$ARCH"
if [[ -x "$ROOT/usr/bin/node" ]]; then
  echo "$ROOT"
  exit 0
fi
command -v apt-get >/dev/null 2>&1 || { echo "error: apt-get not found (Debian only)" >&2; exit 1; }

STATE="$CACHE/apt-$ARCH"
rm -rf "$STATE" "$ROOT.partial"
mkdir -p "$STATE/lists/partial" "$STATE/archives/partial" "$STATE/cache" "$ROOT.partial"
: >"$STATE/status"
APT=(apt-get -qq
  -o "APT::Architecture=$ARCH" -o "APT::Architectures::=$ARCH"
  -o "Dir::State::Lists=$STATE/lists" -o "Dir::State::status=$STATE/status"
  -o "Dir::Cache=$STATE/cache" -o "Dir::Cache::Archives=$STATE/archives"
  -o Debug::NoLocking=1)
"${APT[@]}" update >&2
"${APT[@]}" install -y --download-only --no-install-recommends nodejs >&2
for deb in "$STATE"/archives/*.deb; do dpkg-deb -x "$deb" "$ROOT.partial"; done
[[ -x "$ROOT.partial/usr/bin/node" ]] || { echo "error: no usr/bin/node in Debian's nodejs:$ARCH" >&2; exit 1; }
mv "$ROOT.partial" "$ROOT"
rm -rf "$STATE"
echo "$ROOT"
