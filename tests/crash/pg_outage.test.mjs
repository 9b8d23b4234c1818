// A lost database (issue 16): while PostgreSQL refuses the server's
// connections, requests answer 503 UNAVAILABLE and change nothing; once it
// accepts them again the same server answers 200 without a restart.
// Needs the test cluster (PARLEY_PG_STATE, the CTest fixture `postgres`).
// The database is taken away from this server only: its connections log in
// as a role of its own, which the test makes NOLOGIN and whose backends it
// terminates.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { assertGoogleError, conversationBody, findParleyBinary, killAll, request, startServer } from './harness.mjs';
import { adminSql, postgresAdminUrl, schemaOf, storeArgs } from '../store/pg_store.mjs';

const BASE = '/v1/projects/outage/locations/global/conversations';

after(killAll);

test('a lost database answers 503 UNAVAILABLE and the server reconnects by itself', { timeout: 60000 }, async () => {
  assert.ok(postgresAdminUrl() !== null, 'PARLEY_PG_STATE must name a test PostgreSQL cluster (ctest does this)');
  const server = findParleyBinary();
  assert.ok(!server.error, server.error);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'parley-pg-outage-'));
  const schema = schemaOf(dataDir);
  const role = `${schema}_r`;
  adminSql(`CREATE ROLE ${role} LOGIN SUPERUSER`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const srv = await startServer(server.bin, dataDir, storeArgs(dataDir, role));
    const create = (id) => request(agent, srv.port, 'POST', `${BASE}?conversationId=${id}`, conversationBody(id, { suite: 'outage' }));
    assert.equal((await create('before-0001')).status, 200);

    adminSql(`ALTER ROLE ${role} NOLOGIN`);
    const ended = adminSql(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = '${role}'`);
    assert.ok(Number(ended) >= 1, `no backend of ${role} to terminate`);
    assertGoogleError(await request(agent, srv.port, 'GET', `${BASE}/before-0001`), 503, 'UNAVAILABLE', 'GET while the database is away');
    assertGoogleError(await create('during-0001'), 503, 'UNAVAILABLE', 'create while the database is away');
    assertGoogleError(await request(agent, srv.port, 'GET', `${BASE}?pageSize=10`), 503, 'UNAVAILABLE', 'list while the database is away');

    adminSql(`ALTER ROLE ${role} LOGIN`);
    const got = await request(agent, srv.port, 'GET', `${BASE}/before-0001`);
    assert.equal(got.status, 200, got.body);
    assert.equal((await request(agent, srv.port, 'GET', `${BASE}/during-0001`)).status, 404, 'the refused create wrote nothing');
    assert.equal((await create('after-0001')).status, 200);
    assert.equal((await srv.stop()).code, 0);
  } finally {
    agent.destroy();
    killAll();
    adminSql(`DROP SCHEMA IF EXISTS ${schema} CASCADE; DROP ROLE IF EXISTS ${role}`);
    rmSync(dataDir, { recursive: true, force: true });
  }
});
