#!/usr/bin/env bash
# Proves that the package installs and works the way a user gets it: from the packed tarball, into a
# new empty project, with no compiler reachable.
#
#   scripts/dist/tarball.sh          # from the repository root (npm run check:dist); CI runs it
#
#  1. builds the prebuilds (scripts/dist/prebuild-all.sh; SKIP_PREBUILD=1 uses prebuilds/ as it is),
#     packs the tarball, and checks its file list: the seven prebuilds, and nothing that should
#     not ship; and that every link of its README.md and docs/*.md that is not absolute names a
#     file it holds (scripts/docs/check-docs.js --packed);
#  2. checks the package metadata with publint and the types with @arethetypeswrong/cli;
#  3. installs the tarball into an empty project in a temporary folder, with a PATH that holds only
#     node and npm (no cc, c++, gcc, g++, make, python) and npm's build-from-source off, install
#     scripts allowed: the install script (node-gyp-build) must find the prebuild and compile nothing;
#  4. compiles a CommonJS (.cts) and an ES module (.mts) TypeScript consumer that use the whole public
#     API with tsc --strict (module node16 and nodenext, library checks on) against the shipped types;
#  5. in the network lab (scripts/dist/consumer-check.js): require() and import() work and list
#     interfaces, the addon is the shipped prebuild, and a Tx/Rx round trip between two lab hosts
#     delivers with group and interface. This runs under the machine's node, under Debian's Node 18
#     (the oldest that package.json's engines allows), and, for the arm64 prebuild, under Debian's
#     arm64 Node 18 in qemu-user, where those can be had (otherwise a "skipped" line says why);
#  6. the fallback: the tarball again, with its linux-x64 prebuild replaced by one that cannot load
#     here (the musl binary; then a corrupted file), installed with a compiler on PATH: the install
#     must say why and build from source, and require() must then load that build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT="$PWD"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/mce-tarball.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
passed=0
skipped=0
ok() { passed=$((passed + 1)); echo "  ok: $*"; }
skip() { skipped=$((skipped + 1)); echo "  skipped: $*"; }
die() { echo "  FAILED: $*" >&2; echo "dist: $passed passed, 1 failed, $skipped skipped"; exit 1; }

# ---- 1. prebuilds and the tarball ---------------------------------------------------------------
if [[ "${SKIP_PREBUILD:-0}" != "1" ]]; then
  bash scripts/dist/prebuild-all.sh
fi
# The seven prebuilds the package promises (README, Install).
PREBUILT=(linux-x64/multicast-expert.glibc.node linux-arm64/multicast-expert.glibc.node
  linux-x64/multicast-expert.musl.node linux-arm64/multicast-expert.musl.node
  win32-x64/multicast-expert.node darwin-x64/multicast-expert.node darwin-arm64/multicast-expert.node)
for f in "${PREBUILT[@]}"; do
  [[ -f "prebuilds/$f" ]] || die "no prebuilds/$f (npm run prebuilds; REQUIRE_CROSS=1 says what is missing)"
done
npm run build:ts >/dev/null

echo "== pack"
npm pack --silent --pack-destination "$WORK" >"$WORK/pack-name.txt"
TARBALL="$WORK/$(tail -1 "$WORK/pack-name.txt")"
[[ -f "$TARBALL" ]] || die "npm pack made no tarball"
tar -tzf "$TARBALL" | sed 's|^package/||' | sort >"$WORK/files.txt"
echo "  $(basename "$TARBALL"): $(wc -l <"$WORK/files.txt") files, $(stat -c %s "$TARBALL") bytes"
# What a package may carry: compiled JS and its types and maps, the TypeScript sources the maps point
# to, the native sources and binding.gyp (for a build from source), the prebuilds, the docs pages and
# examples the README links to, and npm's own files.
ALLOWED='^(package\.json|README\.md|CHANGELOG\.md|LICENSE|docs/[A-Za-z0-9-]+\.md|examples/[a-z0-9-]+\.(js|mjs|ts)|examples/tsconfig\.json|dist/[a-z0-9/_-]+\.(js|mjs|cjs|d\.ts|d\.mts|d\.cts)(\.map)?|lib/[a-z0-9/_-]+\.[mc]?ts|bin/[a-z0-9_.-]+|binding\.gyp|native/[a-z0-9/_]+\.(cc|h)|scripts/install-fallback\.js|prebuilds/linux-(x64|arm64)/multicast-expert\.(glibc|musl)\.node|prebuilds/(win32-x64|darwin-x64|darwin-arm64)/multicast-expert\.node)$'
if grep -Ev "$ALLOWED" "$WORK/files.txt" >"$WORK/stray.txt"; then
  die "the tarball holds files it should not: $(tr '\n' ' ' <"$WORK/stray.txt")"
