// Disk full (issue 9, probe 20): on a small tmpfs data dir, writes that do not
// fit fail with 503 UNAVAILABLE in the Google error shape, the server keeps
// serving reads, deletes keep working while the disk is full, writes work
// again once space is freed (by deletes, then by removing a filler file), and
// every create that got a 2xx reads back after kill -9 and a restart.
//
//   PARLEY_BIN=build/parley node tests/crash/disk_full.test.mjs
//
// Needs root (mount -t tmpfs); otherwise, or if the mount fails, it exits 77,
// which CTest reports as skipped (SKIP_RETURN_CODE), with the reason printed.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  assertGoogleError, conversationBody, findParleyBinary, integrityCheck, killAll, request, running, startServer,
} from './harness.mjs';

const TMPFS_MB = 24;
const FILLER_MB = 6;
const RESERVE_MB = 2;
const PROJECT = 'diskfull';
const BASE = `/v1/projects/${PROJECT}/locations/us/conversations`;
const CLIENTS = 8;
const SEGMENTS = 40; // about 8 KB of JSON per conversation

function skip(reason) {
  console.log(`SKIP: ${reason}`);
  process.exit(77);
}

const server = findParleyBinary();
if (server.error) {
  console.error(server.error);
  process.exit(1);
}
if (typeof process.getuid === 'function' && process.getuid() !== 0) skip('not root: mounting a tmpfs needs root');
const mnt = mkdtempSync(path.join(tmpdir(), 'parley-diskfull-'));
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_MB}m,mode=0700`, 'tmpfs', mnt], { stdio: 'pipe' });
} catch (e) {
  rmSync(mnt, { recursive: true, force: true });
  skip(`mount -t tmpfs failed: ${String(e.stderr ?? e.message).trim()}`);
}
let mounted = true;
function unmount() {
  if (!mounted) return;
  killAll();
  try {
    execFileSync('umount', [mnt], { stdio: 'pipe' });
    mounted = false;
    rmSync(mnt, { recursive: true, force: true });
  } catch (e) {
    console.error(`umount ${mnt}: ${String(e.stderr ?? e.message).trim()}`);
  }
}
process.on('exit', unmount);
after(unmount);

const dataDir = path.join(mnt, 'data');
const filler = path.join(mnt, 'filler');
const serverArgs = ['--disk-reserve-mb', String(RESERVE_MB), '--view-cache-mb', '0'];

function freeMb() {
  const s = statfsSync(mnt);
  return ((s.bavail * s.bsize) / 1048576).toFixed(1);
}

// Creates with CLIENTS concurrent clients until `stopAfter` consecutive
// failures (or `limit` creates). Every reply must be a 2xx or a 503
// UNAVAILABLE in the Google error shape.
async function fill(srv, agent, prefix, acked, { stopAfter = 40, limit = 100000 } = {}) {
  let seq = 0;
  let failedInARow = 0;
  let failed = 0;
  let created = 0;
  async function worker() {
    while (failedInARow < stopAfter && seq < limit) {
      const id = `${prefix}-${String(seq++).padStart(6, '0')}`;
      const res = await request(agent, srv.port, 'POST', `${BASE}?conversationId=${id}`,
        conversationBody(id, { phase: prefix }, SEGMENTS));
      if (res.status === 200) {
        acked.add(id);
        created++;
        failedInARow = 0;
      } else {
        assertGoogleError(res, 503, 'UNAVAILABLE', `create ${id} with the disk full`);
        failed++;
        failedInARow++;
      }
    }
  }
  await Promise.all(Array.from({ length: CLIENTS }, worker));
  return { created, failed };
}

test('disk full: 503 for writes, reads and deletes keep working, writes resume after space is freed', { timeout: 110000 }, async (t) => {
  mkdirSync(dataDir);
  writeFileSync(filler, Buffer.alloc(FILLER_MB << 20, 1));
  const acked = new Set();
  const deleted = new Set();
  let srv = await startServer(server.bin, dataDir, serverArgs);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  try {
    // 1. Fill the disk.
    const first = await fill(srv, agent, 'fill', acked);
    t.diagnostic(`filled: ${first.created} creates acknowledged, then ${first.failed} refused; ${freeMb()} MB free`);
    assert.ok(first.created >= 300, `only ${first.created} creates fitted on ${TMPFS_MB} MB`);
    assert.ok(srv.alive(), `the server died with the disk full:\n${srv.stderr().slice(-3000)}`);

    // 2. Still full: a create is refused, a patch is a 200 or a 503, never a 500.
    const refused = await request(agent, srv.port, 'POST', `${BASE}?conversationId=still-full`, conversationBody('still-full', {}, SEGMENTS));
    assertGoogleError(refused, 503, 'UNAVAILABLE', 'create with the disk full');
    const some = [...acked].slice(0, 5);
    for (const id of some) {
      const res = await request(agent, srv.port, 'PATCH', `${BASE}/${id}?updateMask=labels`, JSON.stringify({ labels: { patched: 'yes' } }));
      if (res.status !== 200) assertGoogleError(res, 503, 'UNAVAILABLE', `patch ${id} with the disk full`);
    }

    // 3. Reads keep working.
    const health = await request(agent, srv.port, 'GET', '/healthz');
    assert.equal(health.status, 200);
    for (const id of some) {
      const res = await request(agent, srv.port, 'GET', `${BASE}/${id}`);
      assert.equal(res.status, 200, `GET ${id} with the disk full: ${res.body.slice(0, 300)}`);
    }
    const list = await request(agent, srv.port, 'GET', `${BASE}?pageSize=100`);
    assert.equal(list.status, 200, `list with the disk full: ${list.body.slice(0, 300)}`);
    assert.equal(JSON.parse(list.body).conversations.length, 100);

    // 4. Deletes keep working with the disk full (probe 20).
    const victims = [...acked].slice(0, Math.floor(acked.size / 3));
    for (const id of victims) {
      const res = await request(agent, srv.port, 'DELETE', `${BASE}/${id}`);
      assert.equal(res.status, 200, `DELETE ${id} with the disk full: ${res.status} ${res.body.slice(0, 300)}\n${srv.stderr().slice(-2000)}`);
      acked.delete(id);
      deleted.add(id);
    }
    t.diagnostic(`deleted ${victims.length} with the disk full; ${freeMb()} MB free`);

    // 5. The space the deletes freed takes new writes.
    const reuse = await fill(srv, agent, 'reuse', acked, { stopAfter: 40, limit: Math.floor(victims.length / 2) });
    assert.ok(reuse.created >= Math.floor(victims.length / 4),
      `after deleting ${victims.length}, only ${reuse.created} of ${Math.floor(victims.length / 2)} creates succeeded`);
    t.diagnostic(`after the deletes: ${reuse.created} creates acknowledged, ${reuse.failed} refused`);

    // 6. Removing the filler makes room again.
    rmSync(filler);
    const refill = await fill(srv, agent, 'refill', acked, { stopAfter: 40, limit: 200 });
    assert.equal(refill.failed, 0, `${refill.failed} creates refused after removing the ${FILLER_MB} MB filler (${freeMb()} MB free)`);
    assert.equal(refill.created, 200);
    // ... and can be filled again: still 503s, not 500s.
    const again = await fill(srv, agent, 'again', acked);
    assert.ok(again.failed >= 40 && srv.alive());
    t.diagnostic(`after removing the filler: 200 creates acknowledged; filled again with ${again.created} more`);

    // 7. Every acknowledged create survives kill -9, every acknowledged delete stays deleted.
    await srv.kill9();
    srv = await startServer(server.bin, dataDir, serverArgs);
    const ids = [...acked];
    let next = 0;
    const problems = [];
    async function reader() {
      while (next < ids.length) {
        const id = ids[next++];
        const res = await request(agent, srv.port, 'GET', `${BASE}/${id}`);
        if (res.status !== 200) problems.push(`GET ${id} -> ${res.status} ${res.body.slice(0, 200)}`);
        else if ((JSON.parse(res.body).transcript?.transcriptSegments?.length ?? 0) !== SEGMENTS) problems.push(`GET ${id}: incomplete`);
      }
    }
    await Promise.all(Array.from({ length: CLIENTS }, reader));
    assert.deepEqual(problems.slice(0, 10), [], `${problems.length} of ${ids.length} acknowledged creates lost after kill -9 on a full disk`);
    for (const id of [...deleted].slice(0, 200)) {
      const res = await request(agent, srv.port, 'GET', `${BASE}/${id}`);
      assert.equal(res.status, 404, `deleted ${id} is back after the restart`);
    }
    // Deletes work right after a restart on the full disk too.
    const afterRestart = ids.slice(0, 20);
    for (const id of afterRestart) {
      const res = await request(agent, srv.port, 'DELETE', `${BASE}/${id}`);
      assert.equal(res.status, 200, `DELETE ${id} after restarting on a full disk: ${res.body.slice(0, 300)}`);
    }
    agent.destroy();
    const { code } = await srv.stop();
    assert.equal(code, 0, `parley should exit 0 on SIGTERM; stderr:\n${srv.stderr().slice(-3000)}`);
    assert.equal(integrityCheck(dataDir), 'ok');
    t.diagnostic(`after kill -9 and restart: all ${ids.length} acknowledged creates read back, ${deleted.size} deletes held; integrity_check ok`);
  } finally {
    agent.destroy();
    for (const child of running) child.kill('SIGKILL');
  }
});
