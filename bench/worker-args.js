'use strict';
// The `--name value` arguments that bench/run.js passes to its worker processes, read against the
// worker's defaults (a default's type decides whether the value is a number).
function parseWorkerArgs(argv, defaults) {
  const a = { ...defaults };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '');
    if (!(k in a)) throw new Error(`unknown option ${argv[i]}`);
    a[k] = typeof a[k] === 'number' ? Number(argv[i + 1]) : argv[i + 1];
  }
  return a;
}

module.exports = { parseWorkerArgs };
