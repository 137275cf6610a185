// Proof against a real peer: ffmpeg streams a generated test pattern as MPEG-TS to a group,
// examples/iptv-record.js records it, ffprobe reads the recording. The path is a lab LAN whose switch
// can drop 1% of the stream at random (an nftables rule on the bridge: this kernel has no netem),
// and counts what it forwarded and what it dropped, so the loss the recorder reports is checked
// against what the network did and against ffmpeg's own continuity check.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

import { type Host, Lab, type Lan } from '../lab/lab';
import { describeLab, freshGroup, freshPort, itWithTools } from './helpers';

const RECORDER = path.resolve(__dirname, '..', 'examples', 'iptv-record.js');
const SECONDS = 4;
const FPS = 25;
const withPeers = itWithTools({ ffmpeg: 'ffmpeg', ffprobe: 'ffmpeg', nft: 'nftables' });

interface Recording {
  lines: string[];
  errorsByPid: Map<number, number>;
  datagrams: number;
  total: number;
}

/** What the recorder printed at the end: its datagram count and its table of continuity errors per PID. */
function parseReport(stdout: string): Recording {
  const lines = stdout.split('\n').filter((l) => l.length > 0);
  const summary = lines.find((l) => l.startsWith('recorded '));
  if (summary === undefined) throw new Error(`no report from the recorder:\n${stdout}`);
  const errorsByPid = new Map<number, number>();
  for (const l of lines) {
    const m = /^0x([0-9a-f]{4})\s+(\d+)\s+(\d+)$/.exec(l);
    if (m) errorsByPid.set(parseInt(m[1] as string, 16), Number(m[3]));
  }
  const total = /^continuity errors: (\d+)$/.exec(lines[lines.length - 1] as string);
  if (total === null) throw new Error(`no total in the report:\n${stdout}`);
  return { lines, errorsByPid, datagrams: Number(/^recorded (\d+) datagrams/.exec(summary)?.[1]), total: Number(total[1]) };
}

