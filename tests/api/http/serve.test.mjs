// `parley serve` over real sockets: HTTPS (--tls-cert/--tls-key), the
// connection limits as flags, over plain HTTP and over TLS alike, and the
// Host check's defaults. Node built-ins and the openssl CLI only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

const BIN = process.env.PARLEY_BIN ?? 'build/parley';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-serve-test-'));
let cert, key, ca;

function makeCert(name, cn) {
  const keyFile = path.join(tmp, `${name}.key`), certFile = path.join(tmp, `${name}.crt`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=${cn}`,
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  return { keyFile, certFile };
}

before(() => {
  ({ certFile: cert, keyFile: key } = makeCert('server', 'localhost'));
  ca = fs.readFileSync(cert);
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

let serverCount = 0;
// Starts `parley serve ARGS`; resolves {proc, port, stop} once it listens.
function startServer(args, { listen = '127.0.0.1:0' } = {}) {
  const dataDir = path.join(tmp, `data-${++serverCount}`);
  const proc = spawn(BIN, ['serve', '--listen', listen, '--data-dir', dataDir, ...args],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening on" within 10 s: ${stderr}`)), 10_000);
    proc.stderr.on('data', (d) => {
      stderr += d;
      const m = /listening on \S+:(\d+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, port: Number(m[1]),
          stop: () => new Promise((r) => { proc.on('exit', r); proc.kill('SIGTERM'); }) });
      }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`exited ${code}: ${stderr}`)); });
  });
}

// Runs `parley serve ARGS` expecting it to refuse to start: {code, stderr}.
function refusedStart(args) {
  const proc = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--data-dir', path.join(tmp, `data-${++serverCount}`),
    ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`still running: ${stderr}`)); }, 10_000);
    proc.on('exit', (code) => { clearTimeout(timer); resolve({ code, stderr }); });
  });
}

