// Interface enumeration and the default-gateway interface, checked against interfaces the lab
// builds (names, indexes from `ip link`, flags, addresses, prefix lengths), and the error codes of
// interface lookup.
import {
  ErrorCodes,
  type IfaceInfo,
  McastRxSocket,
  McastTxSocket,
  findInterfaces,
  getDefaultGatewayIface,
  getInterfaceIps,
  scanInterfaces,
} from '../lib';
import { Lab, type Lan } from '../lab/lab';
import { describeLab, expectCode, freshGroup, freshPort } from './helpers';

describeLab('scanInterfaces against the lab', () => {
  let lab: Lab;
  let lan: Lan;
  const names = { two: '', down: '', shareA: '', shareB: '', bare: '' };

  beforeAll(async () => {
    lab = await Lab.create();
    lan = await lab.lan('ifs');
    names.two = await lab.connect(lab.self, lan, { ipv4: ['10.31.0.1/24', '10.31.1.1/16'], ipv6: 'fd31::1/64' });
    names.down = await lab.connect(lab.self, lan, { ipv4: '10.32.0.1/24', up: false });
    names.shareA = await lab.connect(lab.self, lan, { ipv4: '10.33.0.1/24' });
    names.shareB = await lab.connect(lab.self, lan, { ipv4: '10.33.0.1/24' });
    names.bare = lab.selfIfname('bare');
    await lab.connect(lab.self, lan, { ifname: names.bare, up: false });
    // Up, but with no address at all: IPv6 off, so not even a link-local one.
    await lab.self.sysctl(`net.ipv6.conf.${names.bare}.disable_ipv6`, 1);
    await lab.self.ip('link', 'set', names.bare, 'up');
  });
  afterAll(() => lab?.close());

  function byName(list: IfaceInfo[], name: string): IfaceInfo {
    const found = list.find((i) => i.name === name);
    if (found === undefined) throw new Error(`${name} not in ${list.map((i) => i.name).join(', ')}`);
    return found;
  }

  it('lists every interface with the index, MTU and link-layer address that ip link reports', async () => {
    const list = scanInterfaces();
    const links = await lab.self.links();
    expect(list.map((i) => i.name).sort()).toEqual(links.map((l) => l.ifname).sort());
    for (const link of links) {
      const iface = byName(list, link.ifname);
      expect(iface.index).toBe(link.ifindex);
      expect(iface.mtu).toBe(link.mtu);
      expect(iface.friendlyName).toBe(iface.name);
      if (link.ifname === 'lo') expect(iface.linkLayerAddress).toBeNull();
      else expect(iface.linkLayerAddress).toBe(link.address);
    }
    expect(list.map((i) => i.index)).toEqual([...list.map((i) => i.index)].sort((a, b) => a - b));
  });

  it('reports flags: loopback, up, running, multicast', () => {
    const list = scanInterfaces();
    const lo = byName(list, 'lo');
    expect(lo).toMatchObject({ loopback: true, up: true, pointToPoint: false });
    const two = byName(list, names.two);
    expect(two).toMatchObject({ loopback: false, up: true, running: true, multicast: true, pointToPoint: false });
    const down = byName(list, names.down);
    expect(down).toMatchObject({ up: false, running: false, multicast: true });
  });

  it('reports every address with its prefix length, IPv6 with its scope id', () => {
    const list = scanInterfaces();
    const two = byName(list, names.two);
    expect(two.ipv4).toEqual([
      { address: '10.31.0.1', prefixLength: 24 },
      { address: '10.31.1.1', prefixLength: 16 },
    ]);
    expect(two.ipv6).toContainEqual({ address: 'fd31::1', prefixLength: 64, scopeId: 0 });
    const linkLocal = two.ipv6.find((a) => a.address.startsWith('fe80:'));
    expect(linkLocal).toEqual(expect.objectContaining({ prefixLength: 64, scopeId: two.index }));
    expect(byName(list, names.down).ipv4).toEqual([{ address: '10.32.0.1', prefixLength: 24 }]);
    expect(byName(list, names.bare)).toMatchObject({ up: true, ipv4: [], ipv6: [] });
    expect(byName(list, 'lo').ipv4).toEqual([{ address: '127.0.0.1', prefixLength: 8 }]);
  });

  it('getInterfaceIps lists addresses of the families asked for, link-local ones with %interface', () => {
    const all = getInterfaceIps();
    expect(all).toEqual(expect.arrayContaining(['127.0.0.1', '10.31.0.1', '10.31.1.1', '::1', 'fd31::1']));
    expect(all.some((a) => a.startsWith('fe80:') && a.endsWith(`%${names.two}`))).toBe(true);
    expect(getInterfaceIps({ ipv6: false }).every((a) => !a.includes(':'))).toBe(true);
    expect(getInterfaceIps({ ipv4: false }).every((a) => a.includes(':'))).toBe(true);
  });

  it('findInterfaces matches names, indexes and addresses, and returns each interface once', () => {
    const two = byName(scanInterfaces(), names.two);
    const found = findInterfaces([names.two, two.index, '10.31.1.1', 'fd31::1', String(two.index), two]);
    expect(found.map((i) => i.index)).toEqual([two.index]);
    const lo = findInterfaces(['127.0.0.1', '::1', 'lo']);
    expect(lo.map((i) => i.name)).toEqual(['lo']);
  });

  it('findInterfaces takes an IPv6 link-local address with its %scope (name or index)', () => {
    const two = byName(scanInterfaces(), names.two);
    const ll = two.ipv6.find((a) => a.address.startsWith('fe80:'))?.address as string;
    expect(findInterfaces([`${ll}%${names.two}`]).map((i) => i.name)).toEqual([names.two]);
    expect(findInterfaces([`${ll}%${two.index}`]).map((i) => i.name)).toEqual([names.two]);
    expectCode(() => findInterfaces([`${ll}%lo`]), ErrorCodes.IFACE_NOT_FOUND);
  });

  it('findInterfaces with an address two interfaces share returns both', () => {
    const found = findInterfaces(['10.33.0.1']).map((i) => i.name);
    expect(found.sort()).toEqual([names.shareA, names.shareB].sort());
  });

  it('findInterfaces uses the given list instead of scanning', () => {
    const fake: IfaceInfo = { ...byName(scanInterfaces(), names.two), name: 'not-a-real-one', friendlyName: 'not-a-real-one', index: 4242 };
    expect(findInterfaces(['not-a-real-one'], { ifaces: [fake] })).toEqual([fake]);
    expectCode(() => findInterfaces([names.two], { ifaces: [fake] }), ErrorCodes.IFACE_NOT_FOUND);
  });

  it('gives ERR_IFACE_NOT_FOUND for specifiers that match nothing', () => {
    for (const spec of ['nope0', '10.99.99.99', 'fd99::1', 999999, '999999']) {
      const err = expectCode(() => findInterfaces([spec]), ErrorCodes.IFACE_NOT_FOUND);
      expect(err.hint).toMatch(/scanInterfaces/);
    }
  });

  it('gives ERR_IFACE_AMBIGUOUS to a socket given an address two interfaces share', () => {
    const err = expectCode(() => new McastTxSocket({ iface: '10.33.0.1' }), ErrorCodes.IFACE_AMBIGUOUS);
    expect(err.hint).toMatch(/by name or index/);
    expectCode(() => new McastRxSocket({ groups: [freshGroup()], port: freshPort(), iface: '10.33.0.1' }), ErrorCodes.IFACE_AMBIGUOUS);
  });

  it('gives ERR_IFACE_NO_ADDRESS for an interface without an address of the family', () => {
    expectCode(() => new McastTxSocket({ iface: names.bare }), ErrorCodes.IFACE_NO_ADDRESS);
    expectCode(() => new McastRxSocket({ groups: [freshGroup()], port: freshPort(), iface: names.bare }), ErrorCodes.IFACE_NO_ADDRESS);
    expectCode(() => new McastTxSocket({ iface: names.down, family: 'ipv6' }), ErrorCodes.IFACE_NO_ADDRESS);
  });

  it('gives ERR_NO_DEFAULT_IFACE to a sender without an interface where there is no default route', () => {
    expect(getDefaultGatewayIface('ipv4')).toBeNull();
    const err = expectCode(() => new McastTxSocket({ groups: [freshGroup()] }), ErrorCodes.NO_DEFAULT_IFACE);
    expect(err.hint).toMatch(/iface/);
  });
});

