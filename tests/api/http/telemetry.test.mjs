// Request logs, /metrics, /readyz and the OpenAPI documents of `parley serve`
// (issue 15), over real HTTP against the real binary:
// - one JSON log line per request with its id (echoed in X-Request-Id; a
//   sane incoming one is kept), tenant, method, route pattern, status, bytes
//   and latency; operation state changes logged; no API key, Authorization
//   value or conversation text anywhere in the log;
// - /metrics in the Prometheus text format with the request, operation,
//   analysis, store and process families; an admin key needed once keys
//   exist, none on --metrics-listen;
// - /openapi/{dialect}.json: a structurally valid OpenAPI 3.1 document per
//   dialect, listed on /openapi.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer } from '../../crash/harness.mjs';

const BIN = process.env.PARLEY_BIN;
assert.ok(BIN, 'PARLEY_BIN must point at build/parley');
const tmp = mkdtempSync(path.join(tmpdir(), 'parley-telemetry-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function request(port, method, p, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const h = { ...headers };
    if (data !== undefined) h['content-type'] = 'application/json';
    const req = http.request({ host: '127.0.0.1', port, method, path: p, headers: h }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    if (data !== undefined) req.write(data);
    req.end();
  });
}

// `parley serve` on a free port over dataDir (tests/crash/harness.mjs), with
// log() for its stderr and, with --metrics-listen, metricsPort.
async function serve(dataDir, ...args) {
  const server = await startServer(BIN, dataDir, args);
  let metricsPort = null;
  for (let i = 0; args.includes('--metrics-listen') && !metricsPort && i < 100; i++) {
    const m = /metrics on \S+:(\d+)/.exec(server.stderr());
    if (m) metricsPort = Number(m[1]);
    else await new Promise((r) => setTimeout(r, 20));
  }
  return { ...server, metricsPort, log: server.stderr };
}

async function stop(server) {
  assert.deepEqual(await server.stop(), { code: 0, signal: null });
}

// Request lines are written by a background thread every 10-50 ms: waits
// (up to 10 s, for a loaded machine) until the log holds what `done` wants.
async function logHas(server, done) {
  for (let i = 0; i < 500 && !done(server.log()); i++) await new Promise((r) => setTimeout(r, 20));
  return server.log();
}

const jsonLines = (text) => text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

const SECRET_TEXT = 'my card number is 4111 and I am furious about Zanzibar';

