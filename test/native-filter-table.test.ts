// The native contract of a receiver's memberships (native/rx_filter_table.cc), called directly on
// real sockets in the lab with datagrams from three real hosts: setMembership() brings the kernel's
// membership and the per-datagram filter to exactly the state given (sources and blocked sources
// that come and go), all or nothing, refuses what the OS cannot express without changing anything,
// and dropMembership() leaves. The public API never removes a source, but the contract promises it
// (test/fake-native/ implements the same contract), so it is pinned here.
//
// Every "nothing arrived" is proven by a marker from an allowed sender sent afterwards, and
// stats()'s `filtered` says who kept a datagram out: 0 means the kernel did (its source filter), not
// the native filter.
import { type McastMessage } from '../lib';
import { type Agent, Lab } from '../lab/lab';
import { type NativeRxSocket, native } from '../lib/native';
import { BatchDecoder } from '../lib/rx/batch-decoder';
import { describeLab, freshGroup, freshPort, sendCode, sleep } from './helpers';

const addr = { self: '10.81.1.100', h1: '10.81.1.1', h2: '10.81.1.2', h3: '10.81.1.3' };

describeLab('the native filter table: setMembership and dropMembership on real sockets', () => {
  let lab: Lab;
  let ifindex: number;
  const agents: Record<'h1' | 'h2' | 'h3', Agent> = {} as never;
  const open: NativeRxSocket[] = [];
  /** Errors of the receive path (none is expected). */
  const errors: Error[] = [];

  beforeAll(async () => {
    lab = await Lab.create();
    const lan = await lab.lan('ft');
    const ifname = await lab.connect(lab.self, lan, { ipv4: `${addr.self}/24` });
    ifindex = JSON.parse(native().scanInterfaces()).find((i: { name: string }) => i.name === ifname).index as number;
    for (const name of ['h1', 'h2', 'h3'] as const) {
      const host = await lab.host(name);
      await lab.connect(host, lan, { ipv4: `${addr[name]}/24` });
      agents[name] = await host.agent();
    }
  });
  afterEach(() => {
    for (const handle of open.splice(0)) handle.close();
    expect(errors.splice(0)).toEqual([]);
  });
  afterAll(async () => {
    await Promise.all(Object.values(agents).map((a) => a.stop()));
    await lab?.close();
  });

  /** A native receiver on `port`, its datagrams decoded as McastRxSocket decodes them. */
  function receiver(port: number) {
    const groupsById: string[] = [];
    const got: McastMessage[] = [];
    const decoder = new BatchDecoder('ipv4', port, groupsById, new Map());
    const handle = new (native().RxSocket)(
      { family: 4, port, maxMessageSize: 65535, receiveBufferSize: 0, timestamps: false, externalLoopback: false, keepAlive: true },
      decoder.meta,
      (count, ...buffers) => {
        decoder.begin(count, buffers);
        got.push(...decoder.decode());
      },
      (err) => void errors.push(err),
    );
    open.push(handle);
    return {
      handle,
      set(id: number, group: string, sources: string[] | null, blocked: string[] = []): void {
        groupsById[id] = group;
        handle.setMembership(id, group, ifindex, addr.self, sources, blocked);
      },
      texts: (): string[] => got.map((m) => `${m.source.address === addr.h1 ? 'h1' : m.source.address === addr.h2 ? 'h2' : 'h3'} ${m.data.toString()}`),
      async waitFor(...texts: string[]): Promise<void> {
        const end = Date.now() + 5000;
        while (!texts.every((t) => this.texts().includes(t))) {
          if (Date.now() > end) throw new Error(`timed out waiting for ${texts.join(', ')}; got ${JSON.stringify(this.texts())}`);
          await sleep(10);
        }
      },
      filtered: (): number => handle.stats()[3],
    };
  }

  /** Each host sends its text, in order; the one sent last is the marker. */
  async function send(group: string, port: number, ...sends: Array<['h1' | 'h2' | 'h3', string]>): Promise<void> {
    for (const [host, text] of sends) await agents[host].run(sendCode({ iface: 'eth0' }, text, group, port));
  }

  it('sources come and go: the kernel admits exactly the include list it was last given', async () => {
    const [g, port] = [freshGroup(), freshPort()];
    const r = receiver(port);
    r.set(0, g, [addr.h1, addr.h2]);
    await send(g, port, ['h1', 'a'], ['h2', 'a']);
    await r.waitFor('h1 a', 'h2 a');
    r.set(0, g, [addr.h2, addr.h3]);
    await send(g, port, ['h1', 'b'], ['h3', 'b'], ['h2', 'b']);
    await r.waitFor('h3 b', 'h2 b');
    expect(r.texts()).toEqual(['h1 a', 'h2 a', 'h3 b', 'h2 b']);
    expect(r.filtered()).toBe(0);
  });

  it('blocked sources come and go on an any-source membership, in the kernel', async () => {
    const [g, port] = [freshGroup(), freshPort()];
    const r = receiver(port);
    r.set(0, g, null, [addr.h1, addr.h3]);
    await send(g, port, ['h1', 'a'], ['h3', 'a'], ['h2', 'a']);
    await r.waitFor('h2 a');
    r.set(0, g, null, [addr.h3]);
    await send(g, port, ['h1', 'b'], ['h3', 'b'], ['h2', 'b']);
    await r.waitFor('h1 b', 'h2 b');
    expect(r.texts()).toEqual(['h2 a', 'h1 b', 'h2 b']);
    expect(r.filtered()).toBe(0);
  });

  it('refuses what the OS cannot express, and changes nothing', async () => {
    const [g, port] = [freshGroup(), freshPort()];
    const r = receiver(port);
    r.set(0, g, [addr.h1]);
    expect(() => r.set(0, g, null)).toThrow('a membership cannot change between any-source and source-specific: drop it first');
    expect(() => r.set(0, g, [addr.h1], [addr.h2])).toThrow('sources can be blocked only on an any-source membership');
    expect(() => r.set(0, g, [])).toThrow('a source-specific membership needs at least one source');
    expect(() => r.set(1, g, [addr.h1], [addr.h2])).toThrow('sources can be blocked only on an any-source membership');
    expect(r.handle.dropMembership(1, ifindex)).toBe(false);
    await send(g, port, ['h2', 'a'], ['h1', 'a']);
    await r.waitFor('h1 a');
    expect(r.texts()).toEqual(['h1 a']);
  });

  it('all or nothing: an include list the kernel refuses in part leaves the one before, and a new membership refused leaves nothing', async () => {
    const before = await lab.self.readSysctl('net.ipv4.igmp_max_msf');
    // Two sources per membership at most (in the lab's own namespace), so the third is refused (ENOBUFS).
    await lab.self.sysctl('net.ipv4.igmp_max_msf', 2);
    try {
      const [g, g2, port] = [freshGroup(), freshGroup(), freshPort()];
      const r = receiver(port);
      r.set(0, g, [addr.h1]);
      expect(() => r.set(0, g, [addr.h1, addr.h2, addr.h3])).toThrow(expect.objectContaining({ code: 'ENOBUFS' }));
      expect(r.handle.socketCount()).toBe(1);
      expect(() => r.set(1, g2, [addr.h1, addr.h2, addr.h3])).toThrow(expect.objectContaining({ code: 'ENOBUFS' }));
      expect(r.handle.dropMembership(1, ifindex)).toBe(false);
      expect(r.handle.socketCount()).toBe(1);
      await send(g, port, ['h2', 'a'], ['h1', 'a']);
      await r.waitFor('h1 a');
      expect(r.texts()).toEqual(['h1 a']);
      expect(r.filtered()).toBe(0);
    } finally {
      await lab.self.sysctl('net.ipv4.igmp_max_msf', before.trim());
    }
  });

  it('dropMembership leaves (true once, then false) and closes the OS socket it no longer needs; the other group goes on', async () => {
    const [g, g2, port] = [freshGroup(), freshGroup(), freshPort()];
    const r = receiver(port);
    r.set(0, g, null);
    r.set(1, g2, null);
    expect(r.handle.socketCount()).toBe(2);
    expect(r.handle.dropMembership(0, ifindex)).toBe(true);
    expect(r.handle.dropMembership(0, ifindex)).toBe(false);
    expect(r.handle.socketCount()).toBe(1);
    await send(g, port, ['h1', 'left']);
    await send(g2, port, ['h1', 'marker']);
    await r.waitFor('h1 marker');
    expect(r.texts()).toEqual(['h1 marker']);
  });

  it('a group dropped on each interface in turn is forgotten on each: set again, it is a new membership on one socket', async () => {
    // The table finds a membership by (group id, interface) through an index: what it drops, the
    // index forgets, or a later call would reach a closed socket.
    const [g, port] = [freshGroup(), freshPort()];
    const loopback = 1;
    const r = receiver(port);
    r.set(0, g, null);
    r.handle.setMembership(0, g, loopback, '127.0.0.1', null, []);
    expect(r.handle.socketCount()).toBe(1);
    expect(r.handle.dropMembership(0, loopback)).toBe(true);
    expect(r.handle.dropMembership(0, ifindex)).toBe(true);
    expect(r.handle.socketCount()).toBe(0);
    r.set(0, g, null);
    expect(r.handle.dropMembership(0, loopback)).toBe(false);
    r.handle.setMembership(0, g, loopback, '127.0.0.1', null, []);
    expect(r.handle.dropMembership(0, loopback)).toBe(true);
    expect(r.handle.socketCount()).toBe(1);
    await send(g, port, ['h1', 'again']);
    await r.waitFor('h1 again');
    expect(r.texts()).toEqual(['h1 again']);
  });
});
