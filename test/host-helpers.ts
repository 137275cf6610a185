// Helpers of the real-host suites (test/host-*.test.ts): a sender that keeps sending from a lab host
// while the test reshapes the host's interfaces, a receiver's inbox that tells datagrams sent after
// a step from those sent before, and waiting until the interface monitor has seen a change.
import { type IfaceChange, type IfaceChangeType, type IfaceInfo, type McastMessage, McastRxSocket, watchInterfaces } from '../lib';
import type { Agent, Host } from '../lab/lab';

/** Waits until `check` returns something other than undefined (polled every 20 ms); fails after `timeoutMs`. */
export async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 8000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A sender on a lab host that sends `<tag> <n>` (n counting up) to group:port every 40 ms from one
 * McastTxSocket, and records the errors of its sends; stop() ends it.
 */
export class Ticker {
  private constructor(
    readonly agent: Agent,
    readonly tag: string,
  ) {}

  static async start(host: Host, txOptions: Record<string, unknown>, group: string, port: number, tag: string): Promise<Ticker> {
    const agent = await host.agent();
    await agent.run(`
      state.tx = new mce.McastTxSocket(${JSON.stringify(txOptions)});
      state.errors = [];
      let n = 0;
      state.timer = setInterval(() => {
        n += 1;
        state.tx.send(${JSON.stringify(tag)} + ' ' + n, ${JSON.stringify(group)}, ${port}).catch((e) => state.errors.push({ code: e.code, message: e.message }));
      }, 40);`);
    return new Ticker(agent, tag);
  }

  /** The errors of its sends so far, as { code, message }. */
  errors(): Promise<Array<{ code: string; message: string }>> {
    return this.agent.run('return state.errors') as Promise<Array<{ code: string; message: string }>>;
  }

  /** The sender's interface name as it sees it now. */
  ifaceName(): Promise<string> {
    return this.agent.run('return state.tx.iface.name') as Promise<string>;
  }

  async stop(): Promise<void> {
    await this.agent.run('clearInterval(state.timer); state.tx.close()').catch(() => undefined);
    await this.agent.stop();
  }
}

/** Every datagram a receiver gets (through 'message'), with waiting for fresh ones. */
export class Inbox {
  readonly messages: McastMessage[] = [];

  constructor(readonly rx: McastRxSocket) {
    rx.on('message', (msg) => this.messages.push(msg));
  }

  /** Where the inbox is now: pass it to since() to look only at what arrives after this point. */
  mark(): number {
    return this.messages.length;
  }

  /** Resolves with the next `count` datagrams (with `tag`, when given) that arrive from now on; fails after `timeoutMs`. */
  fresh(count = 2, tag?: string, timeoutMs = 5000): Promise<McastMessage[]> {
    return this.since(this.mark(), count, tag, timeoutMs);
  }

  /** Resolves with the first `count` datagrams (with `tag`, when given) that arrived after `from` (see mark()); fails after `timeoutMs`. */
  async since(from: number, count = 2, tag?: string, timeoutMs = 5000): Promise<McastMessage[]> {
    const matching = (): McastMessage[] => this.messages.slice(from).filter((m) => tag === undefined || m.data.toString().startsWith(`${tag} `));
    const last = (): string => JSON.stringify(this.messages.slice(-3).map((m) => m.data.toString().slice(0, 40)));
    await until(`${count} fresh datagrams${tag === undefined ? '' : ` tagged ${tag}`}`, () => (matching().length >= count ? true : undefined), timeoutMs).catch((err: Error) => {
      throw new Error(`${err.message}; the last ones: ${last()}`);
    });
    return matching().slice(0, count);
  }
}

/** A receiver's 'iface-lost' and 'iface-joined' events, as [event, interface name, why]. */
export function membershipEvents(rx: McastRxSocket): Array<[string, string, IfaceChangeType]> {
  const events: Array<[string, string, IfaceChangeType]> = [];
  rx.on('iface-lost', (iface: IfaceInfo, why: IfaceChangeType) => events.push(['iface-lost', iface.name, why]));
  rx.on('iface-joined', (iface: IfaceInfo, why: IfaceChangeType) => events.push(['iface-joined', iface.name, why]));
  return events;
}

/**
 * Records the interface monitor's changes. Sockets opened before it subscribe to the monitor
 * first, so once a change is seen here, every such socket has had it too.
 */
export class ChangeLog {
  readonly changes: IfaceChange[] = [];
  readonly #watcher = watchInterfaces((c) => this.changes.push(c));

  /** Where the log is now: pass it to waitFor() to look only at the changes after this point. */
  mark(): number {
    return this.changes.length;
  }

  /** Waits for a change since `from` (see mark()) that `match` accepts. */
  async waitFor(what: string, from: number, match: (c: IfaceChange) => boolean, timeoutMs = 8000): Promise<IfaceChange> {
    return until(`the interface monitor to report ${what}`, () => this.changes.slice(from).find(match), timeoutMs);
  }

  close(): void {
    this.#watcher.close();
  }
}
