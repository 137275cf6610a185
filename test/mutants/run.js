#!/usr/bin/env node
'use strict';
// npm run test:mutants: applies each mutant of mutants.js (a small, deliberate bug in a guarantee),
// one at a time, to a scratch copy of the tree, rebuilds what it changed, runs the suites it names
// in the network lab, and fails if any mutant survives (its suites still pass). Prints a table:
// mutant, suites, the test that killed it, build and test time.
//
//   npm run test:mutants [-- name ...]    run all mutants, or only those named
//   npm run test:mutants -- --list        list them
//   npm run test:mutants -- --keep        keep the scratch copy (its path is printed)
//   npm run test:mutants -- --suites test/a.test.ts,test/b.test.ts name ...
//                                         run the mutants named against these suites instead (to
//                                         see a new test go red with the bug it guards against)
//
// - The working tree is only read: the source files (git ls-files, so uncommitted changes are in)
//   are copied with their times to a directory under the system's temporary directory, with
//   node_modules linked; the addon's build directory is copied too, so the baseline build there
//   only recompiles what is out of date.
// - A native mutant is compiled into a build directory of its own (a copy of the baseline's, so only
//   the mutated file recompiles) and loaded through MULTICAST_EXPERT_INTERNAL_TEST_ADDON; the
//   mutated file then gets its text and time back. A TypeScript mutant is compiled into the copy's
//   dist/ (what lab hosts load) and read from lib/ by the tests (ts-jest).
// - First, the unmutated copy must pass every suite named (else a "kill" would prove nothing);
//   all runs demand the lab and the peer tools (MCE_REQUIRE_LAB=1, MCE_REQUIRE_TOOLS=1), so a
//   missing tool cannot pass for a surviving mutant or a skipped test for a passing one.
// - A mutant whose pattern no longer matches exactly once, or that does not compile, is an error of
//   the run (exit 2), never a skip: its pattern must be updated to the code.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const MUTANTS = require('./mutants.js');

const ROOT = path.resolve(__dirname, '..', '..');
const SUITE_TIMEOUT_MS = 10 * 60 * 1000;
/** The jest run under way (a process group of its own): stopped with this process. */
let running = null;

function stopRunning() {
  if (running === null) return;
  try {
    process.kill(-running.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function die(message) {
  console.error(`test:mutants: ${message}`);
  process.exit(2);
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/** Runs a command to the end; its output goes to `log` (appended). Returns the exit status. */
function runLogged(command, args, options, log) {
  fs.appendFileSync(log, `\n$ ${command} ${args.join(' ')}\n`);
  const out = fs.openSync(log, 'a');
  try {
    const r = spawnSync(command, args, { stdio: ['ignore', out, out], ...options });
    if (r.error) throw r.error;
    return r.status === null ? 128 : r.status;
  } finally {
    fs.closeSync(out);
  }
}

function tail(file, lines = 40) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

// ---- Mutations ---------------------------------------------------------------------------------

/** The text of `file` with the mutant's edits of it applied; throws when a pattern does not match exactly once. */
function mutate(mutant, file, text) {
  let out = text;
  for (const edit of mutant.edits.filter((e) => e.file === file)) {
    const global = new RegExp(edit.find.source, edit.find.flags.includes('g') ? edit.find.flags : `${edit.find.flags}g`);
    const matches = out.match(global)?.length ?? 0;
    if (matches !== 1)
      throw new Error(
        `mutant ${mutant.name} no longer applies: ${edit.find} matches ${matches} times in ${file} (it must match once): update its pattern in test/mutants/mutants.js to make the same bug in today's code`,
      );
    out = out.replace(edit.find, edit.replace);
  }
  if (out === text) throw new Error(`mutant ${mutant.name} changes nothing in ${file}: update its replacement`);
  return out;
}

const isNative = (mutant) => mutant.edits.some((e) => e.file.startsWith('native/') || e.file === 'binding.gyp');
const filesOf = (mutant) => [...new Set(mutant.edits.map((e) => e.file))];

// ---- The scratch copy ----------------------------------------------------------------------------

/** The source files of the working tree: tracked and untracked, without what .gitignore names. */
function sourceFiles() {
  const r = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status === 0) return r.stdout.split('\0').filter((f) => f !== '' && fs.existsSync(path.join(ROOT, f)));
  // Not a git checkout (an unpacked tarball): everything but what is built or installed.
  const skip = new Set(['.git', 'node_modules', 'build', 'build-asan', 'build-cross', 'dist', 'prebuilds', 'docs', 'coverage']);
  const out = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!skip.has(rel)) walk(rel);
      } else if (e.isFile()) out.push(rel);
    }
  };
  walk('');
  return out;
}

