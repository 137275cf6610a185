// A receiver with a 'message' or 'batch' listener keeps the process running and cannot be garbage-
// collected; without one (and with no receive() pending) it does neither. Whatever EventEmitter
// calls came before: removeAllListeners() (which also removes 'newListener' and 'removeListener'
// listeners), removeAllListeners('message'), once(), prependListener(), off(), events.once().
// Each case runs in a process of its own, in the lab: a datagram is sent from an unref'd timer,
// which does not keep the process running by itself, so the process receives it only if the
// receiver kept the process running; and where no listener remains, the process ends by itself.
import { DIST, Lab, type RunResult } from '../lab/lab';
import { describeLab, freshGroup, freshPort } from './helpers';

/** How each case leaves the receiver: `got(msg)` is the listener that reports a datagram. */
const kept: Array<[string, string]> = [
  ['on()', `rx.on('message', got);`],
  ['on(), removeAllListeners(), on()', `rx.on('message', f); rx.on('error', f); rx.removeAllListeners(); rx.on('message', got);`],
  ["on(), removeAllListeners('message'), on()", `rx.on('message', f); rx.removeAllListeners('message'); rx.on('message', got);`],
  ['removeAllListeners(), once()', `rx.removeAllListeners(); rx.once('message', got);`],
  ['removeAllListeners(), prependListener()', `rx.removeAllListeners(); rx.prependListener('message', got);`],
  ['removeAllListeners(), prependOnceListener()', `rx.removeAllListeners(); rx.prependOnceListener('message', got);`],
  ["'batch': on(), off(), removeAllListeners(), on()", `rx.on('batch', f); rx.off('batch', f); rx.removeAllListeners(); rx.on('batch', (msgs) => got(msgs[0]));`],
  ['removeAllListeners(), events.once()', `rx.removeAllListeners(); require('node:events').once(rx, 'message').then(([msg]) => got(msg));`],
  ['two listeners, off() one of them', `rx.on('message', f); rx.on('message', got); rx.off('message', f);`],
];
/** Cases that leave no listener: the process must end without the datagram. */
const released: Array<[string, string]> = [
  ['on(), removeAllListeners()', `rx.on('message', got); rx.removeAllListeners();`],
  ["on(), removeAllListeners('message')", `rx.on('message', got); rx.removeAllListeners('message');`],
  ["on('batch'), off()", `rx.on('batch', got); rx.off('batch', got);`],
  ['once(), removeListener()', `rx.once('message', got); rx.removeListener('message', got);`],
];

describeLab('a listener keeps the receiver alive, whatever EventEmitter calls came before', () => {
  let lab: Lab;
  let iface: string;

  beforeAll(async () => {
    lab = await Lab.create();
    const lan = await lab.lan('live');
    iface = await lab.connect(lab.self, lan, { ipv4: '10.75.0.1/24' });
  });
  afterAll(() => lab?.close());

  /** A process with a receiver left as `setup` leaves it, and a datagram sent to it 300 ms later from an unref'd timer. */
  function run(setup: string): Promise<RunResult> {
    const group = freshGroup();
    const port = freshPort();
    return lab.self.node(
      [
        '-e',
        `const mce = require(${JSON.stringify(DIST)});
        const rx = new mce.McastRxSocket({ groups: ['${group}'], port: ${port}, iface: '${iface}', externalLoopback: true });
        const tx = new mce.McastTxSocket({ iface: '${iface}', externalLoopback: true });
        const f = () => {};
        const got = (msg) => {
          console.log('received ' + msg.data);
          rx.close();
          tx.close();
        };
        ${setup}
        setTimeout(() => tx.send('ping', '${group}', ${port}), 300).unref();`,
      ],
      { timeoutMs: 20000 },
    );
  }

  it.each(kept)('%s: the process runs until the datagram arrives', async (_name, setup) => {
    const r = await run(setup);
    expect({ code: r.code, signal: r.signal, stdout: r.stdout.trim(), stderr: r.stderr.trim() }).toEqual({ code: 0, signal: null, stdout: 'received ping', stderr: '' });
  });

  it.each(released)('%s: no listener is left, the process ends by itself', async (_name, setup) => {
    const r = await run(setup);
    expect({ code: r.code, signal: r.signal, stdout: r.stdout.trim(), stderr: r.stderr.trim() }).toEqual({ code: 0, signal: null, stdout: '', stderr: '' });
  });

  it.each(kept.filter(([name]) => name.includes('removeAllListeners')))('%s: the receiver is not garbage-collected while the listener is there', async (_name, setup) => {
    const group = freshGroup();
    const port = freshPort();
    const r = await lab.self.node(
      [
        '--expose-gc',
        '-e',
        `const mce = require(${JSON.stringify(DIST)});
        process.on('warning', (w) => console.log('warning ' + w.code));
        const f = () => {};
        let done = false;
        const got = (msg) => {
          if (done) return;
          console.log('received ' + msg.data);
          done = true;
        };
        // Made in a scope of its own: only the listener can keep the receiver now.
        (() => {
          const rx = new mce.McastRxSocket({ groups: ['${group}'], port: ${port}, iface: '${iface}', externalLoopback: true });
          ${setup}
        })();
        (async () => {
          for (let i = 0; i < 10; i++) {
            gc();
            await new Promise((r) => setTimeout(r, 20));
          }
          const tx = new mce.McastTxSocket({ iface: '${iface}', externalLoopback: true });
          for (let i = 0; i < 100 && !done; i++) {
            await tx.send('ping', '${group}', ${port});
            await new Promise((r) => setTimeout(r, 20));
          }
          tx.close();
          if (!done) console.log('nothing received');
          process.exit(0);
        })();`,
      ],
      { timeoutMs: 20000 },
    );
    expect({ code: r.code, stdout: r.stdout.trim(), stderr: r.stderr.trim() }).toEqual({ code: 0, stdout: 'received ping', stderr: '' });
  });
});
