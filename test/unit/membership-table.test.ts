// The membership table on its own (lib/rx/membership-table.ts): every rule of SPEC's membership
// model, with no socket and no native code. The steps it yields are "applied" here by committing
// them (or not, for a failure), as McastRxSocket does after the native side carried them out.
import { ErrorCodes, type IfaceInfo, MulticastExpertError } from '../../lib';
import { type MembershipOp, type MembershipStep, MembershipTable, type MembershipTableOptions, type VrfOf } from '../../lib/rx/membership-table';
import { type IfaceChange, diffInterfaces } from '../../lib/watch';
import { fakeIface } from '../fake-native';

const eth0 = fakeIface(2, 'eth0', { ipv4: ['10.0.0.1'] });
const eth1 = fakeIface(3, 'eth1', { ipv4: ['10.1.0.1'] });
const G = '239.1.2.3';
const H = '239.1.2.4';
const noVrf: VrfOf = () => undefined;

function table(options: Partial<MembershipTableOptions> = {}, ifaces: IfaceInfo[] = [eth0, eth1]): MembershipTable {
  return new MembershipTable({ family: 'ipv4', rejoin: true, allIfaces: false, defaultSources: [], ...options }, ifaces);
}

function describeOp(op: MembershipOp): string {
  if (op.kind === 'drop') return `drop ${op.group}@${op.ifindex}`;
  const mode = op.sources === null ? 'any' : `[${op.sources.join(',')}]`;
  return `set ${op.group}@${op.ifindex} ${mode}${op.blocked.length > 0 ? ` -${op.blocked.join(',')}` : ''}`;
}

interface Applied {
  ops: string[];
  events: string[];
  steps: MembershipStep[];
}

/** Applies every step (commits it) unless `fails` says its native commands fail; returns what was done and told. */
function apply(steps: Iterable<MembershipStep>, fails: (step: MembershipStep) => boolean = () => false): Applied {
  const out: Applied = { ops: [], events: [], steps: [] };
  for (const step of steps) {
    out.steps.push(step);
    if (fails(step)) continue;
    out.ops.push(...step.ops.map(describeOp));
    step.commit();
    for (const e of step.events) out.events.push(e.type === 'iface-lost' || e.type === 'iface-joined' ? `${e.type} ${e.iface.name}@${e.iface.index} ${e.why}` : `${e.type} ${e.iface.name}`);
  }
  return out;
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof MulticastExpertError) return err.code;
    throw err;
  }
  throw new Error('nothing was thrown');
}

const byIndex = (...ifaces: IfaceInfo[]): Map<number, IfaceInfo> => new Map(ifaces.map((i) => [i.index, i]));

/** Follows the change from `before` to `after`, as the interface monitor reports it. */
function follow(t: MembershipTable, before: IfaceInfo[], after: IfaceInfo[], options: { vrfOf?: VrfOf; fails?: (step: MembershipStep) => boolean } = {}): Applied {
  const changes = diffInterfaces(byIndex(...before), byIndex(...after));
  return apply(t.followIfaces(changes, byIndex(...after), options.vrfOf ?? noVrf), options.fails);
}

describe('MembershipTable: joining and leaving', () => {
  it('joins a group on every interface it listens on, with the address each binds by', () => {
    const t = table();
    const done = apply(t.join(G));
    expect(done.ops).toEqual([`set ${G}@2 any`, `set ${G}@3 any`]);
    const set = done.steps[0]?.ops[0] as MembershipOp & { kind: 'set' };
    expect(set.ifaceAddress).toBe('10.0.0.1');
    expect(t.groups).toEqual([G]);
    expect(t.ifaces.map((i) => i.name)).toEqual(['eth0', 'eth1']);
  });

  it('joining again is a no-op; a group has one id for good, and ids are never reused', () => {
    const t = table();
    apply(t.join(G));
    expect(apply(t.join(G)).steps).toEqual([]);
    apply(t.join(H));
    apply(t.leave(G));
    apply(t.join(G));
    expect(t.groupsById).toEqual([G, H]);
  });

  it('a join on interfaces given joins there only, and listens there from then on', () => {
    const eth2 = fakeIface(4, 'eth2', { ipv4: ['10.2.0.1'] });
    const t = table();
    expect(apply(t.join(G, [eth2])).ops).toEqual([`set ${G}@4 any`]);
    expect(t.ifaces.map((i) => i.name)).toEqual(['eth0', 'eth1', 'eth2']);
    expect(t.ifaceNames.get(4)).toBe('eth2');
  });

  it('a join with no interface to join on is ERR_NO_IFACES', () => {
    expect(code(() => apply(table().join(G, [])))).toBe(ErrorCodes.NO_IFACES);
  });

  it('leaves on every interface, or on those given; leaving a group not joined is a no-op', () => {
    const t = table();
    apply(t.join(G));
    expect(apply(t.leave(H)).steps).toEqual([]);
    expect(apply(t.leave(G, [3, 99])).ops).toEqual([`drop ${G}@3`]);
    expect(t.groups).toEqual([G]);
    expect(apply(t.leave(G)).ops).toEqual([`drop ${G}@2`]);
    expect(t.groups).toEqual([]);
    expect(t.joined(G)).toBe(false);
  });

  it('a step whose native commands fail is not recorded: the table says what the OS has', () => {
    const t = table();
    // The join fails on eth1: eth0 stays joined (it came first), eth1 does not.
    const done = apply(t.join(G), (step) => step.ops.some((op) => op.ifindex === 3));
    expect(done.ops).toEqual([`set ${G}@2 any`]);
    expect(t.membership(G, 2)).toBeDefined();
    expect(t.membership(G, 3)).toBeUndefined();
    // So joining again joins where it is missing.
    expect(apply(t.join(G)).ops).toEqual([`set ${G}@3 any`]);
  });
});

