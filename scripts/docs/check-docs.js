#!/usr/bin/env node
'use strict';
// Checks that the documentation's links work where a reader meets them. Two places:
//
//   node scripts/docs/check-docs.js
//       the repository (npm run check:docs; CI, and test/docs.test.ts): README.md is under 350 lines;
//       every relative link in README.md and docs/*.md names a file that exists, and a heading
//       there when it has a #fragment; every link into the project's GitHub repository starts with
//       the address in package.json's `repository` (the one place it is written) and names a file
//       that exists here, and links to its GitHub Pages site start with the site's address; `homepage` and `bugs` are derived from that address; the README's options
//       and events tables of McastRxSocket and McastTxSocket have a row for every option and event
//       the API has (scripts/docs/api-members.js), and none it lacks.
//   node scripts/docs/check-docs.js --packed <files.txt> <unpacked package folder>
//       the packed tarball (scripts/dist/tarball.sh): every link in its README.md and docs/*.md that
//       is not absolute names a file the tarball holds (files.txt: one path a line), since on the
//       npm page and in node_modules only those resolve.
//
// Prints one line per problem and a summary; exits 1 when there is a problem.
const fs = require('node:fs');
const path = require('node:path');

const { kDocumented } = require('./api-members');

/** The README's limit: what a newcomer reads before the detail in docs/. */
const kMaxReadmeLines = 350;

/** The markdown files whose links are checked, relative to a package or repository root. */
function docFiles(root) {
  const docs = fs.existsSync(path.join(root, 'docs'))
    ? fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)
    : [];
  return ['README.md', ...docs].filter((f) => fs.existsSync(path.join(root, f)));
}

/** The text of a markdown file outside fenced code blocks and inline code spans, line by line. */
function proseLines(markdown) {
  const out = [];
  let fence = null;
  for (const line of markdown.split('\n')) {
    const m = /^\s*(```+|~~~+)/.exec(line);
    if (m) {
      if (fence === null) fence = m[1][0];
      else if (m[1][0] === fence) fence = null;
      out.push('');
      continue;
    }
    out.push(fence === null ? line.replace(/(`+)[^`]*?\1/g, '') : '');
  }
  return out;
}

/** Every link target of a markdown file, with its line number: [text](target), [ref]: target, href/src, <autolink>. */
function linksOf(markdown) {
  const links = [];
  proseLines(markdown).forEach((line, i) => {
    for (const m of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ target: m[1], line: i + 1 });
    const ref = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(\s|$)/.exec(line);
    if (ref) links.push({ target: ref[1], line: i + 1 });
    for (const m of line.matchAll(/\b(?:href|src)="([^"]+)"/g)) links.push({ target: m[1], line: i + 1 });
    for (const m of line.matchAll(/<([a-z][a-z0-9+.-]*:[^>\s]+)>/gi)) links.push({ target: m[1], line: i + 1 });
  });
  return links;
}

/** The anchors GitHub (and TypeDoc) give a file's headings: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function headingSlugs(markdown) {
  const slugs = new Set();
  const seen = new Map();
  const prose = proseLines(markdown);
  markdown.split('\n').forEach((raw, i) => {
    // A heading is found outside code blocks, and its anchor made from the raw line: code spans
    // in a heading keep their text in the anchor.
    if (!/^#{1,6}\s/.test(prose[i])) return;
    const text = raw
      .replace(/^#{1,6}\s+/, '')
      .replace(/\s+#+\s*$/, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .trim()
      .toLowerCase();
    const base = text.replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    slugs.add(n === 0 ? base : `${base}-${n}`);
  });
  for (const m of markdown.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) slugs.add(m[1]);
  return slugs;
}

const isAbsolute = (target) => /^[a-z][a-z0-9+.-]*:/i.test(target);

/** package.json's repository address, as a browser opens it: https://github.com/owner/name. */
function repositoryAddress(pkg) {
  const url = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
  if (typeof url !== 'string') return null;
  return url.replace(/^git\+/, '').replace(/\.git$/, '');
}

/**
 * The names in the README's reference tables: under each class's heading (### McastRxSocket), the
 * first cell of every row of the table whose header starts with "option" or "event"; a cell may
 * name several (`iface` / `ifaces`), and event names lose their quotes.
 */
function readmeTables(markdown) {
  const tables = {};
  let cls = null;
  let kind = null;
  const prose = proseLines(markdown);
  for (const [i, line] of markdown.split('\n').entries()) {
    if (prose[i] === '' && line.trim() !== '') continue; // a fenced code block
    const heading = /^#{1,6}\s+(.*?)\s*$/.exec(line);
    if (heading) {
      cls = heading[1] in kDocumented ? heading[1] : null;
      kind = null;
      continue;
    }
    if (cls === null || !line.startsWith('|')) {
      if (line.trim() === '') kind = null;
      continue;
    }
    const first = line.split('|')[1].trim();
    if (kind === null) {
      kind = /^option/.test(first) ? 'options' : /^event/.test(first) ? 'events' : 'other';
      tables[cls] ??= { options: [], events: [] };
      continue;
    }
    if (kind === 'other' || /^:?-+:?$/.test(first)) continue;
    for (const m of first.matchAll(/`'?([^`']+)'?`/g)) tables[cls][kind].push(m[1]);
  }
  return tables;
}

