// The pluggable recogniser (--asr-endpoint) against a small fake
// OpenAI-compatible /v1/audio/transcriptions server: what parley sends
// (multipart, verbose_json, word timestamps, one request per channel), what
// it makes of the answer (through `parley transcribe` and through an
// Insights create on `parley serve`), and its errors (timeout, unreachable,
// HTTP error). Recordings come from Debian's pocketsphinx-testdata.
//
//   node tests/audio/asr_endpoint_test.mjs build/parley
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';

const parley = path.resolve(process.argv[2] ?? 'build/parley');
const CARD = '/usr/share/pocketsphinx/test/data/cards/001.wav';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-asr-endpoint-'));

// --- the fake server ---------------------------------------------------------
const requests = [];
const fake = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    if (req.url === '/slow/v1/audio/transcriptions') return;  // never answers
    if (req.url === '/broken/v1/audio/transcriptions') {
      res.writeHead(500, { 'content-type': 'application/json' });
      return res.end('{"error": {"message": "model not loaded"}}');
    }
    const boundary = /boundary=(.+)$/.exec(req.headers['content-type'] ?? '')?.[1];
    const fields = {};
    let file = null;
    for (const part of body.toString('latin1').split(`--${boundary}`)) {
      const m = /name="([^"]+)"(?:; filename="([^"]*)")?[\s\S]*?\r\n\r\n([\s\S]*)\r\n$/.exec(part);
      if (!m) continue;
      if (m[2] !== undefined) file = Buffer.from(m[3], 'latin1');
      else (fields[m[1]] ??= []).push(m[3]);
    }
    requests.push({ url: req.url, fields, file });
    const n = requests.length;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({
      task: 'transcribe', language: 'english', duration: 1.1, text: `Hello there, caller ${n}.`,
      words: [{ word: ' Hello', start: 0.1, end: 0.4, probability: 0.9 },
              { word: ' there,', start: 0.45, end: 0.7, probability: 0.8 },
              { word: ` caller${n}.`, start: 0.75, end: 1.0 }],
      segments: [{ id: 0, start: 0.1, end: 1.0, text: `Hello there, caller ${n}.` }],
    }));
  });
});
await new Promise((r) => fake.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${fake.address().port}`;

function run(args) {
  return new Promise((resolve) => {
    const p = spawn(parley, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (c) => { out += c; });
    p.stderr.on('data', (c) => { err += c; });
    p.on('exit', (code) => resolve({ code, out, err }));
  });
}

function stereo(file) {
  const b = fs.readFileSync(file);
  const samples = new Int16Array(b.buffer.slice(b.byteOffset + 44, b.byteOffset + b.length - ((b.length - 44) % 2)));
  const out = Buffer.alloc(44 + samples.length * 4);
  out.write('RIFF', 0); out.writeUInt32LE(36 + samples.length * 4, 4); out.write('WAVEfmt ', 8);
  out.writeUInt32LE(16, 16); out.writeUInt16LE(1, 20); out.writeUInt16LE(2, 22);
  out.writeUInt32LE(16000, 24); out.writeUInt32LE(64000, 28); out.writeUInt16LE(4, 32); out.writeUInt16LE(16, 34);
  out.write('data', 36); out.writeUInt32LE(samples.length * 4, 40);
  samples.forEach((v, i) => { out.writeInt16LE(v, 44 + i * 4); out.writeInt16LE(v >> 1, 46 + i * 4); });
  return out;
}

let failures = 0;
async function test(name, body) {
  try { await body(); console.log(`ok - ${name}`); } catch (e) { failures++; console.log(`not ok - ${name}\n    ${e.stack.replace(/\n/g, '\n    ')}`); }
}

await test('a mono recording is sent as it is, with verbose_json and word timestamps', async () => {
  requests.length = 0;
  const r = await run(['transcribe', '--json', '--asr-endpoint', base, '--asr-model', 'whisper-tiny', CARD]);
  assert.equal(r.code, 0, r.err);
  assert.equal(requests.length, 1);
  const q = requests[0];
  assert.equal(q.url, '/v1/audio/transcriptions');
  assert.deepEqual(q.fields.response_format, ['verbose_json']);
  assert.ok(q.fields['timestamp_granularities[]'].includes('word'));
  assert.deepEqual(q.fields.model, ['whisper-tiny']);
  assert.deepEqual(q.fields.language, ['en']);
  assert.ok(q.file.equals(fs.readFileSync(CARD)), 'the file part is the recording itself');
  const out = JSON.parse(r.out);
  assert.equal(out.engine, 'whisper-tiny');
  assert.equal(out.channels, 1);
  assert.deepEqual(out.words.map((w) => [w.word, w.start, w.end, w.confidence, w.channel]),
    [['Hello', 0.1, 0.4, 0.9, 1], ['there,', 0.45, 0.7, 0.8, 1], ['caller1.', 0.75, 1, 1, 1]]);
});

await test('a stereo recording: one request per channel, each a 16 kHz mono WAV; words carry the channel', async () => {
  requests.length = 0;
  const file = path.join(tmp, 'stereo.wav');
  fs.writeFileSync(file, stereo(CARD));
  const r = await run(['transcribe', '--json', '--asr-endpoint', `${base}/v1`, file]);
  assert.equal(r.code, 0, r.err);
  assert.equal(requests.length, 2);
  for (const q of requests) {
    assert.equal(q.file.toString('ascii', 0, 4), 'RIFF');
    assert.equal(q.file.readUInt16LE(22), 1, 'mono');
    assert.equal(q.file.readUInt32LE(24), 16000);
  }
  const out = JSON.parse(r.out);
  assert.equal(out.channels, 2);
  assert.deepEqual(out.words.filter((w) => w.channel === 1).map((w) => w.word), ['Hello', 'there,', 'caller1.']);
  assert.deepEqual(out.words.filter((w) => w.channel === 2).map((w) => w.word), ['Hello', 'there,', 'caller2.']);
});

await test('a server that does not answer in time: DEADLINE_EXCEEDED with a clear message', async () => {
  const started = Date.now();
  const r = await run(['transcribe', '--asr-endpoint', `${base}/slow`, '--asr-timeout-ms', '500', CARD]);
  assert.equal(r.code, 1);
  assert.match(r.err, /speech endpoint http:\/\/127\.0\.0\.1:\d+\/slow\/v1\/audio\/transcriptions did not answer within 500 ms/);
  assert.ok(Date.now() - started < 5000);
});

await test('a server that answers an error: its status and message are reported', async () => {
  const r = await run(['transcribe', '--asr-endpoint', `${base}/broken`, CARD]);
  assert.equal(r.code, 1);
  assert.match(r.err, /answered HTTP 500: \{"error": \{"message": "model not loaded"\}\}/);
});

await test('an unreachable server', async () => {
  const closed = http.createServer();
  await new Promise((r) => closed.listen(0, '127.0.0.1', r));
  const port = closed.address().port;
  await new Promise((r) => closed.close(r));
  const r = await run(['transcribe', '--asr-endpoint', `http://127.0.0.1:${port}`, CARD]);
  assert.equal(r.code, 1);
  assert.match(r.err, /cannot be reached/);
});