describe('MembershipTable: source-specific multicast and blocking', () => {
  it('a join with sources is source-specific; new sources widen it; a join without sources leaves it as it is', () => {
    const t = table({}, [eth0]);
    expect(apply(t.join(G, undefined, ['10.9.0.1'])).ops).toEqual([`set ${G}@2 [10.9.0.1]`]);
    const widened = apply(t.join(G, undefined, ['10.9.0.1', '10.9.0.2']));
    expect(widened.ops).toEqual([`set ${G}@2 [10.9.0.1,10.9.0.2]`]);
    // What takes the widening back if a later command of its step failed: the sources it had.
    expect(describeOp(widened.steps[0]?.ops[0]?.undo as MembershipOp)).toBe(`set ${G}@2 [10.9.0.1]`);
    expect(apply(t.join(G)).steps).toEqual([]);
    expect(apply(t.join(G, undefined, ['10.9.0.2'])).steps).toEqual([]);
    expect([...(t.membership(G, 2)?.sources ?? [])]).toEqual(['10.9.0.1', '10.9.0.2']);
  });

  it("the socket's sources are those of a join that names none", () => {
    const t = table({ defaultSources: ['10.9.0.1'] }, [eth0]);
    expect(apply(t.join(G)).ops).toEqual([`set ${G}@2 [10.9.0.1]`]);
    expect(apply(t.join(H, undefined, ['10.9.0.5'])).ops).toEqual([`set ${H}@2 [10.9.0.5]`]);
  });

  it('a group joined for any source cannot be narrowed to sources (ERR_SOURCE_NOT_ALLOWED), and nothing is done', () => {
    const t = table({}, [eth0]);
    apply(t.join(G));
    const steps: MembershipStep[] = [];
    expect(code(() => steps.push(...t.join(G, undefined, ['10.9.0.1'])))).toBe(ErrorCodes.SOURCE_NOT_ALLOWED);
    expect(steps).toEqual([]);
    expect(t.membership(G, 2)?.sources).toBeNull();
  });

  it('blocks and unblocks a source on every interface of an any-source group', () => {
    const t = table();
    apply(t.join(G));
    expect(apply(t.block(G, '10.9.0.9', true)).ops).toEqual([`set ${G}@2 any -10.9.0.9`, `set ${G}@3 any -10.9.0.9`]);
    expect(apply(t.block(G, '10.9.0.8', true)).ops).toEqual([`set ${G}@2 any -10.9.0.9,10.9.0.8`, `set ${G}@3 any -10.9.0.9,10.9.0.8`]);
    expect(apply(t.block(G, '10.9.0.9', false)).ops).toEqual([`set ${G}@2 any -10.9.0.8`, `set ${G}@3 any -10.9.0.8`]);
  });

  it('blocking is for any-source groups only (ERR_SOURCE_NOT_ALLOWED), and for joined groups (ERR_INVALID_OPTION)', () => {
    const t = table({}, [eth0]);
    apply(t.join(G, undefined, ['10.9.0.1']));
    expect(code(() => apply(t.block(G, '10.9.0.9', true)))).toBe(ErrorCodes.SOURCE_NOT_ALLOWED);
    expect(code(() => apply(t.block(H, '10.9.0.9', true)))).toBe(ErrorCodes.INVALID_OPTION);
    expect(code(() => apply(t.block(H, '10.9.0.9', false)))).toBe(ErrorCodes.INVALID_OPTION);
  });
});

