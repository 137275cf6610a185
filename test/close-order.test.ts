// The order in which a receiver's sockets close (native/rx_filter_table.cc, CloseAll): newest first.
// Linux keeps an interface's memberships newest first and searches that list on every leave, and
// keeps the groups just left in a list it searches on every join: closing newest first keeps both
// searches from going quadratic when a receiver on many groups is closed and opened again (10,000
// groups: 330 to 440 ms to open again, against 570 to 1,150 ms oldest first). The order comes from
// libuv running close callbacks last in, first out, which this test also guards. No timing is
// asserted: strace, run on a lab host, shows the order of the close() calls themselves.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DIST, type Host, Lab } from '../lab/lab';
import { describeLab, freshPort, itWithTools } from './helpers';

const GROUPS = 40;

describeLab("a receiver's sockets close newest first", () => {
  let lab: Lab;
  let host: Host;

  beforeAll(async () => {
    lab = await Lab.create();
    const lan = await lab.lan('order');
    host = await lab.host('h1');
    await lab.connect(host, lan, { ipv4: '10.74.0.1/24' });
  });
  afterAll(() => lab?.close());

  itWithTools({ strace: 'strace' })(`close(): the ${GROUPS} sockets of ${GROUPS} groups close in the reverse order of their opening`, async () => {
    const port = freshPort();
    // The groups' sockets are the IPv4 datagram sockets still open when the marker is written; what
    // the receiver's close() then closes of them, in that order, is what the kernel leaves in.
    const script = `
      const fs = require('node:fs');
      const { McastRxSocket } = require(${JSON.stringify(DIST)});
      const groups = Array.from({ length: ${GROUPS} }, (_, i) => '239.74.1.' + (i + 1));
      const rx = new McastRxSocket({ groups, port: ${port}, iface: 'eth0' });
      fs.writeSync(2, 'MCE-CLOSE-MARK\\n');
      rx.close();
      setTimeout(() => {}, 100);`;
    // The main thread only (no -f): it opens and closes the sockets, and no other thread's calls
    // can split a close() line in two. The trace goes to a file of its own.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mce-close-order-'));
    const trace = path.join(dir, 'trace');
    let text: string;
    try {
      const r = await host.run('strace', ['-qq', '-o', trace, '-e', 'trace=socket,close,write', process.execPath, '-e', script], { timeoutMs: 60000 });
      expect(r.code).toBe(0);
      text = fs.readFileSync(trace, 'utf8');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }

    const opened: number[] = []; // fds of IPv4 datagram sockets, in the order they were made
    let openAtMark: number[] | null = null;
    const closed: number[] = []; // of those, the fds closed after the mark, in order
    for (const line of text.split('\n')) {
      const made = /socket\(AF_INET, SOCK_DGRAM[^)]*\)\s+= (\d+)/.exec(line);
      const gone = /close\((\d+)\)\s+= 0/.exec(line);
      if (made !== null) opened.push(Number(made[1]));
      else if (line.includes('MCE-CLOSE-MARK')) openAtMark = [...opened];
      else if (gone !== null) {
        const fd = Number(gone[1]);
        if (openAtMark === null) {
          // Closed before the mark: not one of the receiver's.
          const i = opened.lastIndexOf(fd);
          if (i >= 0) opened.splice(i, 1);
        } else if (openAtMark.includes(fd) && !closed.includes(fd)) closed.push(fd);
      }
    }
    expect(openAtMark).not.toBeNull();
    const groupSockets = openAtMark as number[];
    // One socket per group (and nothing else of the kind was open).
    expect(groupSockets).toHaveLength(GROUPS);
    expect(closed).toEqual([...groupSockets].reverse());
  });
});