await test('parley serve --asr-endpoint: an Insights create keeps the endpoint\'s casing and punctuation', async () => {
  requests.length = 0;
  const buckets = path.join(tmp, 'buckets');
  fs.mkdirSync(path.join(buckets, 'calls'), { recursive: true });
  fs.copyFileSync(CARD, path.join(buckets, 'calls', 'card.wav'));
  const server = spawn(parley, ['serve', '--listen', '127.0.0.1:0', '--data-dir', path.join(tmp, 'data'),
    '--bucket-dir', buckets, '--asr-endpoint', base], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    const port = await new Promise((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => reject(new Error(`no "listening on" line: ${err}`)), 10000);
      server.stderr.on('data', (c) => {
        err += c;
        const m = /listening on [^\s:]+:(\d+)/.exec(err);
        if (m) { clearTimeout(timer); resolve(Number(m[1])); }
      });
    });
    const res = await fetch(`http://127.0.0.1:${port}/v1/projects/p/locations/us/conversations?conversationId=call-1`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dataSource: { gcsSource: { audioUri: 'gs://calls/card.wav' } } }),
    });
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(requests.length, 1);
    const seg = body.transcript.transcriptSegments;
    assert.equal(seg.length, 1);
    assert.equal(seg[0].text, 'Hello there, caller1.');
    assert.deepEqual(seg[0].words.map((w) => [w.word, w.startOffset, w.endOffset]),
      [['Hello', '0.100s', '0.400s'], ['there,', '0.450s', '0.700s'], ['caller1.', '0.750s', '1s']]);
    assert.equal(seg[0].channelTag, 1);
    assert.match(body.duration, /^1\.09[0-9]*s$/);
  } finally {
    server.kill('SIGTERM');
  }
});

fake.close();
fs.rmSync(tmp, { recursive: true, force: true });
console.log(failures ? `${failures} failed` : 'all passed');
process.exit(failures ? 1 : 0);
