// What the crash and disk-full tests share: starting `parley serve`, one HTTP
// exchange, a conversation body, PRAGMA integrity_check. Node built-ins only.
import { postgresAdminUrl, storeArgs } from '../store/pg_store.mjs';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');

export function findParleyBinary() {
  const fromEnv = process.env.PARLEY_BIN;
  if (fromEnv) return existsSync(fromEnv) ? { bin: fromEnv } : { error: `PARLEY_BIN=${fromEnv} does not exist; build it first.` };
  const fallback = path.join(repoRoot, 'build', 'parley');
  if (existsSync(fallback)) return { bin: fallback };
  return { error: 'Set PARLEY_BIN to the parley server binary (ctest does this).' };
}

export const running = new Set();

export function killAll() {
  for (const child of running) child.kill('SIGKILL');
}

// Starts `bin serve` on a free loopback port over dataDir; resolves once it
// prints the port.
export async function startServer(bin, dataDir, extraArgs = []) {
  const child = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir,
    ...(extraArgs.includes('--store') ? [] : storeArgs(dataDir)), ...extraArgs], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let stderr = '';
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`parley did not report its port within 20 s; stderr:\n${stderr}`));
    }, 20000);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (stderr.length > 200000) stderr = stderr.slice(-100000);
      const m = /parley: listening on 127\.0\.0\.1:(\d+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`parley exited early (code ${code}, signal ${signal}); stderr:\n${stderr}`));
    });
  });
  let exitedYet = false;
  exited.then(() => { exitedYet = true; });
  return {
    port,
    child,
    exited,
    alive: () => !exitedYet,
    stderr: () => stderr,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
    async kill9() {
      child.kill('SIGKILL');
      return exited;
    },
  };
}

// One HTTP exchange; resolves {status, body} once the whole reply is read.
// A reply cut off after its status line rejects with e.status set. A body is
// sent as JSON unless `headers` names another content-type.
export function request(agent, port, method, urlPath, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: urlPath,
        agent,
        headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length, ...headers } : headers,
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
        const fail = (e) => reject(Object.assign(e ?? new Error('reply cut off'), { status: res.statusCode }));
        res.on('error', fail);
        res.on('aborted', () => fail(new Error('reply cut off')));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

// A chat of `segments` segments (about 200 bytes of JSON each).
export function conversationBody(id, labels, segments = 10) {
  const list = [];
  for (let i = 0; i < segments; i++) {
    const agent = i % 2 === 0;
    list.push({
      text:
        (agent ? 'Agent: ' : 'Customer: ') +
        `message ${i} of ${id}. ` +
        'I would like to check the status of my refund for the order placed last week.'.slice(0, 60 + (i % 3) * 10),
      messageTime: new Date(Date.UTC(2026, 0, 1, 10, 0, i * 7)).toISOString(),
      segmentParticipant: { role: agent ? 'HUMAN_AGENT' : 'END_USER', userId: agent ? 'agent-1' : 'customer-1' },
    });
  }
  return JSON.stringify({
    medium: 'CHAT',
    agentId: 'agent-1',
    languageCode: 'en-US',
    labels,
    transcript: { transcriptSegments: list },
  });
}

export function integrityCheck(dataDir) {
  // On PostgreSQL the database's own recovery keeps it whole; Parley was killed, not it.
  if (postgresAdminUrl() !== null) return 'ok';
  const db = path.join(dataDir, 'parley.db');
  assert.ok(existsSync(db), `${db} does not exist`);
  return execFileSync('sqlite3', ['-readonly', db, 'PRAGMA integrity_check'], { encoding: 'utf8' }).trim();
}

// Checks a Google error body: {"error": {"code": status, "status": name, "message": ...}}.
export function assertGoogleError(res, code, name, what) {
  let body;
  try {
    body = JSON.parse(res.body);
  } catch {
    assert.fail(`${what}: ${res.status} with a body that is not JSON: ${res.body.slice(0, 200)}`);
  }
  assert.equal(res.status, code, `${what}: ${res.status} ${res.body.slice(0, 300)}`);
  assert.equal(body?.error?.code, code, `${what}: error.code in ${res.body.slice(0, 300)}`);
  assert.equal(body?.error?.status, name, `${what}: error.status in ${res.body.slice(0, 300)}`);
  assert.equal(typeof body?.error?.message, 'string', `${what}: error.message in ${res.body.slice(0, 300)}`);
}
