// The documentation's links and the README's length (scripts/docs/check-docs.js): the repository's
// own docs pass, and the check sees each kind of broken link, so that it can fail.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

type Members = Record<string, { options: string[]; events: string[] }>;
interface DocsCheck {
  checkRepository(root: string, members?: Members): string[];
  checkTables(readme: string, members: Members): string[];
  checkPacked(unpacked: string, files: string[]): string[];
  kMaxReadmeLines: number;
}
const ROOT = path.join(__dirname, '..');
const CHECK = path.join(ROOT, 'scripts', 'docs', 'check-docs.js');

// A copy of the project without its docs and their check (the Windows run under Wine stages only
// dist, lib, test and lab) skips these tests, visibly.
const HAVE_DOCS = fs.existsSync(CHECK) && fs.existsSync(path.join(ROOT, 'README.md')) && fs.existsSync(path.join(ROOT, 'docs'));
if (!HAVE_DOCS) console.log(`skipped docs tests: ${CHECK}, README.md or docs/ is not in this copy of the project`);
const describeDocs = HAVE_DOCS ? describe : describe.skip;
const docs = (HAVE_DOCS ? require(CHECK) : {}) as DocsCheck;
const REPO = 'https://github.com/multicast-expert/multicast-expert';

/** A scratch repository: package.json with the project's repository fields, a README, docs/ pages and other files. */
function scratch(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mce-docs-'));
  const pkg = { name: 'x', repository: { type: 'git', url: `git+${REPO}.git` }, homepage: `${REPO}#readme`, bugs: { url: `${REPO}/issues` } };
  const all: Record<string, string> = { 'package.json': JSON.stringify(pkg), ...files };
  for (const [name, text] of Object.entries(all)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), text);
  }
  return root;
}

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});
function check(files: Record<string, string>): string[] {
  const root = scratch(files);
  roots.push(root);
  return docs.checkRepository(root, {}); // the tables are checked on their own below
}

describeDocs('the documentation', () => {
  it('README.md is under 350 lines, its tables list every option and event, and every link in README.md and docs/*.md resolves', () => {
    expect(docs.checkRepository(ROOT)).toEqual([]);
  });

  it('package.json names the repository, and homepage and bugs derive from it', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { repository: { url: string }; homepage: string; bugs: { url: string } };
    expect(pkg.repository.url).toBe(`git+${REPO}.git`);
    expect(pkg.homepage).toBe(`${REPO}#readme`);
    expect(pkg.bugs.url).toBe(`${REPO}/issues`);
  });
});

describeDocs('the docs check can fail', () => {
  const good = { 'README.md': '# x\n\n## Install\n\nSee [a](docs/a.md#part) and [b](#install).\n', 'docs/a.md': '# A\n\n## Part\n\n[back](../README.md)\n' };

  it('passes a good tree', () => {
    expect(check(good)).toEqual([]);
  });

  it('rejects a README of 350 lines', () => {
    const long = `# x\n${'line\n'.repeat(docs.kMaxReadmeLines - 1)}`;
    expect(check({ ...good, 'README.md': long })).toEqual([expect.stringContaining('README.md: 350 lines')]);
  });

  it('rejects a relative link to a missing file, and to a missing heading', () => {
    expect(check({ ...good, 'docs/a.md': '# A\n\n[gone](gone.md) [lab](../lab/README.md)\n\n## Part\n' })).toEqual([
      expect.stringContaining('docs/a.md:3: gone.md: docs/gone.md does not exist'),
      expect.stringContaining('docs/a.md:3: ../lab/README.md: lab/README.md does not exist'),
    ]);
    expect(check({ ...good, 'README.md': '# x\n\n[b](#no-such) [a](docs/a.md#nope)\n' })).toEqual([
      expect.stringContaining('README.md:3: #no-such: README.md has no heading #no-such'),
      expect.stringContaining('README.md:3: docs/a.md#nope: docs/a.md has no heading #nope'),
    ]);
  });

  it('ignores links in code, and reads headings with code in them as GitHub does', () => {
    const readme = "# x\n\n## Many: `'batch'` and `f()`\n\n`[not](a-link.md)`\n\n```md\n[nor](this.md)\n```\n\n[ok](#many-batch-and-f)\n";
    expect(check({ ...good, 'README.md': readme })).toEqual([]);
  });

  it('rejects an absolute link into the project or its site that is not derived from package.json, or names a missing file', () => {
    const readme = `# x\n\n[old](https://github.com/multicast-expert/old-name/blob/main/x.md) [gone](${REPO}/blob/main/lab/README.md) [ok](${REPO}/blob/main/docs/a.md)\n`;
    expect(check({ ...good, 'README.md': readme })).toEqual([
      expect.stringContaining("does not start with package.json's repository"),
      expect.stringContaining('names lab/README.md, which is not in the repository'),
    ]);
    const site = '# x\n\n<https://multicast-expert.github.io/old-name/> <https://multicast-expert.github.io/multicast-expert/classes/McastRxSocket.html>\n';
    expect(check({ ...good, 'README.md': site })).toEqual([expect.stringContaining("not the API reference's address derived from package.json's repository")]);
  });

  it('rejects homepage or bugs that do not derive from the repository', () => {
    const root = scratch(good);
    roots.push(root);
    fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ repository: `${REPO}.git`, homepage: 'https://example.org', bugs: `${REPO}/issues` }));
    expect(docs.checkRepository(root, {})).toEqual([expect.stringContaining('homepage is https://example.org')]);
  });

  it('in a tarball, rejects a relative link to a file it lacks, and accepts absolute links and shipped files', () => {
    const root = scratch({
      'README.md': `# x\n\n[ex](examples/) [cl](CHANGELOG.md) [d](docs/a.md#part) [lab](lab/README.md) [abs](${REPO}/blob/main/lab/README.md)\n`,
      'docs/a.md': '# A\n\n[dev](../bench/run.js)\n',
    });
    roots.push(root);
    const files = ['package.json', 'README.md', 'CHANGELOG.md', 'docs/a.md', 'examples/sender.js'];
    expect(docs.checkPacked(root, files)).toEqual([
      expect.stringContaining('README.md:3: lab/README.md: the tarball has no lab/README.md'),
      expect.stringContaining('docs/a.md:3: ../bench/run.js: the tarball has no bench/run.js'),
    ]);
  });

  it('rejects reference tables that lack an option or event of the API, or list one it lacks', () => {
    const readme = [
      '## Reference tables', '', '### McastRxSocket', '',
      '| option | type | default | meaning |', '|---|---|---|---|', '| `groups` | x | x | x |', '| `iface` / `ifaces` | x | x | x |', '',
      '| event | listener gets | when |', '|---|---|---|', "| `'message'` | x | x |", "| `'gone'` | x | x |", '',
      '```md', '| `port` | in a code block: not a row |', '```', '',
      '### McastTxSocket', '', '| option | type | default | meaning |', '|---|---|---|---|', '| `ttl` | x | x | x |', '',
    ].join('\n');
    const members = { McastRxSocket: { options: ['groups', 'port', 'iface', 'ifaces'], events: ['message'] }, McastTxSocket: { options: ['ttl'], events: ['close'] } };
    expect(docs.checkTables(readme, members)).toEqual([
      'README.md: the options table of McastRxSocket has no row for port, which McastRxSocketOptions (McastRxSocket) has: add one',
      'README.md: the events table of McastRxSocket lists gone, which McastRxSocketEvents (McastRxSocket) does not have',
      'README.md: the events table of McastTxSocket has no row for close, which McastTxSocketEvents (McastTxSocket) has: add one',
    ]);
  });
});
