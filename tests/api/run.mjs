#!/usr/bin/env node
// Runs declarative API cases (tests/api/**/*.case, format in README.md) against
// a live `parley serve`: one fresh server, data dir and bucket dir per file.
//
//   node tests/api/run.mjs --server build/parley FILE.case...
import { spawn } from 'node:child_process';
import { storeArgs } from '../store/pg_store.mjs';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

const REQUEST_TIMEOUT_MS = 30_000;
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;

// ---------------------------------------------------------------- parsing

const HEADER = /^([A-Za-z][A-Za-z0-9-]*):[ \t]*(.*)$/;

// Returns {server: [flags], files: [{uri, line, content}], cases: [...]}.
// The samples of a 16-bit PCM mono WAV file and its rate.
function readMonoWav(file) {
  const b = fs.readFileSync(file);
  if (b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE') throw new Error(`${file}: not a WAV file`);
  let rate = 0, at = 12;
  while (at + 8 <= b.length) {
    const id = b.toString('ascii', at, at + 4), size = b.readUInt32LE(at + 4);
    if (id === 'fmt ') {
      if (b.readUInt16LE(at + 8) !== 1 || b.readUInt16LE(at + 10) !== 1 || b.readUInt16LE(at + 22) !== 16) {
        throw new Error(`${file}: not 16-bit PCM mono`);
      }
      rate = b.readUInt32LE(at + 12);
    }
    if (id === 'data') return { rate, samples: new Int16Array(b.buffer.slice(b.byteOffset + at + 8, b.byteOffset + at + 8 + (size & ~1))) };
    at += 8 + size + (size & 1);
  }
  throw new Error(`${file}: no data chunk`);
}

// A two-channel WAV: `left` speaks first, then `right` starts `gap` seconds
// after `left` ends (a negative gap: before it ends, so they overlap).
function stereoWav(left, right, gap = 0.5) {
  const l = readMonoWav(left), r = readMonoWav(right);
  if (l.rate !== r.rate) throw new Error(`${left} and ${right} have different rates`);
  const rightStart = Math.max(0, l.samples.length + Math.round(gap * l.rate));
  const frames = Math.max(l.samples.length, rightStart + r.samples.length);
  const out = Buffer.alloc(44 + frames * 4);
  out.write('RIFF', 0); out.writeUInt32LE(36 + frames * 4, 4); out.write('WAVEfmt ', 8);
  out.writeUInt32LE(16, 16); out.writeUInt16LE(1, 20); out.writeUInt16LE(2, 22);
  out.writeUInt32LE(l.rate, 24); out.writeUInt32LE(l.rate * 4, 28); out.writeUInt16LE(4, 32); out.writeUInt16LE(16, 34);
  out.write('data', 36); out.writeUInt32LE(frames * 4, 40);
  l.samples.forEach((v, i) => out.writeInt16LE(v, 44 + i * 4));
  r.samples.forEach((v, i) => out.writeInt16LE(v, 44 + (rightStart + i) * 4 + 2));
  return out;
}

function parseCaseFile(file) {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const parsed = { server: [], files: [], audio: [], cases: [] };
  let i = 0;
  const atBlockEnd = (l) => l.startsWith('===') || l.startsWith('@');
  const fail = (msg) => { throw new Error(`${file}:${i + 1}: ${msg}`); };
  // Lines up to the next case or directive, without comments and trailing blanks.
  const takeBlock = (stop) => {
    const out = [];
    while (i < lines.length && !atBlockEnd(lines[i]) && !(stop && stop(lines[i]))) {
      if (!lines[i].startsWith('#')) out.push(lines[i]);
      i++;
    }
    while (out.length && out[out.length - 1].trim() === '') out.pop();
    while (out.length && out[0].trim() === '') out.shift();
    return out;
  };
  const takeHeaders = () => {
    const headers = [];
    while (i < lines.length && lines[i].startsWith('#')) i++;
    while (i < lines.length && HEADER.test(lines[i])) {
      const [, name, value] = HEADER.exec(lines[i]);
      headers.push([name, value]);
      i++;
    }
    return headers;
  };
  while (i < lines.length) {
    const line = lines[i];
    if (line.trim() === '' || line.startsWith('#')) { i++; continue; }
    if (line.startsWith('@server ')) {
      parsed.server.push(...line.slice(8).trim().split(/\s+/));
      i++;
    } else if (line.startsWith('@audio ')) {
      // @audio gs://BUCKET/OBJECT FILE [FILE2 [GAP]]: FILE copied (a recording
      // from a system package, never committed); with FILE2 a stereo WAV, FILE
      // on the left channel, then FILE2 on the right GAP seconds (default 0.5,
      // negative: overlapping) after FILE ends (16-bit mono WAVs, one rate).
      const [uri, ...sources] = line.slice(7).trim().split(/\s+/);
      parsed.audio.push({ uri, line: i + 1, sources });
      i++;
    } else if (line.startsWith('@file ')) {
      const uri = line.slice(6).trim();
      const at = i + 1;
      i++;
      parsed.files.push({ uri, line: at, content: expandRepeats(takeBlock().join('\n')) + '\n' });
    } else if (line.startsWith('===')) {
      const c = { title: line.slice(3).trim(), line: i + 1 };
      i++;
      const skip = () => { while (i < lines.length && (lines[i].trim() === '' || lines[i].startsWith('#'))) i++; };
      skip();
      const r = /^@repeat\s+(\d+)\s*$/.exec(lines[i] ?? '');
      c.repeat = r ? Number(r[1]) : 1;
      if (r) { i++; skip(); }
      const poll = /^@poll(?:\s+(\d+))?\s*$/.exec(lines[i] ?? '');
      // 0: no polling; otherwise the most attempts (Infinity: until the 10 s deadline).
      c.poll = poll ? (poll[1] ? Number(poll[1]) : Infinity) : 0;
      if (poll) { i++; skip(); }
      const m = /^([A-Z]+)\s+(\S.*)$/.exec(lines[i] ?? '');
      if (!m) fail(`expected a request line "METHOD /path" after "=== ${c.title}"`);
      c.method = m[1];
      c.target = m[2].trim();
      i++;
      c.headers = takeHeaders();
      c.body = takeBlock((l) => l.startsWith('---')).join('\n');
      const s = /^---\s+(\d{3})\s*$/.exec(lines[i] ?? '');
      if (!s) fail(`expected "--- STATUS" to end the request of "${c.title}"`);
      c.status = Number(s[1]);
      i++;
      c.expectHeaders = takeHeaders();
      c.expect = takeBlock().join('\n');
      parsed.cases.push(c);
    } else {
      fail(`unexpected line: ${line}`);
    }
  }
  return parsed;
}

// ---------------------------------------------------------------- substitution

function lookup(captures, name) {
  if (!(name in captures)) throw new Error(`\${${name}} was never captured`);
  return captures[name];
}

// `${name}` -> the captured value (strings as they are, anything else as JSON).
function substitute(text, captures, encode = (s) => s) {
  return text.replace(/\$\{([A-Za-z0-9_.-]+)\}/g, (_, name) => {
    const v = lookup(captures, name);
    return encode(typeof v === 'string' ? v : JSON.stringify(v));
  });
}

// `<<repeat N "s">>` -> s repeated N times: bodies, values and names of any size.
function expandRepeats(text) {
  return text.replace(/<<repeat (\d+) "((?:[^"\\]|\\.)*)">>/g, (_, n, s) => JSON.parse(`"${s}"`).repeat(Number(n)));
}

