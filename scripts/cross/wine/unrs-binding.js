'use strict';
// Node's own module resolution in the shape of unrs-resolver's native binding, for jest under Wine
// only (scripts/cross/wine-smoke.sh loads it with NAPI_RS_NATIVE_LIBRARY_PATH, the override napi-rs
// loaders offer). Jest resolves every module with unrs-resolver, a Rust addon whose Windows build
// imports bcryptprimitives.dll, which Wine 8 lacks; nothing else changes. Paths take the configured
// extensions (./x finds x.ts) and index files; packages resolve as require() resolves them.
const fs = require('node:fs');
const path = require('node:path');

function isFile(p) {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

class ResolverFactory {
  constructor(options = {}) {
    this.options = options;
  }

  cloneWithOptions(options) {
    return new ResolverFactory(options);
  }

  clearCache() {} // nothing is cached

  sync(directory, request) {
    try {
      return { path: this.#resolve(directory, request) };
    } catch (err) {
      return { error: err.message };
    }
  }

  async async(directory, request) {
    return this.sync(directory, request);
  }

  #resolve(directory, request) {
    const extensions = this.options.extensions || ['.js', '.json', '.node'];
    if (path.isAbsolute(request) || /^\.\.?(\/|\\|$)/.test(request)) {
      const base = path.resolve(directory, request);
      const candidates = [base, ...extensions.map((e) => base + e), ...extensions.map((e) => path.join(base, `index${e}`))];
      const found = candidates.find(isFile);
      if (found !== undefined) return found;
      return require.resolve(base); // a directory with a package.json "main", or the error
    }
    return require.resolve(request, { paths: [directory] });
  }
}

module.exports = { ResolverFactory, sync: (directory, request) => new ResolverFactory().sync(directory, request) };
