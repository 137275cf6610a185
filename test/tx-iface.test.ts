// A per-datagram outgoing interface: send(..., { iface }) and sendBatch([{ ..., iface }]) put each
// datagram on the LAN of the interface it names, from that interface's address, whatever the
// socket's own interface; a datagram without one leaves by the socket's. An interface that is gone
// rejects with ENODEV naming it, and nothing leaves by another interface instead.
import { McastTxSocket } from '../lib';
import { type Agent, type Host, Lab } from '../lab/lab';
import { catchRejection, describeLab, freshGroup, freshPort, sleep } from './helpers';

interface Seen {
  data: string;
  source: string;
  group: string;
}

describeLab('a per-datagram outgoing interface', () => {
  let lab: Lab;
  let ifA: string;
  let ifB: string;
  let pa: Host;
  let pb: Host;
  let ra: Agent;
  let rb: Agent;
  const open: McastTxSocket[] = [];

  beforeAll(async () => {
    lab = await Lab.create();
    const [lanA, lanB] = await Promise.all([lab.lan('txi-a'), lab.lan('txi-b')]);
    ifA = await lab.connect(lab.self, lanA, { ipv4: '10.82.1.100/24', ipv6: 'fd82:1::100/64' });
    ifB = await lab.connect(lab.self, lanB, { ipv4: '10.82.2.100/24', ipv6: 'fd82:2::100/64' });
    [pa, pb] = await Promise.all([lab.host('pa'), lab.host('pb')]);
    await lab.connect(pa, lanA, { ipv4: '10.82.1.2/24', ipv6: 'fd82:1::2/64' });
    await lab.connect(pb, lanB, { ipv4: '10.82.2.2/24', ipv6: 'fd82:2::2/64' });
    [ra, rb] = await Promise.all([pa.agent(), pb.agent()]);
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });
  afterAll(async () => {
    await Promise.all([ra, rb].map((a) => a?.stop()));
    await lab?.close();
  });

  /** A receiver on each peer's eth0 that keeps what it gets. */
  async function listen(group: string, port: number): Promise<void> {
    const code = `state.seen = [];
      state.rx?.close();
      state.rx = new mce.McastRxSocket({ groups: [${JSON.stringify(group)}], port: ${port}, iface: 'eth0' });
      state.rx.on('message', (m) => state.seen.push({ data: m.data.toString(), source: m.source.address, group: m.group }));
      return null;`;
    await Promise.all([ra.run(code), rb.run(code)]);
  }

  async function seen(agent: Agent, count: number): Promise<Seen[]> {
    for (let i = 0; i < 100; i++) {
      const got = await agent.run<Seen[]>('return state.seen;');
      if (got.length >= count) return got;
      await sleep(50);
    }
    return agent.run<Seen[]>('return state.seen;');
  }

  function sender(options: ConstructorParameters<typeof McastTxSocket>[0]): McastTxSocket {
    const tx = new McastTxSocket(options);
    open.push(tx);
    return tx;
  }

  describe.each([
    { family: 'ipv4' as const, group: (): string => freshGroup(), ours: ['10.82.1.100', '10.82.2.100'] },
    { family: 'ipv6' as const, group: (): string => freshGroup('ipv6', 'link'), ours: null },
  ])('$family', ({ family, group: makeGroup, ours }) => {
    it('send(): each datagram on the LAN of its iface, from its address; without one, by the socket interface', async () => {
      const group = makeGroup();
      const port = freshPort();
      await listen(group, port);
      const tx = sender({ family, iface: ifA });
      await tx.send('to-b', group, port, { iface: ifB });
      await tx.send('to-a', group, port, { iface: ifA });
      await tx.send('default', group, port);
      const [onA, onB] = await Promise.all([seen(ra, 2), seen(rb, 1)]);
      await sleep(200);
      const finalA = await seen(ra, 2);
      const finalB = await seen(rb, 1);
      expect(finalA.map((s) => s.data)).toEqual(['to-a', 'default']);
      expect(finalB.map((s) => s.data)).toEqual(['to-b']);
      expect(onA.length + onB.length).toBe(3);
      if (ours !== null) {
        expect(finalA.map((s) => s.source)).toEqual([ours[0], ours[0]]);
        expect(finalB.map((s) => s.source)).toEqual([ours[1]]);
      }
    });

    it('sendBatch(): the datagrams of one batch on two LANs', async () => {
      const group = makeGroup();
      const port = freshPort();
      await listen(group, port);
      const tx = sender({ family, iface: ifA });
      const sent = await tx.sendBatch([
        { data: 'b1', group, port, iface: ifB },
        { data: 'a1', group, port },
        { data: 'b2', group, port, iface: ifB },
        { data: 'a2', group, port, iface: ifA },
      ]);
      expect(sent).toBe(4);
      await Promise.all([seen(ra, 2), seen(rb, 2)]);
      await sleep(200);
      expect((await seen(ra, 2)).map((s) => s.data)).toEqual(['a1', 'a2']);
      expect((await seen(rb, 2)).map((s) => s.data)).toEqual(['b1', 'b2']);
    });
  });

  it('an iface that matches nothing: ERR_IFACE_NOT_FOUND; a bad option: ERR_INVALID_OPTION', async () => {
    const group = freshGroup();
    const tx = sender({ iface: ifA });
    expect((await catchRejection(tx.send('x', group, 5000, { iface: 'no-such-iface' }))).code).toBe('ERR_IFACE_NOT_FOUND');
    expect((await catchRejection(tx.send('x', group, 5000, { iface: 'eth0', ttl: 3 } as never))).code).toBe('ERR_INVALID_OPTION');
    expect((await catchRejection(tx.sendBatch([{ data: 'x', group, port: 5000, iface: 'no-such-iface' }]))).code).toBe('ERR_IFACE_NOT_FOUND');
  });

  it('a gone interface: ENODEV naming it, and the datagram leaves by no other interface', async () => {
    const lanC = await lab.lan('txi-c');
    const pc = await lab.host('pc');
    const ifC = await lab.connect(lab.self, lanC, { ipv4: '10.82.3.100/24' });
    await lab.connect(pc, lanC, { ipv4: '10.82.3.2/24' });
    const rc = await pc.agent();
    try {
      const group = freshGroup();
      const port = freshPort();
      await listen(group, port);
      await rc.run(`state.seen = [];
        state.rx = new mce.McastRxSocket({ groups: [${JSON.stringify(group)}], port: ${port}, iface: 'eth0' });
        state.rx.on('message', (m) => state.seen.push({ data: m.data.toString() }));
        return null;`);
      const tx = sender({ iface: ifA });
      // First it works: the receiver on C can receive.
      await tx.send('via-c', group, port, { iface: ifC });
      expect((await seen(rc, 1)).map((s) => s.data)).toEqual(['via-c']);
      await lab.self.ip('link', 'del', ifC);
      const err = await catchRejection(tx.send('after', group, port, { iface: ifC }));
      expect(err.code).toBe('ENODEV');
      expect(err.message).toContain(ifC);
      const batchErr = await catchRejection(tx.sendBatch([{ data: 'after-batch', group, port, iface: ifC }]));
      expect(batchErr.code).toBe('ENODEV');
      expect(batchErr.message).toContain(ifC);
      // The socket's own interface still works, and nothing of the refused ones arrived anywhere.
      await tx.send('own', group, port);
      await seen(ra, 1);
      await sleep(200);
      expect((await seen(ra, 1)).map((s) => s.data)).toEqual(['own']);
      expect(await seen(rb, 0)).toEqual([]);
    } finally {
      await rc.stop();
    }
  });
});
