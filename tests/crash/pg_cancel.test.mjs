// Cancelling on one node an operation another node runs (issue 16, ADR
// 0022): node A runs a bulk analysis; the cancel is sent to node B. A sees it
// at its next lease renewal and stops: the operation ends done with error
// code 1 (CANCELLED), as on one node, both nodes answer it so, and no
// analysis is added after it ended. Needs the test cluster (PARLEY_PG_STATE,
// the CTest fixture `postgres`).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { conversationBody, findParleyBinary, killAll, request, startServer } from './harness.mjs';
import { adminSql, postgresAdminUrl, schemaOf, storeArgs } from '../store/pg_store.mjs';

const PARENT = '/v1/projects/cancel/locations/global';
const BASE = `${PARENT}/conversations`;
const LEASE_SECONDS = 3;
const CONVERSATIONS = 400;
// Long enough that the whole job takes several renewal intervals (1 s) even
// on a quiet machine: with 20 segments it took 0.7 s and ended before the
// cancel arrived.
const SEGMENTS = 160;

after(killAll);

test('a cancel sent to another node stops the operation where it runs', { timeout: 150000 }, async (t) => {
  assert.ok(postgresAdminUrl() !== null, 'PARLEY_PG_STATE must name a test PostgreSQL cluster (ctest does this)');
  const server = findParleyBinary();
  assert.ok(!server.error, server.error);
  const dirA = mkdtempSync(path.join(tmpdir(), 'parley-cancel-a-'));
  const dirB = mkdtempSync(path.join(tmpdir(), 'parley-cancel-b-'));
  const store = storeArgs(dirA);  // both nodes on node A's schema
  const schema = schemaOf(dirA);
  const flags = [...store, '--operation-lease-seconds', String(LEASE_SECONDS), '--workers', '1'];
  const agentA = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const agentB = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const analyses = () => Number(adminSql(`SELECT count(*) FROM ${schema}.analyses`));
  try {
    const a = await startServer(server.bin, dirA, flags);
    const b = await startServer(server.bin, dirB, flags);
    const ids = Array.from({ length: CONVERSATIONS }, (_, i) => `cancel-${String(i).padStart(4, '0')}`);
    for (let i = 0; i < ids.length; i += 8) {
      await Promise.all(ids.slice(i, i + 8).map(async (id) => {
        const r = await request(agentA, a.port, 'POST', `${BASE}?conversationId=${id}`, conversationBody(id, { suite: 'cancel' }, SEGMENTS));
        assert.equal(r.status, 200, r.body);
      }));
    }
    const bulk = await request(agentA, a.port, 'POST', `${BASE}:bulkAnalyze`,
      JSON.stringify({ filter: 'labels.suite="cancel"', analysisPercentage: 100 }));
    assert.equal(bulk.status, 200, bulk.body);
    const name = JSON.parse(bulk.body).name;
    const id = name.split('/').pop();
    // Running on A (its only worker) and past its first analyses.
    for (let tries = 0; analyses() < 3; tries++) {
      assert.ok(tries < 1000, 'the bulk analysis did not start');
      await new Promise((res) => setTimeout(res, 10));
    }
    const nodeA = readFileSync(path.join(dirA, 'node-id'), 'utf8').trim();
    assert.equal(adminSql(`SELECT claimed_by FROM ${schema}.operations WHERE id = '${id}'`), nodeA);

    // Cancelled through B, which does not run it.
    const cancelledAt = Date.now();
    const cancel = await request(agentB, b.port, 'POST', `/v1/${name}:cancel`, '{}');
    assert.equal(cancel.status, 200, cancel.body);
    assert.deepEqual(JSON.parse(cancel.body), {});
    let op;
    for (let tries = 0; ; tries++) {
      const r = await request(agentB, b.port, 'GET', `/v1/${name}`);
      assert.equal(r.status, 200, r.body);
      op = JSON.parse(r.body);
      if (op.done) break;
      assert.ok(tries < 400, `the operation did not stop within 20 s of the cancel: ${r.body}`);
      await new Promise((res) => setTimeout(res, 50));
    }
    const stoppedMs = Date.now() - cancelledAt;
    assert.equal(op.error?.code, 1, `not CANCELLED: ${JSON.stringify(op)}`);
    assert.equal(op.response, undefined);
    const onA = JSON.parse((await request(agentA, a.port, 'GET', `/v1/${name}`)).body);
    assert.deepEqual(onA, op, 'the nodes answer the operation differently');
    // It stopped where it ran: far from every conversation analysed, and
    // nothing added after it ended.
    const made = analyses();
    assert.ok(made < CONVERSATIONS, `all ${made} analyses were made: the cancel did not stop it`);
    await new Promise((res) => setTimeout(res, 1500));
    assert.equal(analyses(), made, 'analyses were added after the operation ended CANCELLED');
    assert.equal(adminSql(`SELECT claimed_by FROM ${schema}.operations WHERE id = '${id}'`), nodeA);
    t.diagnostic(`cancelled on B after ${made} of ${CONVERSATIONS} analyses; done ${stoppedMs} ms after the cancel (lease ${LEASE_SECONDS} s)`);

    // A cancel of a finished operation, on either node, changes nothing.
    const again = await request(agentB, b.port, 'POST', `/v1/${name}:cancel`, '{}');
    assert.equal(again.status, 200, again.body);
    assert.deepEqual(JSON.parse((await request(agentA, a.port, 'GET', `/v1/${name}`)).body), op);
    assert.equal((await a.stop()).code, 0);
    assert.equal((await b.stop()).code, 0);
  } finally {
    agentA.destroy();
    agentB.destroy();
    killAll();
    adminSql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    rmSync(dirA, { recursive: true, force: true });
    rmSync(dirB, { recursive: true, force: true });
  }
});