fi
ok "the tarball holds only dist/, lib/ sources, native/, binding.gyp, prebuilds/, docs/*.md, examples/ and package.json, README, CHANGELOG, LICENSE"
for f in README.md CHANGELOG.md docs/README.md examples/receiver.js examples/tsconfig.json; do
  grep -qx "$f" "$WORK/files.txt" || die "the tarball lacks $f (the README links to it)"
done
# On the npm page and in node_modules a relative link resolves only to a file the tarball holds.
mkdir -p "$WORK/unpacked"
tar -xzf "$TARBALL" -C "$WORK/unpacked"
node scripts/docs/check-docs.js --packed "$WORK/files.txt" "$WORK/unpacked/package" >"$WORK/links.txt" 2>&1 ||
  { cat "$WORK/links.txt"; die "the packed README or docs link to files the tarball lacks"; }
ok "$(tail -1 "$WORK/links.txt" | sed 's/^ok: //') ($(grep -c '^docs/.*\.md$' "$WORK/files.txt") docs pages, $(grep -c '^examples/' "$WORK/files.txt") examples shipped)"
for f in dist/index.js dist/index.d.ts dist/index.d.ts.map dist/esm.mjs dist/esm.d.mts dist/esm.d.mts.map binding.gyp native/addon.cc LICENSE; do
  grep -qx "$f" "$WORK/files.txt" || die "the tarball lacks $f"
done
ok "the tarball has the CommonJS and ESM entries, their types and declaration maps, and the native sources"
for f in "${PREBUILT[@]/#/prebuilds/}" scripts/install-fallback.js; do
  grep -qx "$f" "$WORK/files.txt" || die "the tarball lacks $f"
done
ok "the tarball carries the seven prebuilds and the install's fallback note: $(grep '^prebuilds/' "$WORK/files.txt" | sed 's|^prebuilds/||' | tr '\n' ' ')"

# ---- 2. metadata and types ----------------------------------------------------------------------
echo "== publint and arethetypeswrong"
npx --no-install publint run --strict --pack npm . >"$WORK/publint.txt" 2>&1 || { cat "$WORK/publint.txt"; die "publint"; }
ok "publint --strict: $(tail -1 "$WORK/publint.txt")"
# node10 resolution ignores exports; it gets main and types, the CommonJS entry, which is correct.
npx --no-install attw "$TARBALL" --format table-flipped >"$WORK/attw.txt" 2>&1 || { cat "$WORK/attw.txt"; die "arethetypeswrong"; }
ok "arethetypeswrong: no problems for node10, node16 (CJS and ESM) and bundler resolution"

# ---- 3. install with no compiler ------------------------------------------------------------------
echo "== install into an empty project, no compiler on PATH"
BIN="$WORK/bin"
mkdir -p "$BIN"
ln -s "$(command -v node)" "$BIN/node"
ln -s "$(command -v npm)" "$BIN/npm"
ln -s "$(command -v sh)" "$BIN/sh" # npm runs lifecycle scripts with sh
CLEAN_PATH="$BIN"
for tool in cc c++ gcc g++ clang make python python3; do
  if PATH="$CLEAN_PATH" command -v "$tool" >/dev/null 2>&1; then die "$tool is reachable on the clean PATH"; fi
done
ok "none of cc, c++, gcc, g++, clang, make, python, python3 is reachable"
PROJECT="$WORK/project"
mkdir -p "$PROJECT"
# allowScripts: npm 11 runs a dependency's install script only when the project allows it; this
# check wants the script to run (and not compile). Older npm ignores the field and runs it anyway.
cat >"$PROJECT/package.json" <<'EOF'
{ "name": "consumer", "version": "1.0.0", "private": true, "allowScripts": { "multicast-expert": true } }
EOF
(cd "$PROJECT" && env -i HOME="$HOME" PATH="$CLEAN_PATH" npm_config_build_from_source=false \
  npm_config_cache="${npm_config_cache:-$HOME/.npm}" \
  npm install --no-audit --no-fund --foreground-scripts --loglevel=info "$TARBALL") >"$WORK/install.log" 2>&1 ||
  { cat "$WORK/install.log"; die "npm install of the tarball failed"; }
