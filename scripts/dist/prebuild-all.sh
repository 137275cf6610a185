#!/usr/bin/env bash
# Builds every prebuilt binary this machine can make, into prebuilds/<platform>-<arch>/, the way
# node-gyp-build looks them up at run time (N-API, stripped, libc-tagged: <name>.glibc.node):
#
#   linux-x64   glibc   the machine's own g++
#   linux-arm64 glibc   Debian's cross compiler (g++-aarch64-linux-gnu); node's headers are the
#                       same for every architecture, and node-gyp is told --arch=arm64
#   linux-x64   musl    not built: Debian has no C++ toolchain for musl (musl-tools is musl-gcc,
#                       C only), so Alpine users build from source on install
#
#   scripts/dist/prebuild-all.sh         # from the repository root (npm run prebuilds)
#
# The build runs in a staging copy of the sources, so the developer's build/ is left as it was.
# Each binary is checked: ELF class and machine, the Node-API entry point exported, no undefined
# symbol outside node, libc and libstdc++, and the newest glibc symbol version it needs is printed.
# A missing cross compiler prints a "skipped" line, unless REQUIRE_CROSS=1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT="$PWD"

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

# ---- linux-x64, musl ------------------------------------------------------------------------------
MUSL_CXX=""
for c in x86_64-linux-musl-g++ musl-g++; do
  if command -v "$c" >/dev/null 2>&1; then MUSL_CXX="$c"; break; fi
done
if [[ -n "$MUSL_CXX" ]]; then
  echo "== prebuild linux-x64 (musl) with $MUSL_CXX"
  rm -rf "$STAGE/build"
  CC="${MUSL_CXX%++}cc" CXX="$MUSL_CXX" LINK="$MUSL_CXX" PREBUILD_LIBC=musl \
    prebuildify >"$STAGE/musl.log" 2>&1 || { cat "$STAGE/musl.log" >&2; exit 1; }
  check prebuilds/linux-x64/multicast-expert.musl.node "X86-64" readelf
  built+=(linux-x64-musl)
else
  echo "skipped: linux-x64 musl (no C++ compiler for musl: Debian's musl-tools has musl-gcc, C only; Alpine users build from source)"
  skipped+=(linux-x64-musl)
fi

echo "prebuilds: built ${built[*]}${skipped:+; skipped ${skipped[*]}}"