describe('MembershipTable: interfaces that change', () => {
  const down = (i: IfaceInfo): IfaceInfo => ({ ...i, up: false });
  const bare = (i: IfaceInfo): IfaceInfo => ({ ...i, ipv4: [] });

  it('an interface removed is lost: its memberships are left (whatever the OS says) and it is no longer listed', () => {
    const t = table();
    apply(t.join(G));
    const done = follow(t, [eth0, eth1], [eth0]);
    expect(done.ops).toEqual([`drop ${G}@3`]);
    expect(done.steps[0]?.bestEffort).toBe(true);
    expect(done.events).toEqual(['iface-lost eth1@3 removed']);
    expect(t.ifaces.map((i) => i.name)).toEqual(['eth0']);
    expect(t.groups).toEqual([G]);
  });

  it("'down' and 'address-removed' are losses too; an address added or removed beside the one in use is not", () => {
    const t = table();
    apply(t.join(G));
    expect(follow(t, [eth0, eth1], [down(eth0), eth1]).events).toEqual(['iface-lost eth0@2 down']);
    expect(follow(t, [down(eth0), eth1], [down(eth0), bare(eth1)]).events).toEqual(['iface-lost eth1@3 address-removed']);
    const t2 = table();
    apply(t2.join(G));
    const secondary = { ...eth0, ipv4: [...eth0.ipv4, { address: '10.0.0.2', prefixLength: 24 }] };
    expect(follow(t2, [eth0, eth1], [secondary, eth1])).toMatchObject({ ops: [], events: [] });
    expect(follow(t2, [secondary, eth1], [eth0, eth1])).toMatchObject({ ops: [], events: [] });
  });

  it('an interface of the same name that comes back, under a new index, is joined again with its sources and blocks, and the groups joined meanwhile', () => {
    const t = table();
    apply(t.join(G));
    apply(t.join(H, undefined, ['10.9.0.1']));
    apply(t.block(G, '10.9.0.9', true));
    follow(t, [eth0, eth1], [eth0]);
    const J = '239.1.2.5';
    // Joined while eth1 is away: recorded there, joined when it is back.
    expect(apply(t.join(J)).ops).toEqual([`set ${J}@2 any`]);
    const back = { ...eth1, index: 7 };
    const done = follow(t, [eth0], [eth0, back]);
    expect(done.ops).toEqual([`set ${G}@7 any -10.9.0.9`, `set ${H}@7 [10.9.0.1]`, `set ${J}@7 any`]);
    // All or none: each new membership is dropped again if a later one fails.
    expect(done.steps[0]?.ops.map((op) => describeOp(op.undo as MembershipOp))).toEqual([`drop ${G}@7`, `drop ${H}@7`, `drop ${J}@7`]);
    expect(done.events).toEqual(['iface-joined eth1@7 added']);
    expect(t.ifaces.map((i) => `${i.name}@${i.index}`)).toEqual(['eth0@2', 'eth1@7']);
    expect(t.membership(G, 3)).toBeUndefined();
    expect([...(t.membership(G, 7)?.blocked ?? [])]).toEqual(['10.9.0.9']);
  });

  it('a rejoin that fails leaves the interface lost; the next change tries again', () => {
    const t = table();
    apply(t.join(G));
    follow(t, [eth0, eth1], [down(eth0), eth1]);
    const failed = follow(t, [down(eth0), eth1], [eth0, eth1], { fails: (step) => step.events.some((e) => e.type === 'iface-joined') });
    expect(failed.steps.map((s) => s.ops.map(describeOp))).toEqual([[`set ${G}@2 any`]]);
    expect(t.ifaces.map((i) => i.name)).toEqual(['eth1']);
    const mtu = { ...eth0, mtu: 9000 };
    expect(follow(t, [eth0, eth1], [mtu, eth1]).events).toEqual(['iface-joined eth0@2 up']);
    expect(t.ifaces.map((i) => i.name)).toEqual(['eth1', 'eth0']);
  });

  it('without rejoin: the loss is told, nothing is left, and the interface is no longer lost once it is usable again', () => {
    const t = table({ rejoin: false });
    apply(t.join(G));
    const lost = follow(t, [eth0, eth1], [down(eth0), eth1]);
    expect(lost).toMatchObject({ ops: [], events: ['iface-lost eth0@2 down'] });
    // The interfaces stay as opened; a join passes over the lost one.
    expect(t.ifaces.map((i) => i.name)).toEqual(['eth0', 'eth1']);
    expect(apply(t.join(H)).ops).toEqual([`set ${H}@3 any`]);
    expect(follow(t, [down(eth0), eth1], [eth0, eth1])).toMatchObject({ ops: [], events: [] });
    // Lost again: told again.
    expect(follow(t, [eth0, eth1], [down(eth0), eth1]).events).toEqual(['iface-lost eth0@2 down']);
    // Back under a new index: it stays off.
    expect(follow(t, [down(eth0), eth1], [{ ...eth0, index: 9 }, eth1])).toMatchObject({ ops: [], events: [] });
  });

  it('a receiver on all interfaces joins a new usable one with the sources and blocks it has elsewhere; not loopback, not multicast-less, not address-less', () => {
    const t = table({ allIfaces: true }, [eth0]);
    apply(t.join(G));
    apply(t.join(H, undefined, ['10.9.0.1']));
    apply(t.block(G, '10.9.0.9', true));
    const lo = fakeIface(1, 'lo', { ipv4: ['127.0.0.1'] }, { loopback: true });
    const tun = fakeIface(5, 'tun0', { ipv4: ['10.5.0.1'] }, { multicast: false });
    const noAddr = fakeIface(6, 'eth6', { ipv6: ['fd00::6'] });
    const done = follow(t, [eth0], [lo, eth0, eth1, tun, noAddr]);
    expect(done.ops).toEqual([`set ${G}@3 any -10.9.0.9`, `set ${H}@3 [10.9.0.1]`]);
    expect(done.events).toEqual(['iface-joined eth1@3 added']);
    // A receiver given its interfaces does not.
    const given = table({ allIfaces: false }, [eth0]);
    apply(given.join(G));
    expect(follow(given, [eth0], [eth0, eth1])).toMatchObject({ ops: [], events: [] });
  });

  it('a new interface in a VRF whose datagrams the sockets would not get is passed over, and said so', () => {
    const t = table({ allIfaces: true }, [eth0]);
    apply(t.join(G));
    const vrfOf: VrfOf = (i) => (i.name === 'eth1' ? 'blue' : undefined);
    expect(follow(t, [eth0], [eth0, eth1], { vrfOf })).toMatchObject({ ops: [], events: ['vrf-passed-over eth1'] });
  });

  it('an interface listened on that is moved into such a VRF is reported once, and again after it left it', () => {
    const t = table();
    apply(t.join(G));
    let vrf: string | undefined = 'blue';
    const vrfOf: VrfOf = (i) => (i.name === 'eth0' ? vrf : undefined);
    expect(follow(t, [eth0, eth1], [eth0, eth1], { vrfOf }).events).toEqual(['vrf-unreachable eth0']);
    expect(follow(t, [eth0, eth1], [eth0, eth1], { vrfOf }).events).toEqual([]);
    vrf = undefined;
    follow(t, [eth0, eth1], [eth0, eth1], { vrfOf });
    vrf = 'blue';
    expect(follow(t, [eth0, eth1], [eth0, eth1], { vrfOf }).events).toEqual(['vrf-unreachable eth0']);
  });

  it('a renamed interface keeps its memberships under its new name, also while it is lost', () => {
    const t = table();
    apply(t.join(G));
    const lan0 = { ...eth1, name: 'lan0' };
    const renamed: IfaceChange[] = [{ type: 'renamed', iface: lan0, previous: eth1 }];
    expect(apply(t.followIfaces(renamed, byIndex(eth0, lan0), noVrf))).toMatchObject({ ops: [], events: [] });
    expect(t.ifaces.map((i) => i.name)).toEqual(['eth0', 'lan0']);
    expect(t.ifaceNames.get(3)).toBe('lan0');
    // Lost, renamed while away, and back under the new name: joined again.
    follow(t, [eth0, lan0], [eth0, down(lan0)]);
    const wan0 = { ...down(lan0), name: 'wan0' };
    apply(t.followIfaces([{ type: 'renamed', iface: wan0, previous: down(lan0) }], byIndex(eth0, wan0), noVrf));
    expect(follow(t, [eth0, wan0], [eth0, { ...wan0, up: true }]).events).toEqual(['iface-joined wan0@3 up']);
  });
});
