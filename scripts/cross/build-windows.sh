#!/usr/bin/env bash
# Cross-compiles the Windows x64 addon with mingw-w64 and checks the DLL it links, so that the
# Windows sources are compiled (and kept compiling) on a Linux machine.
#
#   scripts/cross/build-windows.sh          # from the repository root
#
# Needs x86_64-w64-mingw32-g++ (Debian: g++-mingw-w64-x86-64), node, node-addon-api installed, and
# the Node headers (the nodedir npm uses, Node's own include dir, or NODE_INCLUDE_DIR). Without the
# compiler it prints a "skipped" line and exits 0, unless REQUIRE_CROSS=1.
#
# The sources and defines come from binding.gyp (the top-level list plus the OS=='win' condition).
# Node-API and libuv functions live in node.exe, so an import library for node.exe is made from the
# symbols the objects actually use. The result is build-cross/win32-x64/multicast_expert.node.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."

TRIPLE=x86_64-w64-mingw32
CXX="$TRIPLE-g++"
if ! command -v "$CXX" >/dev/null 2>&1; then
  if [[ "${REQUIRE_CROSS:-0}" == "1" ]]; then
    echo "error: $CXX not found (install g++-mingw-w64-x86-64)" >&2
    exit 1
  fi
  echo "skipped: $CXX not found"
  exit 0
fi
# The posix thread model has std::mutex (which napi.h uses); GCC 12's win32 model does not.
command -v "$CXX-posix" >/dev/null 2>&1 && CXX="$CXX-posix"
for tool in nm dlltool objdump; do
  command -v "$TRIPLE-$tool" >/dev/null 2>&1 || { echo "error: $TRIPLE-$tool not found" >&2; exit 1; }
done

# ---- Node headers and node-addon-api -----------------------------------------------------------
find_node_include() {
  local candidates=()
  [[ -n "${NODE_INCLUDE_DIR:-}" ]] && candidates+=("$NODE_INCLUDE_DIR")
  local nodedir
  nodedir="$(npm config get nodedir 2>/dev/null || true)"
  if [[ -n "$nodedir" && "$nodedir" != "undefined" && "$nodedir" != "null" ]]; then
    candidates+=("$nodedir/include/node")
  fi
  candidates+=("$(node -p 'process.config.variables.node_prefix')/include/node")
  candidates+=("${HOME:-/root}/.cache/node-gyp/$(node -p 'process.versions.node')/include/node")
  local dir
  for dir in "${candidates[@]}"; do
    if [[ -f "$dir/node_api.h" && -f "$dir/uv.h" && -f "$dir/uv/win.h" ]]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}
NODE_INCLUDE="$(find_node_include)" || {
  echo "error: no Node headers with node_api.h and uv/win.h found (set NODE_INCLUDE_DIR)" >&2
  exit 1
}
NAPI_INCLUDE="$(node -p "require('node-addon-api').include_dir")" || {
  echo "error: node-addon-api is not installed (npm install --ignore-scripts)" >&2
  exit 1
}

# ---- Sources and defines from binding.gyp ------------------------------------------------------
# gyp files are Python literals; this one is also a JavaScript literal, which node can read.
gyp_query() {
  node -e '
    const text = require("fs").readFileSync("binding.gyp", "utf8");
    const gyp = new Function("return (" + text + ")")();
    const t = gyp.targets.find((x) => x.target_name === "multicast_expert");
    const win = (t.conditions || []).filter((c) => c[0] === "OS==\x27win\x27").map((c) => c[1]);
    const pick = (key) => [t[key] || [], ...win.map((c) => c[key] || [])].flat();
    console.log(pick(process.argv[1]).join("\n"));
  ' "$1"
}
mapfile -t SOURCES < <(gyp_query sources)
mapfile -t DEFINES < <(gyp_query defines)
if [[ ${#SOURCES[@]} -eq 0 ]]; then
  echo "error: no sources found in binding.gyp" >&2
  exit 1
fi

OUT=build-cross/win32-x64
OBJ="$OUT/obj"
rm -rf "$OUT"
mkdir -p "$OBJ"

# The warning flags of binding.gyp's cflags_cc.
CXXFLAGS=(-std=c++17 -O2 -Wall -Wextra -Wno-unused-parameter -D_WIN32_WINNT=0x0A00 -DUNICODE -D_UNICODE)
for d in "${DEFINES[@]}"; do CXXFLAGS+=("-D$d"); done
CXXFLAGS+=(-I"$NODE_INCLUDE" -I"$NAPI_INCLUDE")
# A warning fails the check; CROSS_WERROR=0 shows them without failing.
[[ "${CROSS_WERROR:-1}" == "1" ]] && CXXFLAGS+=(-Werror)

# ---- Compile -------------------------------------------------------------------------------------
OBJECTS=()
for src in "${SOURCES[@]}"; do
  obj="$OBJ/$(echo "${src%.cc}" | tr '/' '_').o"
  "$CXX" "${CXXFLAGS[@]}" -c "$src" -o "$obj"
  OBJECTS+=("$obj")
done

# ---- Import library for node.exe -----------------------------------------------------------------
DEF="$OUT/node.def"
{
  echo "LIBRARY node.exe"
  echo "EXPORTS"
  "$TRIPLE-nm" -u "${OBJECTS[@]}" | awk '{print $NF}' | grep -E '^(napi_|node_api_|uv_)' | sort -u
} >"$DEF"
"$TRIPLE-dlltool" --input-def "$DEF" --output-lib "$OUT/libnode.a"

# ---- Link ----------------------------------------------------------------------------------------
# -static links libgcc, libstdc++ and winpthread in (system libraries and node.exe stay imports), so
# the .node needs no mingw runtime DLL next to it.
ADDON="$OUT/multicast_expert.node"
"$CXX" -shared -static -o "$ADDON" "${OBJECTS[@]}" \
  "$OUT/libnode.a" -lws2_32 -liphlpapi \
  -Wl,--no-undefined

# ---- Verify --------------------------------------------------------------------------------------
DUMP="$OUT/objdump.txt"
"$TRIPLE-objdump" -p "$ADDON" >"$DUMP"
fail() { echo "error: $ADDON $*" >&2; exit 1; }
grep -q 'file format pei-x86-64' "$DUMP" || fail "is not a PE32+ x86-64 file"
# IMAGE_FILE_DLL (0x2000) in the COFF header's characteristics.
CHARACTERISTICS="$(awk '/^Characteristics/ {print $2; exit}' "$DUMP")"
(( ${CHARACTERISTICS:-0} & 0x2000 )) || fail "is not a DLL (characteristics ${CHARACTERISTICS:-none})"
EXPORTS="$(sed -n '/^\[Ordinal\/Name Pointer\] Table/,/^$/p' "$DUMP")"
grep -qw napi_register_module_v1 <<<"$EXPORTS" || fail "does not export napi_register_module_v1"
DLLS="$(awk '/DLL Name:/ {print $3}' "$DUMP" | sort -u | tr "\n" " " | sed "s/ $//")"
grep -qi 'DLL Name: node.exe' "$DUMP" || fail "does not import from node.exe"
if grep -Eiq 'DLL Name: (libstdc\+\+|libgcc|libwinpthread)' "$DUMP"; then
  fail "needs mingw runtime DLLs: $DLLS"
fi
NODE_SYMBOLS="$(($(wc -l <"$DEF") - 2))"
echo "ok: $ADDON (PE DLL, x86-64, $(stat -c %s "$ADDON") bytes) from ${#SOURCES[@]} sources; exports napi_register_module_v1; imports $NODE_SYMBOLS symbols from node.exe; DLLs: $DLLS"
