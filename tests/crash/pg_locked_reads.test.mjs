// A read waiting for PostgreSQL holds no network thread (issue 16): while a
// session holds an ACCESS EXCLUSIVE lock on the conversations table (as a
// migration or a VACUUM FULL does), GETs of conversations wait for it — and
// meanwhile /healthz and a read of another table answer at once, on a server
// with the default two network threads and more waiting GETs than that.
// Once the lock goes, every GET answers 200. Needs the test cluster
// (PARLEY_PG_STATE, the CTest fixture `postgres`).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { conversationBody, findParleyBinary, killAll, request, startServer } from './harness.mjs';
import { adminSql, postgresAdminUrl, schemaOf, storeArgs } from '../store/pg_store.mjs';

const BASE = '/v1/projects/locked/locations/global';
const GETS = 8;  // four times the network threads

after(killAll);

// Resolves with `promise`'s value, or rejects after `ms` milliseconds.
function within(ms, what, promise) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

// A psql session that takes the lock and keeps it until release().
async function lockTable(table) {
  const psql = spawn('psql', [postgresAdminUrl(), '-qXAt', '-v', 'ON_ERROR_STOP=1'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  psql.stdout.setEncoding('utf8');
  psql.stderr.setEncoding('utf8');
  psql.stderr.on('data', (c) => { out += c; });
  const locked = new Promise((resolve, reject) => {
    psql.stdout.on('data', (c) => {
      out += c;
      if (out.includes('locked')) resolve();
    });
    psql.once('exit', (code) => reject(new Error(`psql exited (${code}): ${out}`)));
  });
  const exited = new Promise((resolve) => psql.once('exit', resolve));
  psql.stdin.write(`BEGIN; LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE; SELECT 'locked';\n`);
  await within(10000, 'LOCK TABLE', locked);
  return {
    async release() {
      if (psql.exitCode !== null) return;
      psql.stdin.end('COMMIT;\n');
      await exited;
    },
  };
}

test('GETs waiting for a locked table stall neither /healthz nor reads of other tables', { timeout: 60000 }, async () => {
  assert.ok(postgresAdminUrl() !== null, 'PARLEY_PG_STATE must name a test PostgreSQL cluster (ctest does this)');
  const server = findParleyBinary();
  assert.ok(!server.error, server.error);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'parley-pg-locked-'));
  const schema = schemaOf(dataDir);
  const agent = new http.Agent({ keepAlive: true, maxSockets: GETS + 2 });
  let lock = null;
  try {
    // No view cache: every GET reads the table.
    const srv = await startServer(server.bin, dataDir, [...storeArgs(dataDir), '--threads', '2', '--view-cache-mb', '0']);
    const ids = Array.from({ length: GETS }, (_, i) => `locked-${i}`);
    for (const id of ids) {
      const r = await request(agent, srv.port, 'POST', `${BASE}/conversations?conversationId=${id}`, conversationBody(id, { suite: 'locked' }, 3));
      assert.equal(r.status, 200, r.body);
    }
    lock = await lockTable(`${schema}.conversations`);
    // Each GET on a connection of its own, spread over both network threads.
    const gets = ids.map((id) => request(agent, srv.port, 'GET', `${BASE}/conversations/${id}?view=FULL`)
      .catch((e) => ({ status: 0, body: String(e) })));
    const waitingReads = () => Number(adminSql(
      `SELECT count(*) FROM pg_stat_activity WHERE application_name = '${schema}' AND wait_event_type = 'Lock'`));
    let waiting = 0;
    for (let i = 0; i < 100 && waiting < 1; i++) {
      await new Promise((res) => setTimeout(res, 50));
      waiting = waitingReads();
    }
    assert.ok(waiting >= 1, 'no read waits for the lock');
    const fresh = new http.Agent({ keepAlive: false });
    for (let i = 0; i < 5; i++) {
      const health = await within(2000, '/healthz while GETs wait for the database', request(fresh, srv.port, 'GET', '/healthz'));
      assert.equal(health.status, 200, health.body);
    }
    const ops = await within(2000, 'a list of operations while GETs wait for the database',
      request(fresh, srv.port, 'GET', `${BASE}/operations?pageSize=5`));
    assert.equal(ops.status, 200, ops.body);
    // And every GET reached the database: each waits there, none in a queue.
    for (let i = 0; i < 100 && waiting < GETS; i++) {
      waiting = waitingReads();
      if (waiting < GETS) await new Promise((res) => setTimeout(res, 50));
    }
    assert.equal(waiting, GETS, 'GETs waiting for the lock in the database');
    await lock.release();
    for (const [i, r] of (await within(10000, 'GETs after the lock went', Promise.all(gets))).entries()) {
      assert.equal(r.status, 200, r.body);
      assert.equal(JSON.parse(r.body).name, `projects/locked/locations/global/conversations/${ids[i]}`);
    }
    const st = await srv.stop();
    assert.equal(st.code, 0, srv.stderr());
  } finally {
    if (lock) await lock.release();
    agent.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
