#!/usr/bin/env node
'use strict';
// Part of the package's install script: node-gyp-build runs this just before it builds the addon
// from source, which it does when no prebuilt binary fits this machine or when the one that fits
// does not load here (it tries: a corrupted file, a musl binary on glibc, a macOS older than the
// binary's minimum). This says which, so the install log explains the build and its need for a
// compiler. It never fails the install itself.
const path = require('node:path');

const root = path.join(__dirname, '..');
const where = `${process.platform}-${process.arch}`;

function reason() {
  if (process.env.npm_config_build_from_source === 'true') return 'building from source was asked for (--build-from-source)';
  process.env.PREBUILDS_ONLY = '1'; // node-gyp-build: look at prebuilds/ only
  let file;
  try {
    file = require('node-gyp-build').path(root);
  } catch {
    return `there is no prebuilt binary for ${where}`;
  }
  try {
    require(file);
    return `the prebuilt binary ${path.relative(root, file)} loads, yet node-gyp-build wants a build`;
  } catch (err) {
    const message = err && err.message ? err.message.split('\n')[0] : String(err);
    return `the prebuilt binary ${path.relative(root, file)} does not load here (${message})`;
  }
}

try {
  console.error(`multicast-expert: ${reason()}; building the addon from source with node-gyp (needs Python and a C++17 compiler)`);
} catch (err) {
  console.error(`multicast-expert: building the addon from source with node-gyp (${err})`);
}
