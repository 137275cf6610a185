#!/usr/bin/env node
'use strict';
// Checks the API reference site that `npm run docs` built (docs/api/, or the folder given) as a
// reader would use it: the front page is the README, every docs/*.md page is a page of the site,
// the socket classes have their pages, and every option and every event of both classes
// (scripts/docs/api-members.js, read from the code) has an entry with a description on its
// interface's page. CI and .github/workflows/docs.yml run it after `npm run docs`.
//
//   node scripts/docs/check-site.js [site folder]
//
// Prints one line per problem and a summary; exits 1 when there is a problem.
const fs = require('node:fs');
const path = require('node:path');

const { apiMembers, kDocumented } = require('./api-members');

/** TypeDoc's anchor for a member name: lower case, as in its member headings. */
const anchorOf = (name) => name.toLowerCase();

/** The problems of the site in `site` for the repository in `root` (members: apiMembers(root)). */
function checkSite(site, root, members = apiMembers(root)) {
  const problems = [];
  const read = (rel) => {
    const file = path.join(site, rel);
    if (!fs.existsSync(file)) {
      problems.push(`${rel} is missing`);
      return null;
    }
    return fs.readFileSync(file, 'utf8');
  };

  const index = read('index.html');
  if (index !== null) {
    for (const id of ['reference-tables', 'install', 'quick-start']) {
      if (!index.includes(`id="${id}"`)) problems.push(`index.html has no heading #${id}: the front page is not the README (typedoc.json readme)`);
    }
  }
  const pages = fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md'));
  for (const page of pages) read(`documents/${page.replace(/\.md$/, '.html')}`);

  for (const [cls, kinds] of Object.entries(members)) {
    read(`classes/${cls}.html`);
    for (const [kind, names] of Object.entries(kinds)) {
      const iface = kDocumented[cls][kind];
      const html = read(`interfaces/${iface}.html`);
      if (html === null) continue;
      for (const name of names) {
        const at = html.indexOf(`id="${anchorOf(name)}"`);
        if (at < 0) {
          problems.push(`interfaces/${iface}.html has no entry for ${kind === 'events' ? `'${name}'` : name}`);
          continue;
        }
        // The entry's description: the comment block TypeDoc renders after the member's signature.
        const next = html.indexOf('class="tsd-anchor-link"', at + 1);
        const entry = html.slice(at, next < 0 ? undefined : next);
        if (!/class="tsd-comment tsd-typography"/.test(entry)) problems.push(`interfaces/${iface}.html: ${name} has no description`);
      }
    }
  }
  return { problems, pages: pages.length };
}

module.exports = { checkSite };

if (require.main === module) {
  const root = path.resolve(__dirname, '..', '..');
  const site = path.resolve(process.argv[2] ?? path.join(root, 'docs', 'api'));
  const members = apiMembers(root);
  const { problems, pages } = checkSite(site, root, members);
  for (const p of problems) console.error(`error: ${p}`);
  if (problems.length > 0) {
    console.log(`site: ${problems.length} problem${problems.length === 1 ? '' : 's'} (${path.relative(process.cwd(), site) || '.'}; npm run docs builds it)`);
    process.exit(1);
  }
  const count = (kind) => Object.values(members).reduce((n, k) => n + k[kind].length, 0);
  console.log(`ok: ${path.relative(process.cwd(), site)}: the README as front page, ${pages} docs pages, ${count('options')} options and ${count('events')} events of McastRxSocket and McastTxSocket, each with its description`);
}