function copyTree(scratch) {
  for (const file of sourceFiles()) {
    const from = path.join(ROOT, file);
    const to = path.join(scratch, file);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(from, to);
    // Times kept: make then sees the copied build directory as up to date with these sources.
    const st = fs.statSync(from);
    fs.utimesSync(to, st.atime, st.mtime);
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(scratch, 'node_modules'), 'dir');
}

function nodeGyp() {
  if (process.env.npm_config_node_gyp) return [process.execPath, process.env.npm_config_node_gyp];
  return ['node-gyp'];
}

/** The baseline addon of the scratch copy, built incrementally from the working tree's build when there is one. */
function buildBaselineAddon(scratch, log) {
  const build = path.join(scratch, 'build');
  if (fs.existsSync(path.join(ROOT, 'build', 'Makefile'))) {
    if (runLogged('cp', ['-a', path.join(ROOT, 'build'), build], {}, log) !== 0) die(`copying build/ failed; see ${log}`);
    if (runLogged('make', ['-C', build, 'BUILDTYPE=Release', `-j${Math.max(1, os.cpus().length)}`], {}, log) !== 0) die(`the unmutated addon does not build:\n${tail(log)}`);
  } else {
    const [cmd, ...pre] = nodeGyp();
    if (runLogged(cmd, [...pre, 'rebuild', `-j`, String(Math.max(1, os.cpus().length))], { cwd: scratch }, log) !== 0) die(`the unmutated addon does not build:\n${tail(log)}`);
  }
  const addon = path.join(build, 'Release', 'multicast_expert.node');
  if (!fs.existsSync(addon)) die(`no addon at ${addon} after the build; see ${log}`);
  return addon;
}

/** dist/ of the scratch copy from its lib/ (incremental: a mutant recompiles what it changed). */
function buildTs(scratch, log) {
  const tsc = path.join(scratch, 'node_modules', 'typescript', 'bin', 'tsc');
  const status = runLogged(process.execPath, [tsc, '-p', 'lib', '--incremental', '--tsBuildInfoFile', path.join(scratch, 'lib.tsbuildinfo')], { cwd: scratch }, log);
  if (status === 0) fs.chmodSync(path.join(scratch, 'dist', 'cli', 'bin.js'), 0o755);
  return status === 0;
}

// ---- Running suites ------------------------------------------------------------------------------

/**
 * Runs jest on `suites` (only the tests matching `tests`, when given) in the lab of the scratch
 * copy, against `addon`: { failed: [names], total, passed, skipped, timedOut, ms }.
 */
function runSuites(scratch, suites, addon, tag, logs, tests) {
  const json = path.join(logs, `${tag}.json`);
  const log = path.join(logs, `${tag}.log`);
  fs.rmSync(json, { force: true });
  const env = { ...process.env, MULTICAST_EXPERT_INTERNAL_TEST_ADDON: addon, MCE_REQUIRE_LAB: '1', MCE_REQUIRE_TOOLS: '1', FORCE_COLOR: '0' };
  const jest = path.join(scratch, 'node_modules', 'jest', 'bin', 'jest.js');
  const args = [path.join(scratch, 'lab', 'enter-lab.js'), process.execPath, jest, '--runInBand', '--ci', '--json', `--outputFile=${json}`, ...(tests === undefined ? [] : ['-t', tests]), ...suites];
  const started = Date.now();
  return new Promise((resolve) => {
    const out = fs.openSync(log, 'w');
    // A process group of its own, so that a run that hangs can be stopped with all it started.
    const child = spawn(process.execPath, args, { cwd: scratch, env, stdio: ['ignore', out, out], detached: true });
    running = child;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      stopRunning();
    }, SUITE_TIMEOUT_MS);
    child.on('close', (code) => {
      running = null;
      clearTimeout(timer);
      fs.closeSync(out);
      const ms = Date.now() - started;
      let report = null;
      try {
        report = JSON.parse(fs.readFileSync(json, 'utf8'));
      } catch {
        // no report: jest did not get that far
      }
      if (report === null) return resolve({ failed: timedOut ? ['(timed out)'] : [`(jest exited ${code} without a report: see ${log})`], total: 0, passed: 0, skipped: 0, timedOut, ms, log });
      const failed = [];
      for (const file of report.testResults) {
        const name = path.relative(scratch, file.name);
        for (const t of file.assertionResults) if (t.status === 'failed') failed.push(`${name}: ${t.fullName}`);
        if (file.status === 'failed' && !file.assertionResults.some((t) => t.status === 'failed')) failed.push(`${name}: (the suite failed to run: ${String(file.message).split('\n').find((l) => l.trim() !== '') ?? ''})`);
      }
      if (timedOut) failed.push('(timed out)');
      // Tests left out by -t count as pending: only the baseline (which runs whole suites) checks skips.
      resolve({ failed, total: report.numTotalTests, passed: report.numPassedTests, skipped: report.numPendingTests + report.numTodoTests, timedOut, ms, log });
    });
  });
}

