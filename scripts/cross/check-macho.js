#!/usr/bin/env node
'use strict';
// Checks a macOS addon the way dyld and Node will see it, without a Mac: read from the Mach-O file
// itself (no Apple tool runs here).
//
//   node scripts/cross/check-macho.js <file.node> <x64|arm64> <minimum macOS, e.g. 11.0>
//
// It must be a 64-bit Mach-O dylib of that architecture for macOS with that minimum version; load
// only /usr/lib/libSystem.B.dylib; export the Node-API entry points and nothing else; leave only
// Node-API and libuv functions to be found at load time in the process (flat namespace: they live
// in the node executable); and, on arm64, where the kernel refuses unsigned code, carry an ad-hoc
// code signature whose page hashes match the file. Prints one line; exits 1 with the reasons.
const { createHash } = require('node:crypto');
const fs = require('node:fs');

const [file, arch, minimum] = process.argv.slice(2);
if (!file || !['x64', 'arm64'].includes(arch) || !/^\d+\.\d+$/.test(minimum || '')) {
  console.error('usage: check-macho.js <file> <x64|arm64> <minimum macOS, e.g. 11.0>');
  process.exit(2);
}

const CPU_TYPE = { x64: 0x01000007, arm64: 0x0100000c };
const MH_MAGIC_64 = 0xfeedfacf;
const MH_DYLIB = 6;
const LC = {
  SYMTAB: 0x2,
  LOAD_DYLIB: 0xc,
  LOAD_WEAK_DYLIB: 0x80000018,
  REEXPORT_DYLIB: 0x8000001f,
  LAZY_LOAD_DYLIB: 0x20,
  CODE_SIGNATURE: 0x1d,
  DYLD_INFO: 0x22,
  DYLD_INFO_ONLY: 0x80000022,
  DYLD_EXPORTS_TRIE: 0x80000033,
  BUILD_VERSION: 0x32,
};
const PLATFORM_MACOS = 1;
const DYNAMIC_LOOKUP_ORDINAL = 0xfe;
const ENTRY_POINTS = ['_napi_register_module_v1', '_node_api_module_get_api_version_v1'];
const FROM_NODE = /^_(napi_|node_api_|uv_)/;

const buf = fs.readFileSync(file);
const problems = [];

function uleb(offset) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = buf[offset++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if ((byte & 0x80) === 0) return [value, offset];
  }
}

function cString(offset) {
  const end = buf.indexOf(0, offset);
  return buf.toString('utf8', offset, end);
}

function version(packed) {
  return `${packed >>> 16}.${(packed >>> 8) & 0xff}`;
}

// The export trie: every terminal node is an exported symbol.
function exportsFromTrie(start, size) {
  const names = [];
  const visit = (node, prefix) => {
    let [terminalSize, offset] = uleb(start + node);
    if (terminalSize > 0) names.push(prefix);
    offset += terminalSize;
    const children = buf[offset++];
    for (let i = 0; i < children; i++) {
      const edge = cString(offset);
      offset += Buffer.byteLength(edge) + 1;
      let child;
      [child, offset] = uleb(offset);
      if (child >= size) throw new Error('export trie points past its end');
      visit(child, prefix + edge);
    }
  };
  if (size > 0) visit(0, '');
  return names.sort();
}

// The ad-hoc signature: a SuperBlob (big-endian) holding a CodeDirectory whose code slots are the
// hashes of each page of the file up to the signature.
function checkSignature(dataoff, datasize) {
  const be = (o) => buf.readUInt32BE(o);
  if (be(dataoff) !== 0xfade0cc0) return 'the code signature is not a SuperBlob';
  const count = be(dataoff + 8);
  for (let i = 0; i < count; i++) {
    const blob = dataoff + be(dataoff + 12 + i * 8 + 4);
    if (be(blob) !== 0xfade0c02) continue; // not a CodeDirectory
    const flags = be(blob + 12);
    const hashOffset = be(blob + 16);
    const nCodeSlots = be(blob + 28);
    const codeLimit = be(blob + 32);
    const hashSize = buf[blob + 36];
    const hashType = buf[blob + 37];
    const pageSize = 2 ** buf[blob + 39];
    if ((flags & 0x2) === 0) return 'the code signature is not ad-hoc';
    if (codeLimit !== dataoff) return `the signature covers ${codeLimit} bytes, the code is ${dataoff}`;
    const algorithm = { 1: 'sha1', 2: 'sha256' }[hashType];
    if (!algorithm) return `unknown hash type ${hashType}`;
    if (nCodeSlots !== Math.ceil(codeLimit / pageSize)) return `${nCodeSlots} page hashes for ${codeLimit} bytes`;
    for (let page = 0; page < nCodeSlots; page++) {
      const data = buf.subarray(page * pageSize, Math.min((page + 1) * pageSize, codeLimit));
      const want = buf.subarray(blob + hashOffset + page * hashSize, blob + hashOffset + (page + 1) * hashSize);
      const got = createHash(algorithm).update(data).digest().subarray(0, hashSize);
      if (!got.equals(want)) return `page ${page} does not match its hash in the signature`;
    }
    return { algorithm, pages: nCodeSlots, size: datasize };
  }
  return 'the code signature has no CodeDirectory';
}

