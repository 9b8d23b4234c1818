// `parley migrate` (issue 16, ADR 0034) against the test PostgreSQL cluster
// (PARLEY_PG_STATE, the CTest fixture `postgres`): a SQLite store filled
// through the real server (two tenants: conversations, analyses,
// operations, a phrase matcher, settings, a Dialogflow knowledge base and
// document, an API key, audit entries) is copied into PostgreSQL; a server
// on PostgreSQL then answers every read exactly as the SQLite one did (the
// same key, the same page tokens). Then: a second run into the now
// non-empty database is refused and changes nothing; the copy goes back
// from PostgreSQL into a new SQLite store; a row changed behind Parley's
// back makes --verify-only report the kind that differs and exit 3.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { conversationBody, findParleyBinary, killAll, request, startServer } from '../crash/harness.mjs';
import { adminSql, postgresAdminUrl, schemaOf, storeArgs } from '../store/pg_store.mjs';
import { run, table } from './migrate_cli.mjs';

after(killAll);

const TENANTS = ['alpha-proj', 'beta-proj'];
const base = (t) => `/v1/projects/${t}/locations/us/conversations`;



test('a SQLite store copied into PostgreSQL reads back the same through the API', { timeout: 150000 }, async () => {
  assert.ok(postgresAdminUrl() !== null, 'PARLEY_PG_STATE must name a test PostgreSQL cluster (ctest does this)');
  const found = findParleyBinary();
  assert.ok(!found.error, found.error);
  const bin = found.bin;
  const srcDir = mkdtempSync(path.join(tmpdir(), 'parley-migrate-src-'));
  const pgDir = mkdtempSync(path.join(tmpdir(), 'parley-migrate-pg-'));
  const backDir = mkdtempSync(path.join(tmpdir(), 'parley-migrate-back-'));
  const pgUrl = storeArgs(pgDir)[1];
  const schema = schemaOf(pgDir);

  // An admin key of both tenants, then the server on SQLite (with keys, so
  // auth is on and the key itself must survive the copy).
  const created = run(bin, ['keys', 'create', '--data-dir', srcDir, '--tenant', TENANTS[0], '--tenant', TENANTS[1],
    '--role', 'admin', '--name', 'migrate-test']);
  assert.equal(created.status, 0, created.stderr);
  const secret = created.stdout.trim().split('\n').pop();
  const auth = { authorization: `Bearer ${secret}` };
  const agent = new http.Agent({ keepAlive: true });
  let server = await startServer(bin, srcDir, ['--store', `sqlite:${srcDir}`]);
  const call = async (method, p, body) => {
    const r = await request(agent, server.port, method, p, body === undefined ? undefined : JSON.stringify(body), auth);
    return { status: r.status, json: r.body ? JSON.parse(r.body) : null, body: r.body };
  };
  const post = async (p, body) => {
    const r = await call('POST', p, body);
    assert.equal(r.status, 200, `${p}: ${r.body}`);
    return r.json;
  };

  for (const [t, tenant] of TENANTS.entries()) {
    for (let i = 0; i < 5 + t; i++) {
      const id = `mig-${t}-${String(i).padStart(3, '0')}`;
      const r = await request(agent, server.port, 'POST', `${base(tenant)}?conversationId=${id}`,
        conversationBody(id, { queue: i % 2 ? 'billing' : 'sales', n: String(i) }, 4 + i), auth);
      assert.equal(r.status, 200, r.body);
    }
    // Analyses (operations that finish), two of the first conversation.
    for (const id of [`mig-${t}-000`, `mig-${t}-000`, `mig-${t}-002`]) {
      const op = await post(`${base(tenant)}/${id}/analyses`, {});
      for (let tries = 0; ; tries++) {
        const r = await call('GET', `/v1/${op.name}`);
        assert.equal(r.status, 200, r.body);
        if (r.json.done) break;
        assert.ok(tries < 400, `${op.name} did not finish`);
        await new Promise((res) => setTimeout(res, 25));
      }
    }
  }
  await post(`/v1/projects/${TENANTS[0]}/locations/us/phraseMatchers`, {
    displayName: 'Refund', type: 'ANY_OF', active: true,
    phraseMatchRuleGroups: [{ type: 'ANY_OF', phraseMatchRules: [{ query: 'refund' }] }],
  });
  const settings = await call('PATCH', `/v1/projects/${TENANTS[1]}/locations/us/settings?updateMask=language_code`,
    { languageCode: 'de-DE' });
  assert.equal(settings.status, 200, settings.body);
  const kb = await post(`/v2/projects/${TENANTS[0]}/locations/global/knowledgeBases`, { displayName: 'FAQ' });
  const doc = await post(`/v2/${kb.name}/documents`, {
    displayName: 'faq', mimeType: 'text/csv',
    rawContent: Buffer.from('Where is my refund?,Within five business days.\n').toString('base64'),
  });
  const deleted = await call('DELETE', `${base(TENANTS[1])}/mig-1-005`);
  assert.equal(deleted.status, 200, deleted.body);

  // What the SQLite server answers, to compare with PostgreSQL's answers.
  const reads = [
    `${base(TENANTS[0])}?pageSize=2`,
    `${base(TENANTS[0])}?pageSize=100&view=FULL`,
    `${base(TENANTS[1])}?pageSize=100&view=FULL&orderBy=turn_count%20desc`,
    `${base(TENANTS[0])}/mig-0-000`,
    `${base(TENANTS[0])}/mig-0-000/analyses`,
    `${base(TENANTS[1])}/mig-1-002/analyses`,
    `/v1/projects/${TENANTS[0]}/locations/us/operations?pageSize=100`,
    `/v1/projects/${TENANTS[1]}/locations/us/operations?pageSize=100`,
    `/v1/projects/${TENANTS[0]}/locations/us/phraseMatchers`,
    `/v1/projects/${TENANTS[1]}/locations/us/settings`,
    `/v2/${kb.name}`,
    `/v2/${kb.name}/documents`,
    `/v2/${doc.name}`,
  ];
  const before = {};
  for (const p of reads) {
    const r = await call('GET', p);
    assert.equal(r.status, 200, `${p}: ${r.body}`);
    before[p] = r.body;
  }
  assert.ok(JSON.parse(before[reads[0]]).nextPageToken, 'the first page should have a next page');
  await server.stop();
  const auditBefore = run(bin, ['audit', '--data-dir', srcDir]);
  assert.equal(auditBefore.status, 0, auditBefore.stderr);
  assert.ok(auditBefore.stdout.includes('keys.create') && auditBefore.stdout.includes('DELETE'), auditBefore.stdout);

  // The copy.
  const migrated = run(bin, ['migrate', '--from', `sqlite:${srcDir}`, '--to', pgUrl, '--batch', '3']);
  assert.equal(migrated.status, 0, `${migrated.stdout}\n${migrated.stderr}`);
  assert.match(migrated.stdout, /^copied 10 conversations, \d+ operations, \d+ resources, \d+ audit_log, 1 settings$/m);
  assert.match(migrated.stdout, /^verified: /m);
  const rows = table(migrated.stdout);
  const expected = { conversations: 10, analyses: 6, operations: 6 + 1, 'resources/api_key': 1, 'resources/phrase_matcher': 1, settings: 1 };
  for (const [kind, n] of Object.entries(expected)) {
    assert.ok(rows[kind], `no line for ${kind} in\n${migrated.stdout}`);
    assert.ok(rows[kind].source >= n, `${kind}: ${rows[kind].source} < ${n}`);
  }
  for (const [kind, row] of Object.entries(rows)) {
    assert.equal(row.result, 'ok', `${kind}: ${JSON.stringify(row)}`);
    assert.equal(row.source, row.destination, kind);
    assert.equal(row.sourceSha, row.destinationSha, kind);
    assert.match(row.sourceSha, /^[0-9a-f]{64}$/);
  }
  assert.ok(rows.views.source > 0, 'no stored view was copied');
  assert.ok(Object.keys(rows).some((k) => k.startsWith('resources/knowledge')), `no knowledge base line in\n${migrated.stdout}`);
  assert.equal(adminSql(`SELECT count(*) FROM ${schema}.conversations`), '10');

  // A server on PostgreSQL answers the same, with the same key.
  server = await startServer(bin, pgDir, ['--store', pgUrl]);
  for (const p of reads) {
    const r = await call('GET', p);
    assert.equal(r.status, 200, `${p}: ${r.body}`);
    assert.deepEqual(JSON.parse(r.body), JSON.parse(before[p]), p);
  }
  // The page token of the SQLite server continues the list on PostgreSQL.
  const token = JSON.parse(before[reads[0]]).nextPageToken;
  const next = await call('GET', `${base(TENANTS[0])}?pageSize=2&pageToken=${encodeURIComponent(token)}`);
  assert.equal(next.status, 200, next.body);
  assert.equal(next.json.conversations.length, 2);
  await server.stop();
  const auditAfter = run(bin, ['audit', '--store', pgUrl]);
  assert.equal(auditAfter.status, 0, auditAfter.stderr);
  assert.equal(auditAfter.stdout, auditBefore.stdout);

  // Into a non-empty destination: refused, nothing written.
  const again = run(bin, ['migrate', '--from', `sqlite:${srcDir}`, '--to', pgUrl]);
  assert.equal(again.status, 1, again.stderr);
  assert.match(again.stderr, /--to is not empty \(it holds conversations, operations, resources, audit_log\)/);
  assert.equal(adminSql(`SELECT count(*) FROM ${schema}.conversations`), '10');
  // And with --allow-non-empty the taken keys stop it.
  const forced = run(bin, ['migrate', '--from', `sqlite:${srcDir}`, '--to', pgUrl, '--allow-non-empty']);
  assert.equal(forced.status, 1, forced.stderr);
  assert.match(forced.stderr, /already exists/);
  assert.equal(adminSql(`SELECT count(*) FROM ${schema}.conversations`), '10');

  // Back from PostgreSQL into a new SQLite store: the same checksums.
  const back = run(bin, ['migrate', '--from', pgUrl, '--to', `sqlite:${backDir}`]);
  assert.equal(back.status, 0, `${back.stdout}\n${back.stderr}`);
  const backRows = table(back.stdout);
  for (const [kind, row] of Object.entries(rows)) {
    if (kind === 'audit_log') continue;  // the second copy adds nothing, but compare all the same below
    assert.equal(backRows[kind].sourceSha, row.sourceSha, kind);
  }
  assert.equal(backRows.audit_log.sourceSha, rows.audit_log.sourceSha);

  // A changed row is found: the kind differs, exit 3.
  adminSql(`UPDATE ${schema}.resources SET update_time = update_time + 1 WHERE kind = 'phrase_matcher'`);
  adminSql(`DELETE FROM ${schema}.analyses WHERE (tenant, scope, conv_id, id) IN`
    + ` (SELECT tenant, scope, conv_id, id FROM ${schema}.analyses ORDER BY tenant, conv_id, id LIMIT 1)`);
  const checked = run(bin, ['migrate', '--from', `sqlite:${srcDir}`, '--to', pgUrl, '--verify-only']);
  assert.equal(checked.status, 3, `${checked.stdout}\n${checked.stderr}`);
  const bad = table(checked.stdout);
  assert.match(bad['resources/phrase_matcher'].result, /^MISMATCH \(differs: phrase_matcher alpha-proj\//);
  assert.notEqual(bad['resources/phrase_matcher'].sourceSha, bad['resources/phrase_matcher'].destinationSha);
  assert.match(bad.analyses.result, /^MISMATCH \(missing: analysis /);
  assert.equal(bad.analyses.destination, bad.analyses.source - 1);
  assert.equal(bad.conversations.result, 'ok');
  assert.match(checked.stderr, /the stores differ/);
  agent.destroy();
});

test('a missing source and a bad spec are refused', () => {
  const found = findParleyBinary();
  assert.ok(!found.error, found.error);
  const empty = mkdtempSync(path.join(tmpdir(), 'parley-migrate-none-'));
  const r = run(found.bin, ['migrate', '--from', `sqlite:${empty}/nothing`, '--to', `sqlite:${empty}/to`]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /no store there/);
  const bad = run(found.bin, ['migrate', '--from', 'mysql://x', '--to', `sqlite:${empty}/to`]);
  assert.equal(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, /unknown store/);
});
