/**
 * The part of a receiver that the native side and the garbage collector see: the native callbacks,
 * and what closes the socket when it is collected.
 * @internal
 * @module
 */
import { fromNativeError } from '../errors';
import { warnClosedByGc } from '../gc-warning';
import type { NativeRxSocket } from '../native';
import type { BatchDecoder } from './batch-decoder';
import { RecordBatchView } from './batch-view';
import type { ReceiveQueue } from './receive-queue';

/**
 * What the native side calls back into, and what closes the socket when it is garbage-collected. It
 * reaches the socket only through the queue, which holds it strongly only while someone waits for
 * data: a receiver nobody uses any more can be collected, and is then closed.
 */
export class RxCore {
  handle!: NativeRxSocket;
  /** Stops following interface changes. */
  unfollow: (() => void) | null = null;
  /** Takes the close-on-abort listener off the `signal` option's signal. */
  stopAbort: (() => void) | null = null;

  /** The one view of this receiver's batches that 'batch-view' listeners get (reused; see McastBatchView). */
  readonly view: RecordBatchView;

  constructor(
    readonly decoder: BatchDecoder,
    readonly queue: ReceiveQueue,
  ) {
    this.view = new RecordBatchView(decoder);
  }

  get closed(): boolean {
    return this.queue.closed;
  }

  /**
   * Called by the native side with each batch (see BatchDecoder.begin): as records alone when only
   * 'batch-view' listeners take it, else as McastMessage objects.
   */
  onBatch(count: number, ...buffers: ArrayBuffer[]): void {
    if (this.closed || this.queue.owner() === undefined) return;
    this.decoder.begin(count, buffers);
    if (this.queue.takesRecords()) this.queue.deliverRecords(this.view);
    else this.queue.deliver(this.decoder.decode());
  }

  /** Called by the native side with an error of the receive path. */
  onError(err: Error): void {
    if (!this.closed && this.queue.owner() !== undefined) this.queue.fail(fromNativeError(err, 'receiving'));
  }

  close(): void {
    this.queue.close();
    this.unfollow?.();
    this.unfollow = null;
    this.stopAbort?.();
    this.stopAbort = null;
    this.handle.close();
  }
}

export const registry = new FinalizationRegistry<RxCore>((core) => {
  if (core.closed) return;
  core.close();
  warnClosedByGc('McastRxSocket');
});
