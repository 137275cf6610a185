// The lab's process wrapper (lab/lab.js LabProcess): `wholeLines`, which readers that parse lines
// use (test/reliability/probe.ts), has a line only once it is whole. A long line (a probe's JSON
// report of thousands of datagrams) arrives in several chunks, and a reader given the first one parsed
// half of it; so did a CI run. `lines` keeps the unfinished last line, for programs such as socat
// that print no newline.
import { Lab } from '../lab/lab';
import { describeLab, sleep } from './helpers';

describeLab('lab processes', () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await Lab.create();
  });
  afterAll(() => lab?.close());

  it('wholeLines: a line printed in two pieces is seen only whole; a last line without a newline counts once the process ends', async () => {
    const host = await lab.host('lines');
    const p = host.spawnNode([
      '-e',
      `process.stdout.write('first\\nreport {"text":"\\\\u00');
       setTimeout(() => process.stdout.write('e9"}\\n'), 300);
       setTimeout(() => process.stdout.write('tail'), 600);
       setTimeout(() => {}, 900);`,
    ]);
    // The first piece is here, the line not yet whole.
    while (!p.stdout.includes('report')) await sleep(10);
    expect(p.wholeLines).toEqual(['first']);
    expect(p.lines).toEqual(['first', 'report {"text":"\\u00']);
    while (!p.wholeLines.some((l) => l.startsWith('report '))) await sleep(10);
    const line = p.wholeLines[1] as string;
    expect(JSON.parse(line.slice('report '.length))).toEqual({ text: 'é' });
    while (!p.stdout.includes('tail')) await sleep(10);
    expect(p.wholeLines).toEqual(['first', line]);
    await p.exited;
    expect(p.wholeLines).toEqual(['first', line, 'tail']);
  });
});
