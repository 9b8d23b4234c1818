// Crash loop (issue 9): N cycles of mixed concurrent writes (create, PATCH
// with updateMask, delete, analyses), kill -9 at a random moment, restart,
// and check what was acknowledged:
//   - every acknowledged create is there, with the content of the last
//     acknowledged patch (or of its create);
//   - every acknowledged delete is gone;
//   - every acknowledged analysis operation exists and finishes (done, with
//     an analysis or an error) after the restart;
//   - PRAGMA integrity_check is ok.
// Writes that were in flight at the kill may or may not have landed; if they
// did, with their own content. Each conversation belongs to one client, so
// the writes to it are sequential and "acknowledged later" is well defined.
//
//   CRASH_LOOP_CYCLES=20 PARLEY_BIN=build/parley node --test tests/crash/crash_loop.test.mjs
//
// CRASH_LOOP_CYCLES (default 4) sets N; CRASH_LOOP_SUMMARY=FILE writes the
// totals as JSON (bench/reliability/crash_loop.sh). Node built-ins only.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { conversationBody, findParleyBinary, integrityCheck, killAll, request, startServer } from './harness.mjs';

const CYCLES = Number(process.env.CRASH_LOOP_CYCLES ?? 4);
const CLIENTS = 16;
const MIN_LOAD_MS = 300;
const MAX_LOAD_MS = 1500;
const PROJECT = 'crashloop';
const BASE = `/v1/projects/${PROJECT}/locations/us/conversations`;
const SEGMENTS = 6;

after(killAll);

const server = findParleyBinary();

// Per conversation: state 'live' | 'deleted' | 'maybe-created' | 'maybe-deleted';
// v: the label value it must have; maybeV: a patch in flight at the kill.
function newModel() {
  return { convs: new Map(), ops: new Map(), owner: new Map() };
}

async function loadAndKill(srv, cycle, model, totals) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  let killed = false;
  const unexpected = [];
  const acked = { create: 0, patch: 0, delete: 0, analysis: 0 };
  const rand = (n) => Math.floor(Math.random() * n);

  async function send(method, url, body) {
    try {
      const res = await request(agent, srv.port, method, url, body);
      return { status: res.status, body: res.body };
    } catch (e) {
      return { status: e.status ?? 0, body: '', error: e };
    }
  }
  function ok(res) {
    return res.status >= 200 && res.status < 300;
  }
  function check(res, what) {
    if (ok(res) || killed) return;
    if (res.status === 429 || res.status === 503) return; // throttled: not acknowledged
    unexpected.push(`${what} -> ${res.status} ${res.error?.message ?? ''} ${res.body.slice(0, 300)}`);
  }

  async function worker(w) {
    const mine = () => [...model.convs.entries()].filter(([id, c]) => model.owner.get(id) === w && c.state === 'live');
    for (let seq = 0; !killed && unexpected.length === 0; seq++) {
      const live = mine();
      const r = rand(100);
      if (live.length < 3 || r < 40) {
        const id = `k${cycle}-w${w}-${seq}`;
        const v = `c${cycle}.${seq}`;
        model.owner.set(id, w);
        model.convs.set(id, { state: 'maybe-created', v });
        const res = await send('POST', `${BASE}?conversationId=${id}`, conversationBody(id, { v }, SEGMENTS));
        if (ok(res)) {
          model.convs.set(id, { state: 'live', v });
          acked.create++;
        } else if (!killed) {
          model.convs.delete(id); // refused before the kill: never written
        }
        check(res, `POST ${id}`);
      } else if (r < 70) {
        const [id, c] = live[rand(live.length)];
        const v = `p${cycle}.${seq}`;
        c.maybeV = v;
        const res = await send('PATCH', `${BASE}/${id}?updateMask=labels`, JSON.stringify({ labels: { v } }));
        if (ok(res)) {
          c.v = v;
          acked.patch++;
        }
        if (ok(res) || !killed) delete c.maybeV;
        check(res, `PATCH ${id}`);
      } else if (r < 85) {
        const [id, c] = live[rand(live.length)];
        c.state = 'maybe-deleted';
        const res = await send('DELETE', `${BASE}/${id}?force=true`);
        if (ok(res)) {
          c.state = 'deleted';
          acked.delete++;
        } else if (!killed) {
          c.state = 'live';
        }
        check(res, `DELETE ${id}`);
      } else {
        const [id] = live[rand(live.length)];
        const res = await send('POST', `${BASE}/${id}/analyses`, '{}');
        if (ok(res)) {
          let name;
          try {
            name = JSON.parse(res.body).name;
          } catch {
            unexpected.push(`POST ${id}/analyses -> ${res.status} without an operation: ${res.body.slice(0, 200)}`);
          }
          if (name) {
            model.ops.set(name, { cycle, conversation: id });
            acked.analysis++;
          }
        }
        check(res, `POST ${id}/analyses`);
      }
    }
  }

  const workers = Array.from({ length: CLIENTS }, (_, w) => worker(w));
  const loadMs = MIN_LOAD_MS + rand(MAX_LOAD_MS - MIN_LOAD_MS);
  await new Promise((r) => setTimeout(r, loadMs));
  killed = true;
  const { signal } = await srv.kill9();
  await Promise.all(workers);
  agent.destroy();
  assert.equal(signal, 'SIGKILL');
  assert.deepEqual(unexpected.slice(0, 10), [], `unexpected replies before the kill (cycle ${cycle}):\n${srv.stderr().slice(-3000)}`);
  for (const k of Object.keys(acked)) totals.acked[k] += acked[k];
  return { loadMs, acked };
}

