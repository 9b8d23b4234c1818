// DELETE latency, one request at a time over a keep-alive connection: what
// the audit log (ADR 0013) adds to a destructive request. Development mode
// (no key), so every DELETE is audited as "dev".
//
//   node bench/server/delete_latency.mjs BINARY [COUNT] [-- EXTRA SERVE FLAGS]
//   node bench/server/delete_latency.mjs OLD/parley 2000      # before
//   node bench/server/delete_latency.mjs build/parley 2000 -- --rate-limit 0
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

const [bin, countArg, ...rest] = process.argv.slice(2);
const count = Number(countArg ?? 1000);
const extra = rest[0] === '--' ? rest.slice(1) : rest;
const dir = mkdtempSync(path.join(tmpdir(), 'parley-delbench-'));
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

const proc = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--data-dir', path.join(dir, 'data'), ...extra],
  { stdio: ['ignore', 'ignore', 'pipe'] });
const port = await new Promise((resolve, reject) => {
  let err = '';
  proc.stderr.on('data', (d) => {
    err += d;
    const m = /listening on [^\s]+:(\d+)/.exec(err);
    if (m) resolve(Number(m[1]));
  });
  proc.on('exit', (c) => reject(new Error(`server exited ${c}: ${err}`)));
});

function send(method, p, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: p, agent,
      headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const base = '/v1/projects/bench/locations/us/conversations';
for (let i = 0; i < count; i += 8) {
  await Promise.all(Array.from({ length: Math.min(8, count - i) }, (_, j) =>
    send('POST', `${base}?conversationId=conv-${i + j}`, '{"medium":"CHAT"}')));
}
const times = [];
for (let i = 0; i < count; ++i) {
  const t0 = process.hrtime.bigint();
  const status = await send('DELETE', `${base}/conv-${i}`);
  times.push(Number(process.hrtime.bigint() - t0) / 1000);
  if (status !== 200) throw new Error(`DELETE conv-${i}: ${status}`);
}
times.sort((a, b) => a - b);
const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(0);
const mean = (times.reduce((a, b) => a + b, 0) / times.length).toFixed(0);
console.log(`${bin} ${extra.join(' ')}: ${count} DELETEs, µs mean ${mean} p50 ${q(0.5)} p90 ${q(0.9)} p99 ${q(0.99)}`);
proc.kill('SIGTERM');
await new Promise((r) => proc.on('exit', r));
rmSync(dir, { recursive: true, force: true });
agent.destroy();
