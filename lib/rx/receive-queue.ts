/**
 * Where a receiver's datagrams go: to its consumers ('batch-view', 'batch' and 'message' listeners, pending
 * receive() calls) or, with none, into a bounded queue, in order. It pauses the native reader when
 * the queue is full (the kernel then holds, and drops, what is not read) and resumes it once a
 * consumer has made room. It also keeps the receiver alive, and the process running, exactly while
 * someone waits for data, and routes the receive path's errors (the 'error' rule).
 * @internal
 * @module
 */
import { type MulticastExpertError, messageWithHint } from '../errors';
import type { TypedEmitter } from '../typed-emitter';
import { MessagesBatchView, type RecordBatchView } from './batch-view';
import type { McastMessage, McastRxSocketEvents } from './types';

/** Datagrams kept for receive() before the socket stops reading and the kernel drops. */
export const kQueueLimit = 4096;
/** The socket reads again once the queue is down to this. */
const kQueueResume = 1024;

/** The receiver as the queue sees it: who listens, and its events. */
export type QueueOwner = Pick<TypedEmitter<McastRxSocketEvents>, 'emit' | 'listenerCount'>;

/** The native reader's controls. */
export interface ReaderControl {
  pause(): void;
  resume(): void;
  /** Whether the reader keeps the event loop (and so the process) running. */
  setKeepAlive(keepAlive: boolean): void;
}

interface Waiter {
  resolve: (msg: McastMessage | null) => void;
  reject: (err: Error) => void;
  timer?: NodeJS.Timeout;
  disposeAbort?: () => void;
}

function abortError(signal: AbortSignal): Error {
  const err = new Error('The operation was aborted', { cause: signal.reason });
  err.name = 'AbortError';
  (err as Error & { code: string }).code = 'ABORT_ERR';
  return err;
}

export class ReceiveQueue {
  /** Set once the native reader exists. */
  reader: ReaderControl | null = null;
  readonly #messages: McastMessage[] = [];
  readonly #waiters: Waiter[] = [];
  /**
   * The owner, held strongly only while someone waits for data (listeners, receive() calls), so
   * that a receiver nobody uses any more can be garbage-collected (and is then closed): the native
   * side holds this queue for as long as it is open.
   */
  #strongOwner: QueueOwner | null = null;
  readonly #weakOwner: WeakRef<QueueOwner>;
  /** Someone waits for data: the reader keeps the process running, and this the owner alive. */
  #consuming = false;
  /** The queue is full: the reader stopped (see deliver()). */
  #paused = false;
  /** A hand-over of the queue to a new listener is due (see #scheduleHandOver). */
  #handOverScheduled = false;
  #closed = false;

  constructor(owner: QueueOwner) {
    this.#weakOwner = new WeakRef(owner);
  }

