// "Acknowledged means durable" for Dialogflow analyzeContent with FAQ
// suggestions: a 200 names the stored message and an answer record per
// suggested answer (stored by the same write). Under concurrent calls, kill -9
// the server; after the restart every acknowledged message is listed and
// every answer record it named is listed too.
//
//   PARLEY_BIN=build/parley node --test tests/crash/analyze_content.test.mjs
//
// Node built-ins only (and ./harness.mjs).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { findParleyBinary, integrityCheck, killAll, request, startServer } from './harness.mjs';

const P = '/v2/projects/p1';
const CONVERSATIONS = 8;
const LOAD_MS = 1500;
const FAQ = 'How do I reset my password?,Open Settings and choose Reset password.\n' +
  'Where is my refund?,Refunds reach your card within five business days.\n' +
  'Can I change my delivery address?,Yes: open the order and choose Change address.\n';

after(killAll);

async function call(agent, port, method, url, body) {
  const res = await request(agent, port, method, url, body === undefined ? undefined : JSON.stringify(body));
  assert.equal(res.status, 200, `${method} ${url} -> ${res.status} ${res.body.slice(0, 300)}`);
  return JSON.parse(res.body);
}

// Every page of a list, concatenated.
async function listAll(agent, port, url, field) {
  const out = [];
  let token = '';
  do {
    const sep = url.includes('?') ? '&' : '?';
    const page = await call(agent, port, 'GET', `${url}${sep}pageSize=100${token ? `&pageToken=${encodeURIComponent(token)}` : ''}`);
    out.push(...(page[field] ?? []));
    token = page.nextPageToken ?? '';
  } while (token);
  return out;
}

test('kill -9 never loses an acknowledged analyzeContent message or its answer records', { timeout: 120000 }, async (t) => {
  const server = findParleyBinary();
  if (server.error) assert.fail(server.error);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'parley-crash-analyze-'));
  try {
    const loaded = await startServer(server.bin, dataDir);
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONVERSATIONS });
    const kb = await call(agent, loaded.port, 'POST', `${P}/knowledgeBases`, { displayName: 'faq' });
    let op = await call(agent, loaded.port, 'POST', `/v2/${kb.name}/documents`,
      { displayName: 'faq', mimeType: 'text/csv', rawContent: Buffer.from(FAQ).toString('base64') });
    for (let tries = 0; !op.done; tries++) {
      assert.ok(tries < 2000, 'the document import never finished');
      await new Promise((r) => setTimeout(r, 10));
      op = await call(agent, loaded.port, 'GET', `/v2/${op.name}`);
    }
    const profile = await call(agent, loaded.port, 'POST', `${P}/conversationProfiles`, {
      displayName: 'assist',
      humanAgentAssistantConfig: { humanAgentSuggestionConfig: { featureConfigs: [
        { suggestionFeature: { type: 'FAQ' }, queryConfig: { knowledgeBaseQuerySource: { knowledgeBases: [kb.name] }, maxResults: 2 } }] } },
    });
    const users = [];
    for (let c = 0; c < CONVERSATIONS; c++) {
      await call(agent, loaded.port, 'POST', `${P}/conversations?conversationId=ac-${c}`, { conversationProfile: profile.name });
      users.push((await call(agent, loaded.port, 'POST', `${P}/conversations/ac-${c}/participants`, { role: 'END_USER' })).name);
    }

    const messages = new Set();
    const records = new Set();
    let killed = false;
    let inFlight = 0;
    let inFlightAtKill = 0;
    const unexpected = [];
    async function worker(c) {
      for (let n = 0; !killed; n++) {
        inFlight++;
        try {
          const res = await request(agent, loaded.port, 'POST', `/v2/${users[c]}:analyzeContent`,
            JSON.stringify({ textInput: { text: `Where is my refund? I also need to reset my password (${n}).` } }));
          if (res.status === 200) {
            const out = JSON.parse(res.body);
            messages.add(out.message.name);
            for (const r of out.humanAgentSuggestionResults ?? []) {
              for (const a of r.suggestFaqAnswersResponse?.faqAnswers ?? []) records.add(a.answerRecord);
            }
          } else if (!killed) {
            unexpected.push(`analyzeContent ac-${c} -> ${res.status} ${res.body.slice(0, 300)}`);
          }
        } catch {
          // cut off by the kill: not acknowledged
        } finally {
          inFlight--;
        }
      }
    }
    const workers = Array.from({ length: CONVERSATIONS }, (_, c) => worker(c));
    await new Promise((r) => setTimeout(r, LOAD_MS));
    inFlightAtKill = inFlight;
    killed = true;
    await loaded.kill9();
    await Promise.allSettled(workers);
    agent.destroy();
    assert.deepEqual(unexpected, [], unexpected.slice(0, 5).join('\n'));
    assert.ok(messages.size >= 20, `only ${messages.size} calls acknowledged before the kill`);
    assert.ok(records.size > 0, 'no answer record was named: the FAQ suggestions did not run');

    const restarted = await startServer(server.bin, dataDir);
    const reader = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const listedMessages = new Set();
    const listedRecords = new Set();
    for (let c = 0; c < CONVERSATIONS; c++) {
      for (const m of await listAll(reader, restarted.port, `${P}/conversations/ac-${c}/messages`, 'messages')) listedMessages.add(m.name);
      const filter = encodeURIComponent(`conversation_id = "ac-${c}"`);
      for (const r of await listAll(reader, restarted.port, `${P}/answerRecords?filter=${filter}`, 'answerRecords')) listedRecords.add(r.name);
    }
    reader.destroy();
    const lostMessages = [...messages].filter((m) => !listedMessages.has(m));
    const lostRecords = [...records].filter((r) => !listedRecords.has(r));
    assert.deepEqual(lostMessages.slice(0, 5), [], `${lostMessages.length} acknowledged messages lost after kill -9`);
    assert.deepEqual(lostRecords.slice(0, 5), [], `${lostRecords.length} acknowledged answer records lost after kill -9`);
    const { code } = await restarted.stop();
    assert.equal(code, 0);
    assert.equal(integrityCheck(dataDir), 'ok');
    t.diagnostic(`${messages.size} analyzeContent calls acknowledged (${records.size} answer records named, ` +
      `${inFlightAtKill} calls in flight at kill -9); all listed after the restart`);
  } finally {
    killAll();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
