#!/usr/bin/env bash
# Builds every prebuilt binary the package carries, into prebuilds/<platform>-<arch>/, the way
# node-gyp-build looks them up at run time (N-API, stripped; Linux ones libc-tagged):
#
#   linux-x64/multicast-expert.glibc.node     the machine's own g++ (prebuildify)
#   linux-arm64/multicast-expert.glibc.node   Debian's cross compiler (g++-aarch64-linux-gnu; node's
#                                             headers are the same for every architecture)
#   linux-x64/multicast-expert.musl.node      zig (scripts/cross/build-musl.sh), loaded on musl
#   linux-arm64/multicast-expert.musl.node    zig, loaded on musl under qemu-user
#   win32-x64/multicast-expert.node           mingw-w64 (scripts/cross/build-windows.sh)
#   darwin-x64/multicast-expert.node          zig and ld64.lld (scripts/cross/build-darwin.sh)
#   darwin-arm64/multicast-expert.node        zig and ld64.lld, ad-hoc signed
#
#   scripts/dist/prebuild-all.sh         # from the repository root (npm run prebuilds)
#
# prebuilds/ is emptied first, so it holds exactly what this run built. The glibc builds run in a
# staging copy of the sources, so the developer's build/ is left as it was; each is checked: ELF
# class and machine, the Node-API entry point exported, no undefined symbol outside node, libc and
# libstdc++, and the newest glibc symbol version it needs is printed. The cross builds check their
# own outputs (see each script). A missing cross toolchain prints a "skipped" line, unless
# REQUIRE_CROSS=1. The Windows binary is run under Wine by scripts/cross/wine-smoke.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT="$PWD"

rm -rf prebuilds
STAGE="$(mktemp -d "${TMPDIR:-/tmp}/mce-prebuild.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
cp -r package.json binding.gyp native "$STAGE/"
ln -s "$ROOT/node_modules" "$STAGE/node_modules"

built=()
skipped=()

# node-gyp: the one on PATH (npm puts its own there for scripts), else the one npm bundles.
NODE_GYP="$(command -v node-gyp || true)"
if [[ -z "$NODE_GYP" ]]; then
  NODE_GYP="$(npm prefix -g)/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
  [[ -x "$NODE_GYP" ]] || { echo "error: node-gyp not found (run through npm: npm run prebuilds)" >&2; exit 1; }
fi
# Node's own headers, where npm is set to use them (no download); node-gyp reads this from the env.
NODEDIR="${npm_config_nodedir:-$(npm config get nodedir 2>/dev/null || true)}"
if [[ -n "$NODEDIR" && "$NODEDIR" != undefined && "$NODEDIR" != null ]]; then
  export npm_config_nodedir="$NODEDIR"
fi
NODE_VERSION="$(node -p process.versions.node)"

prebuildify() {
  # Against this node's headers; NAPI_VERSION in binding.gyp makes the binary serve every later node.
  (cd "$STAGE" && PREBUILD_NODE_GYP="$NODE_GYP" node "$ROOT/node_modules/prebuildify/bin.js" \
    --napi --strip --tag-libc --target "$NODE_VERSION" --out "$ROOT" "$@")
}

# check <file> <elf machine as readelf prints it> <readelf>
check() {
  local file="$1" machine="$2" readelf="$3"
  [[ -f "$file" ]] || { echo "error: $file was not built" >&2; exit 1; }
  "$readelf" -h "$file" | grep -q "Class:.*ELF64" || { echo "error: $file is not ELF64" >&2; exit 1; }
  "$readelf" -h "$file" | grep -q "Machine:.*$machine" || { echo "error: $file is not $machine" >&2; exit 1; }
  "$readelf" --dyn-syms -W "$file" | awk '$7 != "UND" {print $8}' | grep -qx napi_register_module_v1 ||
    { echo "error: $file does not export napi_register_module_v1" >&2; exit 1; }
  # Undefined (non-weak) symbols must come from node itself (napi_*, uv_*), libc, libm, libgcc or libstdc++.
  local stray
  stray="$("$readelf" --dyn-syms -W "$file" | awk '$7 == "UND" && $5 != "WEAK" && $8 != "" {print $8}' |
    grep -Ev '^(napi_|node_api_|uv_)|@(GLIBC|GLIBCXX|CXXABI|GCC)_' || true)"
  if [[ -n "$stray" ]]; then
    echo "error: $file needs symbols that neither node nor the C/C++ runtime provide: $stray" >&2
    exit 1
  fi
  local glibc glibcxx
  glibc="$("$readelf" --dyn-syms -W "$file" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)"
  glibcxx="$("$readelf" --dyn-syms -W "$file" | grep -o 'GLIBCXX_[0-9.]*' | sort -uV | tail -1)"
  echo "ok: $file ($machine, $(stat -c %s "$file") bytes; needs ${glibc:-no glibc symbols}, ${glibcxx:-no libstdc++ symbols})"
}

