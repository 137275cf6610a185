#!/usr/bin/env bash
# Cross-compiles the macOS addon for x64 and arm64 on Linux and checks it, so that the macOS sources
# are compiled with warnings as errors on every change, and the package can carry macOS prebuilds.
#
#   scripts/cross/build-darwin.sh [x64] [arm64]    # default: both; output build-cross/darwin-<arch>/multicast_expert.node
#
# Compiler: zig 0.11's clang 16 with Apple's libc headers (macOS 11 to 13), fetched once with
# `npm pack` at the version and sha512 pinned in pins.sh (lib.sh: fetch_pinned). Sources, defines
# and warnings come from binding.gyp (OS=='mac'), plus node-gyp's own flags, with -Werror.
#
# Linker: ld64.lld (Debian: lld-14). zig links the addon once too, which makes and caches its libc++
# and libc++abi for the target (a few minutes, the first time); but zig 0.11's own Mach-O linker
# exports every symbol, hidden or not (1,400 here), and takes no export list, so the addon itself is
# linked by lld against those libraries, exporting the Node-API entry points alone.
# -undefined dynamic_lookup leaves Node-API and libuv to the node process, as node-gyp does on macOS;
# -S leaves the debug information out (a strip afterwards would break the signature). lld signs
# arm64 output ad hoc, which Apple silicon requires.
#
# The minimum macOS is 11.0 (zig 0.11 has no older headers; Node 20 needs 11 too). On macOS 10.15
# (Node 18), or wherever a prebuild does not load, the install builds from source instead.
#
# check-macho.js verifies each output. Needs node, npm (registry access the first time), lld.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source scripts/cross/lib.sh

MACOS_MIN=11.0
ARCHES=("$@")
[[ ${#ARCHES[@]} -gt 0 ]] || ARCHES=(x64 arm64)

LLD=""
for candidate in ld64.lld ld64.lld-{20,19,18,17,16,15,14}; do
  if command -v "$candidate" >/dev/null 2>&1; then LLD="$candidate"; break; fi
done
if [[ -z "$LLD" ]]; then
  [[ "${REQUIRE_CROSS:-0}" == "1" ]] && cross_die "ld64.lld not found (install lld-14)"
  echo "skipped: darwin ${ARCHES[*]} (ld64.lld not found; Debian: lld-14)"
  exit 0
fi

ZIG_DIR="$(zig_dir)"
ZIG="$ZIG_DIR/zig"
gyp_flags mac
NODE_INCLUDE="$(find_node_include)"
NAPI_INCLUDE="$(napi_include)"

for arch in "${ARCHES[@]}"; do
  case "$arch" in
    x64) target="x86_64-macos.$MACOS_MIN" ldarch=x86_64 ;;
    arm64) target="aarch64-macos.$MACOS_MIN" ldarch=arm64 ;;
    *) cross_die "unknown architecture $arch (x64 or arm64)" ;;
  esac
  OUT="build-cross/darwin-$arch"
  rm -rf "$OUT"
  mkdir -p "$OUT/obj"
  # One zig cache per target, so that its libc++ archives are the only ones there.
  export ZIG_GLOBAL_CACHE_DIR="$CROSS_CACHE/zig-cache/$target"
  export ZIG_LOCAL_CACHE_DIR="$ZIG_GLOBAL_CACHE_DIR"

  echo "== darwin-$arch: ${#GYP_SOURCES[@]} sources with zig $("$ZIG" version) (-target $target)"
  compile_all "$OUT/obj" "$ZIG" c++ -target "$target" "${NODE_GYP_CXXFLAGS[@]}" "${GYP_CXXFLAGS[@]}" \
    -I"$NODE_INCLUDE" -I"$NAPI_INCLUDE"

  # -O2 at the link: zig builds libc++ optimised (without it, a debug build).
  "$ZIG" c++ -target "$target" -O2 -shared -Wl,-undefined,dynamic_lookup -o "$OUT/zig-linked.dylib" "${OBJECTS[@]}"
  runtime=()
  for lib in libc++.a libc++abi.a libcompiler_rt.a; do
    mapfile -t found < <(find "$ZIG_GLOBAL_CACHE_DIR/o" -name "$lib")
    [[ ${#found[@]} -eq 1 ]] ||
      cross_die "expected one $lib in $ZIG_GLOBAL_CACHE_DIR, found ${#found[@]} (delete that directory and retry)"
    runtime+=("${found[0]}")
  done

  ADDON="$OUT/multicast_expert.node"
  "$LLD" -arch "$ldarch" -platform_version macos "$MACOS_MIN" "$MACOS_MIN" -dylib \
    -install_name @rpath/multicast_expert.node -undefined dynamic_lookup -S \
    -exported_symbol _napi_register_module_v1 -exported_symbol _node_api_module_get_api_version_v1 \
    -o "$ADDON" "${OBJECTS[@]}" "${runtime[@]}" "$ZIG_DIR/lib/libc/darwin/libSystem.11.tbd"
  rm -f "$OUT/zig-linked.dylib"
  node scripts/cross/check-macho.js "$ADDON" "$arch" "$MACOS_MIN"
done
