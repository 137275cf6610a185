/**
 * What `listen` counts per group: datagrams, bytes, senders, and, for datagrams that carry the
 * sequence header, loss, reordering and duplicates per sending stream.
 * @internal
 * @module
 */

/** Sequence numbers remembered per stream to tell a duplicate from a late datagram. */
const kWindow = 65536;

/**
 * One stream's sequence numbers. Loss counts the numbers missing between the first one seen and the
 * highest one seen (a listener that starts late does not count what came before it); a missing
 * number that arrives later is reordering, not loss; a number seen twice is a duplicate.
 */
export class SequenceTracker {
  first = -1;
  highest = -1;
  missing = 0;
  reordered = 0;
  duplicates = 0;
  unique = 0;
  readonly #seen = new Set<number>();

  /** Records one sequence number and says what it was. */
  add(seq: number): 'in-order' | 'gap' | 'reordered' | 'duplicate' {
    if (this.first < 0) {
      this.first = seq;
      this.highest = seq;
      this.unique = 1;
      this.#seen.add(seq);
      return 'in-order';
    }
    if (this.#seen.has(seq) || seq < this.highest - kWindow) {
      this.duplicates += 1;
      return 'duplicate';
    }
    this.#seen.add(seq);
    this.unique += 1;
    if (this.#seen.size > 2 * kWindow) this.#forgetOld();
    if (seq > this.highest) {
      const gap = seq - this.highest - 1;
      this.missing += gap;
      this.highest = seq;
      return gap > 0 ? 'gap' : 'in-order';
    }
    this.reordered += 1;
    if (seq > this.first) this.missing -= 1;
    return 'reordered';
  }

  #forgetOld(): void {
    for (const s of this.#seen) if (s < this.highest - kWindow) this.#seen.delete(s);
  }

  /** Datagrams that should have arrived: the unique ones plus the missing ones. */
  get expected(): number {
    return this.unique + this.missing;
  }
}

/** The summary of one group, as printed and as JSON. */
export interface GroupSummary {
  group: string;
  received: number;
  bytes: number;
  senders: number;
  /** Datagrams that carried the sequence header. */
  sequenced: number;
  /** Present when some datagrams carried the sequence header. */
  lost?: number;
  reordered?: number;
  duplicates?: number;
  /** lost / (unique + lost), in percent. */
  lossPercent?: number;
}

export class GroupStats {
  received = 0;
  bytes = 0;
  sequenced = 0;
  readonly senders = new Set<string>();
  readonly streams = new Map<string, SequenceTracker>();

  constructor(readonly group: string) {}

  /** Records one datagram; returns what its sequence number was, when it had one. */
  add(sender: string, size: number, seq?: { stream: number; seq: number }): ReturnType<SequenceTracker['add']> | undefined {
    this.received += 1;
    this.bytes += size;
    this.senders.add(sender);
    if (seq === undefined) return undefined;
    this.sequenced += 1;
    // A stream is one sending run of one sender: the same random id from two hosts stays apart.
    const key = `${sender}/${seq.stream}`;
    let tracker = this.streams.get(key);
    if (tracker === undefined) {
      tracker = new SequenceTracker();
      this.streams.set(key, tracker);
    }
    return tracker.add(seq.seq);
  }

  summary(): GroupSummary {
    const out: GroupSummary = { group: this.group, received: this.received, bytes: this.bytes, senders: this.senders.size, sequenced: this.sequenced };
    if (this.sequenced > 0) {
      let lost = 0;
      let reordered = 0;
      let duplicates = 0;
      let expected = 0;
      for (const t of this.streams.values()) {
        lost += t.missing;
        reordered += t.reordered;
        duplicates += t.duplicates;
        expected += t.expected;
      }
      out.lost = lost;
      out.reordered = reordered;
      out.duplicates = duplicates;
      out.lossPercent = expected === 0 ? 0 : Math.round((lost / expected) * 10000) / 100;
    }
    return out;
  }
}
