#!/usr/bin/env node
// Times conversations:calculateStats and insightsdata:export on N stored
// conversations (default 10000), a fraction of them analysed, against a fresh
// `parley serve` in a temporary directory.
//
//   node bench/insights/stats_export_bench.mjs --server build/parley [--n 10000] [--analyzed 20]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

const args = process.argv.slice(2);
const opt = (name, def) => { const i = args.indexOf(name); return i < 0 ? def : args[i + 1]; };
const binary = path.resolve(opt('--server', 'build/parley'));
const N = Number(opt('--n', '10000'));
const ANALYZED = Number(opt('--analyzed', '20'));  // percent

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-stats-bench-'));
const proc = spawn(binary, ['serve', '--listen', '127.0.0.1:0', '--data-dir', path.join(tmp, 'data'),
  '--export-dir', path.join(tmp, 'exports')], { stdio: ['ignore', 'ignore', 'pipe'] });
let stderr = '';
const port = await new Promise((resolve, reject) => {
  proc.stderr.on('data', (c) => {
    stderr += c;
    const m = /listening on [^\s:]+:(\d+)/.exec(stderr);
    if (m) resolve(Number(m[1]));
  });
  proc.on('exit', () => reject(new Error(stderr)));
});
const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
const call = (method, p, body) => new Promise((resolve, reject) => {
  const req = http.request({ host: '127.0.0.1', port, method, path: p, agent,
    headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
  });
  req.on('error', reject);
  req.end(body);
});
const base = '/v1/projects/bench/locations/us';
const words = ['refund', 'card', 'charged', 'twice', 'thanks', 'great', 'terrible', 'help', 'account', 'today'];

try {
  let t = performance.now();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < N; i = next++) {
      const segs = [];
      for (let k = 0; k < 6; k++) {
        segs.push({ text: `${words[(i + k) % 10]} ${words[(i * 7 + k) % 10]} ${words[(i * 3 + k) % 10]}`,
          messageTime: new Date(Date.UTC(2024, 4, 1 + (i % 30), 10, 0, k * 7)).toISOString(),
          segmentParticipant: { role: k % 2 ? 'HUMAN_AGENT' : 'END_USER' } });
      }
      const r = await call('POST', `${base}/conversations`, JSON.stringify({
        medium: 'CHAT', agentId: `agent-${i % 50}`, labels: { queue: `q${i % 5}` },
        transcript: { transcriptSegments: segs } }));
      if (r.status !== 200) throw new Error(r.body);
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  console.log(`created ${N} conversations in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const waitOp = async (name) => {
    for (;;) {
      const r = JSON.parse((await call('GET', `/v1/${name}`)).body);
      if (r.done) return r;
      await new Promise((res) => setTimeout(res, 50));
    }
  };
  t = performance.now();
  const bulk = JSON.parse((await call('POST', `${base}/conversations:bulkAnalyze`,
    JSON.stringify({ analysisPercentage: ANALYZED }))).body);
  const done = await waitOp(bulk.name);
  console.log(`bulkAnalyze ${ANALYZED}%: ${JSON.stringify(done.response)} in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  for (const [label, q] of [['all', ''], ['agent_id="agent-7"', '?filter=agent_id%3D%22agent-7%22']]) {
    const times = [];
    let body;
    for (let k = 0; k < 3; k++) {
      t = performance.now();
      const r = await call('GET', `${base}/conversations:calculateStats${q}`);
      times.push(performance.now() - t);
      body = JSON.parse(r.body);
    }
    console.log(`calculateStats ${label}: count ${body.conversationCount}, ` +
      `${body.conversationCountTimeSeries?.points?.length ?? 0} points; ms: ${times.map((x) => x.toFixed(0)).join(', ')}`);
  }

  t = performance.now();
  const ex = JSON.parse((await call('POST', `${base}/insightsdata:export`,
    JSON.stringify({ bigQueryDestination: { dataset: 'bench', table: 'all' } }))).body);
  const exDone = await waitOp(ex.name);
  const file = path.join(tmp, 'exports', 'bench', 'bench', 'all.ndjson');
  console.log(`export: ${exDone.metadata.completedExportCount} rows, ` +
    `${(fs.statSync(file).size / 1e6).toFixed(1)} MB NDJSON in ${((performance.now() - t) / 1000).toFixed(1)} s`);
} finally {
  agent.destroy();
  proc.kill('SIGTERM');
  await new Promise((r) => proc.on('exit', r));
  fs.rmSync(tmp, { recursive: true, force: true });
}