INSTALLED="$PROJECT/node_modules/multicast-expert"
grep -q 'node-gyp-build' "$WORK/install.log" || { cat "$WORK/install.log"; die "the install script (node-gyp-build) did not run"; }
ok "the install script ran: $(grep -m1 -o 'multicast-expert@[^ ]* install' "$WORK/install.log" || echo 'node-gyp-build')"
if grep -q 'gyp info' "$WORK/install.log" || [[ -e "$INSTALLED/build" ]]; then
  cat "$WORK/install.log"
  die "the install tried to build from source"
fi
ok "nothing was compiled (no node-gyp run, no build/ folder)"

# ---- 4. TypeScript consumers ----------------------------------------------------------------------
echo "== TypeScript consumers against the shipped types (tsc --strict)"
cp scripts/dist/consumer/api.cts scripts/dist/consumer/roundtrip.mts "$PROJECT/"
for module in node16 nodenext; do
  cat >"$PROJECT/tsconfig.$module.json" <<EOF
{
  "compilerOptions": {
    "strict": true,
    "module": "$module",
    "moduleResolution": "$module",
    "target": "ES2022",
    "lib": ["ES2022", "esnext.disposable"],
    "types": ["node"],
    "typeRoots": ["$ROOT/node_modules/@types"],
    "skipLibCheck": false,
    "outDir": "out"
  },
  "files": ["api.cts", "roundtrip.mts"]
}
EOF
  (cd "$PROJECT" && node "$ROOT/node_modules/typescript/bin/tsc" -p "tsconfig.$module.json") ||
    die "tsc --strict (module $module) failed against the shipped types"
  ok "api.cts (CommonJS) and roundtrip.mts (ESM) compile with module/moduleResolution $module"
done
[[ -f "$PROJECT/out/api.cjs" && -f "$PROJECT/out/roundtrip.mjs" ]] || die "tsc emitted no out/api.cjs and out/roundtrip.mjs"

# ---- 5. run: require, import, round trip, in the lab ------------------------------------------------
echo "== runtimes"
NODE18=""
ARM64=""
# Debian's node loads some of its own modules from /usr/share/nodejs: for the amd64 one, an overlay in
# a private mount namespace shows the unpacked root's /usr/share there (the machine's stays as it
# is); qemu-user's -L does the same for the arm64 one.
OVERLAY='mount -t overlay overlay -o lowerdir="$1/usr/share":/usr/share /usr/share && shift && exec "$@"'
if NODE18="$(bash scripts/dist/debian-node.sh amd64 2>"$WORK/node18.log")"; then
  if NODE18_VERSION="$(LD_LIBRARY_PATH="$NODE18/usr/lib/x86_64-linux-gnu" unshare --mount sh -c "$OVERLAY" node18 "$NODE18" \
    "$NODE18/usr/bin/node" --version 2>"$WORK/node18.log")"; then
    ok "Debian's Node $NODE18_VERSION (amd64) unpacked at $NODE18"
  else
    NODE18=""
    skip "Node 18 run (it needs a private mount namespace with an overlay: $(tail -1 "$WORK/node18.log"))"
  fi
else
  NODE18=""
  skip "Node 18 run (Debian's nodejs could not be fetched: $(tail -1 "$WORK/node18.log"))"
fi
if [[ ! -f prebuilds/linux-arm64/multicast-expert.glibc.node ]]; then
  skip "arm64 run (no linux-arm64 prebuild was built)"
elif ! command -v qemu-aarch64 >/dev/null 2>&1; then
  skip "arm64 run (qemu-aarch64 not found; Debian: qemu-user)"
elif ARM64="$(bash scripts/dist/debian-node.sh arm64 2>"$WORK/arm64.log")"; then
  ok "Debian's arm64 Node unpacked at $ARM64, run with qemu-aarch64"
else
  ARM64=""
  skip "arm64 run (Debian's nodejs:arm64 could not be fetched: $(tail -1 "$WORK/arm64.log"))"