test('one JSON line per request, request ids, operation states, no secret or conversation text', async () => {
  const data = path.join(tmp, 'logs');
  const created = spawnSync(BIN, ['keys', 'create', '--data-dir', data, '--tenant', 'acme', '--role', 'admin'],
    { encoding: 'utf8' });
  assert.equal(created.status, 0, created.stderr);
  const key = created.stdout.trimEnd().split('\n').at(-1);
  const auth = { authorization: `Bearer ${key}` };
  const server = await serve(data);
  try {
    const base = '/v1/projects/acme/locations/us/conversations';
    const create = await request(server.port, 'POST', `${base}?conversationId=conv-0001`, {
      headers: { ...auth, 'x-request-id': 'client-id-42' },
      body: { medium: 'CHAT', transcript: { transcriptSegments: [
        { text: SECRET_TEXT, channelTag: 1, segmentParticipant: { role: 'END_USER' } },
        { text: 'I am sorry to hear that.', channelTag: 2, segmentParticipant: { role: 'HUMAN_AGENT' } }] } },
    });
    assert.equal(create.status, 200, create.body);
    assert.equal(create.headers['x-request-id'], 'client-id-42', 'a sane incoming id is kept');

    const get = await request(server.port, 'GET', `${base}/conv-0001`, { headers: { ...auth, 'x-request-id': 'bad id\u00e9' } });
    assert.equal(get.status, 200);
    assert.match(get.headers['x-request-id'], /^[0-9a-f]{16}$/, 'an insane incoming id is replaced');

    const missing = await request(server.port, 'GET', '/no/such/route', { headers: auth });
    assert.equal(missing.status, 404);
    assert.match(missing.headers['x-request-id'], /^[0-9a-f]{16}$/);
    const denied = await request(server.port, 'GET', `${base}/conv-0001`, { headers: { authorization: 'Bearer prly_0000000000000000_wrong' } });
    assert.equal(denied.status, 401);

    const op = await request(server.port, 'POST', `${base}/conv-0001/analyses`, { headers: auth, body: {} });
    assert.equal(op.status, 200, op.body);
    const opName = JSON.parse(op.body).name;
    for (let i = 0; i < 100; i++) {
      const o = await request(server.port, 'GET', `/v1/${opName}`, { headers: auth });
      if (JSON.parse(o.body).done) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await logHas(server, (log) => log.includes(`"request_id":"${get.headers['x-request-id']}"`) &&
      jsonLines(log).filter((l) => l.event === 'operation').length >= 3);
    const lines = jsonLines(server.log());
    const requests = lines.filter((l) => l.event === 'request');
    const byId = requests.find((l) => l.request_id === 'client-id-42');
    assert.ok(byId, 'the request is logged under its id');
    assert.equal(byId.method, 'POST');
    assert.equal(byId.route, '/v1/projects/{project}/locations/{location}/conversations');
    assert.equal(byId.tenant, 'acme');
    assert.equal(byId.dialect, 'insights_v1');
    assert.equal(byId.status, 200);
    assert.ok(byId.bytes > 0 && Number.isInteger(byId.latency_us) && byId.latency_us >= 0);
    assert.match(byId.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const getLine = requests.find((l) => l.request_id === get.headers['x-request-id']);
    assert.equal(getLine.route, '/v1/projects/{project}/locations/{location}/conversations/{conversation}');
    assert.ok(requests.some((l) => l.status === 404 && l.route === 'unmatched'));
    assert.ok(requests.some((l) => l.status === 401));
    const states = lines.filter((l) => l.event === 'operation').map((l) => l.state);
    assert.deepEqual(states.slice(0, 3), ['pending', 'running', 'succeeded']);
    assert.ok(lines.filter((l) => l.event === 'operation').every((l) => l.tenant === 'acme' && l.kind));

    const log = server.log();
    assert.ok(!log.includes(key.slice(22)), 'no API key secret in the log');
    assert.ok(!log.includes('prly_0000000000000000_wrong'), 'no Authorization value in the log');
    assert.ok(!log.includes('Zanzibar') && !log.includes('4111'), 'no conversation text in the log');
  } finally {
    await stop(server);
  }
});

test('--log-format text and --log-level warn', async () => {
  const server = await serve(path.join(tmp, 'text'), '--log-format', 'text');
  try {
    await request(server.port, 'GET', '/healthz');
    const log = await logHas(server, (text) => text.includes(' info request '));
    assert.match(log, /^\S+Z info request request_id=[0-9a-f]{16} .*route=\/healthz status=200 /m);
  } finally {
    await stop(server);
  }
  const quiet = await serve(path.join(tmp, 'quiet'), '--log-level', 'warn');
  try {
    await request(quiet.port, 'GET', '/healthz');
  } finally {
    await stop(quiet);  // writes out whatever was buffered
  }
  assert.ok(!/request/.test(quiet.log().replace(/^parley: .*$/gm, '')), quiet.log());
  const bad = spawnSync(BIN, ['serve', '--log-format', 'xml', '--data-dir', path.join(tmp, 'bad')], { encoding: 'utf8' });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--log-format/);
});

// Parses the Prometheus text format 0.0.4: every sample belongs to a family
// declared by # TYPE; returns {types, samples: [{name, labels, value}]}.
function parseExposition(text) {
  const types = new Map();
  const samples = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m;
    if ((m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line))) {
      assert.ok(!types.has(m[1]), `family ${m[1]} declared once`);
      types.set(m[1], m[2]);
      continue;
    }
    if (line.startsWith('# HELP ')) continue;
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?|NaN|[+-]Inf)$/.exec(line);
    assert.ok(m, `a valid sample line: ${line}`);
    const labels = {};
    if (m[3]) {
      for (const l of m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    }
    const family = m[1].replace(/_(bucket|sum|count)$/, '');
    assert.ok(types.has(m[1]) || types.get(family) === 'histogram', `sample ${m[1]} has a TYPE`);
    samples.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return { types, samples };
}

