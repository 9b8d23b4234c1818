// Latency of analysing a 120-turn conversation through the Insights API:
// POST .../analyses, then GET the operation until it is done (polled every
// millisecond), measured end to end over loopback, one request at a time.
//   node bench/insights/analyze_latency.mjs [build/parley] [runs=50]
// Prints the median and 90th percentile in ms.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

const bin = process.argv[2] ?? 'build/parley';
const runs = Number(process.argv[3] ?? 50);
const port = 18000 + Math.floor(Math.random() * 1000);
const dir = mkdtempSync(path.join(tmpdir(), 'parley-analyze-bench-'));
const server = spawn(bin, ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', path.join(dir, 'data')], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function request(method, p, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: p, agent,
      headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, body: text }));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const words = ['account', 'balance', 'card', 'charged', 'twice', 'refund', 'please', 'help', 'thank', 'you',
  'very', 'angry', 'great', 'service', 'cancel', 'order', 'payment', 'late', 'fee', 'waiting', 'hold',
  'agent', 'manager', 'transfer', 'problem', 'fixed', 'happy', 'not', 'working', 'today', 'online', 'app'];
let seed = 7;
const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed; };
function segment() {
  let s = '';
  while (s.length < 80) s += (s ? ' ' : '') + words[rand() % words.length];
  return s;
}

try {
  for (let i = 0; ; i++) {
    try { if ((await request('GET', '/healthz')).status === 200) break; } catch {}
    if (i > 200) throw new Error('server did not start');
    await sleep(25);
  }
  const base = '/v1/projects/bench/locations/us';
  const segments = [];
  for (let i = 0; i < 120; i++) {
    segments.push({ text: segment(), channelTag: (i % 2) + 1,
      segmentParticipant: { role: i % 2 ? 'HUMAN_AGENT' : 'END_USER' },
      messageTime: new Date(Date.UTC(2026, 0, 1, 10, 0, i * 5)).toISOString() });
  }
  const created = await request('POST', `${base}/conversations?conversationId=bench-120`,
    JSON.stringify({ medium: 'PHONE_CALL', transcript: { transcriptSegments: segments } }));
  if (created.status !== 200) throw new Error(`create: ${created.status} ${created.body}`);
  const times = [];
  for (let r = 0; r < runs + 3; r++) {
    const t0 = process.hrtime.bigint();
    const op = await request('POST', `${base}/conversations/bench-120/analyses`, '{}');
    if (op.status !== 200) throw new Error(`analyse: ${op.status} ${op.body}`);
    const name = JSON.parse(op.body).name;
    for (;;) {
      const got = await request('GET', `/v1/${name}?fields=done,error`);
      const o = JSON.parse(got.body);
      if (o.error) throw new Error(`operation failed: ${got.body}`);
      if (o.done) break;
      await sleep(1);
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r >= 3) times.push(ms);  // the first runs warm up caches
  }
  times.sort((a, b) => a - b);
  const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
  console.log(`analyze 120-turn conversation via API (create analysis -> operation done), ${runs} runs: ` +
    `p50 ${q(0.5).toFixed(1)} ms, p90 ${q(0.9).toFixed(1)} ms, min ${times[0].toFixed(1)} ms`);
} finally {
  server.kill('SIGTERM');
  agent.destroy();
  await new Promise((r) => server.on('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
