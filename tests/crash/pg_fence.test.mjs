// A node paused for longer than its lease (a stop, a long pause, a network
// cut) while it runs an operation (issue 16, ADR 0022): another node takes
// the operation over and finishes it; when the paused node runs again, its
// writes of that operation are fenced, so it adds no analysis and does not
// overwrite the finished operation: the job ran to one result. Without the
// fence the resumed node went on writing analyses beside the new holder's.
// Needs the test cluster (PARLEY_PG_STATE, the CTest fixture `postgres`).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { killAll, request } from './harness.mjs';
import { adminSql } from '../store/pg_store.mjs';
import { bulkAnalysisRunningOnA, startTwoNodes } from './pg_two_nodes.mjs';

const BASE = '/v1/projects/fence/locations/global/conversations';
const LEASE_SECONDS = 2;
const CONVERSATIONS = 240;
const SEGMENTS = 40;

after(killAll);

test('a node paused past its lease writes nothing of the operation another node took over', { timeout: 150000 }, async (t) => {
  const nodes = await startTwoNodes('fence', LEASE_SECONDS);
  const { a, b, agentA, agentB, schema, analyses } = nodes;
  try {
    const { name, id } = await bulkAnalysisRunningOnA(nodes, BASE, 'fence', CONVERSATIONS, SEGMENTS);
    // Running on A (its only worker) and past its first analyses: pause it there.
    a.child.kill('SIGSTOP');
    const pausedAt = Date.now();
    const atPause = analyses();
    const nodeA = nodes.nodeName('a');
    const nodeB = nodes.nodeName('b');
    assert.ok(atPause < CONVERSATIONS, `A finished all ${atPause} analyses before it was paused: nothing to take over`);

    // B takes the operation over once A's lease ran out, and finishes it.
    let op;
    for (let tries = 0; ; tries++) {
      const r = await request(agentB, b.port, 'GET', `/v1/${name}`);
      assert.equal(r.status, 200, r.body);
      op = JSON.parse(r.body);
      if (op.done) break;
      assert.ok(tries < 1200, `B did not finish the operation within 60 s of A's pause: ${r.body}`);
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.ok(!op.error, `the operation failed: ${JSON.stringify(op.error)}`);
    assert.equal(nodes.claimedBy(id), nodeB);
    const finished = adminSql(`SELECT md5(body) FROM ${schema}.operations WHERE id = '${id}'`);
    const made = analyses();
    const takenOverMs = Date.now() - pausedAt;

    // A runs again: its job goes on from where it was paused until its next
    // lease renewal finds the operation lost, and every write of it is refused.
    // Which comes first is a race between A's lease thread and its worker: the
    // worker's first refused write can end the job (logged operation_fenced)
    // before the renewal, which then holds nothing to find lost.
    a.child.kill('SIGCONT');
    for (let tries = 0; !/operation_lease_lost|operation_fenced/.test(a.stderr()); tries++) {
      assert.ok(tries < 400, `A neither found its lease lost nor had a write refused within 20 s of running again; its log:\n${a.stderr().slice(-3000)}`);
      await new Promise((res) => setTimeout(res, 50));
    }
    await new Promise((res) => setTimeout(res, 1000));
    assert.equal(analyses(), made, 'A added analyses after B took the operation over');
    assert.equal(adminSql(`SELECT md5(body) FROM ${schema}.operations WHERE id = '${id}'`), finished,
      'A rewrote the operation B had finished');
    for (let tries = 0; !/operation_fenced/.test(a.stderr()); tries++) {
      assert.ok(tries < 200, `A logged no fenced write; its log:\n${a.stderr().slice(-3000)}`);
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.equal(nodes.claimedBy(id), nodeB);
    // One analysis per conversation: B went on from A's stored position.
    assert.equal(made, CONVERSATIONS, `${made} analyses for ${CONVERSATIONS} conversations`);
    assert.equal(adminSql(`SELECT count(DISTINCT conv_id) FROM ${schema}.analyses`), String(CONVERSATIONS));
    const onA = JSON.parse((await request(agentA, a.port, 'GET', `/v1/${name}`)).body);
    assert.deepEqual(onA, op, 'the nodes answer the operation differently');
    t.diagnostic(`paused A after ${atPause} of ${CONVERSATIONS} analyses; B finished the operation ${takenOverMs} ms later (lease ${LEASE_SECONDS} s); A's writes after it ran again were fenced (node ${nodeA})`);
    assert.equal((await a.stop()).code, 0);
    assert.equal((await b.stop()).code, 0);
  } finally {
    a.child.kill('SIGCONT');
    nodes.cleanup();
  }
});
