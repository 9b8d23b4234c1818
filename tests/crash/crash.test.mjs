// "Acknowledged means durable": every create that got a 2xx reply must survive
// kill -9 of the server, and the database must stay intact.
//
//   PARLEY_BIN=build/parley node --test tests/crash/crash.test.mjs
//
// Three cycles on one data directory. Each cycle: start parley, run 32
// concurrent keep-alive clients creating conversations with unique ids, kill -9
// the server mid-load, restart it, check that every id acknowledged so far (in
// any cycle) reads back complete, that listing finds at least as many
// conversations as were acknowledged and nothing that was never sent, stop it
// cleanly and run `PRAGMA integrity_check`.
//
// Node built-ins only (and ./harness.mjs).

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { conversationBody, findParleyBinary, integrityCheck, killAll, request, startServer } from './harness.mjs';
import { postgresAdminUrl } from '../store/pg_store.mjs';

const CYCLES = 3;
const CLIENTS = 32;
const LOAD_MS = 1500;
const PROJECT = 'crash';
const LOCATION = 'us-central1';
const BASE = `/v1/projects/${PROJECT}/locations/${LOCATION}/conversations`;
const SEGMENTS = 10;
const MIN_ACKED_PER_CYCLE = 100;
const MIN_ACKED_TOTAL = 300;

after(killAll);

// Runs CLIENTS concurrent create loops; kill -9s the server after LOAD_MS.
async function loadAndKill(server, cycle, acked, attempted) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  let killed = false;
  const ackedThisCycle = [];
  const unexpected = [];
  let throttled = 0;
  let inFlightAtKill = 0;
  let inFlight = 0;

  async function worker(w) {
    for (let seq = 0; !killed; seq++) {
      const id = `c${cycle}-w${String(w).padStart(2, '0')}-${String(seq).padStart(5, '0')}`;
      attempted.add(id);
      inFlight++;
      try {
        const res = await request(agent, server.port, 'POST', `${BASE}?conversationId=${id}`, conversationBody(id, { cycle: String(cycle), worker: String(w), suite: 'crash' }, SEGMENTS));
        if (res.status >= 200 && res.status < 300) {
          // Whatever the server acknowledged before it died must be durable,
          // even if we only read the reply after sending the kill.
          acked.add(id);
          ackedThisCycle.push(id);
        } else if (res.status === 429 || res.status === 503) {
          throttled++;
        } else if (!killed) {
          unexpected.push(`POST ${id} -> ${res.status} ${res.body.slice(0, 300)}`);
        }
      } catch (e) {
        if (e.status >= 200 && e.status < 300) {
          acked.add(id);
          ackedThisCycle.push(id);
        } else if (!killed) {
          unexpected.push(`POST ${id} -> ${e.code ?? ''} ${e.message}`);
        }
      } finally {
        inFlight--;
      }
      if (unexpected.length > 0 && !killed) break;
    }
  }

  const workers = Array.from({ length: CLIENTS }, (_, w) => worker(w));
  await new Promise((r) => setTimeout(r, LOAD_MS));
  inFlightAtKill = inFlight;
  killed = true;
  const { signal } = await server.kill9();
  await Promise.all(workers);
  agent.destroy();
  assert.equal(signal, 'SIGKILL', 'the server should have died from SIGKILL');
  assert.deepEqual(unexpected, [], `unexpected failures before the kill:\n${unexpected.slice(0, 10).join('\n')}\nstderr:\n${server.stderr().slice(-4000)}`);
  return { ackedThisCycle: ackedThisCycle.length, inFlightAtKill, throttled };
}

