// Drives Google's discovery-based client for Customer Engagement Suite
// (npm `googleapis`, `google.ces({version: 'v1'})`, REST) against a live
// Parley server: apps create (polling the long-running operation), get, list,
// patch, delete; conversations loaded through Parley's own import route
// (plain fetch), then get, list (sources, filter, paging), delete and
// batchDelete (awaiting its operation) through the client, unchanged; and
// sessions.runSession turns answered by the local agent.
//
//   PARLEY_BIN=build/parley node --test tests/compat/ces.test.mjs
//
// Set PARLEY_COMPAT_TRACE=1 to route the client through a logging proxy.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { findParleyBinary, loadClient, startServer, startTracingProxy } from './harness.mjs';

const TRACE = process.env.PARLEY_COMPAT_TRACE === '1';

function loadDependencies() {
  return loadClient('googleapis', (require) => ({ google: require('googleapis').google }));
}


// The HTTP status and google.rpc.Status of a rejected googleapis call.
async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    assert.equal(typeof e.status, 'number', `expected an HTTP error, got ${e.message}`);
    return { status: e.status, error: e.response?.data?.error };
  }
  assert.fail('expected the call to be rejected, but it succeeded');
}

const deps = loadDependencies();
const server = findParleyBinary('ces.test.mjs');

