// The default-gateway interface (what a sender without `iface` uses) on hosts routed as real hosts
// are: several default routes with metrics, policy rules (VPNs, VRF-like tables), a route to the
// multicast range and no default route, routes that refuse (unreachable, blackhole, prohibit), a
// multipath default, and a full-size routing table (test/hosts-scale.test.ts).
import { McastRxSocket } from '../lib';
import { Lab, type Host, type Lan } from '../lab/lab';
import { describeLab, freshGroup, freshPort } from './helpers';

describeLab('the default-gateway interface on routed hosts', () => {
  let lab: Lab;
  let h: Host;
  const lans: Lan[] = [];

  beforeAll(async () => {
    lab = await Lab.create();
    h = await lab.host('router');
    for (const [i, name] of ['r1', 'r2', 'r3'].entries()) {
      const lan = await lab.lan(name);
      lans.push(lan);
      await lab.connect(h, lan, { ipv4: `10.9${i}.0.2/24`, ipv6: `fd9${i}::2/64` });
    }
  });
  afterAll(() => lab?.close());

  /** The default interface of each family, as the package reports it on the host. */
  async function defaults(): Promise<{ v4: string | null; v6: string | null }> {
    const r = await h.eval(`console.log(JSON.stringify({ v4: mce.getDefaultGatewayIface('ipv4')?.name ?? null, v6: mce.getDefaultGatewayIface('ipv6')?.name ?? null }))`);
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout) as { v4: string | null; v6: string | null };
  }

  afterEach(async () => {
    await h.sh('ip route flush table main proto boot; ip -6 route flush table main proto boot; ip route flush table 100 2>/dev/null || true; ip -6 route flush table 100 2>/dev/null || true; while ip rule del pref 100 2>/dev/null; do :; done; while ip -6 rule del pref 100 2>/dev/null; do :; done');
  });

  it('is the default route of the lowest metric, per family', async () => {
    expect(await defaults()).toEqual({ v4: null, v6: null });
    await h.ip('route', 'add', 'default', 'via', '10.90.0.1', 'dev', 'eth0', 'metric', '200');
    await h.ip('route', 'add', 'default', 'via', '10.91.0.1', 'dev', 'eth1', 'metric', '100');
    await h.ip('-6', 'route', 'add', 'default', 'via', 'fd92::1', 'dev', 'eth2', 'metric', '100');
    await h.ip('-6', 'route', 'add', 'default', 'via', 'fd90::1', 'dev', 'eth0', 'metric', '300');
    expect(await defaults()).toEqual({ v4: 'eth1', v6: 'eth2' });
  });

  it('follows policy rules, as every datagram does (a VPN or a VRF-like table before main)', async () => {
    await h.ip('route', 'add', 'default', 'via', '10.90.0.1', 'dev', 'eth0');
    await h.ip('-6', 'route', 'add', 'default', 'via', 'fd90::1', 'dev', 'eth0');
    await h.ip('route', 'add', 'default', 'via', '10.92.0.1', 'dev', 'eth2', 'table', '100');
    await h.ip('-6', 'route', 'add', 'default', 'via', 'fd92::1', 'dev', 'eth2', 'table', '100');
    expect(await defaults()).toEqual({ v4: 'eth0', v6: 'eth0' });
    await h.ip('rule', 'add', 'pref', '100', 'lookup', '100');
    await h.ip('-6', 'rule', 'add', 'pref', '100', 'lookup', '100');
    expect(await defaults()).toEqual({ v4: 'eth2', v6: 'eth2' });
  });

  it('IPv4: a route to the multicast range is where multicast goes, with or without a default route; IPv6 keeps its default route', async () => {
    await h.ip('route', 'add', '224.0.0.0/4', 'dev', 'eth1');
    expect((await defaults()).v4).toBe('eth1');
    await h.ip('route', 'add', 'default', 'via', '10.90.0.1', 'dev', 'eth0');
    await h.ip('-6', 'route', 'add', 'default', 'via', 'fd90::1', 'dev', 'eth0');
    // Every IPv6 interface has a route to ff00::/8 (in the local table), which says nothing: IPv6 uses its default route.
    expect(await defaults()).toEqual({ v4: 'eth1', v6: 'eth0' });

    // And a sender without an interface sends there: a receiver on eth1's LAN gets it, none on eth0's.
    const group = freshGroup();
    const port = freshPort();
    const onEth0 = new McastRxSocket({ groups: [group], port, iface: await lab.connect(lab.self, lans[0] as Lan, { ipv4: '10.90.0.50/24' }) });
    const onEth1 = new McastRxSocket({ groups: [group], port, iface: await lab.connect(lab.self, lans[1] as Lan, { ipv4: '10.91.0.50/24' }) });
    try {
      const r = await h.eval(`const tx = new mce.McastTxSocket({ groups: ['${group}'] }); tx.send('default', '${group}', ${port}).then(() => { console.log(tx.iface.name); tx.close(); });`);
      expect(r.stdout.trim()).toBe('eth1');
      expect((await onEth1.receive({ timeout: 3000 }))?.data.toString()).toBe('default');
      // The receiver on eth0's LAN can receive (a datagram sent there on purpose), and got nothing else.
      await h.eval(`const tx = new mce.McastTxSocket({ iface: 'eth0' }); tx.send('eth0', '${group}', ${port}).then(() => tx.close());`);
      expect((await onEth0.receive({ timeout: 3000 }))?.data.toString()).toBe('eth0');
    } finally {
      onEth0.close();
      onEth1.close();
    }
  });

  it('is null where the route refuses (unreachable, blackhole, prohibit), and with no route at all', async () => {
    for (const type of ['unreachable', 'blackhole', 'prohibit']) {
      await h.ip('route', 'add', type, 'default');
      await h.ip('-6', 'route', 'add', type, 'default');
      expect(await defaults()).toEqual({ v4: null, v6: null });
      await h.ip('route', 'del', type, 'default');
      await h.ip('-6', 'route', 'del', type, 'default');
    }
    const r = await h.eval(`try { new mce.McastTxSocket({}); } catch (e) { console.log(e.code); }`);
    expect(r.stdout.trim()).toBe('ERR_NO_DEFAULT_IFACE');
  });

  it('is one of the next hops of a multipath default route', async () => {
    await h.ip('route', 'add', 'default', 'nexthop', 'via', '10.90.0.1', 'dev', 'eth0', 'nexthop', 'via', '10.91.0.1', 'dev', 'eth1');
    expect(['eth0', 'eth1']).toContain((await defaults()).v4);
  });
});