/** The problems of the README's tables against the API's options and events (members: apiMembers()). */
function checkTables(readme, members) {
  const problems = [];
  const tables = readmeTables(readme);
  for (const [cls, kinds] of Object.entries(members)) {
    for (const [kind, names] of Object.entries(kinds)) {
      const listed = tables[cls]?.[kind] ?? [];
      const what = `${kDocumented[cls][kind]} (${cls})`;
      for (const n of names) if (!listed.includes(n)) problems.push(`README.md: the ${kind} table of ${cls} has no row for ${n}, which ${what} has: add one`);
      for (const n of listed) if (!names.includes(n)) problems.push(`README.md: the ${kind} table of ${cls} lists ${n}, which ${what} does not have`);
    }
  }
  return problems;
}

/** The problems of the repository's documentation (an empty list when there are none). */
function checkRepository(root, members = require('./api-members').apiMembers(root)) {
  const problems = [];
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const repo = repositoryAddress(pkg);
  if (repo === null) {
    problems.push('package.json: no repository.url (the one place the project\'s address is written)');
  } else {
    if (pkg.homepage !== `${repo}#readme`) problems.push(`package.json: homepage is ${pkg.homepage}, not ${repo}#readme (derived from repository.url)`);
    const bugs = typeof pkg.bugs === 'string' ? pkg.bugs : pkg.bugs?.url;
    if (bugs !== `${repo}/issues`) problems.push(`package.json: bugs is ${bugs}, not ${repo}/issues (derived from repository.url)`);
  }
  const owner = repo === null ? null : repo.slice(0, repo.lastIndexOf('/') + 1); // https://github.com/owner/
  // The API reference's site (.github/workflows/docs.yml), where GitHub Pages puts a repository's.
  const [ownerName, repoName] = repo === null ? [] : repo.split('/').slice(-2);
  const pagesHost = repo === null ? null : `https://${ownerName.toLowerCase()}.github.io/`;
  const pages = repo === null ? null : `${pagesHost}${repoName}/`;

  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const lines = readme.endsWith('\n') ? readme.split('\n').length - 1 : readme.split('\n').length;
  if (lines >= kMaxReadmeLines) {
    problems.push(`README.md: ${lines} lines, the limit is under ${kMaxReadmeLines}: move detail to a page in docs/ and link it`);
  }

  problems.push(...checkTables(readme, members));

  const slugCache = new Map();
  const slugsOf = (file) => {
    if (!slugCache.has(file)) slugCache.set(file, headingSlugs(fs.readFileSync(file, 'utf8')));
    return slugCache.get(file);
  };
  for (const file of docFiles(root)) {
    const abs = path.join(root, file);
    for (const { target, line } of linksOf(fs.readFileSync(abs, 'utf8'))) {
      const where = `${file}:${line}: ${target}`;
      if (isAbsolute(target)) {
        if (pagesHost !== null && target.startsWith(pagesHost) && !target.startsWith(pages)) {
          problems.push(`${where}: a link to the project's GitHub Pages that is not the API reference's address derived from package.json's repository (${pages})`);
        }
        if (owner === null || !target.startsWith(owner)) continue;
        if (!(target === repo || target.startsWith(`${repo}/`) || target.startsWith(`${repo}#`))) {
          problems.push(`${where}: a link into the project's GitHub account that does not start with package.json's repository (${repo})`);
          continue;
        }
        const inTree = new RegExp(`^${repo.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/(?:blob|tree)/[^/]+/([^#?]+)`).exec(target);
        if (inTree && !fs.existsSync(path.join(root, decodeURIComponent(inTree[1])))) {
          problems.push(`${where}: names ${inTree[1]}, which is not in the repository`);
        }
        continue;
      }
      if (target.startsWith('/')) {
        problems.push(`${where}: a link from the site's root works on no page: make it relative, or absolute`);
        continue;
      }
      const [pathPart, fragment] = target.split('#');
      const resolved = pathPart === '' ? abs : path.resolve(path.dirname(abs), decodeURIComponent(pathPart));
      if (!fs.existsSync(resolved)) {
        problems.push(`${where}: ${path.relative(root, resolved)} does not exist`);
        continue;
      }
      if (fragment !== undefined && resolved.endsWith('.md') && !slugsOf(resolved).has(fragment)) {
        problems.push(`${where}: ${path.relative(root, resolved)} has no heading #${fragment}`);
      }
    }
  }
  return problems;
}