// Percent-encodes what may not appear in a URL (spaces, quotes, ...) and, in
// the query, '+' (which would mean a space), keeping what is already encoded:
// filters are written as they read.
function encodeTarget(target, captures) {
  const q = target.indexOf('?');
  const pathPart = substitute(q < 0 ? target : target.slice(0, q), captures);
  const queryPart = q < 0 ? null : substitute(target.slice(q + 1), captures, encodeURIComponent);
  const enc = (s, unsafe) => s.replace(unsafe, (ch) => encodeURIComponent(ch));
  return enc(pathPart, /%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/gu) +
    (queryPart === null ? '' : '?' + enc(queryPart, /%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*,;=:@/?%]/gu));
}

// ---------------------------------------------------------------- matching

const TIMESTAMP = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z$/;
const DURATION = /^-?\d+(\.\d{1,9})?s$/;

// Nanoseconds since the epoch, exact (Date keeps only milliseconds).
function timestampNanos(ts) {
  const m = TIMESTAMP.exec(ts);
  if (!m) return null;
  const seconds = BigInt(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) / 1000);
  return seconds * 1_000_000_000n + BigInt((m[7] ?? '').padEnd(9, '0'));
}

const show = (v) => {
  if (v === undefined) return '(absent)';
  const text = JSON.stringify(v);
  return text.length > 300 ? `${text.slice(0, 300)}... (${text.length} characters)` : text;
};