// One request: {status, headers, body}. `scheme` is 'http' or 'https'.
function request(scheme, port, method, target, { headers = {}, body } = {}) {
  const lib = scheme === 'https' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request({ host: '127.0.0.1', port, method, path: target, headers, agent: false, ca,
      servername: 'localhost', timeout: 5000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
        body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

// A raw connection (TCP, or TLS once its handshake is done): write() and
// closed(ms), which resolves with how long after the call the server closed
// it (or rejects when it stays open longer than `ms`).
function connect(scheme, port) {
  return new Promise((resolve, reject) => {
    const socket = scheme === 'https'
      ? tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost' })
      : net.connect({ host: '127.0.0.1', port });
    let data = '';
    let closedAt = null;
    const waiters = [];
    socket.on('data', (d) => { data += d; });
    socket.on('error', () => {});
    socket.on('close', () => { closedAt = Date.now(); waiters.forEach((w) => w()); });
    socket.once(scheme === 'https' ? 'secureConnect' : 'connect', () => resolve({
      socket,
      write: (s) => socket.write(s),
      received: () => data,
      closed: (ms) => {
        const from = Date.now();
        return new Promise((res, rej) => {
          if (closedAt !== null) return res(0);
          const t = setTimeout(() => rej(new Error(`still open after ${ms} ms`)), ms);
          waiters.push(() => { clearTimeout(t); res(Date.now() - from); });
        });
      },
    }));
    socket.once('error', reject);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const json = { 'content-type': 'application/json' };

test('HTTPS is served with --tls-cert and --tls-key; plain HTTP to it fails', async () => {
  const s = await startServer(['--tls-cert', cert, '--tls-key', key]);
  try {
    let r = await request('https', s.port, 'GET', '/healthz');
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), { status: 'ok' });
    r = await request('https', s.port, 'POST', '/v1/projects/p1/locations/us/conversations?conversationId=tls-1',
      { headers: json, body: '{"medium": "CHAT"}' });
    assert.equal(r.status, 200, r.body);
    r = await request('https', s.port, 'GET', '/v1/projects/p1/locations/us/conversations/tls-1?fields=name');
    assert.deepEqual(JSON.parse(r.body), { name: 'projects/p1/locations/us/conversations/tls-1' });
    await assert.rejects(request('http', s.port, 'GET', '/healthz'));
    // A client that does not trust the certificate gets no answer either.
    await assert.rejects(new Promise((resolve, reject) => {
      https.get({ host: '127.0.0.1', port: s.port, path: '/healthz', agent: false }, resolve).on('error', reject);
    }), /self[- ]signed/);
    // Still serving.
    r = await request('https', s.port, 'GET', '/healthz');
    assert.equal(r.status, 200);
  } finally {
    await s.stop();
  }
});

test('a bad TLS configuration refuses to start with a clear message', async () => {
  let r = await refusedStart(['--tls-cert', cert]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--tls-cert and --tls-key go together/);
  r = await refusedStart(['--tls-key', key]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--tls-cert and --tls-key go together/);
  r = await refusedStart(['--tls-cert', path.join(tmp, 'missing.crt'), '--tls-key', key]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /cannot use the TLS certificate .*missing\.crt/);
  const garbage = path.join(tmp, 'garbage.pem');
  fs.writeFileSync(garbage, 'not a certificate\n');
  r = await refusedStart(['--tls-cert', garbage, '--tls-key', key]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /cannot use the TLS certificate .*garbage\.pem/);
  r = await refusedStart(['--tls-cert', cert, '--tls-key', garbage]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /cannot use the TLS private key .*garbage\.pem/);
  const other = makeCert('other', 'other');
  r = await refusedStart(['--tls-cert', cert, '--tls-key', other.keyFile]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /cannot use the TLS private key .*other\.key \(it must be the PEM private key of .*server\.crt\): key values mismatch/);
});

const LIMIT_FLAGS = ['--header-timeout-ms', '700', '--idle-timeout-ms', '400', '--body-timeout-ms', '500',
  '--max-body-bytes', '1000', '--max-header-kb', '2'];

for (const scheme of ['http', 'https']) {
  const tlsFlags = scheme === 'https' ? ['--tls-cert', cert, '--tls-key', key] : [];

  test(`${scheme}: the limit flags hold`, async () => {
    const s = await startServer([...LIMIT_FLAGS, ...tlsFlags]);
    try {
      // --max-header-kb 2
      let r = await request(scheme, s.port, 'GET', '/healthz', { headers: { 'x-pad': 'a'.repeat(1500) } });
      assert.equal(r.status, 200);
      r = await request(scheme, s.port, 'GET', '/healthz', { headers: { 'x-pad': 'a'.repeat(2100) } });
      assert.equal(r.status, 431);
      assert.match(r.body, /2048 bytes/);
      // --max-body-bytes 1000
      r = await request(scheme, s.port, 'POST', '/v1/projects/p1/locations/us/conversations',
        { headers: json, body: `{"agentId": "${'a'.repeat(2000)}"}` });
      assert.equal(r.status, 413);
      // --header-timeout-ms 700: a connection that sends nothing (over TLS:
      // after its handshake) and one whose head never ends are closed.
      let c = await connect(scheme, s.port);
      let waited = await c.closed(3000);
      assert.ok(waited >= 400 && waited < 2500, `closed after ${waited} ms`);
      c = await connect(scheme, s.port);
      c.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      waited = await c.closed(3000);
      assert.ok(waited >= 400 && waited < 2500, `closed after ${waited} ms`);
      // --idle-timeout-ms 400: a keep-alive connection after its request.
      c = await connect(scheme, s.port);
      c.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      while (!c.received().includes('{"status":"ok"}')) await sleep(10);
      waited = await c.closed(3000);
      assert.ok(waited >= 250 && waited < 2000, `closed after ${waited} ms`);
      // --body-timeout-ms 500: a body that stops arriving.
      c = await connect(scheme, s.port);
      c.write('POST /v1/projects/p1/locations/us/conversations HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
        'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"me');
      waited = await c.closed(3000);
      assert.ok(waited >= 300 && waited < 2000, `closed after ${waited} ms`);
      // Still serving.
      r = await request(scheme, s.port, 'GET', '/healthz');
      assert.equal(r.status, 200);
    } finally {
      await s.stop();
    }
  });

  test(`${scheme}: a raw TCP connection that never handshakes or sends is closed at the header timeout`, async () => {
    const s = await startServer(['--header-timeout-ms', '600', ...tlsFlags]);
    try {
      const c = await connect('http', s.port);  // plain TCP even to the TLS server
      const waited = await c.closed(3000);
      assert.ok(waited >= 400 && waited < 2500, `closed after ${waited} ms`);
    } finally {
      await s.stop();
    }
  });

  test(`${scheme}: slowloris clients do not delay a normal one`, async () => {
    const s = await startServer(['--threads', '1', '--header-timeout-ms', '3000', ...tlsFlags]);
    try {
      const slow = await Promise.all(Array.from({ length: 40 }, () => connect(scheme, s.port)));
      const head = `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ${'p'.repeat(300)}`;
      let stop = false;
      const dribble = (async () => {
        for (let i = 0; i < head.length && !stop; i++) {
          for (const c of slow) c.write(head[i]);
          await sleep(10);
        }
      })();
      await sleep(300);
      for (let i = 0; i < 5; i++) {
        const start = Date.now();
        const r = await request(scheme, s.port, 'GET', '/healthz');
        assert.equal(r.status, 200);
        assert.ok(Date.now() - start < 500, `request ${i} took ${Date.now() - start} ms`);
      }
      // The dribblers are cut off by the header deadline.
      for (const c of slow) await c.closed(6000);
      stop = true;
      await dribble;
    } finally {
      await s.stop();
    }
  });

  test(`${scheme}: --max-connections holds`, async () => {
    const s = await startServer(['--max-connections', '2', ...tlsFlags]);
    try {
      const held = [await connect(scheme, s.port), await connect(scheme, s.port)];
      await sleep(100);
      const r = await request(scheme, s.port, 'GET', '/healthz');
      assert.equal(r.status, 503);
      assert.equal(r.headers['retry-after'], '1');
      held.forEach((c) => c.socket.destroy());
      await sleep(200);
      assert.equal((await request(scheme, s.port, 'GET', '/healthz')).status, 200);
    } finally {
      await s.stop();
    }
  });
}

test('Host: on 127.0.0.1 only the listen host and loopback names are served', async () => {
  const s = await startServer([]);
  try {
    for (const host of ['127.0.0.1', `127.0.0.1:${s.port}`, 'localhost:1', '[::1]:2']) {
      assert.equal((await request('http', s.port, 'GET', '/healthz', { headers: { host } })).status, 200, host);
    }
    const r = await request('http', s.port, 'GET', '/healthz', { headers: { host: 'attacker.example' } });
    assert.equal(r.status, 421);
  } finally {
    await s.stop();
  }
});

test('Host: on 0.0.0.0 any Host is served unless --allowed-host is given', async () => {
  let s = await startServer(['--insecure'], { listen: '0.0.0.0:0' });
  try {
    const r = await request('http', s.port, 'GET', '/healthz', { headers: { host: 'anything.example' } });
    assert.equal(r.status, 200);
  } finally {
    await s.stop();
  }
  s = await startServer(['--insecure', '--allowed-host', 'parley.example', '--allowed-host', '10.1.2.3'],
    { listen: '0.0.0.0:0' });
  try {
    for (const host of ['parley.example', 'parley.example:8080', '10.1.2.3:80', 'localhost', '127.0.0.1:5']) {
      assert.equal((await request('http', s.port, 'GET', '/healthz', { headers: { host } })).status, 200, host);
    }
    const r = await request('http', s.port, 'GET', '/healthz', { headers: { host: 'anything.example' } });
    assert.equal(r.status, 421);
  } finally {
    await s.stop();
  }
});

test('flag values out of range are refused', async () => {
  for (const args of [['--max-json-depth', '101'], ['--max-json-depth', '0'], ['--max-header-kb', '0'],
    ['--header-timeout-ms', '0']]) {
    const r = await refusedStart(args);
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.stderr, new RegExp(args[0]), args.join(' '));
  }
});

// Sends raw bytes on a new connection; resolves with the first response
// (status and JSON body) the server writes before closing or within 3 s.
function raw(port, bytes) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let data = Buffer.alloc(0);
    const done = () => {
      socket.destroy();
      const text = data.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3}) /.exec(text);
      if (!m) return reject(new Error(`no response: ${JSON.stringify(text.slice(0, 200))}`));
      const body = text.slice(text.indexOf('\r\n\r\n') + 4);
      resolve({ status: Number(m[1]), body: body ? JSON.parse(body) : null });
    };
    const timer = setTimeout(done, 3000);
    socket.on('data', (d) => {
      data = Buffer.concat([data, d]);
      const text = data.toString('latin1');
      const head = text.indexOf('\r\n\r\n');
      const len = /content-length: (\d+)/i.exec(text);
      if (head >= 0 && len && data.length >= head + 4 + Number(len[1])) { clearTimeout(timer); done(); }
    });
    socket.on('close', () => { clearTimeout(timer); done(); });
    socket.on('error', () => {});
    socket.write(bytes);
  });
}