async function verify(server, acked, attempted) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  try {
    // Every acknowledged conversation reads back, complete.
    const ids = [...acked];
    const problems = [];
    let next = 0;
    async function reader() {
      while (next < ids.length && problems.length < 20) {
        const id = ids[next++];
        let res;
        try {
          res = await request(agent, server.port, 'GET', `${BASE}/${id}`);
        } catch (e) {
          problems.push(`GET ${id} -> ${e.code ?? ''} ${e.message}`);
          continue;
        }
        if (res.status !== 200) {
          problems.push(`GET ${id} -> ${res.status} ${res.body.slice(0, 300)}`);
          continue;
        }
        const c = JSON.parse(res.body);
        const segs = c.transcript?.transcriptSegments?.length ?? 0;
        if (c.name !== `projects/${PROJECT}/locations/${LOCATION}/conversations/${id}` || segs !== SEGMENTS) {
          problems.push(`GET ${id} -> incomplete conversation: name=${c.name} segments=${segs}`);
        }
      }
    }
    await Promise.all(Array.from({ length: 16 }, reader));
    assert.deepEqual(problems, [], `acknowledged conversations lost or damaged after kill -9 (${ids.length} acknowledged):\n${problems.join('\n')}`);

    // Listing every page finds at least the acknowledged ones, and nothing
    // that was never sent.
    const listed = new Set();
    let token = '';
    let pages = 0;
    do {
      const q = new URLSearchParams({ pageSize: '1000' });
      if (token) q.set('pageToken', token);
      const res = await request(agent, server.port, 'GET', `${BASE}?${q}`);
      assert.equal(res.status, 200, `list page ${pages} -> ${res.status} ${res.body.slice(0, 300)}`);
      const page = JSON.parse(res.body);
      for (const c of page.conversations ?? []) {
        const id = c.name.slice(c.name.lastIndexOf('/') + 1);
        assert.ok(!listed.has(id), `list returned ${id} twice`);
        listed.add(id);
      }
      token = page.nextPageToken ?? '';
      pages++;
      assert.ok(pages < 10000, 'list paging does not terminate');
    } while (token);
    assert.ok(listed.size >= acked.size, `list found ${listed.size} conversations, fewer than the ${acked.size} acknowledged`);
    const missing = [...acked].filter((id) => !listed.has(id));
    assert.deepEqual(missing.slice(0, 10), [], `${missing.length} acknowledged conversations missing from the list`);
    const phantom = [...listed].filter((id) => !attempted.has(id));
    assert.deepEqual(phantom.slice(0, 10), [], 'list returned conversations that were never created');
    return { listed: listed.size, pages };
  } finally {
    agent.destroy();
  }
}

const server = findParleyBinary();