# ---- linux-x64, glibc: the machine's own compiler -------------------------------------------------
if [[ "$(node -p process.platform)" == linux && "$(node -p process.arch)" == x64 ]]; then
  echo "== prebuild linux-x64 (glibc)"
  prebuildify >"$STAGE/x64.log" 2>&1 || { cat "$STAGE/x64.log" >&2; exit 1; }
  check prebuilds/linux-x64/multicast-expert.glibc.node "X86-64" readelf
  built+=(linux-x64-glibc)
else
  echo "error: this script builds on linux-x64 only" >&2
  exit 1
fi

# ---- linux-arm64, glibc: Debian's cross compiler --------------------------------------------------
ARM64=aarch64-linux-gnu
if command -v "$ARM64-g++" >/dev/null 2>&1 && command -v "$ARM64-strip" >/dev/null 2>&1; then
  echo "== prebuild linux-arm64 (glibc), cross-compiled with $ARM64-g++"
  rm -rf "$STAGE/build"
  CC="$ARM64-gcc" CXX="$ARM64-g++" LINK="$ARM64-g++" AR="$ARM64-ar" \
    prebuildify --arch arm64 --strip-bin "$ARM64-strip" >"$STAGE/arm64.log" 2>&1 ||
    { cat "$STAGE/arm64.log" >&2; exit 1; }
  check prebuilds/linux-arm64/multicast-expert.glibc.node "AArch64" "$ARM64-readelf"
  built+=(linux-arm64-glibc)
elif [[ "${REQUIRE_CROSS:-0}" == "1" ]]; then
  echo "error: $ARM64-g++ not found (install g++-aarch64-linux-gnu)" >&2
  exit 1
else
  echo "skipped: linux-arm64 ($ARM64-g++ not found; Debian: g++-aarch64-linux-gnu)"
  skipped+=(linux-arm64-glibc)
fi

# ---- musl, Windows, macOS: cross builds ----------------------------------------------------------
# copy_cross <build-cross dir> <prebuilds dir> <file name> <label>: a checked cross build, to prebuilds/.
copy_cross() {
  local from="build-cross/$1/multicast_expert.node"
  if [[ -f "$from" ]]; then
    mkdir -p "prebuilds/$2"
    cp "$from" "prebuilds/$2/$3"
    built+=("$4")
  else
    skipped+=("$4")
  fi
}
rm -rf build-cross/linux-*-musl build-cross/win32-* build-cross/darwin-*
started=$SECONDS
bash scripts/cross/build-musl.sh x64 arm64
copy_cross linux-x64-musl linux-x64 multicast-expert.musl.node linux-x64-musl
copy_cross linux-arm64-musl linux-arm64 multicast-expert.musl.node linux-arm64-musl
echo "   (musl: $((SECONDS - started)) s)"
started=$SECONDS
bash scripts/cross/build-windows.sh
copy_cross win32-x64 win32-x64 multicast-expert.node win32-x64
echo "   (win32: $((SECONDS - started)) s)"
started=$SECONDS
bash scripts/cross/build-darwin.sh x64 arm64
copy_cross darwin-x64 darwin-x64 multicast-expert.node darwin-x64
copy_cross darwin-arm64 darwin-arm64 multicast-expert.node darwin-arm64
echo "   (darwin: $((SECONDS - started)) s)"

echo "prebuilds: built ${built[*]}${skipped:+; skipped ${skipped[*]}} in $SECONDS s"