/** ffprobe over the whole recording: its streams, and the continuity failures its demuxer logs. */
function probe(file: string): { streams: Array<{ codec_name: string; width?: number; nb_read_packets: string }>; ccFailures: string[] } {
  const r = spawnSync('ffprobe', ['-v', 'debug', '-count_packets', '-show_entries', 'stream=codec_name,width,nb_read_packets', '-of', 'json', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffprobe failed: ${r.stderr}`);
  const ccFailures = r.stderr.split('\n').flatMap((l) => {
    const m = /Continuity check failed for pid (\d+) expected (\d+) got (\d+)/.exec(l);
    return m ? [`pid ${m[1]} expected ${m[2]} got ${m[3]}`] : [];
  });
  return { streams: (JSON.parse(r.stdout) as { streams: [] }).streams, ccFailures };
}

describeLab('proof: IPTV, ffmpeg to examples/iptv-record.js, read back by ffprobe', () => {
  let lab: Lab;
  let lan: Lan;
  let headend: Host;
  let viewer: Host;
  let dir: string;

  beforeAll(async () => {
    lab = await Lab.create();
    lan = await lab.lan('tv');
    headend = await lab.host('headend');
    viewer = await lab.host('viewer');
    await lab.connect(headend, lan, { ipv4: '10.71.0.1/24' });
    await lab.connect(viewer, lan, { ipv4: '10.71.0.2/24' });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mce-iptv-'));
  });

  afterAll(async () => {
    await lab?.close();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  /**
   * The switch counts the stream's datagrams it forwards and, with `lossPercent`, drops that share
   * of them at random first. Returns how many it forwarded and dropped.
   */
  async function pathCounters(group: string, port: number, lossPercent: number): Promise<() => Promise<{ seen: number; dropped: number }>> {
    const table = `path${lossPercent}`;
    await lan.host.sh(
      [
        `nft add table bridge ${table}`,
        `nft add chain bridge ${table} lossy '{ type filter hook forward priority 0; }'`,
        `nft add rule bridge ${table} lossy ip daddr ${group} udp dport ${port} counter`,
        `nft add rule bridge ${table} lossy ip daddr ${group} udp dport ${port} numgen random mod 100 '<' ${lossPercent} counter drop`,
      ].join('; '),
    );
    return async () => {
      const rules = JSON.parse(await lan.host.sh(`nft -j list table bridge ${table}`)) as { nftables: Array<{ rule?: { expr: Array<{ counter?: { packets: number } }> } }> };
      const counts = rules.nftables.flatMap((e) => (e.rule ? e.rule.expr.flatMap((x) => (x.counter ? [x.counter.packets] : [])) : []));
      await lan.host.sh(`nft delete table bridge ${table}`);
      return { seen: counts[0] as number, dropped: counts[1] as number };
    };
  }

  async function record(lossPercent: number): Promise<{ report: Recording; file: string; seen: number; dropped: number }> {
    const group = freshGroup();
    const port = freshPort();
    const file = path.join(dir, `loss${lossPercent}.ts`);
    const counters = await pathCounters(group, port, lossPercent);
    const recorder = viewer.spawnNode([RECORDER, '--group', group, '--port', String(port), '--iface', 'eth0', '--out', file, '--idle', '1000']);
    await recorder.waitFor('recording ', 15000);
    // A constant mux rate (null packets fill it up) makes some 380 datagrams a second: at 1% loss
    // the chance that none of ~1500 is dropped is 3e-7.
    const ffmpeg = await headend.run(
      'ffmpeg',
      [
        ...['-hide_banner', '-loglevel', 'error', '-re'],
        ...['-f', 'lavfi', '-i', `testsrc=size=320x240:rate=${FPS}`, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'],
        ...['-t', String(SECONDS), '-c:v', 'mpeg2video', '-b:v', '2M', '-c:a', 'mp2', '-muxrate', '4M'],
        ...['-f', 'mpegts', `udp://${group}:${port}?ttl=1&localaddr=10.71.0.1&pkt_size=1316`],
      ],
      { timeoutMs: 60000 },
    );
    expect(ffmpeg.stderr).toBe('');
    expect(ffmpeg.code).toBe(0);
    const done = await recorder.exited; // --idle: it stops 1 s after the stream ends
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    return { report: parseReport(done.stdout), file, ...(await counters()) };
  }

  withPeers('without loss on the path: every datagram recorded, no continuity error, and ffprobe reads every frame', async () => {
    const { report, file, seen, dropped } = await record(0);
    expect(dropped).toBe(0);
    expect(seen).toBeGreaterThan(1000);
    expect(report.datagrams).toBe(seen);
    expect(report.total).toBe(0);
    expect(report.lines.filter((l) => l.startsWith('continuity error on '))).toEqual([]);
    expect(report.lines).toContainEqual(expect.stringMatching(/^stream from 10\.71\.0\.1:\d+ on eth0$/));
    const { streams, ccFailures } = probe(file);
    expect(ccFailures).toEqual([]);
    expect(streams).toEqual([
      expect.objectContaining({ codec_name: 'mpeg2video', width: 320, nb_read_packets: String(SECONDS * FPS) }),
      expect.objectContaining({ codec_name: 'mp2' }),
    ]);
  }, 60000);

  withPeers('with 1% loss on the path: the recorder reports continuity errors, the ones ffmpeg finds too', async () => {
    const { report, file, seen, dropped } = await record(1);
    expect(dropped).toBeGreaterThan(0);
    // Everything the switch let through was recorded: the errors are the network's, not ours.
    expect(report.datagrams).toBe(seen - dropped);
    expect(report.total).toBeGreaterThan(0);
    const { streams, ccFailures } = probe(file);
    expect(streams.map((s) => s.codec_name)).toEqual(['mpeg2video', 'mp2']);
    expect(ccFailures.length).toBeGreaterThan(0);
    // Each failure ffmpeg's demuxer logs is one the recorder printed, PID for PID.
    const ours = report.lines.flatMap((l) => {
      const m = /^continuity error on PID 0x([0-9a-f]{4}): expected (\d+), got (\d+) /.exec(l);
      return m ? [`pid ${parseInt(m[1] as string, 16)} expected ${m[2]} got ${m[3]}`] : [];
    });
    expect(ours.length).toBe(report.total);
    for (const failure of ccFailures) expect(ours).toContain(failure);
    expect([...report.errorsByPid.values()].reduce((a, b) => a + b, 0)).toBe(report.total);
  }, 60000);
});