test('kill -9 never loses an acknowledged create', { timeout: 120000 }, async (t) => {
  if (server.error) assert.fail(server.error);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'parley-crash-'));
  const acked = new Set();
  const attempted = new Set();
  try {
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const loaded = await startServer(server.bin, dataDir);
      const load = await loadAndKill(loaded, cycle, acked, attempted);

      const restarted = await startServer(server.bin, dataDir);
      const seen = await verify(restarted, acked, attempted);
      const { code, signal } = await restarted.stop();
      assert.equal(code, 0, `parley should exit 0 on SIGTERM (signal ${signal}); stderr:\n${restarted.stderr().slice(-4000)}`);

      const integrity = integrityCheck(dataDir);
      assert.equal(integrity, 'ok', `PRAGMA integrity_check after cycle ${cycle}: ${integrity}`);

      t.diagnostic(
        `cycle ${cycle}: ${load.ackedThisCycle} creates acknowledged in ${LOAD_MS} ms, ` +
          `${load.inFlightAtKill} in flight at kill -9, ${load.throttled} throttled; ` +
          `after restart ${acked.size} acknowledged so far all read back, list found ${seen.listed} ` +
          `(${seen.listed - acked.size} landed without an acknowledgement); integrity_check ok`,
      );
      assert.ok(
        load.ackedThisCycle >= MIN_ACKED_PER_CYCLE,
        `only ${load.ackedThisCycle} creates acknowledged in cycle ${cycle}; the test needs load to be meaningful`,
      );
      assert.ok(load.inFlightAtKill > 0, 'no request was in flight at the kill');
    }
    assert.ok(acked.size >= MIN_ACKED_TOTAL, `only ${acked.size} creates acknowledged in total (need ${MIN_ACKED_TOTAL})`);
  } finally {
    killAll();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

// Analyses are long-running: a 200 to POST .../analyses acknowledges the
// Operation. After kill -9 every acknowledged operation must still exist and
// finish (the queue resumes unfinished work after a restart).
test('kill -9 never loses an acknowledged analysis operation', { timeout: 120000 }, async (t) => {
  if (server.error) assert.fail(server.error);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'parley-crash-ops-'));
  const acked = [];
  try {
    const loaded = await startServer(server.bin, dataDir);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const ids = [];
    for (let i = 0; i < 8; i++) {
      const id = `op-conv-${i}`;
      const r = await request(agent, loaded.port, 'POST', `${BASE}?conversationId=${id}`, conversationBody(id, { cycle: '0', worker: String(i), suite: 'crash' }, SEGMENTS));
      assert.equal(r.status, 200, r.body);
      ids.push(id);
    }
    let killed = false;
    async function worker(w) {
      for (let n = 0; !killed; n++) {
        try {
          const r = await request(agent, loaded.port, 'POST', `${BASE}/${ids[(w + n) % ids.length]}/analyses`, '{}');
          if (r.status === 200) acked.push(JSON.parse(r.body).name);
        } catch {
          // cut off by the kill: not acknowledged
        }
      }
    }
    const workers = [];
    for (let w = 0; w < 8; w++) workers.push(worker(w));
    await new Promise((r) => setTimeout(r, 1000));
    killed = true;
    await loaded.kill9();
    await Promise.allSettled(workers);
    agent.destroy();
    assert.ok(acked.length >= 20, `only ${acked.length} analyses acknowledged before the kill`);

    const restarted = await startServer(server.bin, dataDir);
    const reader = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let resumed = 0;
    for (const name of acked) {
      let op;
      for (let tries = 0; ; tries++) {
        const r = await request(reader, restarted.port, 'GET', `/v1/${name}`);
        assert.equal(r.status, 200, `acknowledged operation ${name} lost after kill -9: ${r.body}`);
        op = JSON.parse(r.body);
        if (op.done) break;
        resumed++;
        assert.ok(tries < 1000, `operation ${name} never finished after the restart`);
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(op.error, undefined, `operation ${name} failed: ${JSON.stringify(op.error)}`);
      assert.match(op.response.name, /\/analyses\/\d+$/);
    }
    reader.destroy();
    const { code } = await restarted.stop();
    assert.equal(code, 0);
    assert.equal(integrityCheck(dataDir), 'ok');
    t.diagnostic(`${acked.length} analysis operations acknowledged before kill -9; all found and done after restart (${resumed} polls for resumed ones)`);
  } finally {
    killAll();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

// Cresta :redact (issue 12): a 200 to RedactConversationMessage means the
// original text is gone for good. Under concurrent redactions, kill -9 the
// server; after the restart every acknowledged redaction still holds, through
// Cresta and through Insights, and the acknowledged secrets are in neither
// the database nor its WAL.
test('kill -9 never undoes an acknowledged Cresta redaction', { timeout: 120000 }, async (t) => {
  if (server.error) assert.fail(server.error);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'parley-crash-redact-'));
  const CUSTOMER = 'crashco';
  const PROFILE = `/v1/customers/${CUSTOMER}/profiles/p1`;
  const CONVERSATIONS = 24;
  const MESSAGES = 8;
  const secret = (c, m) => `SECRET${String(c).padStart(3, '0')}x${String(m).padStart(2, '0')}Q`;
  const textOf = (c, m) => `my card is ${secret(c, m)} thanks`;
  const START = 'my card is '.length;
  const END = START + secret(0, 0).length;
  const CONTROL = 'CONTROLTEXTzz';
  const acked = [];
  // Which acknowledged secrets the data directory's files (database, WAL)
  // still hold; and whether they hold the never-redacted control text.
  const scanFiles = () => {
    const files = readdirSync(dataDir).map((f) => path.join(dataDir, f));
    const contents = files.map((f) => readFileSync(f));
    const bytes = Buffer.concat(contents);
    const where = (c, m) => files.filter((f, i) => contents[i].includes(Buffer.from(secret(c, m)))).map((f) => path.basename(f));
    return {
      files,
      where,
      left: acked.filter(([c, m]) => bytes.includes(Buffer.from(secret(c, m)))),
      control: bytes.includes(Buffer.from(`${CONTROL}0`)),
    };
  };
  try {
    const loaded = await startServer(server.bin, dataDir);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    let r = await request(agent, loaded.port, 'POST', `${PROFILE}/moments?momentId=card`, '{"type": "ENTITY"}');
    assert.equal(r.status, 200, r.body);
    for (let c = 0; c < CONVERSATIONS; c++) {
      r = await request(agent, loaded.port, 'POST', `${PROFILE}/conversations?conversationId=rc-${c}`, '{"source": "LIVE"}');
      assert.equal(r.status, 200, r.body);
      const messages = [];
      for (let m = 0; m < MESSAGES; m++) {
        messages.push({ name: `customers/${CUSTOMER}/profiles/p1/conversations/rc-${c}/messages/m${m}`, text: textOf(c, m), speaker: 'VISITOR' });
      }
      // A message never redacted: its text must be found in the files, so the
      // search below can see stored text at all.
      messages.push({ name: `customers/${CUSTOMER}/profiles/p1/conversations/rc-${c}/messages/keep`, text: `control ${CONTROL}${c}`, speaker: 'AGENT' });
      r = await request(agent, loaded.port, 'POST', `${PROFILE}/conversations/rc-${c}/messages:batchCreate`, JSON.stringify({ messages }));
      assert.equal(r.status, 200, r.body);
    }
    const queue = [];
    for (let m = 0; m < MESSAGES; m++) for (let c = 0; c < CONVERSATIONS; c++) queue.push([c, m]);
    let killed = false;
    let inFlight = 0;
    let inFlightAtKill = 0;
    const unexpected = [];
    async function worker() {
      while (!killed && queue.length > 0) {
        const [c, m] = queue.shift();
        inFlight++;
        try {
          const res = await request(agent, loaded.port, 'POST', `${PROFILE}/conversations/rc-${c}/messages/m${m}:redact`,
            JSON.stringify({ moment: `customers/${CUSTOMER}/profiles/p1/moments/card`, startIndex: START, endIndex: END }));
          if (res.status === 200) acked.push([c, m]);
          else if (!killed) unexpected.push(`redact rc-${c}/m${m} -> ${res.status} ${res.body.slice(0, 300)}`);
        } catch (e) {
          if (e.status === 200) acked.push([c, m]);
        } finally {
          inFlight--;
        }
      }
    }
    const workers = Array.from({ length: 8 }, worker);
    // Kill once some redactions are acknowledged and more are under way.
    for (let waited = 0; acked.length < 30 && waited < 20000; waited += 10) await new Promise((res) => setTimeout(res, 10));
    inFlightAtKill = inFlight;
    killed = true;
    await loaded.kill9();
    await Promise.allSettled(workers);
    agent.destroy();
    assert.deepEqual(unexpected, [], unexpected.join('\n'));
    assert.ok(acked.length >= 30, `only ${acked.length} redactions acknowledged before the kill`);
    assert.ok(inFlightAtKill > 0, 'no redaction was in flight at the kill');
    // Straight after the kill (the WAL as the dead server left it), then
    // after a restart and a clean stop.
    // On PostgreSQL the files are the database server's, which keeps
    // superseded row versions until VACUUM (ADR 0021): only the API is checked.
    const scanning = postgresAdminUrl() === null;
    const noScan = { control: true, left: [], files: ['(not scanned: PostgreSQL store)'] };
    const killedScan = scanning ? scanFiles() : noScan;
    assert.ok(killedScan.control, `the control text is in none of ${killedScan.files.join(', ')}`);
    assert.deepEqual(killedScan.left.slice(0, 5), [], `${killedScan.left.length} acknowledged secrets still in the files after kill -9: ` +
      `${killedScan.left.slice(0, 5).map(([c, m]) => `${secret(c, m)} in ${killedScan.where(c, m).join(', ')}`).join('; ')}\nstderr:\n${loaded.stderr().slice(-4000)}`);

    const restarted = await startServer(server.bin, dataDir);
    const reader = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const stars = '*'.repeat(END - START);
    for (const [c, m] of acked) {
      const res = await request(reader, restarted.port, 'GET', `${PROFILE}/conversations/rc-${c}/messages/m${m}`);
      assert.equal(res.status, 200, res.body);
      const msg = JSON.parse(res.body);
      assert.equal(msg.text, `my card is ${stars} thanks`, `redaction of rc-${c}/m${m} undone after kill -9`);
      assert.equal(msg.state, 'REDACTED');
      assert.equal(msg.redaction?.length, 1);
      const g = await request(reader, restarted.port, 'GET', `/v1/projects/${CUSTOMER}/locations/global/conversations/rc-${c}`);
      assert.equal(g.status, 200, g.body);
      assert.ok(!g.body.includes(secret(c, m)), `Insights still shows ${secret(c, m)}`);
    }
    reader.destroy();
    const { code } = await restarted.stop();
    assert.equal(code, 0);
    assert.equal(integrityCheck(dataDir), 'ok');
    const stoppedScan = scanning ? scanFiles() : noScan;
    assert.ok(stoppedScan.control, `the control text is in none of ${stoppedScan.files.join(', ')}`);
    assert.deepEqual(stoppedScan.left.slice(0, 5), [], `${stoppedScan.left.length} acknowledged secrets still in ${stoppedScan.files.join(', ')}`);
    t.diagnostic(`${acked.length} redactions acknowledged before kill -9 (${inFlightAtKill} in flight); all held after restart; ` +
      `no acknowledged secret in ${killedScan.files.map((f) => path.basename(f)).join(', ')} after the kill nor after the restart`);
  } finally {
    killAll();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