if (buf.readUInt32LE(0) !== MH_MAGIC_64) {
  console.error(`error: ${file} is not a 64-bit Mach-O file`);
  process.exit(1);
}
const cputype = buf.readUInt32LE(4);
const filetype = buf.readUInt32LE(12);
const ncmds = buf.readUInt32LE(16);
if (cputype !== CPU_TYPE[arch]) problems.push(`CPU type 0x${cputype.toString(16)}, not ${arch}`);
if (filetype !== MH_DYLIB) problems.push(`file type ${filetype}, not a dylib (${MH_DYLIB})`);

const dylibs = [];
let build = null;
let symtab = null;
let exportTrie = null;
let signature = null;
for (let i = 0, off = 32; i < ncmds; i++) {
  const cmd = buf.readUInt32LE(off);
  const size = buf.readUInt32LE(off + 4);
  if ([LC.LOAD_DYLIB, LC.LOAD_WEAK_DYLIB, LC.REEXPORT_DYLIB, LC.LAZY_LOAD_DYLIB].includes(cmd)) {
    dylibs.push(cString(off + buf.readUInt32LE(off + 8)));
  } else if (cmd === LC.BUILD_VERSION) {
    build = { platform: buf.readUInt32LE(off + 8), minos: version(buf.readUInt32LE(off + 12)) };
  } else if (cmd === LC.SYMTAB) {
    symtab = { symoff: buf.readUInt32LE(off + 8), nsyms: buf.readUInt32LE(off + 12), stroff: buf.readUInt32LE(off + 16) };
  } else if (cmd === LC.DYLD_INFO || cmd === LC.DYLD_INFO_ONLY) {
    exportTrie = { off: buf.readUInt32LE(off + 40), size: buf.readUInt32LE(off + 44) };
  } else if (cmd === LC.DYLD_EXPORTS_TRIE) {
    exportTrie = { off: buf.readUInt32LE(off + 8), size: buf.readUInt32LE(off + 12) };
  } else if (cmd === LC.CODE_SIGNATURE) {
    signature = { dataoff: buf.readUInt32LE(off + 8), datasize: buf.readUInt32LE(off + 12) };
  }
  off += size;
}

if (build === null) problems.push('no LC_BUILD_VERSION');
else {
  if (build.platform !== PLATFORM_MACOS) problems.push(`platform ${build.platform}, not macOS`);
  if (build.minos !== minimum) problems.push(`minimum macOS ${build.minos}, not ${minimum}`);
}
if (dylibs.join(',') !== '/usr/lib/libSystem.B.dylib') problems.push(`loads [${dylibs.join(', ')}], not libSystem alone`);

const exported = exportTrie === null ? [] : exportsFromTrie(exportTrie.off, exportTrie.size);
if (!exported.includes(ENTRY_POINTS[0])) problems.push('does not export _napi_register_module_v1');
const strayExports = exported.filter((s) => !ENTRY_POINTS.includes(s));
if (strayExports.length > 0) {
  problems.push(`exports ${strayExports.length} symbols beyond the entry points (${strayExports.slice(0, 3).join(', ')}, ...)`);
}

// Undefined symbols: bound to libSystem (ordinal 1), or looked up in the process (flat namespace).
let flat = 0;
let fromSystem = 0;
if (symtab !== null) {
  for (let i = 0; i < symtab.nsyms; i++) {
    const o = symtab.symoff + i * 16;
    const type = buf[o + 4];
    if ((type & 0xe0) !== 0 || (type & 0x0e) !== 0 || (type & 0x01) === 0) continue; // debug, defined, or local
    const name = cString(symtab.stroff + buf.readUInt32LE(o));
    const ordinal = (buf.readUInt16LE(o + 6) >>> 8) & 0xff;
    if (ordinal === DYNAMIC_LOOKUP_ORDINAL) {
      flat++;
      if (!FROM_NODE.test(name)) problems.push(`${name} is left to the process to provide, and node does not`);
    } else if (ordinal === 1) fromSystem++;
    else problems.push(`${name} is bound to library ordinal ${ordinal}`);
  }
}
if (flat === 0) problems.push('no Node-API function is left to the process: it was not linked with -undefined dynamic_lookup');

let signed = 'unsigned';
if (signature !== null) {
  const result = checkSignature(signature.dataoff, signature.datasize);
  if (typeof result === 'string') problems.push(result);
  else signed = `ad-hoc signed (${result.algorithm}, ${result.pages} pages verified)`;
} else if (arch === 'arm64') problems.push('no code signature (arm64 macOS refuses to run unsigned code)');

if (problems.length > 0) {
  for (const p of problems) console.error(`error: ${file}: ${p}`);
  process.exit(1);
}
console.log(
  `ok: ${file} (Mach-O dylib, ${arch}, macOS ${build.minos}+, ${buf.length} bytes; exports ${exported.join(' ')}; ` +
    `${flat} Node-API/libuv imports from the process, ${fromSystem} from libSystem; ${signed})`,
);
