/**
 * The sockets' `signal` option, as `dgram.createSocket` has it: the socket closes when the signal
 * aborts. A signal that is already aborted gives a socket that closes at once (the constructors do
 * that themselves, before they join or bind anything that would need undoing).
 * @internal
 * @module
 */

/**
 * Closes `socket` when `signal` aborts; returns what takes the listener off the signal, which the
 * socket calls when it closes (however it closes), so that no listener outlives it. The listener
 * holds the socket weakly: a long-lived signal does not keep a socket nobody uses from being
 * garbage-collected (and so closed, which then takes the listener off too).
 */
export function closeOnAbort(signal: AbortSignal, socket: { close(): void }): () => void {
  const ref = new WeakRef(socket);
  const onAbort = (): void => ref.deref()?.close();
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}
