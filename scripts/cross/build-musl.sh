#!/usr/bin/env bash
# Cross-compiles the Linux addon for musl (Alpine) on x64 and arm64, checks it, and loads it in a
# stand-in for node on musl's own dynamic loader.
#
#   scripts/cross/build-musl.sh [x64] [arm64]     # default: both; output build-cross/linux-<arch>-musl/multicast_expert.node
#
# Compiler: zig 0.11's clang 16 with musl's headers, fetched once with `npm pack` at the version and
# sha512 pinned in pins.sh. Sources, defines and warnings come from binding.gyp (OS=='linux'), plus
# node-gyp's own flags, with -Werror. libc++ (built by zig, cached per target) is linked in
# statically; a version script exports the Node-API entry points alone.
#
# Checks: ELF64 of the architecture; needs libc.so alone (musl's loader takes that name for itself);
# no glibc symbol versions; exports the entry points alone; imports nothing but the C library,
# Node-API and libuv. Then stand-in/host.c, built for musl against libnode-stand-in.so (the
# functions Node's headers declare), is run by Debian's musl loader (arm64: under qemu-user): the
# addon must load with every symbol bound, and its initialisation must throw and catch a C++
# exception (see host.c). A control shows the difference: the same addon does not load on glibc.
#
# Needs node, npm (registry access the first time), readelf, and apt-get for Debian's musl package
# (unpacked into a private root by scripts/dist/debian-root.sh); arm64 needs qemu-aarch64
# (Debian: qemu-user), or REQUIRE_CROSS=1 fails where it is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source scripts/cross/lib.sh

