// Two `parley serve` nodes on one PostgreSQL schema with a short operation
// lease and one worker each, and a bulk analysis started on node A: the
// set-up of the tests of operations across nodes (pg_cancel, pg_fence).
// Needs the test cluster (PARLEY_PG_STATE, the CTest fixture `postgres`).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { conversationBody, findParleyBinary, killAll, request, startServer } from './harness.mjs';
import { adminSql, postgresAdminUrl, schemaOf, storeArgs } from '../store/pg_store.mjs';

// Starts both nodes; `cleanup()` kills them and drops the schema and the
// data directories.
export async function startTwoNodes(tag, leaseSeconds) {
  assert.ok(postgresAdminUrl() !== null, 'PARLEY_PG_STATE must name a test PostgreSQL cluster (ctest does this)');
  const server = findParleyBinary();
  assert.ok(!server.error, server.error);
  const dirA = mkdtempSync(path.join(tmpdir(), `parley-${tag}-a-`));
  const dirB = mkdtempSync(path.join(tmpdir(), `parley-${tag}-b-`));
  const schema = schemaOf(dirA);
  const nodes = {
    schema,
    agentA: new http.Agent({ keepAlive: true, maxSockets: 8 }),
    agentB: new http.Agent({ keepAlive: true, maxSockets: 4 }),
    analyses: () => Number(adminSql(`SELECT count(*) FROM ${schema}.analyses`)),
    claimedBy: (id) => adminSql(`SELECT claimed_by FROM ${schema}.operations WHERE id = '${id}'`),
    nodeName: (node) => readFileSync(path.join(node === 'a' ? dirA : dirB, 'node-id'), 'utf8').trim(),
    cleanup() {
      nodes.agentA.destroy();
      nodes.agentB.destroy();
      killAll();
      adminSql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      rmSync(dirA, { recursive: true, force: true });
      rmSync(dirB, { recursive: true, force: true });
    },
  };
  try {
    // Both nodes on node A's schema.
    const flags = [...storeArgs(dirA), '--operation-lease-seconds', String(leaseSeconds), '--workers', '1'];
    nodes.a = await startServer(server.bin, dirA, flags);
    nodes.b = await startServer(server.bin, dirB, flags);
  } catch (e) {
    nodes.cleanup();
    throw e;
  }
  return nodes;
}

// Creates `count` conversations of `segments` segments labelled
// suite=`suite` on node A, starts a bulk analysis of them there and returns
// its operation's name and id once A (its only worker) is past its first
// analyses.
export async function bulkAnalysisRunningOnA(nodes, base, suite, count, segments) {
  const { a, agentA } = nodes;
  const ids = Array.from({ length: count }, (_, i) => `${suite}-${String(i).padStart(4, '0')}`);
  for (let i = 0; i < ids.length; i += 8) {
    await Promise.all(ids.slice(i, i + 8).map(async (id) => {
      const r = await request(agentA, a.port, 'POST', `${base}?conversationId=${id}`, conversationBody(id, { suite }, segments));
      assert.equal(r.status, 200, r.body);
    }));
  }
  const bulk = await request(agentA, a.port, 'POST', `${base}:bulkAnalyze`,
    JSON.stringify({ filter: `labels.suite="${suite}"`, analysisPercentage: 100 }));
  assert.equal(bulk.status, 200, bulk.body);
  const name = JSON.parse(bulk.body).name;
  for (let tries = 0; nodes.analyses() < 3; tries++) {
    assert.ok(tries < 1000, 'the bulk analysis did not start');
    await new Promise((res) => setTimeout(res, 10));
  }
  return { name, id: name.split('/').pop() };
}