// Checks the restarted server against the model, then settles what was
// uncertain to what it found.
async function verify(srv, model, totals) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const problems = [];
  const entries = [...model.convs.entries()];
  let next = 0;
  async function reader() {
    while (next < entries.length) {
      const [id, c] = entries[next++];
      const res = await request(agent, srv.port, 'GET', `${BASE}/${id}`);
      if (res.status === 404) {
        if (c.state === 'live') {
          problems.push(`acknowledged create ${id} lost (404)`);
          totals.lost.create++;
        } else if (c.state === 'maybe-created') {
          model.convs.delete(id);
        } else if (c.state === 'maybe-deleted') {
          c.state = 'deleted';
        }
        continue;
      }
      if (res.status !== 200) {
        problems.push(`GET ${id} -> ${res.status} ${res.body.slice(0, 200)}`);
        continue;
      }
      if (c.state === 'deleted') {
        problems.push(`acknowledged delete of ${id} lost: it reads back`);
        totals.lost.delete++;
        continue;
      }
      const conv = JSON.parse(res.body);
      const v = conv.labels?.v;
      const segs = conv.transcript?.transcriptSegments?.length ?? 0;
      if (segs !== SEGMENTS) problems.push(`${id}: ${segs} segments, not ${SEGMENTS}`);
      if (v !== c.v && !(c.maybeV !== undefined && v === c.maybeV)) {
        problems.push(`${id}: labels.v=${v}, acknowledged ${c.v}${c.maybeV ? ` (or ${c.maybeV} in flight)` : ''}`);
        if (c.state === 'live') totals.lost.patch++;
      }
      c.state = 'live';
      c.v = v;
      delete c.maybeV;
    }
  }
  await Promise.all(Array.from({ length: 16 }, reader));

  // Every acknowledged analysis operation exists and finishes.
  const pending = [...model.ops.keys()];
  let nextOp = 0;
  let resumed = 0;
  async function poller() {
    while (nextOp < pending.length) {
      const name = pending[nextOp++];
      for (let tries = 0; ; tries++) {
        const res = await request(agent, srv.port, 'GET', `/v1/${name}`);
        if (res.status !== 200) {
          problems.push(`acknowledged operation ${name} lost: ${res.status} ${res.body.slice(0, 200)}`);
          totals.lost.analysis++;
          break;
        }
        const op = JSON.parse(res.body);
        if (op.done) {
          if (!(op.response?.name || op.error)) {
            // The response is the stored analysis, read when the operation
            // is: a later (force) delete of its conversation takes it along.
            const conv = model.ops.get(name).conversation;
            const state = model.convs.get(conv)?.state;
            if (state === 'deleted') totals.analysisDeletedLater++;
            else problems.push(`operation ${name} done without an analysis or an error (conversation ${conv} ${state}): ${res.body.slice(0, 400)}`);
          }
          if (op.error) totals.analysisErrors++;
          model.ops.delete(name);
          break;
        }
        if (tries === 0) resumed++;
        if (tries > 3000) {
          problems.push(`operation ${name} not done 30 s after the restart`);
          break;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  }
  await Promise.all(Array.from({ length: 8 }, poller));
  agent.destroy();
  return { problems, resumed, checked: entries.length, ops: pending.length };
}

test(`crash loop: ${CYCLES} cycles of mixed writes and kill -9`, { timeout: 600000 + CYCLES * 60000 }, async (t) => {
  if (server.error) assert.fail(server.error);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'parley-crash-loop-'));
  const model = newModel();
  const totals = {
    cycles: 0,
    acked: { create: 0, patch: 0, delete: 0, analysis: 0 },
    lost: { create: 0, patch: 0, delete: 0, analysis: 0 },
    analysisErrors: 0,
    analysisDeletedLater: 0,
  };
  const started = Date.now();
  try {
    let srv = await startServer(server.bin, dataDir);
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const load = await loadAndKill(srv, cycle, model, totals);
      srv = await startServer(server.bin, dataDir);
      const seen = await verify(srv, model, totals);
      const integrity = integrityCheck(dataDir);
      totals.cycles++;
      t.diagnostic(
        `cycle ${cycle}: kill -9 after ${load.loadMs} ms; acknowledged ${JSON.stringify(load.acked)}; ` +
          `after restart checked ${seen.checked} conversations and ${seen.ops} operations (${seen.resumed} not done yet at the first poll), integrity ${integrity}`,
      );
      assert.deepEqual(seen.problems.slice(0, 20), [], `cycle ${cycle}: ${seen.problems.length} problems after kill -9 and restart`);
      assert.equal(integrity, 'ok', `PRAGMA integrity_check after cycle ${cycle}`);
      assert.ok(load.acked.create > 0, `cycle ${cycle}: no create acknowledged`);
    }
    const { code } = await srv.stop();
    assert.equal(code, 0, `parley should exit 0 on SIGTERM; stderr:\n${srv.stderr().slice(-3000)}`);
    totals.seconds = Math.round((Date.now() - started) / 100) / 10;
    t.diagnostic(`totals: ${JSON.stringify(totals)}`);
    if (process.env.CRASH_LOOP_SUMMARY) writeFileSync(process.env.CRASH_LOOP_SUMMARY, JSON.stringify(totals, null, 2) + '\n');
    for (const k of ['create', 'patch', 'delete', 'analysis']) {
      assert.ok(totals.acked[k] > 0, `no ${k} acknowledged in ${CYCLES} cycles: the load is not mixed`);
      assert.equal(totals.lost[k], 0);
    }
  } finally {
    killAll();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