  /** The owner, unless it was garbage-collected. */
  owner(): QueueOwner | undefined {
    return this.#strongOwner ?? this.#weakOwner.deref();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Datagrams waiting for a consumer. */
  get length(): number {
    return this.#messages.length;
  }

  /**
   * Brings liveness in line with who waits for data now: 'message' and 'batch' listeners (as
   * listenerCount() says, so no sequence of EventEmitter calls can put it out of step) and pending
   * receive() calls. While someone waits, the reader keeps the process running and the owner cannot
   * be garbage-collected. Called after every change of either.
   */
  consumersChanged(): void {
    const owner = this.owner();
    if (owner === undefined || this.#closed) return;
    const listening = isListening(owner);
    const consuming = listening || this.#waiters.length > 0;
    if (consuming !== this.#consuming) {
      this.#consuming = consuming;
      this.#strongOwner = consuming ? owner : null;
      this.reader?.setKeepAlive(consuming);
    }
    if (listening && this.#messages.length > 0) this.#scheduleHandOver();
  }

  /**
   * Whether the next batch can go to its consumers as records alone, with no McastMessage made:
   * only 'batch-view' listeners, no receive() waiting, nothing queued before them.
   */
  takesRecords(): boolean {
    const owner = this.owner();
    return owner !== undefined && !this.#closed && this.#messages.length === 0 && this.#waiters.length === 0 && owner.listenerCount('batch-view') > 0 && owner.listenerCount('batch') === 0 && owner.listenerCount('message') === 0;
  }

  /** Gives a batch as records to the 'batch-view' listeners (when takesRecords() said so). */
  deliverRecords(view: RecordBatchView): void {
    const owner = this.owner();
    if (owner === undefined || this.#closed) return;
    view.open();
    try {
      owner.emit('batch-view', view);
    } finally {
      view.close();
    }
  }

  /** Gives a batch to the consumers (see #dispatch), and pauses the reader once the queue is full. */
  deliver(messages: McastMessage[]): void {
    const owner = this.owner();
    if (owner === undefined || this.#closed) return;
    // Datagrams queued while nobody listened go first (a listener that came gets them handed over
    // before any new batch; this is for one that came while a batch of another socket was delivered).
    const batch = this.#messages.length > 0 && isListening(owner) ? this.#messages.splice(0).concat(messages) : messages;
    this.#dispatch(owner, batch);
    if (this.#messages.length >= kQueueLimit && !this.#paused && !this.#closed) {
      // Memory stays bounded: the kernel holds (and then drops, counted) what we do not read.
      this.#paused = true;
      this.reader?.pause();
    }
  }

  /**
   * Gives `messages` to the consumers there are now: 'batch' and 'message' listeners and pending
   * receive() calls; with none, to the queue. A datagram a listener had is not queued as well; once
   * the last 'message' listener is gone (once()), the rest of the batch is queued.
   */
  #dispatch(owner: QueueOwner, messages: McastMessage[]): void {
    const viewListeners = owner.listenerCount('batch-view') > 0;
    const batchListeners = viewListeners || owner.listenerCount('batch') > 0;
    let messageListeners = owner.listenerCount('message') > 0;
    if (viewListeners) {
      const view = new MessagesBatchView(messages);
      try {
        owner.emit('batch-view', view);
      } finally {
        view.close();
      }
      if (this.#closed) return;
    }
    if (owner.listenerCount('batch') > 0) owner.emit('batch', messages);
    if (batchListeners) {
      // Only batch listeners and no receive() waiting: nothing is done per datagram.
      if (!messageListeners && this.#waiters.length === 0) return;
    }
    for (const msg of messages) {
      if (this.#closed) return;
      let listened = batchListeners;
      if (messageListeners) {
        owner.emit('message', msg);
        listened = true;
        messageListeners = owner.listenerCount('message') > 0;
      }
      const waiter = this.#waiters.shift();
      if (waiter !== undefined) this.#settle(waiter, msg);
      else if (!listened) this.#messages.push(msg);
    }
  }

  /** A listener came while datagrams wait in the queue: they go to it first, once the call that added it has returned. */
  #scheduleHandOver(): void {
    if (this.#handOverScheduled) return;
    this.#handOverScheduled = true;
    process.nextTick(() => {
      this.#handOverScheduled = false;
      this.#handOver();
    });
  }

  /** Gives the queued datagrams, in order, to the listeners there are now, and reads again. */
  #handOver(): void {
    const owner = this.owner();
    if (owner === undefined || this.#closed || this.#messages.length === 0 || !isListening(owner)) return;
    this.#dispatch(owner, this.#messages.splice(0));
    this.#resumeIfRoom();
  }

  /** Reads again once the queue has room (it paused when the queue was full). */
  #resumeIfRoom(): void {
    if (this.#paused && this.#messages.length <= kQueueResume && !this.#closed) {
      this.#paused = false;
      this.reader?.resume();
    }
  }

  /**
   * The next datagram: a queued one at once, else the next to arrive, or null when `timeout` (ms)
   * passes first (0: do not wait; undefined: wait for ever) or the queue closes. Rejects with an
   * AbortError when `signal` aborts.
   */
  receive(timeout: number | undefined, signal: AbortSignal | undefined): Promise<McastMessage | null> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const queued = this.#messages.shift();
    this.#resumeIfRoom();
    if (queued !== undefined) return Promise.resolve(queued);
    if (timeout === 0) return Promise.resolve(null);
    return new Promise<McastMessage | null>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      if (timeout !== undefined) {
        waiter.timer = setTimeout(() => {
          if (this.#remove(waiter)) this.#settle(waiter, null);
        }, timeout);
      }
      if (signal !== undefined) {
        const onAbort = (): void => {
          if (!this.#remove(waiter)) return;
          this.#unwait(waiter);
          reject(abortError(signal));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        waiter.disposeAbort = () => signal.removeEventListener('abort', onAbort);
      }
      this.#waiters.push(waiter);
      this.consumersChanged();
    });
  }

  /**
   * Routes an error of the receive path by the one rule of McastRxSocketEvents.error: to the
   * 'error' listeners; without one, it rejects the oldest pending receive(); with neither, it
   * becomes a process warning. Never throws.
   */
  fail(err: MulticastExpertError): void {
    const owner = this.owner();
    if (owner !== undefined && owner.listenerCount('error') > 0) {
      owner.emit('error', err);
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      this.#unwait(waiter);
      waiter.reject(err);
      return;
    }
    process.emitWarning(messageWithHint(err), { code: err.code, type: 'MulticastExpertWarning' });
  }

  /** Empties the queue for good: pending receive() calls resolve to null; nothing is kept alive any more. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#messages.length = 0;
    for (const waiter of this.#waiters.splice(0)) this.#settle(waiter, null);
    this.#strongOwner = null;
  }

  #remove(waiter: Waiter): boolean {
    const at = this.#waiters.indexOf(waiter);
    if (at < 0) return false;
    this.#waiters.splice(at, 1);
    return true;
  }

  #settle(waiter: Waiter, msg: McastMessage | null): void {
    this.#unwait(waiter);
    waiter.resolve(msg);
  }

  /** Cleans up after a waiter that was taken off the list. */
  #unwait(waiter: Waiter): void {
    if (waiter.timer !== undefined) clearTimeout(waiter.timer);
    waiter.disposeAbort?.();
    this.consumersChanged();
  }
}

/** Someone listens for datagrams ('message', 'batch' or 'batch-view'). */
function isListening(owner: QueueOwner): boolean {
  return owner.listenerCount('message') > 0 || owner.listenerCount('batch') > 0 || owner.listenerCount('batch-view') > 0;
}