// Compares `actual` against `expected`; pushes "path: problem" strings to
// `diffs`. `${name}` in expected strings is replaced as it is reached, so a
// value captured earlier in the same response can be referred to.
function match(expected, actual, where, diffs, captures) {
  if (typeof expected === 'string' && /^\$[a-z]/.test(expected)) {
    const [, kind, rawArg] = /^\$([a-z]+)(?::([\s\S]*))?$/.exec(expected) ?? [];
    const arg = rawArg === undefined ? undefined : substitute(rawArg, captures);
    const want = (ok, what) => { if (!ok) diffs.push(`${where}: expected ${what}, got ${show(actual)}`); };
    switch (kind) {
      case 'any': return want(actual !== undefined, 'any value');
      case 'string': return want(typeof actual === 'string', 'a string');
      case 'number': return want(typeof actual === 'number', 'a number');
      case 'timestamp': return want(typeof actual === 'string' && TIMESTAMP.test(actual), 'an RFC 3339 UTC timestamp');
      case 'duration': return want(typeof actual === 'string' && DURATION.test(actual), 'a duration ("1.5s")');
      case 'length': return want(actual?.length === Number(arg), `${arg} items`);
      case 'contains': return want(typeof actual === 'string' && actual.includes(arg), `a string containing ${show(arg)}`);
      case 'capture':
        want(actual !== undefined, `a value to capture as ${arg}`);
        if (actual !== undefined) captures[arg] = actual;
        return;
      case 'match': {
        const m = typeof actual === 'string' ? new RegExp(arg).exec(actual) : null;
        want(m !== null, `a string matching /${arg}/`);
        if (m?.groups) Object.assign(captures, m.groups);
        return;
      }
      case 'after':
      case 'before': {
        const [a, b] = [timestampNanos(String(actual)), timestampNanos(arg)];
        if (b === null) throw new Error(`$${kind}: needs a UTC timestamp, got ${show(arg)}`);
        return want(a !== null && (kind === 'after' ? a > b : a < b), `a timestamp ${kind} ${arg}`);
      }
      default: throw new Error(`unknown wildcard ${show(expected)}`);
    }
  }
  if (typeof expected === 'string') expected = substitute(expected.startsWith('$$') ? expected.slice(1) : expected, captures);
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return diffs.push(`${where}: expected an array, got ${show(actual)}`);
    const open = expected[expected.length - 1] === '...';
    const items = open ? expected.slice(0, -1) : expected;
    if (open ? actual.length < items.length : actual.length !== items.length) {
      diffs.push(`${where}: expected ${open ? 'at least ' : ''}${items.length} items, got ${actual.length}`);
    }
    items.forEach((e, k) => { if (k < actual.length) match(e, actual[k], `${where}[${k}]`, diffs, captures); });
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) {
      return diffs.push(`${where}: expected an object, got ${show(actual)}`);
    }
    const key = (k) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `${where}.${k}` : `${where}[${JSON.stringify(k)}]`);
    // Keys may hold captures too (maps keyed by resource name).
    expected = Object.fromEntries(Object.entries(expected).map(([k, e]) => [substitute(k, captures), e]));
    for (const [k, e] of Object.entries(expected)) {
      if (k === '...') continue;
      if (!(k in actual)) diffs.push(`${key(k)}: missing, expected ${show(e)}`);
      else match(e, actual[k], key(k), diffs, captures);
    }
    if (expected['...'] !== true) {
      for (const k of Object.keys(actual)) {
        if (!(k in expected)) diffs.push(`${key(k)}: unexpected, got ${show(actual[k])}`);
      }
    }
    return;
  }
  if (expected !== actual) diffs.push(`${where}: expected ${show(expected)}, got ${show(actual)}`);
}

// ---------------------------------------------------------------- server

class Server {
  constructor(binary, flags, dataDir, bucketDir) {
    this.stderr = '';
    this.exited = null;
    this.proc = spawn(binary, ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir,
      '--bucket-dir', bucketDir, ...storeArgs(dataDir), ...flags], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.exit = new Promise((resolve) => this.proc.on('exit', (code, signal) => {
      this.exited = { code, signal };
      resolve(this.exited);
    }));
    this.proc.on('error', (e) => { this.stderr += `spawn failed: ${e.message}\n`; });
    this.port = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no "listening on" line within 10 s')), START_TIMEOUT_MS);
      this.proc.stderr.on('data', (chunk) => {
        this.stderr += chunk;
        const m = /parley: listening on [^\s:]+:(\d+)/.exec(this.stderr);
        if (m) { clearTimeout(timer); resolve(Number(m[1])); }
      });
      this.exit.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`the server exited (code ${code}, signal ${signal}) before listening`));
      });
    });
    this.port.catch(() => {});
  }

  // Sends SIGTERM; resolves to a problem description, or null for a clean exit.
  async stop() {
    if (this.exited) return `the server had already exited (code ${this.exited.code}, signal ${this.exited.signal})`;
    this.proc.kill('SIGTERM');
    let timer;
    const late = new Promise((resolve) => { timer = setTimeout(() => resolve(null), STOP_TIMEOUT_MS); });
    const done = await Promise.race([this.exit, late]);
    clearTimeout(timer);
    if (!done) {
      this.proc.kill('SIGKILL');
      return 'the server did not exit within 10 s of SIGTERM';
    }
    return done.code === 0 ? null : `the server exited with code ${done.code}, signal ${done.signal} on SIGTERM`;
  }

  tail() { return this.stderr.split('\n').slice(-15).join('\n'); }
}

