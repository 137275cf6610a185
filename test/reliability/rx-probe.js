'use strict';
// A receiver under test, in a process of its own on a lab host, driven over stdin, reporting on
// stdout (one line per event), so that a test can change the network under it and see whether it
// crashes, hangs or reports. Used by the network-fault, flood and isolation tests.
//   node rx-probe.js '<McastRxSocket options as JSON>' [listen|queue]
// Prints: "ready" | "open-error <code> <json hint>", then "msg <json>" per datagram (listen mode),
// "error <code> <message>" per 'error' event. Commands (stdin, one per line):
//   report        -> "report <json { messages, stats }>" (messages: what arrived so far)
//   drain         -> queue mode: receive() until 1 s passes with nothing -> "drained <count>"
//   join <json>   -> rx.join(...args) -> "join ok" | "join error <code> <json hint>"
//   close         -> rx.close() -> "closed"; the process then ends by itself
const path = require('node:path');
const readline = require('node:readline');
const mce = require(process.env.MCE_DIST || path.join(__dirname, '..', '..', 'dist'));

const options = JSON.parse(process.argv[2]);
const mode = process.argv[3] || 'listen';
const messages = [];
const record = (m) => ({ group: m.group, source: m.source.address, ifaceIndex: m.ifaceIndex, length: m.data.length, text: m.data.subarray(0, 32).toString() });

let rx;
try {
  rx = new mce.McastRxSocket(options);
} catch (err) {
  console.log(`open-error ${err.code} ${JSON.stringify(err.hint ?? err.message)}`);
  process.exit(0);
}
rx.on('error', (err) => console.log(`error ${err.code} ${err.message}`));
if (mode === 'listen') {
  rx.on('message', (m) => {
    const r = record(m);
    messages.push(r);
    console.log(`msg ${JSON.stringify(r)}`);
  });
}
console.log('ready');

const input = readline.createInterface({ input: process.stdin });
input.on('line', async (line) => {
  const [command, ...rest] = line.split(' ');
  const arg = rest.join(' ');
  try {
    if (command === 'report') {
      console.log(`report ${JSON.stringify({ messages, stats: rx.closed ? null : rx.stats(), groups: rx.groups, ifaces: rx.ifaces.map((i) => i.name) })}`);
    } else if (command === 'drain') {
      let count = 0;
      for (;;) {
        const m = await rx.receive({ timeout: 1000 });
        if (m === null) break;
        messages.push(record(m));
        count++;
      }
      console.log(`drained ${count}`);
    } else if (command === 'join') {
      try {
        rx.join(...JSON.parse(arg));
        console.log('join ok');
      } catch (err) {
        console.log(`join error ${err.code} ${JSON.stringify(err.hint ?? err.message)}`);
      }
    } else if (command === 'close') {
      rx.close();
      input.close();
      console.log('closed');
    }
  } catch (err) {
    console.log(`command-error ${command} ${err.code ?? ''} ${err.message}`);
  }
});
