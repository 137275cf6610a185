/**
 * The one typed EventEmitter of the sockets: listeners and emit() are typed from an event map (every
 * event a socket emits, with its arguments), and a hook runs after every change of the listeners.
 * @internal
 * @module
 */
import { EventEmitter } from 'node:events';

/** An event map: each event's name and the arguments its listeners get. */
export type EventMap<Events> = { [K in keyof Events]: unknown[] };

/** The events every EventEmitter has: a listener is about to be added, or was removed. */
export interface EmitterEvents {
  /** A listener is about to be added. */
  newListener: [event: string | symbol, listener: (...args: never[]) => void];
  /** A listener was removed. */
  removeListener: [event: string | symbol, listener: (...args: never[]) => void];
}

/** An event of the map, or one of EventEmitter's own. */
export type EventName<Events> = (keyof Events | keyof EmitterEvents) & string;
/** The arguments of an event's listeners. */
export type EventArgs<Events, K> = K extends keyof Events ? Extract<Events[K], unknown[]> : K extends keyof EmitterEvents ? EmitterEvents[K] : never;
/** A listener of an event. */
export type EventListener<Events, K> = (...args: EventArgs<Events, K>) => void;

/**
 * An EventEmitter whose events are those of `Events` (and EventEmitter's own 'newListener' and
 * 'removeListener'): a listener of another event, or of the wrong arguments, does not type-check.
 * Every method that adds or removes a listener calls {@link TypedEmitter.listenersChanged} after it
 * (once() and events.once() go through on() and removeListener(); off() is an alias that the base
 * class binds to its own removeListener, so it is overridden too).
 */
export class TypedEmitter<Events extends EventMap<Events>> extends EventEmitter {
  /** Runs after every change of the listeners; for subclasses that follow who listens. */
  protected listenersChanged(): void {
    // Nothing by default.
  }

  /** Calls `listener` for every `event`. */
  override on<K extends EventName<Events>>(event: K, listener: EventListener<Events, K>): this {
    return this.#changed(super.on(event, listener));
  }

  /** Same as on(). */
  override addListener<K extends EventName<Events>>(event: K, listener: EventListener<Events, K>): this {
    return this.#changed(super.addListener(event, listener));
  }

  /** Like on(), but the listener runs before those already added. */
  override prependListener<K extends EventName<Events>>(event: K, listener: EventListener<Events, K>): this {
    return this.#changed(super.prependListener(event, listener));
  }

  /** Calls `listener` for the next `event` only. */
  override once<K extends EventName<Events>>(event: K, listener: EventListener<Events, K>): this {
    return this.#changed(super.once(event, listener));
  }

  /** Like once(), but the listener runs before those already added. */
  override prependOnceListener<K extends EventName<Events>>(event: K, listener: EventListener<Events, K>): this {
    return this.#changed(super.prependOnceListener(event, listener));
  }

  /** Removes a listener added with on(), once() or their kin. */
  override removeListener<K extends EventName<Events>>(event: K, listener: EventListener<Events, K>): this {
    return this.#changed(super.removeListener(event, listener));
  }

  /** Same as removeListener(). */
  override off<K extends EventName<Events>>(event: K, listener: EventListener<Events, K>): this {
    return this.#changed(super.off(event, listener));
  }

  /** Removes every listener of `event`, or of every event. */
  override removeAllListeners(...event: [event?: EventName<Events>]): this {
    // Passed on as given: the base class tells no argument (all events) from an undefined one.
    return this.#changed(super.removeAllListeners(...event));
  }

  /** What a method that added or removed a listener returns, once listenersChanged() has run. */
  #changed(self: this): this {
    this.listenersChanged();
    return self;
  }

  /** Calls the listeners of `event` with `args`, in order; true if there were any. */
  override emit<K extends EventName<Events>>(event: K, ...args: EventArgs<Events, K>): boolean {
    return super.emit(event, ...args);
  }

  /** How many listeners `event` has. */
  override listenerCount<K extends EventName<Events>>(event: K): number {
    return super.listenerCount(event);
  }

  /** The listeners of `event`, in order. */
  override listeners<K extends EventName<Events>>(event: K): EventListener<Events, K>[] {
    return super.listeners(event) as EventListener<Events, K>[];
  }

  /** The listeners of `event` as added (a once() listener in its wrapper, with `.listener` the one given). */
  override rawListeners<K extends EventName<Events>>(event: K): EventListener<Events, K>[] {
    return super.rawListeners(event) as EventListener<Events, K>[];
  }
}

/**
 * A socket's emitter: the subclass closes it; `using` and `await using` call its close().
 */
export abstract class ClosableEmitter<Events extends EventMap<Events>> extends TypedEmitter<Events> {
  /** Closes the socket; idempotent. */
  abstract close(): void;

  /** Same as close(). */
  [Symbol.dispose](): void {
    this.close();
  }

  /** close(), as a promise. */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}