function send(port, method, target, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: target, headers, agent: false,
      timeout: REQUEST_TIMEOUT_MS }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
        body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no response within 30 s')));
    req.on('error', reject);
    req.end(body);
  });
}

// ---------------------------------------------------------------- running

// RFC 4180 records (fields may be quoted, "" is a quote) as arrays of strings.
function parseCsv(text) {
  const rows = [];
  let row = [], field = '', quoted = false, i = 0;
  while (i < text.length) {
    const ch = text[i++];
    if (quoted) {
      if (ch === '"' && text[i] === '"') { field += '"'; i++; } else if (ch === '"') quoted = false; else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { row.push(field); field = ''; } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i] === '\n') i++;
      row.push(field); rows.push(row); row = []; field = '';
    } else field += ch;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  return rows;
}

// `FILE PATH`: the file as a response (200, or 404 when absent). PATH must be
// in the file's temporary directory (${tmp_dir}). A .ndjson file reads as the
// JSON array of its lines, a .csv file as an array of records (arrays of strings).
function readFileCase(c, captures) {
  const file = path.resolve(substitute(c.target, captures));
  if (!file.startsWith(captures.tmp_dir + path.sep)) throw new Error(`FILE ${file}: not under \${tmp_dir}`);
  if (!fs.existsSync(file)) return { status: 404, headers: {}, body: '' };
  let body = fs.readFileSync(file, 'utf8');
  if (file.endsWith('.ndjson')) body = `[${body.split('\n').filter((l) => l !== '').join(',')}]`;
  if (file.endsWith('.csv')) body = JSON.stringify(parseCsv(body));
  return { status: 200, headers: {}, body };
}

async function runCase(c, port, captures) {
  if (c.method === 'FILE') return compare(c, `FILE ${c.target}`, readFileCase(c, captures), captures);
  const target = encodeTarget(expandRepeats(c.target), captures);
  const body = c.body === '' ? undefined : Buffer.from(expandRepeats(substitute(c.body, captures)));
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  for (const [name, value] of c.headers) headers[name.toLowerCase()] = substitute(value, captures);
  const res = await send(port, c.method, target, headers, body);
  return compare(c, `${c.method} ${target}`, res, captures);
}

function compare(c, request, res, captures) {
  const diffs = [];
  if (res.status !== c.status) diffs.push(`status: expected ${c.status}, got ${res.status}`);
  for (const [name, value] of c.expectHeaders) {
    const got = res.headers[name.toLowerCase()];
    if (got !== substitute(value, captures)) diffs.push(`header ${name}: expected ${show(value)}, got ${show(got)}`);
  }
  if (c.expect !== '') {
    let expected, actual;
    const text = expandRepeats(c.expect);
    try { expected = JSON.parse(text); } catch { expected = undefined; }
    if (expected === undefined) {
      const want = substitute(text, captures);
      if (res.body.trim() !== want.trim()) diffs.push(`body: expected ${show(want)}, got ${show(res.body)}`);
    } else {
      try { actual = JSON.parse(res.body); } catch { actual = undefined; }
      if (actual === undefined) diffs.push(`body: expected JSON, got ${show(res.body.slice(0, 500))}`);
      else match(expected, actual, '$', diffs, captures);
    }
  }
  if (diffs.length) {
    diffs.unshift(`request: ${request}`);
    const text = res.body.length > 2000 ? res.body.slice(0, 2000) + '...' : res.body;
    diffs.push(`response ${res.status}: ${text}`);
  }
  return diffs;
}

