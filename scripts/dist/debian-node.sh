#!/usr/bin/env bash
# Debian's own Node.js (bookworm: Node 18, the oldest version package.json's engines promises) for
# an architecture, unpacked into a private root by debian-root.sh; prints that root's path. Used by
# scripts/dist/tarball.sh to run the installed package under Node 18 (amd64) and under qemu-user (arm64).
#
#   scripts/dist/debian-node.sh amd64|arm64     # prints the root; <root>/usr/bin/node is the binary
set -euo pipefail

ARCH="${1:?usage: debian-node.sh amd64|arm64}"
ROOT="$(bash "$(dirname "${BASH_SOURCE[0]}")/debian-root.sh" "$ARCH" nodejs)"
[[ -x "$ROOT/usr/bin/node" ]] || { echo "error: no usr/bin/node in Debian's nodejs:$ARCH" >&2; exit 1; }
echo "$ROOT"