// ---- Main ----------------------------------------------------------------------------------------

/** The result table; the last column (the test that killed the mutant) is never cut. */
function table(rows) {
  const headers = ['mutant', 'suites', 'build', 'tests', 'result', 'killed by'];
  const cells = rows.map((r) => [r.name, r.suites, r.build, r.tests, r.result, r.killer]);
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => String(c[i]).length)));
  const line = (c) => c.map((x, i) => (i === c.length - 1 ? String(x) : String(x).padEnd(widths[i]))).join(' | ');
  return [line(headers), widths.map((w, i) => '-'.repeat(i === widths.length - 1 ? headers[i].length : w)).join('-|-'), ...cells.map(line)].join('\n');
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv.includes('--list')) {
    for (const m of MUTANTS) console.log(`${m.name.padEnd(30)} ${isNative(m) ? 'native' : 'ts    '} ${m.suites.join(' ')}${m.tests === undefined ? '' : ` -t "${m.tests}"`}\n${' '.repeat(38)}${m.what}`);
    return 0;
  }
  const keep = argv.includes('--keep');
  const suitesAt = argv.indexOf('--suites');
  const suitesOverride = suitesAt >= 0 ? (argv[suitesAt + 1] ?? '').split(',').filter((x) => x !== '') : null;
  if (suitesOverride !== null && suitesOverride.length === 0) die('--suites needs a comma-separated list of test files');
  const names = argv.filter((a, i) => !a.startsWith('--') && !(suitesAt >= 0 && i === suitesAt + 1));
  for (const n of names) if (!MUTANTS.some((m) => m.name === n)) die(`no mutant named ${n} (npm run test:mutants -- --list)`);
  const chosen = MUTANTS.filter((m) => names.length === 0 || names.includes(m.name)).map((m) => (suitesOverride === null ? m : { ...m, suites: suitesOverride, tests: undefined }));
  // Native ones first: they use the unmutated dist/, which TypeScript mutants then change.
  const ordered = [...chosen.filter(isNative), ...chosen.filter((m) => !isNative(m))];

  // Every pattern must apply to today's code before anything is built.
  const pristine = new Map();
  for (const m of ordered) {
    for (const file of filesOf(m)) {
      if (!pristine.has(file)) {
        const full = path.join(ROOT, file);
        if (!fs.existsSync(full)) die(`mutant ${m.name} no longer applies: ${file} does not exist; update its pattern in test/mutants/mutants.js`);
        pristine.set(file, fs.readFileSync(full, 'utf8'));
      }
      try {
        mutate(m, file, pristine.get(file));
      } catch (err) {
        die(err.message);
      }
    }
  }

  const t0 = Date.now();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mce-mutants-'));
  const logs = path.join(scratch, 'mutant-logs');
  fs.mkdirSync(logs);
  const cleanup = () => {
    if (!keep) fs.rmSync(scratch, { recursive: true, force: true });
  };
  process.on('exit', () => {
    stopRunning();
    cleanup();
  });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
  console.log(`== test:mutants: ${ordered.length} mutants; scratch copy in ${scratch}${keep ? ' (kept)' : ''}`);

  copyTree(scratch);
  const setupLog = path.join(logs, 'setup.log');
  let t = Date.now();
  const baselineAddon = buildBaselineAddon(scratch, setupLog);
  if (!buildTs(scratch, setupLog)) die(`the unmutated TypeScript does not compile:\n${tail(setupLog)}`);
  console.log(`   unmutated addon and dist/ built in ${seconds(Date.now() - t)}`);

  const allSuites = [...new Set(ordered.flatMap((m) => m.suites))];
  const baseline = await runSuites(scratch, allSuites, baselineAddon, 'baseline', logs);
  if (baseline.failed.length > 0 || baseline.passed === 0 || baseline.skipped > 0) {
    console.error(tail(baseline.log, 80));
    die(`the unmutated tree must pass every suite the mutants name (${allSuites.join(', ')}); failed: ${baseline.failed.join('; ') || 'none'}, skipped: ${baseline.skipped}`);
  }
  console.log(`   unmutated: ${baseline.passed} tests in ${allSuites.length} suites pass (${seconds(baseline.ms)})`);

  const rows = [];
  for (const m of ordered) {
    const mutantLog = path.join(logs, `${m.name}.build.log`);
    t = Date.now();
    const originals = filesOf(m).map((file) => {
      const full = path.join(scratch, file);
      return { file, full, text: fs.readFileSync(full, 'utf8'), stat: fs.statSync(full) };
    });
    for (const o of originals) fs.writeFileSync(o.full, mutate(m, o.file, o.text));
    let addon = baselineAddon;
    let buildDir = null;
    let buildMs = 0;
    let r;
    try {
      let built;
      if (isNative(m)) {
        buildDir = path.join(scratch, `build-${m.name}`);
        built = runLogged('cp', ['-a', path.join(scratch, 'build'), buildDir], {}, mutantLog) === 0 && runLogged('make', ['-C', buildDir, 'BUILDTYPE=Release'], {}, mutantLog) === 0;
        addon = path.join(buildDir, 'Release', 'multicast_expert.node');
      } else {
        built = buildTs(scratch, mutantLog);
      }
      if (!built) {
        console.error(tail(mutantLog));
        die(`mutant ${m.name} does not compile: update its replacement in test/mutants/mutants.js`);
      }
      buildMs = Date.now() - t;
      // The mutated source stays for the run: the tests compile lib/ themselves (ts-jest).
      r = await runSuites(scratch, m.suites, addon, m.name, logs, m.tests);
    } finally {
      // The source gets its text and time back: the baseline build stays up to date with it.
      for (const o of originals) {
        fs.writeFileSync(o.full, o.text);
        fs.utimesSync(o.full, o.stat.atime, o.stat.mtime);
      }
      if (buildDir !== null) fs.rmSync(buildDir, { recursive: true, force: true });
    }
    // A -t pattern that matches nothing would let every mutant "survive" with no test run: an error.
    if (r.failed.length === 0 && r.passed === 0) die(`mutant ${m.name}: no test ran (suites ${m.suites.join(', ')}${m.tests === undefined ? '' : `, tests matching "${m.tests}"`}): update it in test/mutants/mutants.js`);
    const killed = r.failed.length > 0;
    const row = {
      name: m.name,
      suites: m.suites.map((s) => path.basename(s, '.test.ts')).join(', '),
      result: killed ? 'killed' : 'SURVIVED',
      killer: killed ? `${r.failed[0]}${r.failed.length > 1 ? ` (+${r.failed.length - 1} more)` : ''}` : r.passed === 0 ? 'no test ran' : `${r.passed} tests passed`,
      build: seconds(buildMs),
      tests: seconds(r.ms),
    };
    rows.push(row);
    console.log(`   ${row.result.padEnd(8)} ${m.name} (${row.build} build, ${row.tests} tests): ${row.killer}`);
  }

  const survivors = rows.filter((r) => r.result !== 'killed');
  console.log(`\n${table(rows)}\n`);
  console.log(`== test:mutants: ${rows.length - survivors.length} of ${rows.length} mutants killed in ${seconds(Date.now() - t0)}`);
  if (survivors.length > 0) {
    console.error(`test:mutants: survived: ${survivors.map((r) => r.name).join(', ')}: no test catches these bugs; add the tests that do`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => die(err.stack),
);
