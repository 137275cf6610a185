/**
 * The self-test of `doctor`: on one interface, join the group, send to it with TTL 0 (the datagram
 * never leaves this host) and externalLoopback, and wait for the datagram to come back on that
 * interface. It exercises the whole local path: the join, the route, the firewall's INPUT chain and
 * the receive filter.
 * @internal
 * @module
 */
import { type Family, type IfaceInfo, McastRxSocket, McastTxSocket } from '../../index';
import { decodeSeq, encodeSeq, newStreamId, nowUs } from '../seq-header';

export type SelfTestResult = { ok: true; rttMs: number } | { ok: false; reason: string; error?: Error };

export async function selfTest(iface: IfaceInfo, family: Family, group: string, port: number, timeoutMs: number): Promise<SelfTestResult> {
  let rx: McastRxSocket | undefined;
  let tx: McastTxSocket | undefined;
  try {
    rx = new McastRxSocket({ groups: [group], port, family, iface, externalLoopback: true });
    tx = new McastTxSocket({ groups: [group], family, iface, ttl: 0, externalLoopback: true });
    const stream = newStreamId();
    const started = performance.now();
    await tx.send(encodeSeq({ kind: 'data', stream, seq: 1, sentAtUs: nowUs() }, Buffer.from('multicast-expert doctor self-test')), group, port);
    const deadline = started + timeoutMs;
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0) return { ok: false, reason: `nothing came back within ${timeoutMs} ms` };
      const msg = await rx.receive({ timeout: left });
      if (msg === null) return { ok: false, reason: `nothing came back within ${timeoutMs} ms` };
      const d = decodeSeq(msg.data);
      // Someone else's datagram on the same group and port is not our answer.
      if (d === null || d.header.stream !== stream) continue;
      if (msg.ifaceIndex !== iface.index) return { ok: false, reason: `it came back on interface ${msg.ifaceName}, not ${iface.name}` };
      return { ok: true, rttMs: performance.now() - started };
    }
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    return { ok: false, reason: e.message, error: e };
  } finally {
    rx?.close();
    tx?.close();
  }
}
