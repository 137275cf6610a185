#!/usr/bin/env bash
# Cross-compiles the Windows x64 addon with mingw-w64 and checks the DLL it links, so that the
# Windows sources are compiled (and kept compiling) on a Linux machine.
#
#   scripts/cross/build-windows.sh          # from anywhere; output build-cross/win32-x64/multicast_expert.node
#
# Needs x86_64-w64-mingw32-g++ (Debian: g++-mingw-w64-x86-64), node, node-addon-api installed, and
# Node's headers with uv/win.h (see find_node_include in lib.sh). Without the compiler it prints a
# "skipped" line and exits 0, unless REQUIRE_CROSS=1.
#
# Sources, defines and warning flags come from binding.gyp (the target plus its OS=='win'
# condition), compiled with -Werror. Node-API and libuv functions live in node.exe, so an import
# library for node.exe is made from the symbols the objects actually use. The DLL is checked: PE32+
# x86-64, a DLL, exports napi_register_module_v1 only, imports from node.exe and Windows system DLLs
# only (libstdc++, libgcc and winpthread are linked in statically).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source scripts/cross/lib.sh

TRIPLE=x86_64-w64-mingw32
CXX="$TRIPLE-g++"
if ! command -v "$CXX" >/dev/null 2>&1; then
  [[ "${REQUIRE_CROSS:-0}" == "1" ]] && cross_die "$CXX not found (install g++-mingw-w64-x86-64)"
  echo "skipped: win32-x64 ($CXX not found; Debian: g++-mingw-w64-x86-64)"
  exit 0
fi
# The posix thread model has std::mutex (which napi.h uses); GCC 12's win32 model does not.
command -v "$CXX-posix" >/dev/null 2>&1 && CXX="$CXX-posix"
for tool in nm dlltool objdump; do
  command -v "$TRIPLE-$tool" >/dev/null 2>&1 || cross_die "$TRIPLE-$tool not found"
done

gyp_flags win
OUT=build-cross/win32-x64
rm -rf "$OUT"
mkdir -p "$OUT/obj"
echo "== win32-x64: ${#GYP_SOURCES[@]} sources with $CXX"
compile_all "$OUT/obj" "$CXX" -O2 -D_WIN32_WINNT=0x0A00 -DUNICODE -D_UNICODE "${GYP_CXXFLAGS[@]}" \
  -I"$(find_node_include uv/win.h)" -I"$(napi_include)"

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
# the .node needs no mingw runtime DLL next to it. Node's headers mark the entry points
# __declspec(dllexport), so ld exports those alone. -s drops the symbol table, as prebuildify --strip.
ADDON="$OUT/multicast_expert.node"

"$CXX" -shared -static -s -o "$ADDON" "${OBJECTS[@]}" \
  "$OUT/libnode.a" -lws2_32 -liphlpapi -Wl,--no-undefined

# ---- Verify --------------------------------------------------------------------------------------
DUMP="$OUT/objdump.txt"
"$TRIPLE-objdump" -p "$ADDON" >"$DUMP"
fail() { cross_die "$ADDON $*"; }
grep -q 'file format pei-x86-64' "$DUMP" || fail "is not a PE32+ x86-64 file"
# IMAGE_FILE_DLL (0x2000) in the COFF header's characteristics.
CHARACTERISTICS="$(awk '/^Characteristics/ {print $2; exit}' "$DUMP")"
(( ${CHARACTERISTICS:-0} & 0x2000 )) || fail "is not a DLL (characteristics ${CHARACTERISTICS:-none})"
EXPORTS="$(sed -n '/^\[Ordinal\/Name Pointer\] Table/,/^$/p' "$DUMP" | awk 'NR > 1 && NF {print $NF}' | tr '\n' ' ' | sed 's/ $//')"
# The Node-API entry points, and nothing else: napi_register_module_v1 and, where Node's headers
# declare it, node_api_module_get_api_version_v1 (the Node-API version the addon was built for).
grep -qw napi_register_module_v1 <<<"$EXPORTS" || fail "does not export napi_register_module_v1"
STRAY="$(tr ' ' '\n' <<<"$EXPORTS" | grep -Ev '^(napi_register_module_v1|node_api_module_get_api_version_v1)$' || true)"
[[ -z "$STRAY" ]] || fail "exports more than the Node-API entry points: $STRAY"
DLLS="$(awk '/DLL Name:/ {print $3}' "$DUMP" | sort -u | tr "\n" " " | sed "s/ $//")"
grep -qi 'DLL Name: node.exe' "$DUMP" || fail "does not import from node.exe"
# Only node.exe, the C runtime every Windows has (msvcrt), and system DLLs may be imported.
STRAY="$(tr ' ' '\n' <<<"$DLLS" | grep -Eiv '^(node\.exe|msvcrt\.dll|kernel32\.dll|ws2_32\.dll|iphlpapi\.dll|advapi32\.dll|ntdll\.dll|user32\.dll)$' || true)"
[[ -z "$STRAY" ]] || fail "imports DLLs a Windows machine does not have: $STRAY"
NODE_SYMBOLS="$(($(wc -l <"$DEF") - 2))"
echo "ok: $ADDON (PE DLL, x86-64, $(stat -c %s "$ADDON") bytes) from ${#GYP_SOURCES[@]} sources; exports $EXPORTS; imports $NODE_SYMBOLS symbols from node.exe; DLLs: $DLLS"