async function runFile(file, binary, label) {
  const report = { passed: 0, failed: 0 };
  const say = (ok, where, title, details = []) => {
    ok ? report.passed++ : report.failed++;
    console.log(`${ok ? 'ok' : 'not ok'} - ${where} ${title}`);
    for (const d of details) console.log(`    ${d.replace(/\n/g, '\n    ')}`);
  };
  let parsed;
  try { parsed = parseCaseFile(file); } catch (e) { say(false, label, 'parse', [e.message]); return report; }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-cases-'));
  const dataDir = path.join(tmp, 'data');
  const bucketDir = path.join(tmp, 'buckets');
  fs.mkdirSync(bucketDir);
  for (const f of parsed.files) {
    // local:NAME is ${tmp_dir}/NAME, mode 0600 (server files such as --auth-file).
    const local = /^local:([A-Za-z0-9._-]+)$/.exec(f.uri);
    if (local) { fs.writeFileSync(path.join(tmp, local[1]), f.content, { mode: 0o600 }); continue; }
    const m = /^gs:\/\/([^/]+)\/(.+)$/.exec(f.uri);
    if (!m) { say(false, `${label}:${f.line}`, '@file', [`not gs://BUCKET/OBJECT or local:NAME: ${f.uri}`]); continue; }
    const dest = path.join(bucketDir, m[1], m[2]);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, f.content);
  }
  for (const a of parsed.audio) {
    const m = /^gs:\/\/([^/]+)\/(.+)$/.exec(a.uri);
    if (!m || a.sources.length < 1 || a.sources.length > 3) {
      say(false, `${label}:${a.line}`, '@audio', [`expected @audio gs://BUCKET/OBJECT FILE [FILE2 [GAP]]: ${a.uri}`]);
      continue;
    }
    const dest = path.join(bucketDir, m[1], m[2]);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    try {
      fs.writeFileSync(dest, a.sources.length === 1 ? fs.readFileSync(a.sources[0])
        : stereoWav(a.sources[0], a.sources[1], a.sources[2] === undefined ? 0.5 : Number(a.sources[2])));
    } catch (e) { say(false, `${label}:${a.line}`, '@audio', [e.message]); }
  }
  // `""` is an empty argument; ${tmp_dir} is this file's temporary directory.
  const serverFlags = parsed.server.map((f) => (f === '""' ? '' : f.replaceAll('${tmp_dir}', tmp)));
  const server = new Server(binary, serverFlags, dataDir, bucketDir);
  let port, died = false;
  try {
    try { port = await server.port; } catch (e) {
      for (const c of parsed.cases) say(false, `${label}:${c.line}`, c.title, ['not run: the server did not start']);
      say(false, label, 'server start', [e.message, server.tail()]);
      return report;
    }
    const captures = { bucket_dir: bucketDir, tmp_dir: tmp };
    for (const c of parsed.cases) {
      const where = `${label}:${c.line}`;
      if (died) { say(false, where, c.title, ['not run: the server died']); continue; }
      let diffs;
      for (let n = 1; n <= c.repeat && !diffs?.length; n++) {
        if (c.repeat > 1) captures.n = String(n);
        // @poll [N]: the same request again until it gets what is expected (long-running work):
        // at most N times when N is given (@poll 3000: about a minute), else for up to 10 s.
        const deadline = c.poll === Infinity ? Date.now() + 10_000 : Infinity;
        for (let attempt = 1; ; attempt++) {
          try { diffs = await runCase(c, port, captures); } catch (e) { diffs = [`${c.method} ${c.target}: ${e.message}`]; }
          if (!c.poll || !diffs.length || attempt >= c.poll || Date.now() > deadline) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        if (diffs.length && c.poll) diffs.unshift('still different when polling stopped');
        if (diffs.length && c.repeat > 1) diffs.unshift(`repetition ${n} of ${c.repeat}`);
      }
      if (server.exited) diffs.push(`the server died:\n${server.tail()}`);
      died = server.exited !== null;
      say(diffs.length === 0, where, c.title, diffs);
    }
  } finally {
    // Start failures and crashes are reported already; otherwise check a clean exit.
    const problem = await server.stop();
    if (problem && port !== undefined && !died) say(false, label, 'graceful shutdown', [problem, server.tail()]);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return report;
}

async function main(argv) {
  let binary = null;
  const files = [];
  for (let k = 0; k < argv.length; k++) {
    if (argv[k] === '--server') binary = argv[++k];
    else files.push(argv[k]);
  }
  if (!binary || files.length === 0) {
    console.error('usage: node run.mjs --server PATH/TO/parley FILE.case...');
    return 2;
  }
  let passed = 0, failed = 0;
  for (const file of files) {
    const r = await runFile(file, path.resolve(binary), path.relative(process.cwd(), file) || file);
    passed += r.passed;
    failed += r.failed;
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
