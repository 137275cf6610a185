/**
 * The destination table of a sender: each group and port it sends to, under a small id that the
 * native side maps to the parsed address (so that nothing is parsed, or looked up by text, per
 * datagram there).
 * @internal
 * @module
 */

/** Destinations a table keeps for sends to come; more only while sends in flight hold them. */
export const kTableSize = 4096;

/**
 * Ids of destinations, and which of them sends in flight hold. A send holds the id of each of its
 * datagrams from the moment it takes it (a batch: while it is still being built) until the send is
 * settled. The table keeps up to `size` destinations; past that, a new destination takes the slot of
 * one that nothing holds, and only when every slot is held does the table grow (by what is in flight
 * at once). A slot that is held is never given to another destination, so an id always names the
 * group and port its send was given.
 */
export class DestinationTable {
  /** Ids by the group text the caller passed, then by port: no key is built per send. */
  readonly #ids = new Map<string, Map<number, number>>();
  /** Per slot: the group text and port it holds now. */
  readonly #groups: string[] = [];
  readonly #ports: number[] = [];
  /** Per slot: how many sends in flight hold it. */
  readonly #holds: number[] = [];
  #heldSlots = 0;
  /** Where the search for a slot to reuse goes on from (round robin). */
  #cursor = 0;

  /**
   * `store(id, address, port)` tells the native side that slot `id` (at most one past the last) now
   * means `address`:`port`; it throws when the native side refuses, and then nothing changes here.
   */
  constructor(
    readonly store: (id: number, address: string, port: number) => void,
    readonly size = kTableSize,
  ) {}

  /** The id of `group`:`port` held for the caller, or undefined when the table has no such destination. */
  holdKnown(group: string, port: number): number | undefined {
    const id = this.#ids.get(group)?.get(port);
    if (id !== undefined) this.#hold(id);
    return id;
  }

  /**
   * Adds `group`:`port` (the caller's text; `address` is what the OS gets) and returns its id, held
   * for the caller. Call it after holdKnown() found nothing.
   */
  holdNew(group: string, address: string, port: number): number {
    const id = this.#freeSlot();
    this.store(id, address, port);
    if (id === this.#groups.length) {
      this.#groups.push(group);
      this.#ports.push(port);
      this.#holds.push(0);
    } else {
      this.#ids.get(this.#groups[id] as string)?.delete(this.#ports[id] as number);
      this.#groups[id] = group;
      this.#ports[id] = port;
    }
    let byPort = this.#ids.get(group);
    if (byPort === undefined) this.#ids.set(group, (byPort = new Map()));
    byPort.set(port, id);
    this.#hold(id);
    return id;
  }

  /** Lets go of an id taken with holdKnown() or holdNew(). */
  release(id: number): void {
    const holds = this.#holds[id] as number;
    this.#holds[id] = holds - 1;
    if (holds === 1) this.#heldSlots--;
  }

  /** Lets go of `count` ids of `ids` from the first on. */
  releaseAll(ids: Uint32Array, count = ids.length): void {
    for (let i = 0; i < count; i++) this.release(ids[i] as number);
  }

  #hold(id: number): void {
    const holds = this.#holds[id] as number;
    this.#holds[id] = holds + 1;
    if (holds === 0) this.#heldSlots++;
  }

  /** A new slot while the table has room or every slot is held; else one that nothing holds (round robin). */
  #freeSlot(): number {
    const slots = this.#groups.length;
    if (slots < this.size || this.#heldSlots >= slots) return slots;
    for (let tries = 0; tries < slots; tries++) {
      const id = this.#cursor;
      this.#cursor = id + 1 < slots ? id + 1 : 0;
      if (this.#holds[id] === 0) return id;
    }
    return slots;
  }
}