fi
RUNTIMES="$(NODE18="$NODE18" ARM64="$ARM64" QEMU="$(command -v qemu-aarch64 || true)" OVERLAY="$OVERLAY" node -e '
  const { NODE18, ARM64, QEMU, OVERLAY } = process.env;
  const runtimes = [{ name: `node ${process.version} ${process.arch}`, command: [process.execPath] }];
  if (NODE18) runtimes.push({
    name: "Debian node 18 x64",
    command: ["unshare", "--mount", "sh", "-c", OVERLAY, "node18", NODE18, `${NODE18}/usr/bin/node`],
    env: { LD_LIBRARY_PATH: `${NODE18}/usr/lib/x86_64-linux-gnu` },
  });
  if (ARM64) runtimes.push({
    name: "Debian node 18 arm64 under qemu-user",
    command: [QEMU, "-L", ARM64, `${ARM64}/usr/bin/node`],
    emulated: `qemu-user ${require("node:child_process").execFileSync(QEMU, ["--version"], { encoding: "utf8" }).split(" ")[2]}`,
  });
  console.log(JSON.stringify(runtimes));
')"
node lab/enter-lab.js node scripts/dist/consumer-check.js "$PROJECT" "$RUNTIMES" | tee "$WORK/consumers.txt"
[[ "${PIPESTATUS[0]}" == 0 ]] || die "the consumer check failed"
consumer_line="$(grep -E '^consumers: ' "$WORK/consumers.txt" | tail -1)"
passed=$((passed + $(sed -E 's/^consumers: ([0-9]+) passed.*/\1/' <<<"$consumer_line")))
skipped=$((skipped + $(sed -E 's/.* ([0-9]+) skipped$/\1/' <<<"$consumer_line")))
# ---- 6. the fallback: a prebuild that does not load -------------------------------------------------
# fallback <name> <label> <file>: the tarball with <file> as its linux-x64 glibc prebuild, installed
# with a compiler on PATH; the install must say why it builds, build, and leave a package that loads.
fallback() {
  local dir="$WORK/fallback-$1" label="$2" replacement="$3"
  mkdir -p "$dir/unpacked" "$dir/project"
  tar -xzf "$TARBALL" -C "$dir/unpacked"
  cp "$replacement" "$dir/unpacked/package/prebuilds/linux-x64/multicast-expert.glibc.node"
  tar -czf "$dir/multicast-expert.tgz" -C "$dir/unpacked" package
  cp "$PROJECT/package.json" "$dir/project/"
  (cd "$dir/project" && npm_config_build_from_source=false \
    npm install --no-audit --no-fund --foreground-scripts "$dir/multicast-expert.tgz") >"$dir/install.log" 2>&1 ||
    { cat "$dir/install.log"; die "with $label, the install failed instead of building from source"; }
  local note
  note="$(grep -m1 '^multicast-expert: ' "$dir/install.log" || true)"
  grep -q 'prebuilds/linux-x64/multicast-expert.glibc.node does not load here' <<<"$note" ||
    { cat "$dir/install.log"; die "with $label, the install did not say why it builds from source"; }
  ok "with $label, the install says so: \"${note:0:220}...\""
  local installed="$dir/project/node_modules/multicast-expert"
  [[ -f "$installed/build/Release/multicast_expert.node" ]] || die "with $label, nothing was built from source"
  local loaded
  loaded="$(cd "$dir/project" && node "$ROOT/lab/enter-lab.js" node -e '
    const dir = require("path").dirname(require.resolve("multicast-expert/package.json"));
    const names = require("multicast-expert").scanInterfaces().map((i) => i.name);
    console.log(`${require("path").relative(dir, require("node-gyp-build").path(dir))} (interfaces: ${names.join(", ")})`);
  ' 2>&1)" || die "with $label, require('multicast-expert') fails after the build: $loaded"
  [[ "$loaded" == build/Release/multicast_expert.node* ]] || die "with $label, require loaded $loaded, not the build from source"
  ok "with $label, it was built from source and require() loads $loaded"
}
echo "== fallback: a linux-x64 prebuild that does not load here, installed with a compiler on PATH"
fallback musl "the musl binary in its place" prebuilds/linux-x64/multicast-expert.musl.node
head -c 4096 /dev/urandom >"$WORK/corrupted.node"
fallback corrupted "a corrupted file in its place" "$WORK/corrupted.node"

echo "dist: $passed passed, 0 failed, $skipped skipped"
