// An acknowledged upload is transcribed even if the server dies while
// transcribing it: an ElevateAI upload answers 201 once the recording and
// its transcription job are stored, an Insights conversations:upload of a
// recording answers its pending operation; the job queue transcribes them
// afterwards, and a job cut off by kill -9 runs again when the server
// restarts.
//
//   PARLEY_BIN=build/parley node --test tests/crash/transcription.test.mjs
//
// The recogniser is a small fake OpenAI-compatible /v1/audio/transcriptions
// server (--asr-endpoint): before the crash it holds every request without
// answering, so the kill lands mid-transcription for certain; after the
// restart it answers. Node built-ins only (and ./harness.mjs).

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { findParleyBinary, integrityCheck, killAll, request, startServer } from './harness.mjs';

const CARD = '/usr/share/pocketsphinx/test/data/cards/001.wav';  // Debian's pocketsphinx-testdata

const found = findParleyBinary();
const tmp = mkdtempSync(path.join(tmpdir(), 'parley-crash-asr-'));
let fake;
after(() => {
  killAll();
  fake?.close();
  rmSync(tmp, { recursive: true, force: true });
});

// The fake recogniser: counts requests; answers only once `answering` is set.
function startFakeRecogniser() {
  const state = { answering: false, received: 0, waiting: [] };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      state.received++;
      for (const wake of state.waiting.splice(0)) wake();
      if (!state.answering) return;  // held: the transcription stays in progress
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        task: 'transcribe', language: 'english', duration: 1.2, text: 'Resumed after the crash.',
        words: [{ word: ' Resumed', start: 0.1, end: 0.4, probability: 0.9 },
                { word: ' after', start: 0.45, end: 0.7, probability: 0.9 },
                { word: ' the', start: 0.72, end: 0.8, probability: 0.9 },
                { word: ' crash.', start: 0.82, end: 1.1, probability: 0.9 }],
      }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, state })));
}

async function status(port, id) {
  const res = await request(undefined, port, 'GET', `/v1/interactions/${id}/status`);
  assert.equal(res.status, 200, res.body);
  return JSON.parse(res.body).status;
}

test('kill -9 mid-transcription: the acknowledged upload is transcribed after the restart', { timeout: 90000 }, async (t) => {
  if (found.error) return t.skip(found.error);
  const { server, state } = await startFakeRecogniser();
  fake = server;
  const dataDir = path.join(tmp, 'data');
  const args = ['--asr-endpoint', `http://127.0.0.1:${server.address().port}`, '--asr-timeout-ms', '60000'];

  let parley = await startServer(found.bin, dataDir, args);
  const declared = await request(undefined, parley.port, 'POST', '/v1/interactions',
    JSON.stringify({ type: 'audio', languageTag: 'en-us', vertical: 'default', audioTranscriptionMode: 'highAccuracy' }));
  assert.equal(declared.status, 201, declared.body);
  const id = JSON.parse(declared.body).interactionIdentifier;

  // The upload is acknowledged while the recogniser has not answered: it
  // does not wait for the transcription.
  const received = new Promise((resolve) => state.waiting.push(resolve));
  const uploaded = await request(undefined, parley.port, 'POST', `/v1/interactions/${id}/upload`,
    readFileSync(CARD), { 'content-type': 'audio/wav' });
  assert.equal(uploaded.status, 201, uploaded.body);
  await received;
  assert.equal(state.answering, false);
  assert.equal(await status(parley.port, id), 'processing');

  await parley.kill9();
  state.answering = true;
  parley = await startServer(found.bin, dataDir, args);
  let now;
  const deadline = Date.now() + 30000;
  while ((now = await status(parley.port, id)) !== 'processed' && Date.now() < deadline) {
    assert.notEqual(now, 'processingFailed');
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(now, 'processed');
  assert.ok(state.received >= 2, 'the restarted server sent the recording again');
  const tx = await request(undefined, parley.port, 'GET', `/v1/interactions/${id}/transcripts/punctuated`);
  assert.equal(tx.status, 200, tx.body);
  assert.deepEqual(JSON.parse(tx.body).sentenceSegments.map((s) => s.phrase), ['Resumed after the crash.']);
  const { code } = await parley.stop();
  assert.equal(code, 0);
  assert.equal(integrityCheck(dataDir), 'ok');
});

test('kill -9 mid-transcription: an Insights upload operation finishes after the restart', { timeout: 90000 }, async (t) => {
  if (found.error) return t.skip(found.error);
  const { server, state } = await startFakeRecogniser();
  const buckets = path.join(tmp, 'buckets');
  mkdirSync(path.join(buckets, 'calls'), { recursive: true });
  copyFileSync(CARD, path.join(buckets, 'calls', 'card.wav'));
  const dataDir = path.join(tmp, 'data-insights');
  const args = ['--asr-endpoint', `http://127.0.0.1:${server.address().port}`, '--asr-timeout-ms', '60000',
                '--bucket-dir', buckets];
  const base = '/v1/projects/p1/locations/us';
  try {
    let parley = await startServer(found.bin, dataDir, args);
    const received = new Promise((resolve) => state.waiting.push(resolve));
    const started = await request(undefined, parley.port, 'POST', `${base}/conversations:upload`,
      JSON.stringify({ conversationId: 'call-1', conversation: { dataSource: { gcsSource: { audioUri: 'gs://calls/card.wav' } } } }));
    assert.equal(started.status, 200, started.body);
    const op = JSON.parse(started.body);
    assert.notEqual(op.done, true, 'answered before the transcription');
    await received;
    const missing = await request(undefined, parley.port, 'GET', `${base}/conversations/call-1`);
    assert.equal(missing.status, 404, 'not stored until transcribed');

    await parley.kill9();
    state.answering = true;
    parley = await startServer(found.bin, dataDir, args);
    let now;
    const deadline = Date.now() + 30000;
    do {
      await new Promise((r) => setTimeout(r, 50));
      now = JSON.parse((await request(undefined, parley.port, 'GET', `/v1/${op.name}`)).body);
    } while (!now.done && Date.now() < deadline);
    assert.equal(now.done, true, JSON.stringify(now));
    assert.equal(now.error, undefined, JSON.stringify(now.error));
    assert.equal(now.response.name, `projects/p1/locations/us/conversations/call-1`);
    assert.deepEqual(now.response.transcript.transcriptSegments.map((s) => s.text), ['Resumed after the crash.']);
    const c = await request(undefined, parley.port, 'GET', `${base}/conversations/call-1`);
    assert.equal(c.status, 200, c.body);
    assert.equal((await parley.stop()).code, 0);
    assert.equal(integrityCheck(dataDir), 'ok');
  } finally {
    server.close();
  }
});
