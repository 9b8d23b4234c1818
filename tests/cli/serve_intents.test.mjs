// A tenant attaches an intent model (`parley serve --intent-model PROJECT=PATH`)
// and its analyses report intents; other tenants' do not. `parley analyze
// --intent-model` uses the same pipeline.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { intentTrainingCsv } from './intent_training.mjs';

const bin = process.env.PARLEY_BIN;
assert.ok(bin, 'PARLEY_BIN must point at build/parley');
const dir = mkdtempSync(path.join(tmpdir(), 'parley-intents-serve-'));
const model = path.join(dir, 'intents.model');
let server, port;

function request(method, p, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: p,
      headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, json: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    if (body) req.write(JSON.stringify(body));
    req.end();
  });
}

before(async () => {
  writeFileSync(path.join(dir, 'train.csv'), intentTrainingCsv());
  const trained = spawnSync(bin, ['intents', 'train', '--examples', path.join(dir, 'train.csv'), '--model', model],
    { encoding: 'utf8' });
  assert.equal(trained.status, 0, trained.stderr);
  port = 19000 + Math.floor(Math.random() * 1000);
  server = spawn(bin, ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', path.join(dir, 'data'),
    '--intent-model', `with-model=${model}`, '--intent-threshold', '0.3'], { stdio: ['ignore', 'ignore', 'pipe'] });
  for (let i = 0; ; i++) {
    try { if ((await request('GET', '/healthz')).status === 200) break; } catch {}
    assert.ok(i < 200, 'server did not start');
    await new Promise((r) => setTimeout(r, 25));
  }
});

after(async () => {
  if (server) {
    server.kill('SIGTERM');
    await new Promise((r) => server.on('exit', r));
  }
  rmSync(dir, { recursive: true, force: true });
});

async function analyse(project) {
  const base = `/v1/projects/${project}/locations/us`;
  const created = await request('POST', `${base}/conversations?conversationId=call-1`, {
    medium: 'CHAT',
    transcript: { transcriptSegments: [
      { text: 'Hello, how can I help you today?', segmentParticipant: { role: 'HUMAN_AGENT' } },
      { text: 'I lost my card yesterday, please block it', segmentParticipant: { role: 'END_USER' } },
      { text: 'Done. Anything else?', segmentParticipant: { role: 'HUMAN_AGENT' } },
      { text: 'Yes, I also want a refund for a charge', segmentParticipant: { role: 'END_USER' } },
      { text: 'Refunded.', segmentParticipant: { role: 'HUMAN_AGENT' } },
      // Small talk names no intent, whatever the model would say.
      { text: "great that's a relief thank you so much", segmentParticipant: { role: 'END_USER' } },
      { text: 'hello', segmentParticipant: { role: 'END_USER' } },
    ] },
  });
  assert.equal(created.status, 200);
  const op = await request('POST', `${base}/conversations/call-1/analyses`, {});
  assert.equal(op.status, 200);
  for (let i = 0; i < 500; i++) {
    const got = await request('GET', `/v1/${op.json.name}`);
    if (got.json.done) {
      assert.equal(got.json.error, undefined);
      return got.json.response.analysisResult.callAnalysisMetadata;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail('analysis did not finish');
}

test("a tenant's attached model names its customers' intents", async () => {
  const meta = await analyse('with-model');
  assert.deepEqual(Object.keys(meta.intents).sort(), ['card_lost', 'refund_request']);
  assert.equal(meta.intents.card_lost.displayName, 'card_lost');
  const matches = meta.annotations.filter((a) => a.intentMatchData);
  assert.deepEqual(matches.map((a) => [a.annotationStartBoundary.transcriptIndex, a.intentMatchData.intentUniqueId]),
    [[1, 'card_lost'], [3, 'refund_request']]);
  // Every intent annotation carries its confidence, at least the threshold (0.3).
  for (const a of matches) {
    assert.equal(typeof a.intentMatchData.confidence, 'number');
    assert.ok(a.intentMatchData.confidence >= 0.3 && a.intentMatchData.confidence <= 1, JSON.stringify(a));
  }
});

test('greetings and thanks get no intent even at threshold 0', () => {
  const line = JSON.stringify({ transcript: { transcriptSegments: [
    { text: 'hello', segmentParticipant: { role: 'END_USER' } },
    { text: "great that's a relief thank you so much", segmentParticipant: { role: 'END_USER' } },
    { text: 'thanks, and I lost my card', segmentParticipant: { role: 'END_USER' } }] } });
  const r = spawnSync(bin, ['analyze', '--intent-model', model, '--intent-threshold', '0'],
    { input: line + '\n', encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const meta = JSON.parse(r.stdout).analysisResult.callAnalysisMetadata;
  const matches = meta.annotations.filter((a) => a.intentMatchData);
  assert.deepEqual(matches.map((a) => [a.annotationStartBoundary.transcriptIndex ?? 0, a.intentMatchData.intentUniqueId]),
    [[2, 'card_lost']]);
});

test('a tenant without a model gets no intents', async () => {
  const meta = await analyse('without-model');
  assert.equal(meta.intents, undefined);
  assert.ok(meta.sentiments.length > 0, 'the rest of the analysis is there');
});

test('parley analyze --intent-model reports the same intents', () => {
  const line = JSON.stringify({ transcript: { transcriptSegments: [
    { text: 'I want a refund please', segmentParticipant: { role: 'END_USER' } }] } });
  const r = spawnSync(bin, ['analyze', '--intent-model', model, '--intent-threshold', '0.3'],
    { input: line + '\n', encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(out.analysisResult.callAnalysisMetadata.intents), ['refund_request']);
});

test('a missing model file stops the server from starting, with a clear message', () => {
  const r = spawnSync(bin, ['serve', '--listen', '127.0.0.1:0', '--data-dir', path.join(dir, 'data2'),
    '--intent-model', path.join(dir, 'nope.model')], { encoding: 'utf8', timeout: 10000 });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--intent-model .*nope\.model/);
});