describeLab('default-gateway interface in a lab host', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await Lab.create();
  });
  afterAll(() => lab?.close());

  const probe = `console.log(JSON.stringify({
    v4: mce.getDefaultGatewayIface('ipv4')?.name ?? null, v6: mce.getDefaultGatewayIface('ipv6')?.name ?? null,
    ip4: mce.getDefaultGatewayIfaceIpV4(), ip6: mce.getDefaultGatewayIfaceIpV6(), ip: mce.getDefaultGatewayIfaceIp('ipv4') }));`;

  async function ask(host: Awaited<ReturnType<Lab['host']>>): Promise<Record<string, string | null>> {
    const r = await host.eval(probe);
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout) as Record<string, string | null>;
  }

  it('is null without a default route, and the route\'s interface with one, for IPv4 and IPv6', async () => {
    const lan1 = await lab.lan('gw1');
    const lan2 = await lab.lan('gw2');
    const h = await lab.host('gw');
    await lab.connect(h, lan1, { ipv4: '10.41.0.2/24', ipv6: 'fd41::2/64' });
    await lab.connect(h, lan2, { ipv4: '10.42.0.2/24', ipv6: 'fd42::2/64' });
    expect(await ask(h)).toEqual({ v4: null, v6: null, ip4: null, ip6: null, ip: null });

    await h.ip('route', 'add', 'default', 'via', '10.42.0.1', 'dev', 'eth1');
    expect(await ask(h)).toEqual({ v4: 'eth1', v6: null, ip4: '10.42.0.2', ip6: null, ip: '10.42.0.2' });

    await h.ip('-6', 'route', 'add', 'default', 'via', 'fd41::1', 'dev', 'eth0');
    expect(await ask(h)).toEqual({ v4: 'eth1', v6: 'eth0', ip4: '10.42.0.2', ip6: 'fd41::2', ip: '10.42.0.2' });

    // Of two default routes, the one with the lower metric.
    await h.ip('route', 'add', 'default', 'via', '10.41.0.1', 'dev', 'eth0', 'metric', '5');
    await h.ip('route', 'del', 'default', 'via', '10.42.0.1', 'dev', 'eth1');
    await h.ip('route', 'add', 'default', 'via', '10.42.0.1', 'dev', 'eth1', 'metric', '50');
    expect((await ask(h)).v4).toBe('eth0');

    await h.ip('route', 'flush', 'default');
    await h.ip('-6', 'route', 'flush', 'default');
    expect(await ask(h)).toEqual({ v4: null, v6: null, ip4: null, ip6: null, ip: null });
  });

  it('is what a sender without an interface uses', async () => {
    const lan = await lab.lan('gw3');
    const h = await lab.host('gw3');
    await lab.connect(h, lan, { ipv4: '10.43.0.2/24' });
    await h.ip('route', 'add', 'default', 'via', '10.43.0.1');
    const r = await h.eval(`const tx = new mce.McastTxSocket({}); console.log(tx.iface.name, tx.family, tx.ttl); tx.close();`);
    expect(r.stdout.trim()).toBe('eth0 ipv4 1');
  });
});
