/**
 * The one owner of a receiver's memberships: which groups it joined (and the id each has in the
 * native filter), on which interfaces, for which sources or with which sources blocked, which
 * interfaces went away and wait to come back. Every rule of the model is written here, once: sources
 * widen a source-specific membership, an any-source one cannot be narrowed, blocking is for
 * any-source groups, an interface that goes is left and one that comes back (by name, under any
 * index) is joined again, and a receiver on all interfaces joins new ones.
 *
 * Pure: no I/O and no native calls. Each operation yields steps, computed one at a time from the
 * state that the steps before left: the native commands to apply (all of a step or none), then
 * commit() to record it, and the events to tell. The receiver (lib/rx-socket.ts) applies them; a
 * step whose commands fail is not committed, so the table always says what the OS has.
 * @internal
 * @module
 */
import type { Family } from '../addresses';
import { ErrorCodes, fail } from '../errors';
import { type IfaceInfo, preferredAddress } from '../interfaces';
import { type IfaceChange, type IfaceChangeType, isIfaceUp } from '../watch';

/** One group on one interface: for any source (`sources` null) except `blocked`, or for `sources` only. */
export interface Membership {
  readonly sources: ReadonlySet<string> | null;
  readonly blocked: ReadonlySet<string>;
}

/** A command for the native filter table (see NativeRxSocket): bring one membership to a state, or leave it. */
export type MembershipOp =
  | {
      readonly kind: 'set';
      readonly groupId: number;
      readonly group: string;
      readonly ifindex: number;
      /** The interface's address: where the native side binds a new OS socket (Windows). */
      readonly ifaceAddress: string | null;
      readonly sources: string[] | null;
      readonly blocked: string[];
      /** What it does, for an error message. */
      readonly what: string;
      /** What takes it back, when a later command of its step fails. */
      readonly undo?: MembershipOp;
    }
  | { readonly kind: 'drop'; readonly groupId: number; readonly group: string; readonly ifindex: number; readonly what: string; readonly undo?: undefined };

/** What a step tells once it is recorded. */
export type MembershipEvent =
  | { readonly type: 'iface-lost' | 'iface-joined'; readonly iface: IfaceInfo; readonly why: IfaceChangeType }
  /** An interface the receiver listens on is now in a VRF whose datagrams its sockets do not get. */
  | { readonly type: 'vrf-unreachable'; readonly iface: IfaceInfo; readonly vrf: string }
  /** A new interface is not joined: it is in such a VRF. */
  | { readonly type: 'vrf-passed-over'; readonly iface: IfaceInfo };

/** One unit of change. */
export interface MembershipStep {
  /** Native commands, in order: all of them or none (a failure undoes those applied before it). */
  readonly ops: readonly MembershipOp[];
  /** Every command is tried and a failure passed over (leaving an interface that went away). */
  readonly bestEffort?: boolean;
  /** Records the step, once its commands are applied. */
  commit(): void;
  /** What to tell once it is recorded. */
  readonly events: readonly MembershipEvent[];
}

/** The VRF of an interface whose datagrams a socket opened now would not get (see unreachableVrfOf). */
export type VrfOf = (iface: IfaceInfo) => string | undefined;

export interface MembershipTableOptions {
  family: Family;
  /** Join again on interfaces that come back (and on new ones, with allIfaces). */
  rejoin: boolean;
  /** Opened without iface/ifaces: new interfaces are joined too. */
  allIfaces: boolean;
  /** The sources of a join that names none (the socket's `sources` option). */
  defaultSources: readonly string[];
}

const kNoEvents: readonly MembershipEvent[] = [];

export class MembershipTable {
  /** Group texts by id: the native side writes the id in each datagram's record. Only grows. */
  readonly groupsById: string[] = [];
  /** Names of the interfaces listened on, by index; kept after a loss, for datagrams read before it. */
  readonly ifaceNames = new Map<number, string>();
  readonly #ids = new Map<string, number>();
  readonly #memberships = new Map<string, Map<number, Membership>>();
  /** Interfaces listened on, by index (as last seen), those lost included. */
  readonly #ifaces = new Map<number, IfaceInfo>();
  /** Interfaces (by index, as last seen) that went away; with `rejoin`, their memberships were left and wait here. */
  readonly #lost = new Map<number, IfaceInfo>();
  /** Interfaces (by index) whose move into a VRF has been reported. */
  readonly #vrfReported = new Set<number>();

