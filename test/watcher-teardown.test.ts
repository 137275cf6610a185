// The interface watcher's error path while its worker is terminated. A burst of address changes
// that the worker does not read (it is busy) overruns its netlink socket, which then polls as an
// error; when the worker is terminated, Node runs its loop once more during teardown, with no
// JavaScript allowed, and the watcher reports that error. Making the error object then throws a C++
// exception; outside the guarded call into JavaScript, it reached libuv and aborted the process
// ("terminate called after throwing an instance of 'Napi::Error'").
import { DIST, Lab } from '../lab/lab';
import { describeLab } from './helpers';

const script = `
const { Worker } = require('node:worker_threads');
const { execFileSync } = require('node:child_process');
const code = \`
  const { parentPort } = require('node:worker_threads');
  const mce = require(\${JSON.stringify(${JSON.stringify(DIST)})});
  mce.watchInterfaces(() => {});
  setTimeout(() => { parentPort.postMessage('ready'); const end = Date.now() + 60000; while (Date.now() < end); }, 10);
\`;
execFileSync('ip', ['link', 'add', 'burst', 'type', 'veth', 'peer', 'name', 'burstp']);
async function round() {
  const w = new Worker(code, { eval: true });
  await new Promise((resolve) => w.once('message', resolve));
  // 1000 addresses: far more announcements than a netlink socket's buffer holds.
  const lines = Array.from({ length: 1000 }, (_, k) => 'addr add 10.' + (k >> 8) + '.' + (k & 255) + '.1/32 dev burst');
  execFileSync('ip', ['-batch', '-'], { input: lines.join('\\n') + '\\n' });
  await w.terminate();
  execFileSync('ip', ['addr', 'flush', 'dev', 'burst']);
}
(async () => {
  for (let i = 0; i < 3; i++) await round();
  console.log('survived');
})();
`;

describeLab('the interface watcher in a worker terminated with an OS error pending', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await Lab.create();
  });
  afterAll(() => lab?.close());

  it('does not abort the process', async () => {
    const host = await lab.host('teardown');
    const r = await host.node(['-e', script], { timeoutMs: 60000 });
    expect(r.stderr).not.toContain('terminate called');
    expect({ code: r.code, signal: r.signal, stdout: r.stdout.trim() }).toEqual({ code: 0, signal: null, stdout: 'survived' });
  });
});