ARCHES=("$@")
[[ ${#ARCHES[@]} -gt 0 ]] || ARCHES=(x64 arm64)

ZIG_DIR="$(zig_dir)"
ZIG="$ZIG_DIR/zig"
gyp_flags linux
NODE_INCLUDE="$(find_node_include)"
NAPI_INCLUDE="$(napi_include)"

# readelf_dyn <file>: the dynamic symbols, one "<ndx> <bind> <name>" a line.
readelf_dyn() { readelf --dyn-syms -W "$1" | awk 'NR > 3 && $8 != "" {print $7, $5, $8}'; }

# run_host <arch> <host dir> <addon>: the stand-in host's JSON line (and its exit status).
run_host() {
  local arch="$1" dir="$2" addon="$3" loader
  loader="$(cat "$dir/loader")"
  case "$arch" in
    x64) "$loader" "$dir/host" "$addon" ;;
    arm64) qemu-aarch64 "$loader" "$dir/host" "$addon" ;;
  esac
}

# build_host <arch> <zig target> <debian arch> <triplet> <dir>: host and libnode-stand-in.so for musl.
build_host() {
  local arch="$1" target="$2" debarch="$3" triplet="$4" dir="$5" root
  mkdir -p "$dir"
  node scripts/cross/stand-in/gen-stubs.js "$NODE_INCLUDE" scripts/cross/stand-in/node-stand-in.c "$dir/stubs.c" >/dev/null
  local cflags=(-target "$target" -std=c11 -O1 -Wall -Wextra -Wno-unused-parameter -Werror)
  # The first time, zig also builds musl's start files for the target, with warnings of its own
  # (in musl's sources, not ours): shown only if the build fails.
  {
    "$ZIG" cc "${cflags[@]}" -fPIC -shared -fvisibility=hidden -o "$dir/libnode-stand-in.so" \
      scripts/cross/stand-in/node-stand-in.c "$dir/stubs.c" &&
      # Linking a shared library makes zig link the host dynamically, against musl's libc.so.
      "$ZIG" cc "${cflags[@]}" -o "$dir/host" scripts/cross/stand-in/host.c "$dir/libnode-stand-in.so" -Wl,-rpath,'$ORIGIN'
  } >"$dir/build.log" 2>&1 || { cat "$dir/build.log" >&2; cross_die "the stand-in host for $target did not build"; }
  root="$(bash scripts/dist/debian-root.sh "$debarch" musl)" || cross_die "Debian's musl:$debarch could not be fetched"
  [[ -f "$root/lib/$triplet/libc.so" ]] || cross_die "no lib/$triplet/libc.so in Debian's musl:$debarch"
  echo "$root/lib/$triplet/libc.so" >"$dir/loader"
}

for arch in "${ARCHES[@]}"; do
  case "$arch" in
    x64) target=x86_64-linux-musl machine="X86-64" debarch=amd64 ;;
    arm64) target=aarch64-linux-musl machine="AArch64" debarch=arm64 ;;
    *) cross_die "unknown architecture $arch (x64 or arm64)" ;;
  esac
  if [[ "$arch" == arm64 ]] && ! command -v qemu-aarch64 >/dev/null 2>&1; then
    [[ "${REQUIRE_CROSS:-0}" == "1" ]] && cross_die "qemu-aarch64 not found (install qemu-user)"
    echo "skipped: linux-arm64-musl (qemu-aarch64 not found to load it; Debian: qemu-user)"
    continue
  fi
  OUT="build-cross/linux-$arch-musl"
  rm -rf "$OUT"
  mkdir -p "$OUT/obj"
  export ZIG_GLOBAL_CACHE_DIR="$CROSS_CACHE/zig-cache/$target"
  export ZIG_LOCAL_CACHE_DIR="$ZIG_GLOBAL_CACHE_DIR"

  echo "== linux-$arch-musl: ${#GYP_SOURCES[@]} sources with zig $("$ZIG" version) (-target $target)"
  compile_all "$OUT/obj" "$ZIG" c++ -target "$target" -fPIC "${NODE_GYP_CXXFLAGS[@]}" "${GYP_CXXFLAGS[@]}" \
    -I"$NODE_INCLUDE" -I"$NAPI_INCLUDE"
  printf '{\n  global: napi_register_module_v1; node_api_module_get_api_version_v1;\n  local: *;\n};\n' >"$OUT/exports.map"
  ADDON="$OUT/multicast_expert.node"
  # -O2 at the link: zig builds libc++ optimised (without it, a debug build). -s: stripped. The
  # first time, zig also builds musl's start files, with a warning of its own in musl's rcrt1.c
  # (not our source): its output is shown only if the link fails.
  "$ZIG" c++ -target "$target" -O2 -shared -s -Wl,--version-script="$OUT/exports.map" -o "$ADDON" "${OBJECTS[@]}" \
    >"$OUT/link.log" 2>&1 || { cat "$OUT/link.log" >&2; cross_die "linking $ADDON failed"; }

  # ---- the file itself ----------------------------------------------------------------------------
  fail() { cross_die "$ADDON $*"; }
  readelf -h "$ADDON" | grep -q "Class:.*ELF64" || fail "is not ELF64"
  readelf -h "$ADDON" | grep -q "Machine:.*$machine" || fail "is not $machine"
  NEEDED="$(readelf -d "$ADDON" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ' | sed 's/ $//')"
  [[ "$NEEDED" == "libc.so" ]] || fail "needs [$NEEDED], not libc.so alone (libc++ must be linked in)"
  if readelf -V "$ADDON" | grep -q 'GLIBC'; then fail "carries glibc symbol versions"; fi
  EXPORTS="$(readelf_dyn "$ADDON" | awk '$1 != "UND" && $2 != "LOCAL" {print $3}' | sort | tr '\n' ' ' | sed 's/ $//')"
  [[ "$EXPORTS" == "napi_register_module_v1 node_api_module_get_api_version_v1" ]] ||
    fail "exports [$EXPORTS], not the Node-API entry points alone"
  IMPORTS="$(readelf_dyn "$ADDON" | awk '$1 == "UND" && $2 != "WEAK" {print $3}')"
  FROM_NODE="$(grep -cE '^(napi_|node_api_|uv_)' <<<"$IMPORTS" || true)"
  echo "ok: $ADDON (ELF64 $machine, $(stat -c %s "$ADDON") bytes; needs $NEEDED; exports $EXPORTS; $FROM_NODE imports from node, $(($(wc -l <<<"$IMPORTS") - FROM_NODE)) from libc)"

  # ---- loaded on musl ------------------------------------------------------------------------------
  HOST="$OUT/stand-in"
  build_host "$arch" "$target" "$debarch" "${target%%-*}-linux-musl" "$HOST"
  RESULT="$(run_host "$arch" "$HOST" "$ADDON")" || fail "did not load in the musl stand-in host: $RESULT"
  node -e '
    const r = JSON.parse(process.argv[1]);
    const ok = r.loaded && r.apiVersion === 8 && r.returnedExports === false &&
      /^multicast-expert: no event loop/.test(r.thrown || "");
    if (!ok) { console.error(`error: unexpected result in the musl stand-in host: ${process.argv[1]}`); process.exit(1); }
  ' "$RESULT" || exit 1
  echo "ok: $ADDON loads on musl's own loader$([[ $arch == arm64 ]] && echo " (qemu-user)") with every symbol bound: Node-API version 8; its initialisation threw \"$(node -p 'JSON.parse(process.argv[1]).thrown' "$RESULT")\" at $(node -p 'JSON.parse(process.argv[1]).firstFailed' "$RESULT"), caught and passed to napi_throw"

  # ---- the control: the same binary does not load on glibc -----------------------------------------
  if [[ "$arch" == x64 ]] && command -v cc >/dev/null 2>&1; then
    GLIBC_HOST="$OUT/stand-in-glibc"
    mkdir -p "$GLIBC_HOST"
    cc -std=c11 -O1 -Wno-unused-parameter -fPIC -shared -fvisibility=hidden -o "$GLIBC_HOST/libnode-stand-in.so" \
      scripts/cross/stand-in/node-stand-in.c "$HOST/stubs.c"
    cc -std=c11 -O1 -o "$GLIBC_HOST/host" scripts/cross/stand-in/host.c -L"$GLIBC_HOST" -lnode-stand-in -Wl,-rpath,'$ORIGIN' -ldl
    if CONTROL="$("$GLIBC_HOST/host" "$ADDON")"; then
      fail "loaded on glibc too, so the stand-in host proves nothing about musl: $CONTROL"
    fi
    echo "ok: control: on glibc the same file does not load ($(node -p 'JSON.parse(process.argv[1]).error' "$CONTROL"))"
  fi
done
