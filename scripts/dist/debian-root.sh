#!/usr/bin/env bash
# Unpacks Debian packages of an architecture, with every library they depend on, into a private
# root, and prints that root's path. Used to run what this machine does not have: Debian's Node 18
# (amd64, and arm64 under qemu-user) for scripts/dist/tarball.sh, and musl's dynamic loader (amd64,
# arm64) for scripts/cross/build-musl.sh.
#
#   scripts/dist/debian-root.sh <amd64|arm64> <package>...     # prints the root
#
# apt runs with a private state (its own package lists and an empty dpkg status, so it fetches each
# package with every library it needs; apt checks them against Debian's signed release files): the
# machine's apt configuration and dpkg database are not touched, and no foreign architecture is
# added. It downloads as the caller (apt's _apt sandbox user cannot write the private state). The
# root is cached under MCE_DIST_CACHE, one per architecture and package list.
set -euo pipefail

ARCH="${1:?usage: debian-root.sh <amd64|arm64> <package>...}"
shift
[[ $# -gt 0 ]] || { echo "usage: debian-root.sh <amd64|arm64> <package>..." >&2; exit 2; }
CACHE="${MCE_DIST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/multicast-expert-dist}"
ROOT="$CACHE/$(IFS=-; echo "$*")-$ARCH"
if [[ -f "$ROOT/.complete" ]]; then
  echo "$ROOT"
  exit 0
fi
command -v apt-get >/dev/null 2>&1 || { echo "error: apt-get not found (Debian only)" >&2; exit 1; }

STATE="$CACHE/apt-$ARCH-$$"
rm -rf "$STATE" "$ROOT"
mkdir -p "$STATE/lists/partial" "$STATE/archives/partial" "$STATE/cache" "$ROOT"
trap 'rm -rf "$STATE"' EXIT
: >"$STATE/status"
APT=(apt-get -qq
  -o "APT::Architecture=$ARCH" -o "APT::Architectures::=$ARCH"
  -o "Dir::State::Lists=$STATE/lists" -o "Dir::State::status=$STATE/status"
  -o "Dir::Cache=$STATE/cache" -o "Dir::Cache::Archives=$STATE/archives"
  -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
"${APT[@]}" update >&2
"${APT[@]}" install -y --download-only --no-install-recommends "$@" >&2
for deb in "$STATE"/archives/*.deb; do dpkg-deb -x "$deb" "$ROOT"; done
touch "$ROOT/.complete"
echo "$ROOT"
