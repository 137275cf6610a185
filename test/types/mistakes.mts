// Type tests, compiled by `npm run test:types` and never run. Every line under a `@ts-expect-error`
// is a mistake the package's types must reject: should one compile, tsc fails on the unused
// directive. Every other line is a right use, which must compile. The import goes through the
// package's exports to the built declarations (dist/esm.d.mts), as a user's does.
import { once } from 'node:events';
import {
  ErrorCodes,
  type IfaceChangeType,
  type IfaceInfo,
  McastRxSocket,
  type McastMessage,
  McastTxSocket,
  MulticastExpertError,
  type MulticastExpertErrorCode,
  type OsErrorCode,
} from 'multicast-expert';

declare const rx: McastRxSocket;
declare const tx: McastTxSocket;
declare const err: MulticastExpertError;

// ---- Every event of the receiver is typed, with its arguments; there is no catch-all. --------------
rx.on('message', (msg) => msg.group.toUpperCase());
rx.on('batch', (msgs) => msgs.map((m) => m.ifaceName));
rx.on('error', (e) => e.code);
rx.on('close', () => undefined);
rx.on('iface-lost', (iface, why) => {
  const name: string = iface.name;
  const reason: IfaceChangeType = why;
  return [name, reason];
});
rx.once('iface-joined', (iface: IfaceInfo, why: IfaceChangeType) => [iface.index, why]);
rx.on('newListener', (event) => event);

// @ts-expect-error: a misspelt property of the interface an event gives
rx.on('iface-lost', (iface, why) => iface.nmae + why);
// @ts-expect-error: a misspelt event
rx.on('mesage', () => undefined);
// @ts-expect-error: a misspelt event, with once()
rx.once('mesage', () => undefined);
// @ts-expect-error: a misspelt event, with off()
rx.off('mesage', () => undefined);
// @ts-expect-error: a misspelt event, with prependListener()
rx.prependListener('mesage', () => undefined);
// @ts-expect-error: a listener of the wrong argument
rx.on('message', (msg: string) => msg);
// @ts-expect-error: 'batch' gives an array, not one message
rx.on('batch', (msg: McastMessage) => msg);
// @ts-expect-error: 'close' gives nothing
rx.on('close', (code: number) => code);
// @ts-expect-error: an 'error' listener gets a MulticastExpertError, whose code is no number
rx.on('error', (e) => e.code.toFixed());
// @ts-expect-error: emit() of a misspelt event
rx.emit('mesage');
// @ts-expect-error: emit() with the wrong arguments
rx.emit('message', 'not a message');
// @ts-expect-error: listeners() of a misspelt event
rx.listeners('mesage');
// @ts-expect-error: listenerCount() of a misspelt event
rx.listenerCount('mesage');

// ---- The sender's one event is 'close'. --------------------------------------------------------------
tx.on('close', () => undefined);
// @ts-expect-error: a sender has no 'message' event
tx.on('message', () => undefined);
// @ts-expect-error: a sender's errors are those of its calls, not events
tx.on('error', () => undefined);

// ---- Error codes: the library's and the OS's, and nothing else. ------------------------------------
function describe(e: MulticastExpertError): string {
  switch (e.code) {
    case ErrorCodes.NOT_MULTICAST:
    case 'ERR_SOCKET_CLOSED':
    case 'EADDRINUSE':
    case 'ENOBUFS':
    case 'WSAENOPROTOOPT':
    case 'UNKNOWN':
      return e.code;
    // @ts-expect-error: no such code
    case 'ERR_TYPO_CODE':
      return 'never';
    default:
      return e.hint ?? e.message;
  }
}
const asString: string = err.code;
const osCode: OsErrorCode = 'ENODEV';
const anyCode: MulticastExpertErrorCode = osCode;
const errno: number | undefined = err.errno;
const syscall: string | undefined = err.syscall;
// @ts-expect-error: no such code, compared
if (err.code === 'ERR_TYPO_CODE') throw err;
// Details that may be undefined, also under exactOptionalPropertyTypes (the constructor leaves them out).
export const wrapped = new MulticastExpertError(ErrorCodes.INVALID_OPTION, 'wrapped', { errno: err.errno, syscall: err.syscall, hint: err.hint, cause: err });
// @ts-expect-error: no such code, given
throw new MulticastExpertError('ERR_TYPO_CODE', 'a code of our own');

// ---- Options: the signal of both constructors. --------------------------------------------------------
export function open(signal: AbortSignal): [McastRxSocket, McastTxSocket] {
  return [new McastRxSocket({ groups: ['239.1.2.3'], port: 5000, iface: 'eth0', signal }), new McastTxSocket({ iface: 'eth0', signal })];
}
// @ts-expect-error: a signal is an AbortSignal, not a controller
new McastTxSocket({ signal: new AbortController() });
// @ts-expect-error: a misspelt option
new McastRxSocket({ groups: [], port: 5000, ifcae: 'eth0' });

// ---- Internals are not part of the types. ------------------------------------------------------------
// @ts-expect-error: the receive queue's delivery is internal
rx.deliver([]);
// @ts-expect-error: the native handle is internal
void tx.handle;
// @ts-expect-error: the hook that follows listeners is the class's own
rx.listenersChanged();
// @ts-expect-error: the modules behind the entry points are not exported
import type { fromNativeError } from 'multicast-expert/dist/errors.js';

// ---- Reading: receive(), for await, events.once. ----------------------------------------------------
export async function read(): Promise<string[]> {
  const first: McastMessage | null = await rx.receive({ timeout: 1000, signal: AbortSignal.timeout(2000) });
  // @ts-expect-error: receive() may give null (timed out, or closed)
  const group: string = (await rx.receive()).group;
  const out = [first?.group ?? 'none', group];
  for await (const msg of rx) out.push(msg.group);
  // node:events' once() is untyped by event in @types/node (up to 26.x): Promise<any[]>. The
  // listener's own tuple type names what it gives.
  const [viaOnce] = (await once(rx, 'message')) as [McastMessage];
  out.push(viaOnce.ifaceName);
  return out;
}

export { describe, asString, anyCode, errno, syscall, type fromNativeError };
