// `parley keys create|list|revoke` and what `parley serve` does with keys: the
// secret is printed once, on the last line, and stored nowhere; a server on
// the data dir then needs it; a revoked key stops working within seconds;
// without keys the server is in development mode, on loopback unless --insecure.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

const bin = process.env.PARLEY_BIN;
assert.ok(bin, 'PARLEY_BIN must point at build/parley');
const dir = mkdtempSync(path.join(tmpdir(), 'parley-keys-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const parley = (...args) => spawnSync(bin, args, { encoding: 'utf8' });

function request(port, method, p, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: p, headers }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, body: text }));
    });
    req.on('error', reject);
    req.end();
  });
}

// Starts `parley serve ARGS --listen HOST:0`; resolves to {proc, port, stderr()}.
function serve(host, ...args) {
  const proc = spawn(bin, ['serve', '--listen', `${host}:0`, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  return new Promise((resolve, reject) => {
    proc.stderr.on('data', (d) => {
      stderr += d;
      const m = /parley: listening on [^\s]+:(\d+)/.exec(stderr);
      if (m) resolve({ proc, port: Number(m[1]), stderr: () => stderr });
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

test('without keys: development mode, loopback only unless --insecure', async () => {
  const data = path.join(dir, 'dev');
  const refused = parley('serve', '--listen', '0.0.0.0:0', '--data-dir', data);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /refusing to listen on 0\.0\.0\.0 without API keys.*--insecure/s);

  const local = await serve('127.0.0.1', '--data-dir', data);
  assert.match(local.stderr(), /development mode: no API keys .* \(loopback only\)/);
  assert.equal((await request(local.port, 'GET', '/v1/projects/p/locations/us/conversations')).status, 200);
  await stop(local);

  const open = await serve('0.0.0.0', '--data-dir', data, '--insecure');
  assert.match(open.stderr(), /development mode: .*--insecure/);
  await stop(open);
});

test('create prints the secret on its last line only; list and the store never hold it', () => {
  const data = path.join(dir, 'list');
  const created = parley('keys', 'create', '--data-dir', data, '--tenant', 'acme', '--tenant', 'beta',
    '--role', 'editor', '--name', 'ci');
  assert.equal(created.status, 0, created.stderr);
  const lines = created.stdout.trimEnd().split('\n');
  const secret = lines.at(-1);
  assert.match(secret, /^prly_([0-9a-f]{16})_[0-9a-f]{64}$/);
  const id = /^prly_([0-9a-f]+)_/.exec(secret)[1];
  assert.ok(!lines.slice(0, -1).join('\n').includes(secret.slice(22)), 'the secret appears once');
  assert.ok(!created.stderr.includes(secret.slice(22)));

  const list = parley('keys', 'list', '--data-dir', data);
  assert.equal(list.status, 0, list.stderr);
  const rows = list.stdout.trimEnd().split('\n').map((l) => l.split('\t'));
  assert.deepEqual(rows[0], ['ID', 'NAME', 'TENANTS', 'ROLE', 'CREATED', 'REVOKED']);
  assert.equal(rows.length, 2);
  assert.deepEqual(rows[1].slice(0, 4), [id, 'ci', 'acme,beta', 'editor']);
  assert.equal(rows[1][5], '-');
  assert.ok(!list.stdout.includes(secret.slice(22)));
  for (const f of readdirSync(data)) {
    assert.ok(!readFileSync(path.join(data, f)).includes(secret.slice(22)), `${f} holds the secret`);
  }

  assert.equal(parley('keys', 'create', '--data-dir', data, '--tenant', 'acme', '--role', 'root').status, 2);
  assert.equal(parley('keys', 'create', '--data-dir', data, '--tenant', '_system', '--role', 'admin').status, 2);
  assert.equal(parley('keys', 'revoke', '--data-dir', data, 'nosuchkey').status, 1);
});

test('a key turns authentication on; revoking it locks it out within seconds', async () => {
  const data = path.join(dir, 'auth');
  const secret = parley('keys', 'create', '--data-dir', data, '--tenant', 'acme', '--role', 'viewer')
    .stdout.trimEnd().split('\n').at(-1);
  const id = /^prly_([0-9a-f]+)_/.exec(secret)[1];
  const server = await serve('127.0.0.1', '--data-dir', data);
  try {
    assert.doesNotMatch(server.stderr(), /development mode/);
    const list = '/v1/projects/acme/locations/us/conversations';
    assert.equal((await request(server.port, 'GET', '/healthz')).status, 200);
    const none = await request(server.port, 'GET', list);
    assert.equal(none.status, 401);
    assert.equal(JSON.parse(none.body).error.status, 'UNAUTHENTICATED');
    assert.equal((await request(server.port, 'GET', list, { authorization: `Bearer ${secret}` })).status, 200);
    assert.equal((await request(server.port, 'GET', '/v1/projects/other/locations/us/conversations',
      { authorization: `Bearer ${secret}` })).status, 403);

    const revoked = parley('keys', 'revoke', '--data-dir', data, id);
    assert.equal(revoked.status, 0, revoked.stderr);
    assert.match(parley('keys', 'list', '--data-dir', data).stdout, new RegExp(`${id}\\t.*\\t\\d{4}-\\d\\d-\\d\\dT`));
    let status;
    for (let i = 0; i < 60; i++) {
      status = (await request(server.port, 'GET', list, { authorization: `Bearer ${secret}` })).status;
      if (status === 401) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status, 401, 'the revoked key still works after 6 s');
  } finally {
    await stop(server);
  }
});
