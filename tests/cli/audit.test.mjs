// `parley audit` (issue 9, ADR 0013): every destructive or admin request the
// server answers — allowed or refused — and every key created or revoked is
// in the audit log with its key name, tenant, action, resource and result;
// `--since` (a time or a duration) and `--tenant` filter it; `--json` prints
// one object per line.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

const bin = process.env.PARLEY_BIN;
assert.ok(bin, 'PARLEY_BIN must point at build/parley');
const dir = mkdtempSync(path.join(tmpdir(), 'parley-audit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const parley = (...args) => spawnSync(bin, args, { encoding: 'utf8' });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function request(port, method, p, key, body) {
  return new Promise((resolve, reject) => {
    const headers = { authorization: `Bearer ${key}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const req = http.request({ host: '127.0.0.1', port, method, path: p, headers }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, body: text }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

function serve(...args) {
  const proc = spawn(bin, ['serve', '--listen', '127.0.0.1:0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  return new Promise((resolve, reject) => {
    proc.stderr.on('data', (d) => {
      stderr += d;
      const m = /parley: listening on [^\s]+:(\d+)/.exec(stderr);
      if (m) resolve({ proc, port: Number(m[1]) });
    });
    proc.on('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
}

async function stop(server) {
  server.proc.removeAllListeners('exit');
  const exited = new Promise((r) => server.proc.on('exit', r));
  server.proc.kill('SIGTERM');
  assert.equal(await exited, 0);
}

function createKey(data, name, tenant, role) {
  const r = parley('keys', 'create', '--data-dir', data, '--tenant', tenant, '--role', role, '--name', name);
  assert.equal(r.status, 0, r.stderr);
  const secret = r.stdout.trimEnd().split('\n').at(-1);
  return { secret, id: /^prly_([0-9a-f]+)_/.exec(secret)[1] };
}

// `parley audit ARGS` as [{time, key, tenant, action, resource, result}], from
// its tab-separated lines (and checked against --json).
function audit(data, ...args) {
  const text = parley('audit', '--data-dir', data, ...args);
  assert.equal(text.status, 0, text.stderr);
  const lines = text.stdout.split('\n').filter(Boolean).map((line) => {
    const f = line.split('\t');
    assert.equal(f.length, 6, line);
    return { time: f[0], key: f[1], tenant: f[2], action: f[3], resource: f[4], result: f[5] };
  });
  const json = parley('audit', '--data-dir', data, '--json', ...args);
  assert.equal(json.status, 0, json.stderr);
  assert.deepEqual(json.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)), lines);
  return lines;
}

const strip = ({ time, ...rest }) => rest;
const P = '/v1/projects/{project}/locations/{location}';

test('destructive and admin actions are audited, refusals included; --since and --tenant filter', async () => {
  const data = path.join(dir, 'data');
  const boss = createKey(data, 'boss', 'acme', 'admin');
  const ed = createKey(data, 'ed', 'acme', 'editor');
  const stranger = createKey(data, 'stranger', 'other', 'admin');
  const server = await serve('--data-dir', data);
  after(() => server.proc.kill('SIGKILL'));  // when an assertion fails before stop()
  const base = '/v1/projects/acme/locations/us';
  const ok = async (method, p, key, body, status = 200) => {
    const r = await request(server.port, method, base + p, key, body);
    assert.equal(r.status, status, `${method} ${p}: ${r.body}`);
    return r;
  };
  for (const id of ['chat-1', 'chat-2', 'chat-3']) {
    await ok('POST', `/conversations?conversationId=${id}`, ed.secret,
      { medium: 'CHAT', labels: { batch: id === 'chat-1' ? 'x' : 'a' } });
  }
  // Not audited: reads and ordinary writes.
  await ok('GET', '/conversations/chat-1', ed.secret);
  await ok('PATCH', '/conversations/chat-1?updateMask=agentId', ed.secret, { agentId: 'a-9' });

  await ok('DELETE', '/conversations/chat-1', ed.secret);
  await ok('DELETE', '/conversations/no-such', ed.secret, undefined, 404);
  await ok('POST', '/conversations:bulkDelete', ed.secret, { filter: 'labels.batch="a"' }, 403);
  await ok('POST', '/conversations:bulkDelete', boss.secret, { filter: 'labels.batch="a"' });
  const matcher = JSON.parse((await ok('POST', '/phraseMatchers', ed.secret, {
    type: 'ANY_OF', phraseMatchRuleGroups: [{ type: 'ANY_OF', phraseMatchRules: [{ query: 'refund' }] }],
  })).body).name;
  const matcherId = matcher.split('/').at(-1);
  await ok('DELETE', `/phraseMatchers/${matcherId}`, ed.secret);
  // A key of another tenant, and no key at all: refused, and still recorded.
  await ok('DELETE', '/conversations/chat-2', stranger.secret, undefined, 403);
  const anonymous = await request(server.port, 'DELETE', `${base}/conversations/chat-2`, '');
  assert.equal(anonymous.status, 401);

  await sleep(1100);
  const midway = new Date().toISOString();
  await sleep(20);
  await ok('PATCH', '/settings?updateMask=languageCode', ed.secret, { languageCode: 'en-GB' }, 403);
  await ok('PATCH', '/settings?updateMask=redactionConfig', boss.secret, {
    redactionConfig: { deidentifyTemplate: 'projects/acme/locations/us/deidentifyTemplates/deid' },
  });
  await stop(server);  // the server drains its audit entries into the store before it exits
  const revoked = parley('keys', 'revoke', '--data-dir', data, stranger.id);
  assert.equal(revoked.status, 0, revoked.stderr);
  assert.equal(parley('keys', 'revoke', '--data-dir', data, 'nosuchkey').status, 1);

  const all = audit(data);
  for (const e of all) assert.match(e.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  const conv = `${P}/conversations/{conversation}`;
  assert.deepEqual(all.map(strip), [
    { key: 'cli', tenant: 'acme', action: 'keys.create', resource: `keys/${boss.id}`, result: 'OK' },
    { key: 'cli', tenant: 'acme', action: 'keys.create', resource: `keys/${ed.id}`, result: 'OK' },
    { key: 'cli', tenant: 'other', action: 'keys.create', resource: `keys/${stranger.id}`, result: 'OK' },
    { key: 'ed', tenant: 'acme', action: `DELETE ${conv}`, resource: `${base}/conversations/chat-1`, result: '200' },
    { key: 'ed', tenant: 'acme', action: `DELETE ${conv}`, resource: `${base}/conversations/no-such`, result: '404' },
    { key: 'ed', tenant: 'acme', action: `POST ${P}/conversations:bulkDelete`, resource: `${base}/conversations:bulkDelete`, result: '403' },
    { key: 'boss', tenant: 'acme', action: `POST ${P}/conversations:bulkDelete`, resource: `${base}/conversations:bulkDelete`, result: '200' },
    { key: 'ed', tenant: 'acme', action: `DELETE ${P}/phraseMatchers/{matcher}`, resource: `${base}/phraseMatchers/${matcherId}`, result: '200' },
    { key: 'stranger', tenant: 'acme', action: `DELETE ${conv}`, resource: `${base}/conversations/chat-2`, result: '403' },
    { key: '-', tenant: 'acme', action: `DELETE ${conv}`, resource: `${base}/conversations/chat-2`, result: '401' },
    { key: 'ed', tenant: 'acme', action: `PATCH ${P}/settings`, resource: `${base}/settings`, result: '403' },
    { key: 'boss', tenant: 'acme', action: `PATCH ${P}/settings`, resource: `${base}/settings`, result: '200' },
    { key: 'cli', tenant: 'other', action: 'keys.revoke', resource: `keys/${stranger.id}`, result: 'OK' },
    { key: 'cli', tenant: '_system', action: 'keys.revoke', resource: 'keys/nosuchkey', result: 'NOT_FOUND' },
  ]);

  // --since a time: only what came after it.
  assert.deepEqual(audit(data, '--since', midway).map((e) => `${e.key} ${e.action} ${e.result}`), [
    `ed PATCH ${P}/settings 403`, `boss PATCH ${P}/settings 200`,
    'cli keys.revoke OK', 'cli keys.revoke NOT_FOUND',
  ]);
  // --since a duration.
  assert.equal(audit(data, '--since', '1h').length, all.length);
  await sleep(1100);
  assert.deepEqual(audit(data, '--since', '1s'), []);
  // --tenant.
  assert.deepEqual(audit(data, '--tenant', 'other').map((e) => e.action), ['keys.create', 'keys.revoke']);
  assert.equal(audit(data, '--tenant', 'acme').length, 11);
  // A bad --since is refused.
  const bad = parley('audit', '--data-dir', data, '--since', 'yesterday');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--since must be/);
});

test('requests refused for too many failed authentications are not audited', async () => {
  const data = path.join(dir, 'data-failures');
  const ed = createKey(data, 'ed', 'acme', 'editor');
  const server = await serve('--data-dir', data, '--auth-failure-limit', '0.01', '--auth-failure-burst', '2');
  after(() => server.proc.kill('SIGKILL'));
  const target = '/v1/projects/acme/locations/us/conversations/chat-1';
  const statuses = [];
  for (let i = 0; i < 6; ++i) statuses.push((await request(server.port, 'DELETE', target, 'prly_nosuch1_xxxxxxxxxxxxxxxxxxxxxxxx')).status);
  assert.deepEqual(statuses, [401, 401, 429, 429, 429, 429]);
  // The valid key from the same address waits as well, unaudited.
  assert.equal((await request(server.port, 'DELETE', target, ed.secret)).status, 429);
  await stop(server);
  assert.deepEqual(audit(data).map((e) => `${e.key} ${e.action} ${e.result}`), [
    'cli keys.create OK',
    `- DELETE ${P}/conversations/{conversation} 401`,
    `- DELETE ${P}/conversations/{conversation} 401`,
  ]);
});

test('the sweep prunes audit entries past --audit-retention-days', async () => {
  const data = path.join(dir, 'data-retention');
  const ed = createKey(data, 'ed', 'acme', 'editor');  // an entry that will age out
  // 0.00002 days = 1.728 s, swept every second.
  const server = await serve('--data-dir', data, '--audit-retention-days', '0.00002', '--sweep-seconds', '1');
  after(() => server.proc.kill('SIGKILL'));
  const target = (id) => `/v1/projects/acme/locations/us/conversations/${id}`;
  assert.equal((await request(server.port, 'DELETE', target('old'), ed.secret)).status, 404);
  await sleep(3500);
  assert.equal((await request(server.port, 'DELETE', target('new'), ed.secret)).status, 404);
  await stop(server);
  assert.deepEqual(audit(data).map((e) => `${e.key} ${e.resource} ${e.result}`), [
    `ed ${target('new')} 404`,
  ]);
});
