// `parley analyze`: NDJSON Insights conversations in, one Analysis per line out, in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const bin = process.env.PARLEY_BIN;
assert.ok(bin, 'PARLEY_BIN must point at build/parley');

function analyze(lines, args = []) {
  const r = spawnSync(bin, ['analyze', ...args], { input: lines.join('\n') + '\n', encoding: 'utf8' });
  return { code: r.status, out: r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l)), err: r.stderr };
}

const angry = {
  name: 'projects/p/locations/l/conversations/c1',
  transcript: { transcriptSegments: [
    { text: 'This is terrible, I am furious!', channelTag: 1,
      words: [{ word: 'This', startOffset: '0s', endOffset: '0.5s' }, { word: 'furious', startOffset: '1s', endOffset: '2s' }] },
    { text: 'Great, thank you so much, that is wonderful.', channelTag: 2,
      words: [{ word: 'Great', startOffset: '9s', endOffset: '9.5s' }, { word: 'wonderful', startOffset: '10s', endOffset: '11s' }] },
  ] },
};

test('one analysis per line, in input order, per-channel sentiment and silence', () => {
  const many = [];
  for (let i = 0; i < 50; i++) many.push(JSON.stringify({ ...angry, name: `projects/p/locations/l/conversations/c${i}` }));
  const { code, out } = analyze(many, ['--threads', '4']);
  assert.equal(code, 0);
  assert.equal(out.length, 50);
  out.forEach((a, i) => assert.equal(a.name, `projects/p/locations/l/conversations/c${i}/analyses/${i + 1}`));
  const meta = out[0].analysisResult.callAnalysisMetadata;
  const byChannel = Object.fromEntries(meta.sentiments.map((s) => [s.channelTag, s.sentimentData]));
  assert.ok(byChannel[1].score < -0.3, `channel 1 is negative: ${JSON.stringify(byChannel[1])}`);
  assert.ok(byChannel[2].score > 0.3, `channel 2 is positive: ${JSON.stringify(byChannel[2])}`);
  assert.ok(meta.annotations.some((a) => a.silenceData !== undefined), 'the 7 s gap is a silence annotation');
  assert.equal(meta.silence.silenceDuration, '7s');
});

test('a bad line gets an error line in its place and a non-zero exit', () => {
  const { code, out } = analyze([JSON.stringify(angry), '{"nope": 1}', '{}']);
  assert.equal(code, 1);
  assert.equal(out.length, 3);
  assert.equal(out[1].error.code, 400);
  assert.match(out[1].error.message, /^line 2: .*nope/);
  assert.ok(out[2].name.endsWith('/analyses/3'));
});

test('an empty transcript gives a valid empty result', () => {
  const { code, out } = analyze(['{"transcript": {}}']);
  assert.equal(code, 0);
  assert.deepEqual(out[0].analysisResult.callAnalysisMetadata.sentiments, undefined);
});