  constructor(
    readonly options: MembershipTableOptions,
    ifaces: readonly IfaceInfo[],
  ) {
    for (const iface of ifaces) this.#listenOn(iface);
  }

  /** The groups joined (on at least one interface). */
  get groups(): string[] {
    return [...this.#memberships.keys()];
  }

  /** The interfaces listened on (with `rejoin`, not those that went away and wait to come back). */
  get ifaces(): IfaceInfo[] {
    return [...this.#ifaces.values()].filter((i) => !this.#isLeft(i.index));
  }

  /** Whether `group` is joined (on at least one interface). */
  joined(group: string): boolean {
    return this.#memberships.has(group);
  }

  /** The membership of `group` on interface `index`, if any. */
  membership(group: string, index: number): Membership | undefined {
    return this.#memberships.get(group)?.get(index);
  }

  // ---- What the user asks ------------------------------------------------------------------------

  /**
   * Joins `group` on `ifaces` (default: the interfaces listened on; with rejoin also those that went
   * away, where the membership is only recorded, to be joined when they are back) for `sources`
   * (default: the socket's). Joining again is a no-op; new sources widen a source-specific
   * membership; an any-source one cannot be narrowed (ERR_SOURCE_NOT_ALLOWED).
   */
  *join(group: string, ifaces?: readonly IfaceInfo[], sources: readonly string[] = this.options.defaultSources): Generator<MembershipStep> {
    const targets = ifaces ?? [...this.#ifaces.values()].filter((i) => this.options.rejoin || !this.#lost.has(i.index));
    if (targets.length === 0) fail(ErrorCodes.NO_IFACES, `no interface to join ${group} on`, 'pass options.ifaces');
    for (const iface of targets) {
      const existing = this.membership(group, iface.index);
      if (existing === undefined) {
        yield this.#step(this.#setOp(group, iface, { sources: sources.length > 0 ? new Set(sources) : null, blocked: new Set() }, `joining ${group} on ${iface.name}`), () => this.#listenOn(iface));
        continue;
      }
      if (sources.length === 0) continue;
      if (existing.sources === null)
        fail(ErrorCodes.SOURCE_NOT_ALLOWED, `${group} is joined for any source on ${iface.name}`, 'leave the group first to rejoin it source-specific');
      const added = sources.filter((s) => !existing.sources?.has(s));
      if (added.length === 0) continue;
      const widened: Membership = { sources: new Set([...existing.sources, ...added]), blocked: existing.blocked };
      yield this.#step(this.#setOp(group, iface, widened, `joining ${group} from ${added.join(', ')} on ${iface.name}`, existing));
    }
  }

  /** Leaves `group` on the interfaces `indexes` (default: all it is joined on). Leaving a group not joined is a no-op. */
  *leave(group: string, indexes?: readonly number[]): Generator<MembershipStep> {
    const perIface = this.#memberships.get(group);
    if (perIface === undefined) return;
    for (const index of indexes ?? [...perIface.keys()]) {
      if (!perIface.has(index)) continue;
      const ops = this.#isLeft(index) ? [] : [this.#dropOp(group, index, `leaving ${group}`)];
      yield { ops, commit: () => this.#forget(group, index), events: kNoEvents };
    }
  }

  /** Blocks `source` (`blocked` true) or lets it in again, on every interface the any-source `group` is joined on. */
  *block(group: string, source: string, blocked: boolean): Generator<MembershipStep> {
    const what = blocked ? 'block a source' : 'unblock a source';
    const perIface = this.#memberships.get(group);
    if (perIface === undefined) fail(ErrorCodes.INVALID_OPTION, `cannot ${what} on ${group}: the group is not joined`, 'join the group first');
    if ([...perIface.values()].some((m) => m.sources !== null))
      fail(ErrorCodes.SOURCE_NOT_ALLOWED, `cannot ${what} on ${group}: it is joined source-specific`, 'blocking applies to any-source groups; a source-specific group already admits only its sources');
    for (const [index, member] of [...perIface]) {
      const next = new Set(member.blocked);
      if (blocked) next.add(source);
      else next.delete(source);
      const m: Membership = { sources: null, blocked: next };
      const iface = this.#ifaces.get(index) as IfaceInfo;
      yield this.#step(this.#setOp(group, iface, m, `${blocked ? 'blocking' : 'unblocking'} ${source}`, member));
    }
  }

  // ---- Interfaces that change --------------------------------------------------------------------

  /**
   * Follows one batch of interface changes (`current`: the scan they came from): renamed interfaces
   * keep their memberships under the new name; an interface that went away (removed, down, or
   * without an address of the family) is lost; with `rejoin`, one of the same name that is usable
   * again is joined again with every membership it had, and a receiver on all interfaces joins new
   * usable ones; without, a lost interface that is usable again is simply no longer lost.
   */
  *followIfaces(changes: readonly IfaceChange[], current: ReadonlyMap<number, IfaceInfo>, vrfOf: VrfOf): Generator<MembershipStep> {
    // A renamed interface is the same interface, with the same memberships (Linux keeps its index):
    // it goes on under its new name, also while it is lost (then it is back when it is usable again).
    for (const change of changes) {
      if (change.type !== 'renamed' || !this.#ifaces.has(change.iface.index)) continue;
      const index = change.iface.index;
      this.#ifaces.set(index, change.iface);
      if (this.#lost.has(index)) this.#lost.set(index, change.iface);
      this.ifaceNames.set(index, change.iface.name);
    }
    // Interfaces that went away, judged against the state last seen of each.
    for (const [index, seen] of [...this.#ifaces]) {
      if (this.#lost.has(index)) continue;
      const now = current.get(index);
      if (now === undefined || now.name !== seen.name) yield this.#lose(seen, 'removed');
      else if (this.#usable(seen) && !this.#usable(now)) yield this.#lose(now, isIfaceUp(now) ? 'address-removed' : 'down');
      else this.#ifaces.set(index, now);
      // Enslaved to a VRF under the receiver: the memberships stay, but its datagrams no longer come.
      const vrf = now === undefined ? undefined : vrfOf(now);
      if (vrf === undefined) this.#vrfReported.delete(index);
      else if (!this.#vrfReported.has(index)) {
        this.#vrfReported.add(index);
        yield { ops: [], commit: () => undefined, events: [{ type: 'vrf-unreachable', iface: now as IfaceInfo, vrf }] };
      }
    }
    for (const [index, seen] of [...this.#lost]) {
      if (!this.options.rejoin) {
        // Kept as opened: forget the loss once the same interface is usable again (the kernel kept
        // the memberships), so that the next loss is reported too.
        const now = current.get(index);
        if (now !== undefined && now.name === seen.name && this.#usable(now)) {
          this.#lost.delete(index);
          this.#ifaces.set(index, now);
        }
        continue;
      }
      const back = [...current.values()].find((i) => i.name === seen.name);
      if (back !== undefined && this.#usable(back)) yield this.#rejoin(index, back, changes);
    }
    if (!this.options.rejoin || !this.options.allIfaces) return;
    for (const iface of current.values()) {
      if (this.#ifaces.has(iface.index) || iface.loopback || !iface.multicast || !this.#usable(iface)) continue;
      if ([...this.#lost.values()].some((l) => l.name === iface.name)) continue;
      if (vrfOf(iface) !== undefined) {
        yield { ops: [], commit: () => undefined, events: [{ type: 'vrf-passed-over', iface }] };
        continue;
      }
      yield this.#joinNew(iface, changes);
    }
  }

  /** The memberships on `iface` are left (with rejoin; without, the kernel keeps them) and it waits to come back. */
  #lose(iface: IfaceInfo, why: IfaceChangeType): MembershipStep {
    const ops: MembershipOp[] = [];
    if (this.options.rejoin) for (const [group, perIface] of this.#memberships) if (perIface.has(iface.index)) ops.push(this.#dropOp(group, iface.index, `leaving ${group}`));
    // Still listed in #ifaces (so that join() records new groups for it), but no longer in `ifaces`.
    return { ops, bestEffort: true, commit: () => void this.#lost.set(iface.index, iface), events: [{ type: 'iface-lost', iface, why }] };
  }

  /** Joins every membership that `oldIndex` had on `iface` (the same name, back), all or nothing: else it stays lost. */
  #rejoin(oldIndex: number, iface: IfaceInfo, changes: readonly IfaceChange[]): MembershipStep {
    const plan: [string, Membership][] = [];
    for (const [group, perIface] of this.#memberships) {
      const m = perIface.get(oldIndex);
      if (m !== undefined) plan.push([group, m]);
    }
    const commit = (): void => {
      for (const [group, m] of plan) {
        const perIface = this.#memberships.get(group) as Map<number, Membership>;
        perIface.delete(oldIndex);
        perIface.set(iface.index, m);
      }
      this.#lost.delete(oldIndex);
      this.#ifaces.delete(oldIndex);
      this.#listenOn(iface);
    };
    return this.#joinAll(iface, plan, commit, changes);
  }

  /** Joins every group on a new interface, with the sources and blocks it has elsewhere. */
  #joinNew(iface: IfaceInfo, changes: readonly IfaceChange[]): MembershipStep {
    const plan: [string, Membership][] = [];
    for (const [group, perIface] of this.#memberships) plan.push([group, perIface.values().next().value as Membership]);
    const commit = (): void => {
      for (const [group, m] of plan) (this.#memberships.get(group) as Map<number, Membership>).set(iface.index, m);
      this.#listenOn(iface);
    };
    return this.#joinAll(iface, plan, commit, changes);
  }

  #joinAll(iface: IfaceInfo, plan: [string, Membership][], commit: () => void, changes: readonly IfaceChange[]): MembershipStep {
    const ops = plan.map(([group, m]) => this.#setOp(group, iface, m, `joining ${group} on ${iface.name}`));
    return { ops, commit, events: [{ type: 'iface-joined', iface, why: joinReason(iface, changes) }] };
  }

  // ---- Bookkeeping -------------------------------------------------------------------------------

  /** The memberships on this interface were left because it went away (rejoin mode). */
  #isLeft(index: number): boolean {
    return this.options.rejoin && this.#lost.has(index);
  }

  /** Can carry the receiver's datagrams: up, with its link, and with an address of the family. */
  #usable(iface: IfaceInfo): boolean {
    return isIfaceUp(iface) && preferredAddress(iface, this.options.family) !== undefined;
  }

  #listenOn(iface: IfaceInfo): void {
    this.#ifaces.set(iface.index, iface);
    this.ifaceNames.set(iface.index, iface.name);
  }

  #idOf(group: string): number {
    let id = this.#ids.get(group);
    if (id === undefined) {
      id = this.groupsById.length;
      this.groupsById.push(group);
      this.#ids.set(group, id);
    }
    return id;
  }

  /**
   * The step that brings `group` on `op`'s interface to `m` (already: `previous`) and records it; on
   * an interface that went away only the record is made, to be joined when it is back.
   */
  #step(op: MembershipOp & { kind: 'set' }, also?: () => void): MembershipStep {
    const m: Membership = { sources: op.sources === null ? null : new Set(op.sources), blocked: new Set(op.blocked) };
    const commit = (): void => {
      let perIface = this.#memberships.get(op.group);
      if (perIface === undefined) {
        perIface = new Map();
        this.#memberships.set(op.group, perIface);
      }
      perIface.set(op.ifindex, m);
      also?.();
    };
    return { ops: this.#isLeft(op.ifindex) ? [] : [op], commit, events: kNoEvents };
  }

  #setOp(group: string, iface: IfaceInfo, m: Membership, what: string, previous?: Membership): MembershipOp & { kind: 'set' } {
    const groupId = this.#idOf(group);
    // A new membership binds by the interface's address (Windows); an existing one has its socket.
    const ifaceAddress = previous === undefined ? (preferredAddress(iface, this.options.family)?.address ?? null) : null;
    const undo: MembershipOp =
      previous === undefined ? this.#dropOp(group, iface.index, `leaving ${group}`) : { kind: 'set', groupId, group, ifindex: iface.index, ifaceAddress: null, ...lists(previous), what };
    return { kind: 'set', groupId, group, ifindex: iface.index, ifaceAddress, ...lists(m), what, undo };
  }

  #dropOp(group: string, ifindex: number, what: string): MembershipOp {
    return { kind: 'drop', groupId: this.#idOf(group), group, ifindex, what };
  }

  #forget(group: string, index: number): void {
    const perIface = this.#memberships.get(group);
    perIface?.delete(index);
    if (perIface?.size === 0) this.#memberships.delete(group);
  }
}

/** A membership's lists, as the native side takes them. */
function lists(m: Membership): { sources: string[] | null; blocked: string[] } {
  return { sources: m.sources === null ? null : [...m.sources], blocked: [...m.blocked] };
}

/** Why an interface can be joined now: the change of this batch that concerns it. */
function joinReason(iface: IfaceInfo, changes: readonly IfaceChange[]): IfaceChangeType {
  for (const type of ['added', 'up', 'address-added'] as const) if (changes.some((c) => c.type === type && c.iface.index === iface.index)) return type;
  return 'up';
}