test('/metrics: request, operation, store and process metrics; /readyz', async () => {
  const server = await serve(path.join(tmp, 'metrics'));
  try {
    const base = '/v1/projects/t1/locations/us/conversations';
    for (const id of ['conv-000a', 'conv-000b']) {
      const r = await request(server.port, 'POST', `${base}?conversationId=${id}`,
        { body: { medium: 'CHAT', transcript: { transcriptSegments: [{ text: 'hello there', channelTag: 1 }] } } });
      assert.equal(r.status, 200, r.body);
    }
    assert.equal((await request(server.port, 'GET', `${base}/conv-000a`)).status, 200);
    const op = await request(server.port, 'POST', `${base}/conv-000a/analyses`, { body: {} });
    assert.equal(op.status, 200);
    for (let i = 0; i < 100; i++) {
      const o = await request(server.port, 'GET', `/v1/${JSON.parse(op.body).name}`);
      if (JSON.parse(o.body).done) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const ready = await request(server.port, 'GET', '/readyz');
    assert.equal(ready.status, 200);
    const res = await request(server.port, 'GET', '/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/);
    const { types, samples } = parseExposition(res.body);
    const one = (name, labels = {}) => samples.find((s) => s.name === name &&
      Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    assert.equal(types.get('parley_http_requests_total'), 'counter');
    assert.equal(one('parley_http_requests_total', { dialect: 'insights_v1', method: 'POST',
      route: '/v1/projects/{project}/locations/{location}/conversations', code: '200' }).value, 2);
    assert.equal(types.get('parley_http_request_duration_seconds'), 'histogram');
    const inf = one('parley_http_request_duration_seconds_bucket', { method: 'GET', le: '+Inf',
      route: '/v1/projects/{project}/locations/{location}/conversations/{conversation}' });
    assert.ok(inf.value >= 1);
    assert.equal(one('parley_http_requests_in_flight').value, 1, 'the scrape itself');
    assert.equal(one('parley_operations_total', { kind: 'analyze', state: 'succeeded' }).value, 1);
    assert.equal(one('parley_analysis_segments_total').value, 1);
    assert.ok(one('parley_operations_queued') && one('parley_operations_running'));
    assert.equal(one('parley_conversations_stored', { tenant: 't1' }).value, 2);
    assert.ok(one('parley_store_size_bytes').value > 0);
    // The SQLite store's group commits: at least the two creates and the
    // analysis, each write in some commit; no sync has failed.
    assert.equal(types.get('parley_sqlite_commits_total'), 'counter');
    const commits = one('parley_sqlite_commits_total').value;
    assert.ok(commits >= 3, `commits ${commits}`);
    assert.ok(one('parley_sqlite_writes_total').value >= commits);
    assert.ok(one('parley_sqlite_largest_commit_writes').value >= 1);
    assert.equal(types.get('parley_sqlite_deferred_syncs_total'), 'counter');
    assert.ok(one('parley_sqlite_checkpoints_total') && one('parley_sqlite_writer_checkpoints_total'));
    assert.equal(one('parley_sqlite_writes_refused').value, 0);
    assert.ok(one('process_cpu_seconds_total').value > 0);
    assert.ok(one('process_resident_memory_bytes').value > 1e6);
    assert.ok(one('process_open_fds').value > 3);
    const start = one('process_start_time_seconds').value;
    assert.ok(Math.abs(start - Date.now() / 1000) < 120, `start time ${start} is about now`);
  } finally {
    await stop(server);
  }
});

test('--live-cache-mb: live conversations kept parsed, their hits and loads on /metrics; 0 turns them off', async () => {
  const live = async (server) => {
    const { types, samples } = parseExposition((await request(server.port, 'GET', '/metrics')).body);
    const value = (name) => samples.find((s) => s.name === name)?.value;
    return { types, value };
  };
  const base = '/v1/projects/t1/locations/us/conversations';
  const server = await serve(path.join(tmp, 'live'), '--live-cache-mb', '3');
  try {
    const r = await request(server.port, 'POST', `${base}?conversationId=live-1`,
      { body: { medium: 'CHAT', transcript: { transcriptSegments: [{ text: 'hello there', channelTag: 1 }] } } });
    assert.equal(r.status, 200, r.body);
    let m = await live(server);
    assert.equal(m.types.get('parley_live_conversation_hits_total'), 'counter');
    assert.equal(m.types.get('parley_live_conversation_loads_total'), 'counter');
    assert.equal(m.types.get('parley_live_conversations_bytes'), 'gauge');
    assert.equal(m.value('parley_live_conversations_capacity_bytes'), 3 * 1024 * 1024);
    const loads = m.value('parley_live_conversation_loads_total');
    const hits = m.value('parley_live_conversation_hits_total');
    // Two updates: the first reads the conversation and keeps it, the
    // second finds it kept.
    for (const label of ['a', 'b']) {
      const u = await request(server.port, 'PATCH', `${base}/live-1?updateMask=labels`,
        { body: { labels: { [label]: 'x' } } });
      assert.equal(u.status, 200, u.body);
    }
    m = await live(server);
    assert.equal(m.value('parley_live_conversation_loads_total'), loads + 1);
    assert.ok(m.value('parley_live_conversation_hits_total') >= hits + 1);
    assert.equal(m.value('parley_live_conversations_kept'), 1);
    assert.ok(m.value('parley_live_conversations_bytes') > 0);
  } finally {
    await stop(server);
  }
  const off = await serve(path.join(tmp, 'live-off'), '--live-cache-mb', '0');
  try {
    const m = await live(off);
    assert.equal(m.value('parley_live_conversations_capacity_bytes'), undefined);
    assert.ok(m.value('parley_sqlite_commits_total') >= 0, 'the scrape works');
  } finally {
    await stop(off);
  }
  const bad = spawnSync(BIN, ['serve', '--live-cache-mb', '-1', '--data-dir', path.join(tmp, 'live-bad')],
    { encoding: 'utf8' });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--live-cache-mb/);
});

test('/metrics needs an admin key once keys exist; --metrics-listen serves it without one', async () => {
  const data = path.join(tmp, 'metrics-auth');
  const mk = (role) => {
    const r = spawnSync(BIN, ['keys', 'create', '--data-dir', data, '--tenant', 'acme', '--role', role], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trimEnd().split('\n').at(-1);
  };
  const admin = mk('admin');
  const viewer = mk('viewer');
  const server = await serve(data, '--metrics-listen', '127.0.0.1:0');
  try {
    assert.equal((await request(server.port, 'GET', '/metrics')).status, 401);
    assert.equal((await request(server.port, 'GET', '/metrics', { headers: { authorization: `Bearer ${viewer}` } })).status, 403);
    const ok = await request(server.port, 'GET', '/metrics', { headers: { authorization: `Bearer ${admin}` } });
    assert.equal(ok.status, 200);
    assert.match(ok.body, /^parley_http_requests_total\{/m);
    const open = await request(server.metricsPort, 'GET', '/metrics');
    assert.equal(open.status, 200);
    assert.match(open.body, /^# TYPE process_cpu_seconds_total counter$/m);
    assert.equal((await request(server.metricsPort, 'GET', '/readyz')).status, 200);
    assert.equal((await request(server.metricsPort, 'GET', '/v1/projects/acme/locations/us/conversations')).status, 404,
      'the metrics listener serves no API');
  } finally {
    await stop(server);
  }
});

test('/openapi/{dialect}.json: a valid OpenAPI 3.1 document per dialect, listed on /openapi', async () => {
  const server = await serve(path.join(tmp, 'openapi'));
  try {
    const index = await request(server.port, 'GET', '/openapi');
    assert.equal(index.status, 200);
    assert.match(index.headers['content-type'], /^text\/html/);
    const docs = [...index.body.matchAll(/href="\/openapi\/([a-z0-9_]+)\.json"/g)].map((m) => m[1]);
    assert.ok(docs.includes('insights_v1') && docs.includes('dialogflow_v2') && docs.includes('cresta_v1') &&
      docs.includes('ces_v1'), `listed: ${docs}`);
    const methods = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
    for (const name of docs) {
      const res = await request(server.port, 'GET', `/openapi/${name}.json`);
      assert.equal(res.status, 200);
      const doc = JSON.parse(res.body);
      assert.equal(doc.openapi, '3.1.0');
      assert.equal(typeof doc.info.title, 'string');
      assert.equal(typeof doc.info.version, 'string');
      const paths = Object.entries(doc.paths);
      assert.ok(paths.length >= 3, `${name} has its routes`);
      const ids = new Set();
      const shapes = new Set();
      for (const [p, item] of paths) {
        assert.ok(p.startsWith('/'), p);
        // Equivalent templated paths (same shape, other names) are invalid.
        const shape = p.replace(/\{[^}]+\}/g, '{}');
        assert.ok(!shapes.has(shape), `${name}: ${p} duplicates another path`);
        shapes.add(shape);
        const templated = [...p.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
        const declared = (item.parameters ?? []).filter((q) => q.in === 'path');
        assert.deepEqual(declared.map((q) => q.name).sort(), [...templated].sort(), `${name} ${p}: path parameters`);
        assert.ok(declared.every((q) => q.required === true && q.schema?.type === 'string'));
        const ops = Object.entries(item).filter(([k]) => k !== 'parameters');
        assert.ok(ops.length > 0, `${p} has operations`);
        for (const [method, op] of ops) {
          assert.ok(methods.has(method), `${p}: ${method} is an HTTP method`);
          assert.match(op.operationId, /^[A-Za-z][A-Za-z0-9_]*$/);
          assert.ok(!ids.has(op.operationId), `${name}: operationId ${op.operationId} unique`);
          ids.add(op.operationId);
          assert.ok(op.responses && Object.keys(op.responses).length > 0);
          for (const [code, r] of Object.entries(op.responses)) {
            assert.ok(code === 'default' || /^[1-5]\d\d$/.test(code));
            assert.equal(typeof r.description, 'string');
          }
          assert.ok(['viewer', 'editor', 'admin'].includes(op['x-parley-role']));
          if (op.requestBody) assert.ok(op.requestBody.content['application/json']);
          for (const ref of JSON.stringify(op).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) {
            assert.ok(doc.components.schemas[ref[1]], `$ref ${ref[1]} resolves`);
          }
        }
      }
      for (const s of doc.security) {
        for (const k of Object.keys(s)) assert.ok(doc.components.securitySchemes[k], `security ${k} declared`);
      }
    }
    const insights = JSON.parse((await request(server.port, 'GET', '/openapi/insights_v1.json')).body);
    assert.ok(insights.paths['/v1/projects/{project}/locations/{location}/conversations'].post);
    assert.equal((await request(server.port, 'GET', '/openapi/nope.json')).status, 404);
  } finally {
    await stop(server);
  }
});

// A small JSON Schema check of what the OpenAPI documents use ($ref, type,
// properties, items, additionalProperties, enum, anyOf, allOf, pattern),
// strict about properties: every key of a body must be declared, so that a
// schema missing a field the server prints (or takes) fails.
function schemaErrors(doc, schema, value, at = '$') {
  if (schema.$ref) return schemaErrors(doc, doc.components.schemas[schema.$ref.split('/').pop()], value, at);
  if (schema.allOf) return schema.allOf.flatMap((s) => schemaErrors(doc, s, value, at));
  if (schema.anyOf) {
    const each = schema.anyOf.map((s) => schemaErrors(doc, s, value, at));
    return each.some((e) => e.length === 0) ? [] : each.flat();
  }
  const kind = Array.isArray(value) ? 'array' : value === null ? 'null'
    : Number.isInteger(value) ? 'integer' : typeof value;
  const types = schema.type === undefined ? null : [].concat(schema.type);
  if (types && !types.includes(kind) && !(kind === 'integer' && types.includes('number'))) {
    return [`${at}: ${kind}, want ${types}`];
  }
  if (schema.enum && !schema.enum.includes(value)) return [`${at}: ${value} not in the enum`];
  if (schema.pattern && !new RegExp(schema.pattern).test(value)) return [`${at}: ${value} !~ ${schema.pattern}`];
  if (kind === 'array' && schema.items) return value.flatMap((v, i) => schemaErrors(doc, schema.items, v, `${at}[${i}]`));
  if (kind !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => {
    const sub = schema.properties?.[k] ?? schema.additionalProperties;
    if (sub === undefined) return schema.properties ? [`${at}.${k}: not in the schema`] : [];
    return schemaErrors(doc, sub, v, `${at}.${k}`);
  });
}

test('OpenAPI body schemas: Insights conversations and Dialogflow analyzeContent, field by field, match what the server takes and prints', async () => {
  const server = await serve(path.join(tmp, 'openapi-bodies'));
  const call = async (method, p, body) => {
    const res = await request(server.port, method, p, { body });
    assert.equal(res.status, 200, `${method} ${p}: ${res.body}`);
    return JSON.parse(res.body);
  };
  try {
    const insights = JSON.parse((await request(server.port, 'GET', '/openapi/insights_v1.json')).body);
    const conversations = insights.paths['/v1/projects/{project}/locations/{location}/conversations'];
    const one = insights.paths['/v1/projects/{project}/locations/{location}/conversations/{conversation}'];
    const bodyOf = (op) => op.requestBody.content['application/json'].schema;
    const okOf = (op) => op.responses['200'].content['application/json'].schema;
    assert.deepEqual(bodyOf(conversations.post), { $ref: '#/components/schemas/parley.insights_v1.Conversation' });
    assert.deepEqual(okOf(one.get), { $ref: '#/components/schemas/parley.insights_v1.Conversation' });
    assert.deepEqual(okOf(conversations.get), { $ref: '#/components/schemas/parley.insights_v1.ListConversationsResponse' });
    const conv = insights.components.schemas['parley.insights_v1.Conversation'];
    assert.deepEqual(conv.properties.startTime, { type: 'string', format: 'date-time' });
    assert.deepEqual(conv.properties.labels, { type: 'object', additionalProperties: { type: 'string' } });
    assert.ok(conv.properties.medium.anyOf[0].enum.includes('PHONE_CALL'));
    assert.match(conv.properties.duration.pattern, /s\$$/);
    // Parley's additions are marked (ADR 0020, 0030).
    const stats = insights.paths['/v1/projects/{project}/locations/{location}/conversations:calculateStats'];
    const statsSchema = insights.components.schemas[okOf(stats.get).$ref.split('/').pop()];
    assert.match(statsSchema.properties.intentMatches.description, /Parley extension/);
    assert.equal(statsSchema.properties.conversationCount.type, 'integer');

    const L = '/v1/projects/p/locations/us';
    const sent = { medium: 'CHAT', agentId: 'a-1', labels: { queue: 'x' }, startTime: '2024-05-01T10:00:00Z',
      languageCode: 'en-US', transcript: { transcriptSegments: [
        { text: 'I want a refund', messageTime: '2024-05-01T10:00:05Z', segmentParticipant: { role: 'END_USER', userId: 'c' } },
        { text: 'Sure', segmentParticipant: { role: 'HUMAN_AGENT' }, channelTag: 2 }] } };
    assert.deepEqual(schemaErrors(insights, bodyOf(conversations.post), sent), []);
    const created = await call('POST', `${L}/conversations?conversationId=conv-0001`, sent);
    assert.deepEqual(schemaErrors(insights, okOf(conversations.post), created), []);
    assert.ok(Object.keys(created).length >= 8, Object.keys(created).join());
    assert.deepEqual(schemaErrors(insights, okOf(one.get), await call('GET', `${L}/conversations/conv-0001`)), []);
    assert.deepEqual(schemaErrors(insights, okOf(conversations.get), await call('GET', `${L}/conversations?view=FULL`)), []);
    assert.deepEqual(schemaErrors(insights, okOf(stats.get), await call('GET', `${L}/conversations:calculateStats`)), []);
    // The check can fail: an undeclared field or a wrong type is reported.
    assert.deepEqual(schemaErrors(insights, bodyOf(conversations.post), { nope: 1, turnCount: 'x' }).length, 2);

    const df = JSON.parse((await request(server.port, 'GET', '/openapi/dialogflow_v2.json')).body);
    const analyze = Object.entries(df.paths).filter(([p]) => p.endsWith(':analyzeContent')).map(([, item]) => item.post);
    assert.equal(analyze.length, 2, 'with and without a location');
    for (const op of analyze) {
      assert.deepEqual(bodyOf(op), { $ref: '#/components/schemas/parley.dialogflow_v2.AnalyzeContentRequest' });
      assert.deepEqual(okOf(op), { $ref: '#/components/schemas/parley.dialogflow_v2.AnalyzeContentResponse' });
    }
    const D = '/v2/projects/p/locations/us-central1';
    const profile = await call('POST', `${D}/conversationProfiles`, { displayName: 'p',
      humanAgentAssistantConfig: { messageAnalysisConfig: { enableSentimentAnalysis: true } } });
    await call('POST', `${D}/conversations?conversationId=chat-0001`, { conversationProfile: profile.name });
    const user = await call('POST', `${D}/conversations/chat-0001/participants`, { role: 'END_USER' });
    const ask = { textInput: { text: 'I was charged twice', languageCode: 'en-US' }, requestId: 'r-1' };
    assert.deepEqual(schemaErrors(df, bodyOf(analyze[0]), ask), []);
    const answer = await call('POST', `/v2/${user.name}:analyzeContent`, ask);
    assert.ok(answer.message.sentimentAnalysis, JSON.stringify(answer));
    assert.deepEqual(schemaErrors(df, okOf(analyze[0]), answer), []);
  } finally {
    await stop(server);
  }
});
