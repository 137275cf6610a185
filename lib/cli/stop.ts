/**
 * When a long-running subcommand (listen, ping, pong, chat) ends: on SIGINT or SIGTERM, after a
 * timeout, or when the command itself decides (enough datagrams). Handlers and timers are removed
 * once it has ended, so that nothing keeps the process alive.
 * @internal
 * @module
 */

export type StopReason = 'signal' | 'timeout' | 'done' | 'error';

export class Stopper {
  readonly promise: Promise<StopReason>;
  #resolve!: (reason: StopReason) => void;
  #reason: StopReason | null = null;
  #timer: NodeJS.Timeout | undefined;
  readonly #onSignal = (): void => this.stop('signal');

  /** `timeoutMs` undefined: no timeout. */
  constructor(timeoutMs?: number) {
    this.promise = new Promise((resolve) => (this.#resolve = resolve));
    process.on('SIGINT', this.#onSignal);
    process.on('SIGTERM', this.#onSignal);
    if (timeoutMs !== undefined) this.#timer = setTimeout(() => this.stop('timeout'), timeoutMs);
  }

  /** Why it stopped, or null while running. */
  get reason(): StopReason | null {
    return this.#reason;
  }

  get stopped(): boolean {
    return this.#reason !== null;
  }

  /** Ends the run (the first reason wins). */
  stop(reason: StopReason): void {
    if (this.#reason !== null) return;
    this.#reason = reason;
    clearTimeout(this.#timer);
    process.off('SIGINT', this.#onSignal);
    process.off('SIGTERM', this.#onSignal);
    this.#resolve(reason);
  }
}

/** Resolves after `ms`, or at once when `stopper` stops. */
export function sleepUnlessStopped(ms: number, stopper: Stopper): Promise<void> {
  if (stopper.stopped) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void stopper.promise.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
