/**
 * The per-datagram interfaces of a sender (send()'s and sendBatch()'s `iface`): each interface a
 * datagram names gets a route id, which the native side maps to "out of this interface index, from
 * this source address" (IP_PKTINFO / IPV6_PKTINFO). An interface is resolved once and followed by
 * name, as the socket's own interface is: when it comes back under a new index (or with a new
 * address) its route moves with it; while no interface of its name exists, datagrams naming it are
 * refused with ENODEV and never leave by another interface.
 * @internal
 * @module
 */
import type { Family } from '../addresses';
import { explainNativeError, fromNativeError, MulticastExpertError } from '../errors';
import { type IfaceInfo, preferredAddress, resolveOneIface, scanInterfaces } from '../interfaces';
import type { NativeTxSocket } from '../native';
import { type IfaceChange, isIfaceUp } from '../watch';

/** OS error codes that can mean "the interface is gone, down, or lost its address". */
const kIfaceErrors = new Set(['ENODEV', 'ENXIO', 'ENETDOWN', 'ENETUNREACH', 'EADDRNOTAVAIL', 'EHOSTUNREACH']);

/** One interface datagrams are sent out of. */
interface Route {
  readonly id: number;
  /** The interface as last seen (its name is what the route follows). */
  iface: IfaceInfo;
  /** Given as one of its addresses: datagrams leave from that address while the interface has it. */
  readonly address: string | null;
  /** No interface of its name with an address of the family exists: datagrams naming it are refused. */
  gone: boolean;
}

export class TxRoutes {
  /** By interface name. */
  readonly #byName = new Map<string, Route>();
  /** By the specifier the caller passed (a name, an index or an address): no scan per datagram. */
  readonly #bySpec = new Map<string | number, Route>();
  readonly #byId: Route[] = [];
  #unfollow: (() => void) | null = null;
  #refreshedThisTurn = false;

  constructor(
    readonly handle: NativeTxSocket,
    readonly family: Family,
    /** Subscribes to interface changes (followInterfaces); called once, with the first route. */
    readonly follow: (subscriber: (changes: readonly IfaceChange[], current: ReadonlyMap<number, IfaceInfo>) => void) => () => void,
  ) {}

  /**
   * The route id of interface `spec` (a name, index, address or IfaceInfo); throws
   * ERR_IFACE_NOT_FOUND / ERR_IFACE_AMBIGUOUS for a specifier that matches none or several, and
   * ENODEV (naming it) while the interface is gone. `what` names the send in the error.
   */
  idOf(spec: unknown, what: string): number {
    let route = typeof spec === 'string' || typeof spec === 'number' ? this.#bySpec.get(spec) : undefined;
    if (route === undefined) route = this.#add(spec);
    if (route.gone) {
      this.refresh();
      if (route.gone) throw this.error(route.id, null, what);
    }
    return route.id;
  }

  #add(spec: unknown): Route {
    const iface = resolveOneIface(spec, 'iface');
    const given = typeof spec === 'string' && spec !== iface.name ? spec : null;
    const address = given !== null && (this.family === 'ipv4' ? iface.ipv4 : iface.ipv6).some((a) => a.address === given) ? given : null;
    let route = this.#byName.get(iface.name);
    if (route === undefined || route.address !== address) {
      route = { id: this.#byId.length + 1, iface, address, gone: false };
      this.#set(route, iface);
      this.#byId.push(route);
      if (address === null) this.#byName.set(iface.name, route);
      if (this.#unfollow === null) this.#unfollow = this.follow((changes, current) => this.#follow(changes, current));
    }
    if (typeof spec === 'string' || typeof spec === 'number') this.#bySpec.set(spec, route);
    return route;
  }

  /** The address datagrams of `route` leave from on `iface`, or undefined when there is none. */
  #source(route: Route, iface: IfaceInfo): string | undefined {
    if (route.address !== null) return (this.family === 'ipv4' ? iface.ipv4 : iface.ipv6).find((a) => a.address === route.address)?.address;
    return preferredAddress(iface, this.family)?.address;
  }

  /** Points the native route at `iface`; marks it gone when it cannot be sent from there. */
  #set(route: Route, iface: IfaceInfo): void {
    const source = this.#source(route, iface);
    if (source === undefined) {
      route.iface = iface;
      route.gone = true;
      return;
    }
    try {
      this.handle.setRoute(route.id, iface.index, source);
      route.iface = iface;
      route.gone = false;
    } catch {
      // The OS refused (the interface went again under our feet): the next change tries again.
      route.gone = true;
    }
  }

  #follow(changes: readonly IfaceChange[], current: ReadonlyMap<number, IfaceInfo>): void {
    for (const change of changes) {
      if (change.type !== 'renamed') continue;
      for (const route of this.#byId) if (route.iface.index === change.iface.index) route.iface = change.iface;
    }
    for (const route of this.#byId) {
      const same = current.get(route.iface.index);
      let now = same !== undefined && same.name === route.iface.name ? same : undefined;
      if (now === undefined) for (const iface of current.values()) if (iface.name === route.iface.name) now = iface;
      if (now === undefined) route.gone = true;
      else this.#set(route, now);
    }
  }

  /** Rescans now (at most once per loop turn): for a send refused or failed before the monitor caught up. */
  refresh(): void {
    if (this.#refreshedThisTurn) return;
    this.#refreshedThisTurn = true;
    setImmediate(() => {
      this.#refreshedThisTurn = false;
    }).unref();
    try {
      this.#follow([], new Map(scanInterfaces().map((i) => [i.index, i])));
    } catch {
      // Without a scan we know no better than before.
    }
  }

  /**
   * The error of a datagram on route `id` that failed with `err` (or was refused, `err` null),
   * naming its interface when that is the cause.
   */
  error(id: number, err: unknown, what: string): MulticastExpertError {
    if (err instanceof MulticastExpertError) return err;
    const route = this.#byId[id - 1];
    const native = err === null ? null : fromNativeError(err, what);
    if (route === undefined || (native !== null && !kIfaceErrors.has(native.code))) return native ?? new MulticastExpertError('ENODEV', `${what}: unknown route`);
    if (native !== null) this.refresh();
    const iface = route.iface;
    const who = `interface ${iface.name} (index ${iface.index})`;
    let state: string;
    let hint: string;
    if (route.gone && route.address !== null && iface.index > 0 && this.#source(route, iface) === undefined) {
      state = `no longer holds ${route.address}`;
      hint = `datagrams naming it are sent again once ${iface.name} holds ${route.address}; none is sent from another address meanwhile`;
    } else if (route.gone) {
      state = 'is gone';
      hint = `datagrams naming it are sent again once an interface named ${iface.name} is back with an ${this.family} address; none is sent out of another interface meanwhile`;
    } else if (!isIfaceUp(iface)) {
      state = 'is down';
      hint = `datagrams naming it are sent again once ${iface.name} is up`;
    } else {
      return native ?? new MulticastExpertError('ENODEV', `${what}: ${who} has changed`, { syscall: 'sendmsg', hint: 'send again' });
    }
    if (native === null) return new MulticastExpertError('ENODEV', `${what}: ${who} ${state}`, { syscall: 'sendmsg', hint });
    return explainNativeError(native, err, `${what}: ${who} ${state}`, hint);
  }

  close(): void {
    this.#unfollow?.();
    this.#unfollow = null;
  }
}