// The HTTP-level items of the hostile-input suite (tests/api/insights_v1/hostile.case
// has the API-level ones): each gets a 4xx in Google's error shape, nothing is
// stored, and /healthz answers after each.
test('hostile HTTP input: 4xx in Google shape, nothing stored, still serving', async () => {
  const s = await startServer([]);
  const create = (id, extra, body) => Buffer.concat([Buffer.from(
    `POST /v1/projects/p1/locations/us/conversations?conversationId=${id} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}`),
  body ?? Buffer.alloc(0)]);
  const withBody = (id, body) => create(id, `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`, body);
  const chunked = (id, chunks) => create(id, 'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n', Buffer.from(chunks));
  const cases = [
    ['an oversized head (70 KiB)', Buffer.from(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\n\r\n`), 431],
    ['a negative chunk size', chunked('chunk-1', '-5\r\n{"a":\r\n0\r\n\r\n'), 400],
    ['a chunk size overflowing 64 bits', chunked('chunk-2', 'fffffffffffffffff1\r\n{}\r\n0\r\n\r\n'), 400],
    ['a chunk size of 2^64-1', chunked('chunk-3', 'ffffffffffffffff\r\n{}\r\n0\r\n\r\n'), 413],
    ['a chunk without its CRLF', chunked('chunk-4', '2\r\n{}XX0\r\n\r\n'), 400],
    ['a chunk size that is not hex', chunked('chunk-5', 'zz\r\n{}\r\n0\r\n\r\n'), 400],
    ['Transfer-Encoding: chunked, identity', create('te-1', 'Content-Type: application/json\r\nTransfer-Encoding: chunked, identity\r\n\r\n', Buffer.from('2\r\n{}\r\n0\r\n\r\n')), 400],
    ['raw invalid UTF-8 in a string', withBody('utf-raw', Buffer.from([...Buffer.from('{"agentId": "a'), 0xff, 0xfe, ...Buffer.from('"}')])), 400],
    ['an overlong UTF-8 encoding', withBody('utf-over', Buffer.from([...Buffer.from('{"agentId": "'), 0xc0, 0xaf, ...Buffer.from('"}')])), 400],
    ['a raw NUL byte in a string', withBody('nul-raw', Buffer.from('{"agentId": "a\0b"}', 'latin1')), 400],
    ['a NUL byte in a header value', Buffer.from('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\0b\r\n\r\n', 'latin1'), 400],
    ['a NUL byte in the target', Buffer.from('GET /v1/projects/p1/locations/us/conversations/a\0b HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 'latin1'), 400],
    ['raw invalid UTF-8 in the target', Buffer.from([...Buffer.from('GET /v1/projects/p1/locations/us/conversations/a'), 0xff, ...Buffer.from(' HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')]), 400],
  ];
  try {
    for (const [what, bytes, status] of cases) {
      const r = await raw(s.port, bytes);
      assert.equal(r.status, status, what);
      assert.deepEqual(Object.keys(r.body ?? {}), ['error'], `${what}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, status, what);
      assert.equal(typeof r.body.error.message, 'string', what);
      assert.equal(r.body.error.status, 'INVALID_ARGUMENT', what);
      assert.equal((await request('http', s.port, 'GET', '/healthz')).status, 200, `after ${what}`);
    }
    const list = await request('http', s.port, 'GET', '/v1/projects/p1/locations/us/conversations');
    assert.equal(list.status, 200);
    assert.deepEqual(JSON.parse(list.body), {});
  } finally {
    await s.stop();
  }
});
