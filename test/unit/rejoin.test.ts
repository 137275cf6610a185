// Receivers and interfaces that change, on the fake native layer: the fake machine's interfaces are
// edited and announced as the OS would ("something changed"); the interface monitor rescans and the
// receiver applies its membership table's steps through the fake native filter table. The same
// rules on real interfaces (veths deleted, recreated, downed) are tested in the lab (watch.test.ts).
import { type IfaceChangeType, type IfaceInfo, McastRxSocket, type MulticastExpertError } from '../../lib';
import { type FakeRxSocket, fakeIface, installFakeNative } from '../fake-native';
import { sender, turns } from './helpers';

const eth0 = fakeIface(2, 'eth0', { ipv4: ['10.0.0.1'] });
const eth1 = fakeIface(3, 'eth1', { ipv4: ['10.1.0.1'] });
const fake = installFakeNative([eth0, eth1]);
const G = '239.2.2.2';

let port = 31000;
const open: McastRxSocket[] = [];
afterEach(async () => {
  for (const rx of open.splice(0)) rx.close();
  fake.network.setIfaces([eth0, eth1]);
  await turns();
});

function receiver(options: Partial<ConstructorParameters<typeof McastRxSocket>[0]> = {}): { rx: McastRxSocket; native: FakeRxSocket; port: number; events: string[] } {
  const p = port++;
  const rx = new McastRxSocket({ groups: [G], port: p, ...options });
  open.push(rx);
  const events: string[] = [];
  const record = (type: string) => (iface: IfaceInfo, why: IfaceChangeType) => events.push(`${type} ${iface.name}@${iface.index} ${why}`);
  rx.on('iface-lost', record('lost'));
  rx.on('iface-joined', record('joined'));
  return { rx, native: fake.receivers[fake.receivers.length - 1] as FakeRxSocket, port: p, events };
}

/** The fake native memberships, as `group@ifindex mode`. */
function memberships(native: FakeRxSocket): string[] {
  return [...native.memberships.values()].map((m) => `${m.group}@${m.ifindex} ${m.sources === null ? 'any' : m.sources.join(',')}${m.blocked.length > 0 ? ` -${m.blocked.join(',')}` : ''}`).sort();
}

describe('receivers that rejoin (fake interfaces)', () => {
  it('an interface removed is left and told; the same name back under a new index is joined again, with sources and blocks, and receives', async () => {
    const { rx, native, port: p, events } = receiver({ ifaces: ['eth0', 'eth1'] });
    rx.join('239.2.2.3', { sources: ['10.1.0.9'] });
    rx.blockSource(G, '10.1.0.66');
    fake.network.setIfaces([eth0]);
    await turns();
    expect(events).toEqual(['lost eth1@3 removed']);
    expect(memberships(native)).toEqual([`${G}@2 any -10.1.0.66`, '239.2.2.3@2 10.1.0.9']);
    expect(rx.ifaces.map((i) => i.name)).toEqual(['eth0']);
    fake.network.setIfaces([eth0, { ...eth1, index: 9 }]);
    await turns();
    expect(events).toEqual(['lost eth1@3 removed', 'joined eth1@9 added']);
    expect(memberships(native)).toEqual([`${G}@2 any -10.1.0.66`, `${G}@9 any -10.1.0.66`, '239.2.2.3@2 10.1.0.9', '239.2.2.3@9 10.1.0.9']);
    const got = rx.receive({ timeout: 1000 });
    sender(fake, G, p, 9, '10.1.0.5').send('on the new index');
    expect(await got).toMatchObject({ ifaceIndex: 9, ifaceName: 'eth1' });
  });

  it('down and up again: left and joined again, also the groups joined meanwhile', async () => {
    const { rx, native, events } = receiver({ iface: 'eth0' });
    fake.network.editIface(2, (i) => ({ ...i, running: false }));
    await turns();
    rx.join('239.2.2.4');
    expect(memberships(native)).toEqual([]);
    fake.network.editIface(2, (i) => ({ ...i, running: true }));
    await turns();
    expect(events).toEqual(['lost eth0@2 down', 'joined eth0@2 up']);
    expect(memberships(native)).toEqual([`${G}@2 any`, '239.2.2.4@2 any']);
  });

  it('a receiver on all interfaces joins one that appears; one given its interfaces does not', async () => {
    const all = receiver();
    const given = receiver({ iface: 'eth0' });
    fake.network.setIfaces([eth0, eth1, fakeIface(4, 'eth2', { ipv4: ['10.2.0.1'] })]);
    await turns();
    expect(all.events).toEqual(['joined eth2@4 added']);
    expect(memberships(all.native)).toEqual([`${G}@2 any`, `${G}@3 any`, `${G}@4 any`]);
    expect(given.events).toEqual([]);
    expect(memberships(given.native)).toEqual([`${G}@2 any`]);
  });

  it("a rejoin the OS refuses goes by the 'error' rule and leaves the interface lost; the next change tries again", async () => {
    const { rx, native, events } = receiver({ iface: 'eth0' });
    const errors: MulticastExpertError[] = [];
    rx.on('error', (err) => errors.push(err));
    fake.network.editIface(2, (i) => ({ ...i, up: false }));
    await turns();
    fake.network.failNextSet = Object.assign(new Error('setsockopt ENOBUFS'), { code: 'ENOBUFS', syscall: 'setsockopt(MCAST_JOIN_GROUP)' });
    fake.network.editIface(2, (i) => ({ ...i, up: true }));
    await turns();
    expect(errors.map((e) => e.code)).toEqual(['ENOBUFS']);
    expect(errors[0]?.message).toContain(`joining ${G} on eth0`);
    expect(rx.ifaces).toEqual([]);
    expect(memberships(native)).toEqual([]);
    fake.network.editIface(2, (i) => ({ ...i, mtu: 9000 }));
    await turns();
    expect(events).toEqual(['lost eth0@2 down', 'joined eth0@2 up']);
    expect(rx.ifaces.map((i) => i.mtu)).toEqual([9000]);
  });

  it('rejoin: false keeps the interfaces as opened and only tells the loss', async () => {
    const { rx, native, events } = receiver({ iface: 'eth0', rejoin: false });
    fake.network.setIfaces([eth1]);
    await turns();
    fake.network.setIfaces([{ ...eth0, index: 7 }, eth1]);
    await turns();
    expect(events).toEqual(['lost eth0@2 removed']);
    expect(rx.ifaces.map((i) => `${i.name}@${i.index}`)).toEqual(['eth0@2']);
    expect(memberships(native)).toEqual([`${G}@2 any`]);
  });

  it("an 'iface-lost' listener that closes the receiver stops it from following the rest of the changes", async () => {
    const { rx, native } = receiver({ ifaces: ['eth0', 'eth1'] });
    rx.on('iface-lost', () => rx.close());
    fake.network.setIfaces([]);
    await turns();
    expect(rx.closed).toBe(true);
    expect(native.calls.filter((c) => c.startsWith('drop'))).toHaveLength(1);
  });

  it('one source of interface events for any number of receivers, and none once they are closed', async () => {
    expect(fake.network.eventSources).toBe(0);
    const a = receiver();
    const b = receiver();
    expect(fake.network.eventSources).toBe(1);
    a.rx.close();
    b.rx.close();
    await turns();
    expect(fake.network.eventSources).toBe(0);
  });
});
