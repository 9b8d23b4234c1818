// Progress bars of long CLI work (issue 15): `parley analyze` and `parley
// intents train` draw one on a terminal (a pseudo-terminal from `script`)
// with share, count, rate and time left, and write nothing of it when
// stderr is a pipe.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const bin = process.env.PARLEY_BIN;
assert.ok(bin, 'PARLEY_BIN must point at build/parley');
const dir = mkdtempSync(path.join(tmpdir(), 'parley-progress-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const input = path.join(dir, 'in.ndjson');
const lines = [];
for (let i = 0; i < 300; i++) {
  lines.push(JSON.stringify({ name: `projects/p/locations/l/conversations/c${i}`, transcript: { transcriptSegments: [
    { text: 'My card was charged twice and I am really angry about it.', channelTag: 1 },
    { text: 'I am sorry, I have refunded the duplicate charge.', channelTag: 2 }] } }));
}
writeFileSync(input, lines.join('\n') + '\n');
const csv = path.join(dir, 'train.csv');
const rows = ['text,label'];
for (let i = 0; i < 20; i++) {
  rows.push(`i lost my card number ${i},card_lost`, `please refund order ${i},refund`, `change my address to street ${i},address`);
}
writeFileSync(csv, rows.join('\n') + '\n');

// Runs `command` (a shell command line) with stderr (and stdout) on a pseudo-terminal.
function onTerminal(command) {
  const r = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: r.stdout };
}
const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;

test('analyze: a bar on a terminal, nothing when piped', () => {
  const tty = onTerminal(`${q(bin)} analyze --threads 2 < ${q(input)} > /dev/null`);
  assert.equal(tty.status, 0, tty.out);
  assert.match(tty.out, /analyze \[#{30}\] 100%  300 conversations  [\d.]+\/s  ETA 0:00/);
  assert.ok(tty.out.includes('\r'), 'the line is redrawn in place');

  const piped = spawnSync(bin, ['analyze', '--threads', '2'], { input: lines.join('\n') + '\n', encoding: 'utf8' });
  assert.equal(piped.status, 0);
  assert.equal(piped.stdout.trim().split('\n').length, 300);
  assert.equal(piped.stderr, '', 'nothing on a piped stderr');
});

test('intents train: a bar of passes on a terminal, only the summary when piped', () => {
  const model = path.join(dir, 'm.model');
  const tty = onTerminal(`${q(bin)} intents train --examples ${q(csv)} --model ${q(model)} --min-count 1`);
  assert.equal(tty.status, 0, tty.out);
  assert.match(tty.out, /intents train \[#{30}\] 100%  45 passes  [\d.]+\/s  ETA 0:00/);
  const piped = spawnSync(bin, ['intents', 'train', '--examples', csv, '--model', model, '--min-count', '1'], { encoding: 'utf8' });
  assert.equal(piped.status, 0, piped.stderr);
  assert.doesNotMatch(piped.stderr, /\[#|\r/);
  assert.match(piped.stderr, /^parley intents: trained on 60 examples of 3 intents/);
});
