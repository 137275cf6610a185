/**
 * The one warning for a socket that was garbage-collected while open (and so closed for the user).
 * @internal
 * @module
 */
const warned = new Set<string>();

export function warnClosedByGc(kind: string): void {
  if (warned.has(kind)) return;
  warned.add(kind);
  process.emitWarning(`a ${kind} was garbage-collected while open and has been closed; call close() when done with a socket`, {
    code: 'MULTICAST_EXPERT_SOCKET_GC',
  });
}