if (deps.error || server.error) {
  test('prerequisites for the CES client compatibility test', () => {
    assert.fail([deps.error, server.error].filter(Boolean).join('\n\n'));
  });
} else {
  describe(`googleapis@${deps.clientVersion} ces v1 (REST) against parley`, () => {
    const parent = 'projects/acme/locations/us';
    const app = `${parent}/apps/support`;
    let dataDir;
    let parley;
    let proxy;
    let port;
    let ces;

    // Polls an operation through the client until it is done.
    async function awaitOperation(op) {
      for (let i = 0; i < 500 && !op.done; i++) {
        await new Promise((r) => setTimeout(r, 20));
        op = (await ces.projects.locations.operations.get({ name: op.name })).data;
      }
      assert.equal(op.done, true, `operation ${op.name} did not finish`);
      assert.equal(op.error, undefined, JSON.stringify(op.error));
      return op;
    }

    before(async () => {
      dataDir = mkdtempSync(path.join(tmpdir(), 'parley-compat-ces-'));
      parley = await startServer(server.bin, dataDir);
      port = parley.port;
      if (TRACE) {
        proxy = await startTracingProxy(parley.port);
        port = proxy.port;
      }
      ces = deps.google.ces({ version: 'v1', rootUrl: `http://127.0.0.1:${port}/`, auth: 'test-key' });
    });

    after(async () => {
      if (proxy) await proxy.close();
      if (parley) {
        const { code, signal } = await parley.stop();
        assert.equal(signal, null, `parley was killed by ${signal}`);
        assert.equal(code, 0, `parley exited with ${code}`);
      }
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    test('apps: create (operation), get, list, patch', async () => {
      const created = await ces.projects.locations.apps.create({
        parent,
        appId: 'support',
        requestBody: { displayName: 'Support bot', languageSettings: { defaultLanguageCode: 'en-US' } },
      });
      assert.match(created.data.name, /^projects\/acme\/locations\/us\/operations\//);
      const op = await awaitOperation(created.data);
      assert.equal(op.response['@type'], 'type.googleapis.com/google.cloud.ces.v1.App');
      assert.equal(op.response.name, app);
      assert.equal(op.response.displayName, 'Support bot');

      const got = await ces.projects.locations.apps.get({ name: app });
      assert.equal(got.data.languageSettings.defaultLanguageCode, 'en-US');

      const patched = await ces.projects.locations.apps.patch({
        name: app,
        updateMask: 'description',
        requestBody: { description: 'billing' },
      });
      assert.equal(patched.data.description, 'billing');
      assert.equal(patched.data.displayName, 'Support bot');

      const listed = await ces.projects.locations.apps.list({ parent });
      assert.deepEqual(listed.data.apps.map((a) => a.name), [app]);

      const missing = await rejection(ces.projects.locations.apps.get({ name: `${parent}/apps/nosuch` }));
      assert.equal(missing.status, 404);
      assert.equal(missing.error.status, 'NOT_FOUND');
    });

    test('sessions: runSession turns with the local agent, recorded as the conversation', async () => {
      const shop = `${parent}/apps/shop`;
      const created = await ces.projects.locations.apps.create({
        parent,
        appId: 'shop',
        requestBody: { displayName: 'Shop', rootAgent: `${shop}/agents/root` },
      });
      await awaitOperation(created.data);
      // The agent's intents are the location's Dialogflow agent's.
      for (const intent of [
        { displayName: 'track_order', messages: [{ text: { text: ['Your order is on its way.'] } }],
          trainingPhrases: [{ parts: [{ text: 'where is my order' }] }, { parts: [{ text: 'track my parcel' }] }] },
        { displayName: 'fallback', isFallback: true, messages: [{ text: { text: ['Sorry?'] } }] },
      ]) {
        const res = await fetch(`http://127.0.0.1:${port}/v2/${parent}/agent/intents`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(intent),
        });
        assert.equal(res.status, 200, await res.clone().text());
      }

      const session = `${shop}/sessions/web-1`;
      const first = (await ces.projects.locations.apps.sessions.runSession({
        session,
        requestBody: { config: { session }, inputs: [{ text: 'where is my parcel' }] },
      })).data;
      assert.equal(first.outputs.length, 1);
      const out = first.outputs[0];
      assert.equal(out.text, 'Your order is on its way.');
      assert.equal(out.turnIndex, 1);
      assert.equal(out.turnCompleted, true);
      const root = out.diagnosticInfo.rootSpan;
      assert.deepEqual(root.childSpans.map((s) => s.name), ['intent_detection', 'response']);
      assert.equal(root.childSpans[0].attributes.intent, 'track_order');
      assert.ok(root.childSpans[0].attributes.confidence > 0);
      assert.match(root.duration, /^[0-9.]+s$/);

      const second = (await ces.projects.locations.apps.sessions.runSession({
        session,
        requestBody: { config: { excludeDiagnosticInfo: true }, inputs: [{ text: 'zebras quantum violin' }] },
      })).data;
      assert.deepEqual(second.outputs, [{ text: 'Sorry?', turnIndex: 2, turnCompleted: true }]);

      const conv = (await ces.projects.locations.apps.conversations.get({ name: `${shop}/conversations/web-1` })).data;
      assert.equal(conv.source, 'SIMULATOR');
      assert.equal(conv.turnCount, 2);
      assert.equal(conv.entryAgent, `${shop}/agents/root`);
      assert.deepEqual(conv.turns.map((t) => t.messages.map((m) => m.chunks[0].text)),
        [['where is my parcel', 'Your order is on its way.'], ['zebras quantum violin', 'Sorry?']]);
      assert.equal(conv.turns[0].rootSpan.childSpans[0].name, 'intent_detection');

      const empty = await rejection(ces.projects.locations.apps.sessions.runSession({
        session, requestBody: { config: {}, inputs: [] } }));
      assert.equal(empty.status, 400);
      assert.equal(empty.error.status, 'INVALID_ARGUMENT');
      const agent = await rejection(ces.projects.locations.apps.sessions.runSession({
        session, requestBody: { config: { entryAgent: `${shop}/agents/nosuch` }, inputs: [{ text: 'hi' }] } }));
      assert.equal(agent.status, 404);
      const after = (await ces.projects.locations.apps.conversations.get({ name: `${shop}/conversations/web-1` })).data;
      assert.equal(after.turnCount, 2);

      // Audio input: headerless LINEAR16 samples (Debian's pocketsphinx-testdata
      // recording of "go forward ten meters") transcribed by Parley's speech
      // engine; the words answer like text and are kept as the chunk's transcript.
      const raw = '/usr/share/pocketsphinx/test/data/goforward.raw';
      const spoken = (await ces.projects.locations.apps.sessions.runSession({
        session: `${shop}/sessions/voice-1`,
        requestBody: { config: { inputAudioConfig: { audioEncoding: 'LINEAR16', sampleRateHertz: 16000 } },
                       inputs: [{ audio: readFileSync(raw).toString('base64') }] },
      })).data;
      const heard = spoken.outputs[0].diagnosticInfo.messages[0].chunks[0].transcript;
      assert.match(heard, /go forward/, `heard: ${heard}`);
      const voice = (await ces.projects.locations.apps.conversations.get({ name: `${shop}/conversations/voice-1` })).data;
      assert.deepEqual(voice.inputTypes, ['INPUT_TYPE_AUDIO']);

      await ces.projects.locations.apps.delete({ name: shop, force: true });
    });

    test('conversations: import (native), get, list, delete, batchDelete', async () => {
      const body = {
        conversations: [
          { name: `${app}/conversations/live-1`, source: 'LIVE', startTime: '2025-01-02T10:00:00Z',
            turns: [{ messages: [
              { role: 'user', chunks: [{ text: 'My bill is wrong' }], eventTime: '2025-01-02T10:00:01Z' },
              { role: 'agent', chunks: [{ text: 'Let me check.' }], eventTime: '2025-01-02T10:00:02Z' }] }] },
          { name: `${app}/conversations/live-2`, source: 'LIVE', startTime: '2025-01-03T10:00:00Z',
            turns: [{ messages: [{ role: 'user', chunks: [{ transcript: 'hello' }] }] }] },
          { name: `${app}/conversations/eval-1`, source: 'EVAL', startTime: '2025-01-04T10:00:00Z',
            turns: [{ messages: [{ role: 'user', chunks: [{ text: 'test' }] }] }] },
        ],
      };
      const res = await fetch(`http://127.0.0.1:${port}/v1/${app}/conversations:import`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal((await res.json()).conversations.length, 3);

      const conv = (await ces.projects.locations.apps.conversations.get({ name: `${app}/conversations/live-1` })).data;
      assert.equal(conv.source, 'LIVE');
      assert.equal(conv.turnCount, 1);
      assert.equal(conv.channelType, 'TEXT');
      assert.deepEqual(conv.inputTypes, ['INPUT_TYPE_TEXT']);
      assert.equal(conv.turns[0].messages[1].chunks[0].text, 'Let me check.');
      assert.equal(conv.turns[0].messages[0].eventTime, '2025-01-02T10:00:01Z');

      const wrongSource = await rejection(
        ces.projects.locations.apps.conversations.get({ name: `${app}/conversations/eval-1`, source: 'LIVE' }));
      assert.equal(wrongSource.status, 404);

      const all = (await ces.projects.locations.apps.conversations.list({ parent: app })).data;
      assert.deepEqual(all.conversations.map((c) => c.name.split('/').pop()), ['eval-1', 'live-2', 'live-1']);

      const some = (await ces.projects.locations.apps.conversations.list({ parent: app, sources: ['EVAL', 'LIVE'],
        filter: 'input_types:INPUT_TYPE_AUDIO' })).data;
      assert.deepEqual(some.conversations.map((c) => c.name.split('/').pop()), ['live-2']);

      const page1 = (await ces.projects.locations.apps.conversations.list({ parent: app, pageSize: 2 })).data;
      assert.equal(page1.conversations.length, 2);
      const page2 = (await ces.projects.locations.apps.conversations.list({ parent: app, pageSize: 2,
        pageToken: page1.nextPageToken })).data;
      assert.deepEqual(page2.conversations.map((c) => c.name.split('/').pop()), ['live-1']);
      assert.equal(page2.nextPageToken, undefined);

      // Delete: LIVE unless a source is given.
      const notLive = await rejection(
        ces.projects.locations.apps.conversations.delete({ name: `${app}/conversations/eval-1` }));
      assert.equal(notLive.status, 404);
      await ces.projects.locations.apps.conversations.delete({ name: `${app}/conversations/eval-1`, source: 'EVAL' });

      const started = await ces.projects.locations.apps.conversations.batchDelete({
        parent: app,
        requestBody: { conversations: [`${app}/conversations/live-1`, `${app}/conversations/live-2`] },
      });
      const op = await awaitOperation(started.data);
      assert.deepEqual(op.response.deletedConversations, [`${app}/conversations/live-1`, `${app}/conversations/live-2`]);
      const left = (await ces.projects.locations.apps.conversations.list({ parent: app })).data;
      assert.equal(left.conversations, undefined);

      const deleted = await ces.projects.locations.apps.delete({ name: app });
      await awaitOperation(deleted.data);
      const gone = await rejection(ces.projects.locations.apps.get({ name: app }));
      assert.equal(gone.status, 404);
    });
  });
}
