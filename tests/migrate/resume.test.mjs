// `parley migrate` resumed after a `kill -9` (issue 16): a SQLite store of a
// few hundred conversations (with analyses, an API key and a few hundred
// audit entries) is copied into the test PostgreSQL cluster one record per
// transaction; the copy is killed with SIGKILL while it copies the
// conversations, the same command resumes it (refusing another source
// meanwhile), is killed again while it copies the audit log, and the third
// run finishes: every kind verified, no record twice (the audit log, which
// has no keys, holds exactly the source's entries), the mark of the
// unfinished copy gone and the source's page-token key in place. Then a
// second store copied beside it with --allow-non-empty keeps the
// destination's page-token key (its servers' page tokens stay valid).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { conversationBody, findParleyBinary, killAll, request, running, startServer } from '../crash/harness.mjs';
import { adminSql, postgresAdminUrl, schemaOf, storeArgs } from '../store/pg_store.mjs';
import { run, table } from './migrate_cli.mjs';

after(killAll);

const TENANT = 'resume-proj';
const base = `/v1/projects/${TENANT}/locations/us/conversations`;
const CONVERSATIONS = 400;
const AUDITED = 2000;



// Starts `parley migrate ARGS` and kills it with SIGKILL once `progress()`
// (a count in the destination) is past `from` and below `below`; resolves
// with that count. Fails if the copy ends first.
async function killMidway(bin, args, progress, from, below) {
  const child = spawn(bin, ['migrate', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (c) => { stderr += c; });
  let exited = null;
  const done = new Promise((resolve) => child.once('exit', (code, signal) => { exited = { code, signal }; resolve(); }));
  for (;;) {
    assert.equal(exited, null, `the copy ended before it could be killed: ${JSON.stringify(exited)}\n${stderr}`);
    let n = 0;
    try {
      n = Number(progress());
    } catch {
      // the copy has not created the tables yet
    }
    if (n > from && n < below) {
      child.kill('SIGKILL');
      await done;
      running.delete(child);
      assert.equal(exited.signal, 'SIGKILL', stderr);
      return Number(progress());
    }
    await new Promise((res) => setTimeout(res, 5));
  }
}

test('a copy killed with SIGKILL twice resumes to a verified copy without duplicates', { timeout: 170000 }, async () => {
  assert.ok(postgresAdminUrl() !== null, 'PARLEY_PG_STATE must name a test PostgreSQL cluster (ctest does this)');
  const found = findParleyBinary();
  assert.ok(!found.error, found.error);
  const bin = found.bin;
  const srcDir = mkdtempSync(path.join(tmpdir(), 'parley-resume-src-'));
  const otherDir = mkdtempSync(path.join(tmpdir(), 'parley-resume-other-'));
  const pgDir = mkdtempSync(path.join(tmpdir(), 'parley-resume-pg-'));
  const pgUrl = storeArgs(pgDir)[1];
  const schema = schemaOf(pgDir);
  const count = (table) => adminSql(`SELECT count(*) FROM ${schema}.${table}`);

  const created = run(bin, ['keys', 'create', '--data-dir', srcDir, '--tenant', TENANT, '--role', 'admin', '--name', 'resume']);
  assert.equal(created.status, 0, created.stderr);
  const auth = { authorization: `Bearer ${created.stdout.trim().split('\n').pop()}` };
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const server = await startServer(bin, srcDir, ['--store', `sqlite:${srcDir}`, '--rate-limit', '0']);
  const ids = Array.from({ length: CONVERSATIONS }, (_, i) => `res-${String(i).padStart(4, '0')}`);
  for (let i = 0; i < ids.length; i += 8) {
    await Promise.all(ids.slice(i, i + 8).map(async (id, j) => {
      const r = await request(agent, server.port, 'POST', `${base}?conversationId=${id}`,
        conversationBody(id, { n: String(i + j) }, 3), auth);
      assert.equal(r.status, 200, r.body);
    }));
  }
  // Audit entries: every DELETE is recorded (these find nothing: 404).
  for (let i = 0; i < AUDITED; i += 8) {
    await Promise.all(Array.from({ length: 8 }, async (_, j) => {
      const r = await request(agent, server.port, 'DELETE', `${base}/gone-${i + j}`, undefined, auth);
      assert.equal(r.status, 404, r.body);
    }));
  }
  for (const id of ids.slice(0, 3)) {
    const r = await request(agent, server.port, 'POST', `${base}/${id}/analyses`, '{}', auth);
    assert.equal(r.status, 200, r.body);
  }
  await server.stop();
  agent.destroy();
  const sourceAudit = run(bin, ['audit', '--data-dir', srcDir]);
  assert.equal(sourceAudit.status, 0, sourceAudit.stderr);
  const auditEntries = sourceAudit.stdout.trim().split('\n').length;
  assert.ok(auditEntries >= AUDITED, `${auditEntries} audit lines`);

  const args = ['--from', `sqlite:${srcDir}`, '--to', pgUrl, '--batch', '1'];
  // Killed while copying conversations.
  const first = await killMidway(bin, args, () => count('conversations'), 20, CONVERSATIONS - 20);
  assert.ok(first < CONVERSATIONS, `${first}`);
  assert.match(adminSql(`SELECT convert_from(value, 'UTF8') FROM ${schema}.settings WHERE key = 'migrate.unfinished_copy'`),
    /^source=sqlite:/);

  // Another store is not resumed into it.
  const other = run(bin, ['keys', 'create', '--data-dir', otherDir, '--tenant', 'other-proj', '--role', 'admin']);
  assert.equal(other.status, 0, other.stderr);
  const refused = run(bin, ['migrate', '--from', `sqlite:${otherDir}`, '--to', pgUrl]);
  assert.equal(refused.status, 1, refused.stderr);
  assert.match(refused.stderr, /holds an unfinished copy of another store/);
  assert.equal(Number(count('conversations')), first);

  // Resumed, killed again while copying the audit log.
  const audited = await killMidway(bin, args, () => count('audit_log'), 5, auditEntries - 5);
  assert.equal(count('conversations'), String(CONVERSATIONS));
  assert.ok(audited < auditEntries);

  // Resumed to the end.
  const last = run(bin, ['migrate', ...args]);
  assert.equal(last.status, 0, `${last.stdout}\n${last.stderr}`);
  assert.match(last.stderr, /unfinished copy of this store: resuming it/);
  assert.match(last.stdout, /^verified: /m);
  const rows = table(last.stdout);
  for (const [kind, row] of Object.entries(rows)) {
    assert.equal(row.result, 'ok', `${kind}: ${JSON.stringify(row)}`);
    assert.equal(row.source, row.destination, kind);
    assert.equal(row.sourceSha, row.destinationSha, kind);
  }
  assert.equal(rows.conversations.source, CONVERSATIONS);
  assert.equal(rows.audit_log.source, auditEntries);
  assert.equal(count('conversations'), String(CONVERSATIONS));
  assert.equal(Number(count('audit_log')), auditEntries, 'an audit entry was copied twice');
  assert.equal(count('operations'), String(rows.operations.source));
  assert.equal(adminSql(`SELECT count(*) FROM ${schema}.settings WHERE key = 'migrate.unfinished_copy'`), '0');
  const key = adminSql(`SELECT encode(value, 'hex') FROM ${schema}.settings WHERE key = 'page_token_key'`);
  assert.ok(key.length > 0);
  const destinationAudit = run(bin, ['audit', '--store', pgUrl]);
  assert.equal(destinationAudit.stdout, sourceAudit.stdout);

  // A finished copy is not resumed: the destination is not empty any more.
  const again = run(bin, ['migrate', ...args]);
  assert.equal(again.status, 1, again.stderr);
  assert.match(again.stderr, /--to is not empty/);

  // Another store copied beside it keeps the destination's page-token key.
  const otherServer = await startServer(bin, otherDir, ['--store', `sqlite:${otherDir}`]);  // creates its key
  await otherServer.stop();
  const beside = run(bin, ['migrate', '--from', `sqlite:${otherDir}`, '--to', pgUrl, '--allow-non-empty']);
  assert.equal(beside.status, 0, `${beside.stdout}\n${beside.stderr}`);
  assert.match(table(beside.stdout).settings.result, /^ok/);
  assert.equal(adminSql(`SELECT encode(value, 'hex') FROM ${schema}.settings WHERE key = 'page_token_key'`), key);
});