/**
 * The problems of the packed package's documentation: links that are not absolute must name a file
 * in the tarball (files: its paths, without the leading package/), or a folder that holds some.
 */
function checkPacked(unpacked, files) {
  const problems = [];
  const have = new Set(files);
  const folders = new Set();
  for (const f of files) for (let d = path.posix.dirname(f); d !== '.'; d = path.posix.dirname(d)) folders.add(d);
  for (const file of docFiles(unpacked)) {
    if (!have.has(file)) continue;
    for (const { target, line } of linksOf(fs.readFileSync(path.join(unpacked, file), 'utf8'))) {
      if (isAbsolute(target)) continue;
      const pathPart = decodeURIComponent(target.split('#')[0]);
      if (pathPart === '') continue;
      const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), pathPart)).replace(/\/$/, '');
      if (!have.has(resolved) && !folders.has(resolved)) {
        problems.push(`${file}:${line}: ${target}: the tarball has no ${resolved}: ship it (package.json files) or link it absolutely (from package.json's repository)`);
      }
    }
  }
  return problems;
}

module.exports = { checkPacked, checkRepository, checkTables, headingSlugs, linksOf, readmeTables, kMaxReadmeLines };

if (require.main === module) {
  const args = process.argv.slice(2);
  let problems;
  let what;
  if (args[0] === '--packed') {
    if (args.length !== 3) {
      console.error('usage: check-docs.js --packed <files.txt> <unpacked package folder>');
      process.exit(2);
    }
    const files = fs.readFileSync(args[1], 'utf8').split('\n').filter(Boolean);
    problems = checkPacked(args[2], files);
    what = `the packed README.md and docs/*.md: every link that is not absolute names a file in the tarball`;
  } else {
    const root = path.resolve(__dirname, '..', '..');
    problems = checkRepository(root);
    const readmeLines = fs.readFileSync(path.join(root, 'README.md'), 'utf8').split('\n').length - 1;
    what = `README.md ${readmeLines} lines (under ${kMaxReadmeLines}), its options and events tables list every option and event of both classes; every link in README.md and docs/*.md (${docFiles(root).length} files) resolves`;
  }
  for (const p of problems) console.error(`error: ${p}`);
  if (problems.length > 0) {
    console.log(`docs: ${problems.length} problem${problems.length === 1 ? '' : 's'}`);
    process.exit(1);
  }
  console.log(`ok: ${what}`);
}
