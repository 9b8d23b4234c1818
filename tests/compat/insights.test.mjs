// Drives Google's official Contact Center AI Insights Node client
// (@google-cloud/contact-center-insights, REST transport) against a live Parley
// server. The client is used exactly as an application would use it against
// Google; only its endpoint and credentials differ.
//
//   PARLEY_BIN=build/parley node --test tests/compat/insights.test.mjs
//
// Set PARLEY_COMPAT_TRACE=1 to route the client through a transparent logging
// proxy that prints every request and response (method, URL, bodies, status)
// to stderr; this is how to capture the exchange behind a failure.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { findParleyBinary, loadClient, rejection, startServer, startTracingProxy } from './harness.mjs';

const TRACE = process.env.PARLEY_COMPAT_TRACE === '1';

// ---------------------------------------------------------------------------
// Prerequisites: fail (never skip) with a message saying how to fix them.

function loadDependencies() {
  return loadClient('@google-cloud/contact-center-insights', (require) => {
    // google-gax exactly as the client resolves it (for its GoogleError).
    const gax = createRequire(require.resolve('@google-cloud/contact-center-insights'))('google-gax');
    return { insights: require('@google-cloud/contact-center-insights'),
             OAuth2Client: require('google-auth-library').OAuth2Client,
             GoogleError: gax.GoogleError, gaxVersion: gax.version };
  });
}


// ---------------------------------------------------------------------------
// Helpers.

const LOCATION = 'us-central1';
const T0 = 1767261600; // 2026-01-01T10:00:00Z

function seconds(ts) {
  // The REST client decodes int64 fields (Timestamp.seconds) as strings.
  return ts == null ? null : Number(ts.seconds);
}


// google.rpc.Code -> the HTTP status Google's REST APIs answer with.
const HTTP_FOR_CODE = { 3: 400, 5: 404, 6: 409, 9: 400, 16: 401, 7: 403, 8: 429, 13: 500, 14: 503 };
const NAME_FOR_CODE = { 3: 'INVALID_ARGUMENT', 5: 'NOT_FOUND', 6: 'ALREADY_EXISTS' };

// The rejection as a gax GoogleError.
//
// With google-gax 5.x (what @google-cloud/contact-center-insights 4.x
// resolves to) the REST transport lets gaxios reject non-2xx replies, so the
// application sees a GaxiosError whose `code` is the HTTP status and whose
// `message` is the raw reply body — against Google exactly as against Parley
// (upstream: googleapis/gax-nodejs#1803; fixed in google-gax 6, which decodes
// that body with GoogleError.parseHttpError). Decode it the same way here, so
// the assertions are on what the server sent, with the client's own decoder.
function asGoogleError(err, what) {
  assert.ok(err instanceof Error, `${what}: rejected with a non-Error: ${String(err)}`);
  if (err instanceof deps.GoogleError) return { error: err, httpStatus: undefined };
  assert.equal(
    typeof err.status,
    'number',
    `${what}: expected an HTTP error from the server, got ${err.constructor.name} ${err.code ?? ''}: ${err.message}`,
  );
  let body;
  try {
    body = JSON.parse(err.message);
  } catch {
    assert.fail(`${what}: HTTP ${err.status} reply is not JSON: ${err.message}`);
  }
  assert.ok(
    body && typeof body.error === 'object',
    `${what}: HTTP ${err.status} reply is not a google.rpc.Status error: ${err.message}`,
  );
  assert.equal(body.error.code, err.status, `${what}: error.code in the body must equal the HTTP status: ${err.message}`);
  const decoded = deps.GoogleError.parseHttpError(body);
  return { error: decoded, httpStatus: err.status, body: err.message };
}

function assertGoogleError(err, code, what) {
  const { error, httpStatus, body } = asGoogleError(err, what);
  const detail = body ?? error.message;
  assert.equal(error.code, code, `${what}: expected gRPC code ${code}, got ${error.code}: ${detail}`);
  if (httpStatus !== undefined) {
    assert.equal(httpStatus, HTTP_FOR_CODE[code], `${what}: HTTP status for code ${code}: ${detail}`);
    if (NAME_FOR_CODE[code]) {
      assert.equal(JSON.parse(body).error.status, NAME_FOR_CODE[code], `${what}: error.status: ${detail}`);
    }
  }
  assert.ok(typeof error.message === 'string' && error.message.length > 0, `${what}: empty error message`);
}

// A chat transcript: `n` segments alternating agent / customer, one minute apart.
function chatTranscript(n, { startSeconds = T0, language = 'en-US' } = {}) {
  const segments = [];
  for (let i = 0; i < n; i++) {
    const agent = i % 2 === 0;
    segments.push({
      text: agent ? `Agent line ${i}: how can I help with your bill?` : `Customer line ${i}: I was charged twice.`,
      messageTime: { seconds: startSeconds + 60 * i, nanos: 0 },
      languageCode: language,
      segmentParticipant: agent
        ? { role: 'HUMAN_AGENT', userId: 'agent-7' }
        : { role: 'END_USER', userId: 'customer-42' },
    });
  }
  return { transcriptSegments: segments };
}

// A phone-call transcript on two channels, with word timings.
function callTranscript(n) {
  const segments = [];
  for (let i = 0; i < n; i++) {
    const agent = i % 2 === 0;
    segments.push({
      text: agent ? 'thanks for calling' : 'my order is late',
      channelTag: agent ? 2 : 1,
      confidence: 0.9,
      languageCode: 'en-US',
      segmentParticipant: { role: agent ? 'HUMAN_AGENT' : 'END_USER' },
      words: [
        { word: agent ? 'thanks' : 'my', startOffset: { seconds: 10 * i }, endOffset: { seconds: 10 * i + 1 }, confidence: 0.9 },
      ],
    });
  }
  return { transcriptSegments: segments };
}

// ---------------------------------------------------------------------------

const deps = loadDependencies();
const server = findParleyBinary('insights.test.mjs');

if (deps.error || server.error) {
  test('prerequisites for the official-client compatibility test', () => {
    assert.fail([deps.error, server.error].filter(Boolean).join('\n\n'));
  });
} else {
  describe(`official @google-cloud/contact-center-insights@${deps.clientVersion} client (REST) against parley`, () => {
    let dataDir;
    let parley;
    let proxy;
    let client;
    let decodingClient;

    before(async () => {
      dataDir = mkdtempSync(path.join(tmpdir(), 'parley-compat-'));
      parley = await startServer(server.bin, dataDir);
      let port = parley.port;
      if (TRACE) {
        proxy = await startTracingProxy(parley.port);
        port = proxy.port;
      }
      // Fixed credentials: the client attaches "Authorization: Bearer test-token"
      // and never tries to refresh them.
      const authClient = new deps.OAuth2Client();
      authClient.setCredentials({
        access_token: 'test-token',
        token_type: 'Bearer',
        expiry_date: Date.now() + 10 * 365 * 24 * 3600 * 1000,
      });
      client = new deps.insights.v1.ContactCenterInsightsClient({
        fallback: true, // REST (HTTP/1.1 + JSON) transport instead of gRPC
        protocol: 'http',
        apiEndpoint: '127.0.0.1',
        port,
        authClient,
      });
      // The same, except that its auth client's transport hands non-2xx replies
      // back to gax instead of rejecting them, so that gax's own REST error path
      // (fallbackRest.decodeResponse -> GoogleError.parseHttpError) runs.
      const passThroughAuth = new deps.OAuth2Client({ transporterOptions: { validateStatus: () => true } });
      passThroughAuth.setCredentials(authClient.credentials);
      decodingClient = new deps.insights.v1.ContactCenterInsightsClient({
        fallback: true,
        protocol: 'http',
        apiEndpoint: '127.0.0.1',
        port,
        authClient: passThroughAuth,
      });
    });

    after(async () => {
      if (client) await client.close();
      if (decodingClient) await decodingClient.close();
      if (proxy) await proxy.close();
      if (parley) {
        const { code, signal } = await parley.stop();
        assert.equal(code, 0, `parley should exit 0 on SIGTERM (signal ${signal}); stderr:\n${parley.stderr()}`);
      }
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    // -----------------------------------------------------------------------
    describe('create and get', () => {
      const project = 'compat-crud';
      const parent = () => client.locationPath(project, LOCATION);
      const name = () => client.projectLocationConversationsPath(project, LOCATION, 'chat-0001');

      const chat = {
        medium: 'CHAT',
        agentId: 'agent-7',
        languageCode: 'en-US',
        labels: { team: 'billing', channel: 'web', priority: 'high' },
        startTime: { seconds: T0, nanos: 0 },
        transcript: chatTranscript(4),
        callMetadata: { customerChannel: 1, agentChannel: 2 },
        qualityMetadata: {
          customerSatisfactionRating: 4,
          waitDuration: { seconds: 30, nanos: 500000000 },
          menuPath: 'billing/refunds',
          agentInfo: [
            { agentId: 'agent-7', displayName: 'Ada', team: 'billing-emea', dispositionCode: 'resolved' },
          ],
        },
      };

      function assertChat(c, { transcript }) {
        assert.equal(c.name, name());
        assert.equal(c.medium, 'CHAT');
        assert.equal(c.agentId, 'agent-7');
        assert.equal(c.languageCode, 'en-US');
        assert.deepEqual({ ...c.labels }, chat.labels);
        assert.equal(seconds(c.startTime), T0);
        assert.ok(c.createTime && seconds(c.createTime) > 1700000000, `createTime: ${JSON.stringify(c.createTime)}`);
        assert.ok(c.updateTime && seconds(c.updateTime) >= seconds(c.createTime));
        assert.deepEqual(
          { customerChannel: c.callMetadata?.customerChannel, agentChannel: c.callMetadata?.agentChannel },
          { customerChannel: 1, agentChannel: 2 },
        );
        const q = c.qualityMetadata;
        assert.ok(q, 'qualityMetadata missing');
        assert.equal(q.customerSatisfactionRating, 4);
        assert.equal(Number(q.waitDuration.seconds), 30);
        assert.equal(q.waitDuration.nanos, 500000000);
        assert.equal(q.menuPath, 'billing/refunds');
        assert.equal(q.agentInfo.length, 1);
        assert.equal(q.agentInfo[0].agentId, 'agent-7');
        assert.equal(q.agentInfo[0].displayName, 'Ada');
        assert.equal(q.agentInfo[0].team, 'billing-emea');
        assert.equal(q.agentInfo[0].dispositionCode, 'resolved');
        // Four alternating speakers: four turns; last message 3 minutes after the start.
        assert.equal(c.turnCount, 4);
        assert.ok(c.duration, 'duration missing');
        assert.equal(Number(c.duration.seconds), 180);
        if (transcript) {
          assert.ok(c.transcript, 'FULL view must include the transcript');
          const segs = c.transcript.transcriptSegments;
          assert.equal(segs.length, 4);
          segs.forEach((s, i) => {
            const want = chat.transcript.transcriptSegments[i];
            assert.equal(s.text, want.text);
            assert.equal(seconds(s.messageTime), T0 + 60 * i);
            assert.equal(s.languageCode, 'en-US');
            assert.equal(s.segmentParticipant.role, want.segmentParticipant.role);
            assert.equal(s.segmentParticipant.userId, want.segmentParticipant.userId);
          });
        } else {
          const segs = c.transcript?.transcriptSegments ?? [];
          assert.equal(segs.length, 0, 'BASIC view must not include the transcript');
        }
      }

      test('createConversation with conversationId returns the stored conversation', async () => {
        const [created] = await client.createConversation({
          parent: parent(),
          conversationId: 'chat-0001',
          conversation: chat,
        });
        assertChat(created, { transcript: true });
      });

      test('getConversation, default and FULL view, returns everything', async () => {
        const [full] = await client.getConversation({ name: name(), view: 'FULL' });
        assertChat(full, { transcript: true });
        const [dflt] = await client.getConversation({ name: name() });
        assertChat(dflt, { transcript: true });
      });

      test('getConversation BASIC view omits the transcript', async () => {
        const [basic] = await client.getConversation({ name: name(), view: 'BASIC' });
        assertChat(basic, { transcript: false });
      });

      test('createConversation without an id generates one', async () => {
        const [created] = await client.createConversation({
          parent: parent(),
          conversation: { medium: 'PHONE_CALL', transcript: callTranscript(3), labels: { kind: 'generated' } },
        });
        const prefix = `${parent()}/conversations/`;
        assert.ok(created.name.startsWith(prefix), `unexpected name ${created.name}`);
        const id = created.name.slice(prefix.length);
        assert.match(id, /^[a-z0-9-]{1,64}$/);
        assert.equal(created.medium, 'PHONE_CALL');
        assert.equal(client.matchConversationFromProjectLocationConversationsName(created.name), id);

        const [got] = await client.getConversation({ name: created.name });
        assert.equal(got.name, created.name);
        assert.equal(got.medium, 'PHONE_CALL');
        assert.deepEqual({ ...got.labels }, { kind: 'generated' });
        const segs = got.transcript.transcriptSegments;
        assert.equal(segs.length, 3);
        assert.deepEqual(segs.map((s) => s.channelTag), [2, 1, 2]);
        assert.equal(segs[1].segmentParticipant.role, 'END_USER');
        assert.equal(segs[2].words[0].word, 'thanks');
        assert.equal(Number(segs[2].words[0].endOffset.seconds), 21);
        assert.ok(Math.abs(segs[0].confidence - 0.9) < 1e-6);

        // Two generated ids never collide.
        const [second] = await client.createConversation({ parent: parent(), conversation: { medium: 'CHAT' } });
        assert.notEqual(second.name, created.name);
      });

      test('createConversation with a duplicate id fails with ALREADY_EXISTS (6)', async () => {
        const err = await rejection(
          client.createConversation({ parent: parent(), conversationId: 'chat-0001', conversation: { medium: 'CHAT' } }),
        );
        assertGoogleError(err, 6, 'duplicate create');
        // The original is untouched.
        const [got] = await client.getConversation({ name: name() });
        assertChat(got, { transcript: true });
      });

      test("error replies decode through gax's REST error decoder into GoogleErrors", async () => {
        const cases = [
          [5, 'NOT_FOUND', () => decodingClient.getConversation({ name: name().replace('chat-0001', 'missing-1') })],
          [6, 'ALREADY_EXISTS', () => decodingClient.createConversation({ parent: parent(), conversationId: 'chat-0001', conversation: {} })],
          [3, 'INVALID_ARGUMENT', () => decodingClient.listConversations({ parent: parent(), filter: '((' })],
        ];
        for (const [code, status, call] of cases) {
          const err = await rejection(call());
          assert.ok(err instanceof deps.GoogleError, `${status}: expected a GoogleError, got ${err.constructor.name}: ${err.message}`);
          assert.equal(err.code, code, `${status}: ${err.message}`);
          assert.ok(err.message.length > 0);
        }
      });

      test('invalid requests fail with INVALID_ARGUMENT (3)', async () => {
        assertGoogleError(
          await rejection(
            client.createConversation({ parent: parent(), conversationId: 'Not A Valid Id!', conversation: { medium: 'CHAT' } }),
          ),
          3,
          'create with a malformed conversationId',
        );
        assertGoogleError(
          await rejection(client.listConversations({ parent: parent(), filter: 'labels.team = ' })),
          3,
          'list with a malformed filter',
        );
        assertGoogleError(
          await rejection(client.listConversations({ parent: parent(), filter: 'no_such_field = "x"' })),
          3,
          'list filtering on an unknown field',
        );
        assertGoogleError(
          await rejection(client.listConversations({ parent: parent(), orderBy: 'create_time sideways' })),
          3,
          'list with a malformed orderBy',
        );
        assertGoogleError(
          await rejection(client.listConversations({ parent: parent(), pageToken: 'not-a-real-page-token' })),
          3,
          'list with a forged pageToken',
        );
        assertGoogleError(
          await rejection(
            client.updateConversation({
              conversation: { name: name(), agentId: 'x' },
              updateMask: { paths: ['no_such_field'] },
            }),
          ),
          3,
          'update with an unknown updateMask path',
        );
        // None of them changed anything.
        const [got] = await client.getConversation({ name: name() });
        assertChat(got, { transcript: true });
      });
    });

    // -----------------------------------------------------------------------
    describe('update and delete', () => {
      const project = 'compat-update';
      const parent = () => client.locationPath(project, LOCATION);
      const name = () => client.projectLocationConversationsPath(project, LOCATION, 'upd-0001');

      before(async () => {
        await client.createConversation({
          parent: parent(),
          conversationId: 'upd-0001',
          conversation: {
            medium: 'CHAT',
            agentId: 'agent-1',
            languageCode: 'en-US',
            labels: { team: 'support', tier: 'gold' },
            transcript: chatTranscript(3),
          },
        });
      });

      test('updateConversation changes only the fields in updateMask', async () => {
        const [before] = await client.getConversation({ name: name() });
        const [updated] = await client.updateConversation({
          conversation: {
            name: name(),
            agentId: 'agent-2',
            labels: { team: 'billing', escalated: 'yes' },
            // Not in the mask: must be ignored.
            languageCode: 'fr-FR',
            transcript: chatTranscript(1),
          },
          updateMask: { paths: ['agent_id', 'labels'] },
        });
        assert.equal(updated.name, name());
        assert.equal(updated.agentId, 'agent-2');
        assert.deepEqual({ ...updated.labels }, { team: 'billing', escalated: 'yes' });
        assert.equal(updated.languageCode, 'en-US');
        assert.equal(updated.medium, 'CHAT');
        assert.equal(updated.transcript.transcriptSegments.length, 3);
        assert.equal(updated.turnCount, 3);
        assert.equal(seconds(updated.createTime), seconds(before.createTime));
        assert.equal(updated.createTime.nanos, before.createTime.nanos);
        const t = (ts) => Number(ts.seconds) * 1e9 + ts.nanos;
        assert.ok(t(updated.updateTime) > t(before.updateTime), 'updateTime must advance');

        const [got] = await client.getConversation({ name: name() });
        assert.equal(got.agentId, 'agent-2');
        assert.deepEqual({ ...got.labels }, { team: 'billing', escalated: 'yes' });
        assert.equal(got.languageCode, 'en-US');
        assert.equal(got.transcript.transcriptSegments.length, 3);
        assert.deepEqual(got.updateTime, updated.updateTime);

        // The new label is immediately filterable.
        const [hits] = await client.listConversations({ parent: parent(), filter: 'labels.escalated="yes"' });
        assert.deepEqual(hits.map((c) => c.name), [name()]);
      });

      test('updateConversation of a missing conversation fails with NOT_FOUND (5)', async () => {
        const err = await rejection(
          client.updateConversation({
            conversation: { name: client.projectLocationConversationsPath(project, LOCATION, 'no-such-one'), agentId: 'x' },
            updateMask: { paths: ['agent_id'] },
          }),
        );
        assertGoogleError(err, 5, 'update of a missing conversation');
      });

      test('deleteConversation, then getConversation fails with NOT_FOUND (5)', async () => {
        const [empty] = await client.deleteConversation({ name: name() });
        assert.ok(empty !== undefined && empty !== null, 'delete should resolve to an Empty message');
        assertGoogleError(await rejection(client.getConversation({ name: name() })), 5, 'get after delete');
        assertGoogleError(await rejection(client.deleteConversation({ name: name() })), 5, 'second delete');
        const [left] = await client.listConversations({ parent: parent() });
        assert.deepEqual(left, []);
        // The id can be used again after the delete.
        const [again] = await client.createConversation({
          parent: parent(),
          conversationId: 'upd-0001',
          conversation: { medium: 'PHONE_CALL' },
        });
        assert.equal(again.medium, 'PHONE_CALL');
        await client.deleteConversation({ name: name(), force: true });
        assertGoogleError(await rejection(client.getConversation({ name: name() })), 5, 'get after forced delete');
      });
    });

    // -----------------------------------------------------------------------
    describe('list, paging, filter, orderBy', () => {
      const project = 'compat-list';
      const parent = () => client.locationPath(project, LOCATION);
      const N = 25;
      const id = (i) => `page-${String(i).padStart(4, '0')}`;
      const team = (i) => (i % 3 === 0 ? 'billing' : 'support');
      const medium = (i) => (i % 2 === 0 ? 'CHAT' : 'PHONE_CALL');
      const turns = (i) => (i % 4) + 1;
      const all = [];

      before(async () => {
        for (let i = 0; i < N; i++) {
          const [c] = await client.createConversation({
            parent: parent(),
            conversationId: id(i),
            conversation: {
              medium: medium(i),
              agentId: `agent-${i % 5}`,
              languageCode: 'en-US',
              labels: { team: team(i), idx: String(i) },
              transcript: medium(i) === 'CHAT' ? chatTranscript(turns(i)) : callTranscript(turns(i)),
            },
          });
          all.push(c.name);
        }
      });

      test('listConversationsAsync iterates every page', async () => {
        const seen = [];
        for await (const c of client.listConversationsAsync({ parent: parent(), pageSize: 10 })) {
          seen.push(c);
        }
        assert.equal(seen.length, N);
        assert.deepEqual(seen.map((c) => c.name).sort(), [...all].sort());
        assert.equal(new Set(seen.map((c) => c.name)).size, N, 'no conversation may appear twice');
        for (const c of seen) {
          // List defaults to the BASIC view.
          assert.equal(c.transcript?.transcriptSegments?.length ?? 0, 0, `${c.name}: BASIC list must omit transcript`);
          const i = Number(c.labels.idx);
          assert.equal(c.labels.team, team(i));
          assert.equal(c.medium, medium(i));
          assert.equal(c.turnCount, turns(i));
        }
      });

      test('manual paging with autoPaginate: false gives 3 pages of 10, 10, 5', async () => {
        const sizes = [];
        const names = [];
        const tokens = [];
        let request = { parent: parent(), pageSize: 10 };
        while (request) {
          const [page, nextRequest, raw] = await client.listConversations(request, { autoPaginate: false });
          sizes.push(page.length);
          names.push(...page.map((c) => c.name));
          tokens.push(raw.nextPageToken);
          if (nextRequest) {
            assert.equal(nextRequest.pageToken, raw.nextPageToken);
            assert.ok(raw.nextPageToken, 'a further page needs a non-empty nextPageToken');
          }
          request = nextRequest;
          assert.ok(sizes.length <= 10, 'paging does not terminate');
        }
        assert.deepEqual(sizes, [10, 10, 5]);
        assert.equal(tokens[tokens.length - 1], '', 'last page must have an empty nextPageToken');
        assert.deepEqual([...names].sort(), [...all].sort());
        assert.equal(new Set(names).size, N);
      });

      test('list with the FULL view includes transcripts', async () => {
        const [page] = await client.listConversations(
          { parent: parent(), pageSize: 5, view: 'FULL', filter: 'labels.idx="7"' },
          { autoPaginate: false },
        );
        assert.equal(page.length, 1);
        assert.equal(page[0].transcript.transcriptSegments.length, turns(7));
      });

      test('filter on a label', async () => {
        const want = all.filter((_, i) => team(i) === 'billing').sort();
        const got = [];
        for await (const c of client.listConversationsAsync({ parent: parent(), pageSize: 4, filter: 'labels.team="billing"' })) {
          got.push(c.name);
        }
        assert.equal(want.length, 9);
        assert.deepEqual(got.sort(), want);
      });

      test('filter on medium, and on medium AND label', async () => {
        const [chats] = await client.listConversations({ parent: parent(), filter: 'medium=CHAT', pageSize: 100 });
        assert.deepEqual(chats.map((c) => c.name).sort(), all.filter((_, i) => medium(i) === 'CHAT').sort());
        assert.ok(chats.every((c) => c.medium === 'CHAT'));

        const [both] = await client.listConversations({
          parent: parent(),
          filter: 'labels.team="billing" AND medium=CHAT',
          pageSize: 100,
        });
        assert.deepEqual(
          both.map((c) => c.name).sort(),
          all.filter((_, i) => team(i) === 'billing' && medium(i) === 'CHAT').sort(),
        );
        assert.equal(both.length, 5);

        const [agents] = await client.listConversations({ parent: parent(), filter: 'agent_id="agent-3"', pageSize: 100 });
        assert.deepEqual(agents.map((c) => c.name).sort(), all.filter((_, i) => i % 5 === 3).sort());
      });

      test('orderBy create_time desc and turn_count', async () => {
        const newestFirst = [];
        for await (const c of client.listConversationsAsync({ parent: parent(), pageSize: 7, orderBy: 'create_time desc' })) {
          newestFirst.push(c.name);
        }
        assert.deepEqual(newestFirst, [...all].reverse(), 'create_time desc must list newest first, across pages');

        const oldestFirst = [];
        for await (const c of client.listConversationsAsync({ parent: parent(), pageSize: 6, orderBy: 'create_time' })) {
          oldestFirst.push(c.name);
        }
        assert.deepEqual(oldestFirst, all);

        const byTurns = [];
        for await (const c of client.listConversationsAsync({
          parent: parent(),
          pageSize: 4,
          orderBy: 'turn_count desc',
          filter: 'medium=PHONE_CALL',
        })) {
          byTurns.push(c);
        }
        assert.equal(byTurns.length, 12);
        const counts = byTurns.map((c) => c.turnCount);
        assert.deepEqual(counts, [...counts].sort((a, b) => b - a), `turn counts not descending: ${counts}`);
        assert.equal(new Set(byTurns.map((c) => c.name)).size, 12);
      });

      test('a pageToken only works with the query it came from', async () => {
        const [, next] = await client.listConversations({ parent: parent(), pageSize: 10 }, { autoPaginate: false });
        assert.ok(next && next.pageToken);
        const err = await rejection(
          client.listConversations({ parent: parent(), pageSize: 10, filter: 'medium=CHAT', pageToken: next.pageToken }),
        );
        assertGoogleError(err, 3, 'pageToken reused with a different filter');
      });

      test('projects are isolated', async () => {
        const [other] = await client.listConversations({ parent: client.locationPath('compat-empty', LOCATION) });
        assert.deepEqual(other, []);
        assertGoogleError(
          await rejection(client.getConversation({ name: client.projectLocationConversationsPath('compat-empty', LOCATION, id(0)) })),
          5,
          'get across projects',
        );
      });
    });
    // -----------------------------------------------------------------------
    describe('analyses and long-running operations', () => {
      const project = 'compat-analyses';
      const parent = () => client.locationPath(project, LOCATION);
      const convId = 'compat-analysed';
      before(async () => {
        await client.createConversation({
          parent: parent(),
          conversationId: convId,
          conversation: {
            medium: 'CHAT',
            transcript: {
              transcriptSegments: [
                { text: 'Hello, thanks for contacting Acme Bank.', channelTag: 2, segmentParticipant: { role: 'HUMAN_AGENT' } },
                { text: 'My card was charged twice and I am upset!', channelTag: 1, segmentParticipant: { role: 'END_USER' } },
                { text: 'I am sorry. I have refunded the duplicate charge.', channelTag: 2, segmentParticipant: { role: 'HUMAN_AGENT' } },
              ],
            },
          },
        });
      });

      test('createAnalysis returns an operation whose promise resolves to the Analysis', async () => {
        const conversation = client.projectLocationConversationsPath(project, LOCATION, convId);
        const [operation] = await client.createAnalysis({ parent: conversation, analysis: {} });
        assert.match(operation.name, /^projects\/[^/]+\/locations\/[^/]+\/operations\/\d+$/);
        const [analysis, metadata] = await operation.promise();
        assert.match(analysis.name, new RegExp(`^${conversation}/analyses/\\d+$`));
        assert.equal(metadata.conversation, conversation);
        assert.ok(metadata.createTime && metadata.endTime, 'metadata has its times');
        const meta = analysis.analysisResult.callAnalysisMetadata;
        assert.equal(meta.sentiments.length, 2);
        const customer = meta.sentiments.find((s) => s.channelTag === 1);
        assert.ok(customer.sentimentData.score < 0, `customer sentiment ${customer.sentimentData.score}`);
        assert.ok(Object.keys(meta.entities).length >= 1, 'entities found');
        // The analysis is readable, listed, and the conversation points at it.
        const [got] = await client.getAnalysis({ name: analysis.name });
        assert.equal(got.name, analysis.name);
        const [listed] = await client.listAnalyses({ parent: conversation });
        assert.deepEqual(listed.map((a) => a.name), [analysis.name]);
        const [conv] = await client.getConversation({ name: conversation });
        assert.equal(conv.latestAnalysis.name, analysis.name);
        assert.match(conv.latestSummary.text, /charged twice/);
      });

      test('checkCreateAnalysisProgress and operations get/list go through the operations client', async () => {
        const conversation = client.projectLocationConversationsPath(project, LOCATION, convId);
        const [operation] = await client.createAnalysis({
          parent: conversation,
          analysis: { annotatorSelector: { runSentimentAnnotator: true } },
        });
        const [analysis] = await operation.promise();
        assert.deepEqual(Object.keys(analysis.analysisResult.callAnalysisMetadata.entities), []);
        const checked = await client.checkCreateAnalysisProgress(operation.name);
        assert.equal(checked.done, true);
        const [op] = await client.operationsClient.getOperation({ name: operation.name });
        assert.equal(op.name, operation.name);
        assert.equal(op.done, true);
        await client.operationsClient.cancelOperation({ name: operation.name });
        const [again] = await client.operationsClient.getOperation({ name: operation.name });
        assert.equal(again.done, true);
        assert.ok(!again.error, 'a finished operation is not cancelled');
      });

      test('deleteAnalysis, and deleteConversation needs force while analyses exist', async () => {
        const conversation = client.projectLocationConversationsPath(project, LOCATION, convId);
        const err = await rejection(client.deleteConversation({ name: conversation }));
        assertGoogleError(err, 9, 'delete with analyses');
        const [listed] = await client.listAnalyses({ parent: conversation });
        for (const a of listed) await client.deleteAnalysis({ name: a.name });
        const [none] = await client.listAnalyses({ parent: conversation });
        assert.deepEqual(none, []);
        await client.deleteConversation({ name: conversation });
      });

      test('bulkAnalyzeConversations reports its counts', async () => {
        for (const conversationId of ['bulk-chat-1', 'bulk-chat-2']) {
          await client.createConversation({
            parent: parent(),
            conversationId,
            conversation: { medium: 'CHAT', transcript: { transcriptSegments: [{ text: 'I need a refund please.' }] } },
          });
        }
        const [operation] = await client.bulkAnalyzeConversations({
          parent: parent(),
          filter: 'medium="CHAT"',
          analysisPercentage: 100,
        });
        const [response, metadata] = await operation.promise();
        assert.equal(response.successfulAnalysisCount, 2);
        assert.equal(response.successfulAnalysisCount, metadata.completedAnalysesCount);
        assert.equal(metadata.totalRequestedAnalysesCount, metadata.completedAnalysesCount);
      });
    });

    // -----------------------------------------------------------------------
    describe('phrase matchers', () => {
      const project = 'compat-phrases';
      const parent = () => client.locationPath(project, LOCATION);
      let matcherName;
      let firstRevision;

      const matcher = {
        displayName: 'Refund requests',
        type: 'ANY_OF',
        active: true,
        roleMatch: 'END_USER',
        phraseMatchRuleGroups: [
          {
            type: 'ANY_OF',
            phraseMatchRules: [
              { query: 'refund' },
              { query: 'Money Back', config: { exactMatchConfig: { caseSensitive: true } } },
            ],
          },
          { type: 'ALL_OF', phraseMatchRules: [{ query: 'charged twice' }, { query: 'happy', negated: true }] },
        ],
      };

      function assertMatcher(m) {
        assert.match(m.name, new RegExp(`^projects/${project}/locations/${LOCATION}/phraseMatchers/[0-9]{19}$`));
        assert.equal(m.displayName, 'Refund requests');
        assert.equal(m.type, 'ANY_OF');
        assert.equal(m.active, true);
        assert.equal(m.roleMatch, 'END_USER');
        assert.equal(m.phraseMatchRuleGroups.length, 2);
        const [g0, g1] = m.phraseMatchRuleGroups;
        assert.equal(g0.type, 'ANY_OF');
        assert.deepEqual(g0.phraseMatchRules.map((r) => r.query), ['refund', 'Money Back']);
        assert.equal(g0.phraseMatchRules[1].config.exactMatchConfig.caseSensitive, true);
        assert.equal(g1.type, 'ALL_OF');
        assert.deepEqual(g1.phraseMatchRules.map((r) => [r.query, r.negated]), [['charged twice', false], ['happy', true]]);
        assert.match(m.revisionId, /^[0-9]{8}$/);
        assert.equal(m.versionTag, m.revisionId, 'versionTag defaults to the revisionId');
        assert.ok(seconds(m.revisionCreateTime) > 1700000000, `revisionCreateTime: ${JSON.stringify(m.revisionCreateTime)}`);
        assert.ok(seconds(m.updateTime) >= seconds(m.revisionCreateTime));
        assert.ok(m.activationUpdateTime, 'an active matcher has an activationUpdateTime');
      }

      test('createPhraseMatcher returns the matcher with a server-assigned id and revision', async () => {
        const [created] = await client.createPhraseMatcher({ parent: parent(), phraseMatcher: matcher });
        assertMatcher(created);
        matcherName = created.name;
        firstRevision = created.revisionId;
      });

      test('getPhraseMatcher returns the stored matcher', async () => {
        const [got] = await client.getPhraseMatcher({ name: matcherName });
        assertMatcher(got);
        assert.equal(got.revisionId, firstRevision);
      });

      test('an invalid matcher fails with INVALID_ARGUMENT (3) and is not stored', async () => {
        assertGoogleError(
          await rejection(
            client.createPhraseMatcher({
              parent: parent(),
              phraseMatcher: { type: 'ALL_OF', phraseMatchRuleGroups: [{ type: 'ALL_OF', phraseMatchRules: [{ query: '' }] }] },
            }),
          ),
          3,
          'empty query',
        );
        assertGoogleError(
          await rejection(
            client.createPhraseMatcher({
              parent: parent(),
              phraseMatcher: { phraseMatchRuleGroups: [{ type: 'ALL_OF', phraseMatchRules: [{ query: 'x' }] }] },
            }),
          ),
          3,
          'missing type',
        );
        const [all] = await client.listPhraseMatchers({ parent: parent() });
        assert.deepEqual(all.map((m) => m.name), [matcherName]);
      });

      test('listPhraseMatchersAsync pages through every matcher; filter narrows the list', async () => {
        const created = [matcherName];
        for (let i = 0; i < 4; i++) {
          const [m] = await client.createPhraseMatcher({
            parent: parent(),
            phraseMatcher: {
              displayName: `extra-${i}`,
              type: 'ALL_OF',
              phraseMatchRuleGroups: [{ type: 'ANY_OF', phraseMatchRules: [{ query: `word${i}` }] }],
            },
          });
          created.push(m.name);
        }
        const seen = [];
        for await (const m of client.listPhraseMatchersAsync({ parent: parent(), pageSize: 2 })) seen.push(m.name);
        assert.deepEqual([...seen].sort(), [...created].sort());
        assert.equal(new Set(seen).size, 5);

        const [, next] = await client.listPhraseMatchers({ parent: parent(), pageSize: 2 }, { autoPaginate: false });
        assert.ok(next && next.pageToken, 'a first page of 2 of 5 has a next page token');

        const [allOf] = await client.listPhraseMatchers({ parent: parent(), filter: 'type=ALL_OF' });
        assert.deepEqual(allOf.map((m) => m.displayName).sort(), ['extra-0', 'extra-1', 'extra-2', 'extra-3']);
        assertGoogleError(
          await rejection(client.listPhraseMatchers({ parent: parent(), filter: 'query="refund"' })),
          3,
          'filter on an unknown field',
        );
      });

      test('updatePhraseMatcher changes the fields in updateMask and makes a new revision', async () => {
        const [updated] = await client.updatePhraseMatcher({
          phraseMatcher: { name: matcherName, displayName: 'Refunds', active: false, type: 'ALL_OF' },
          updateMask: { paths: ['display_name'] },
        });
        assert.equal(updated.name, matcherName);
        assert.equal(updated.displayName, 'Refunds');
        assert.equal(updated.type, 'ANY_OF', 'type is not in the mask');
        assert.equal(updated.active, true, 'active is not in the mask');
        assert.notEqual(updated.revisionId, firstRevision);
        assert.equal(updated.versionTag, updated.revisionId);

        const [deactivated] = await client.updatePhraseMatcher({
          phraseMatcher: { name: matcherName, active: false },
          updateMask: { paths: ['active'] },
        });
        assert.equal(deactivated.active, false);
        assert.equal(deactivated.revisionId, updated.revisionId, 'changing only `active` keeps the revision');
        assert.ok(seconds(deactivated.activationUpdateTime) >= seconds(updated.activationUpdateTime));

        const [got] = await client.getPhraseMatcher({ name: matcherName });
        assert.equal(got.displayName, 'Refunds');
        assert.equal(got.active, false);

        assertGoogleError(
          await rejection(
            client.updatePhraseMatcher({
              phraseMatcher: { name: matcherName, phraseMatchRuleGroups: [] },
              updateMask: { paths: ['phrase_match_rule_groups'] },
            }),
          ),
          3,
          'update to no rule groups',
        );
      });

      test('deletePhraseMatcher, then getPhraseMatcher fails with NOT_FOUND (5)', async () => {
        await client.deletePhraseMatcher({ name: matcherName });
        assertGoogleError(await rejection(client.getPhraseMatcher({ name: matcherName })), 5, 'get after delete');
        assertGoogleError(await rejection(client.deletePhraseMatcher({ name: matcherName })), 5, 'delete twice');
        const [left] = await client.listPhraseMatchers({ parent: parent() });
        assert.equal(left.length, 4);
      });
    });

    // -----------------------------------------------------------------------
    describe('settings', () => {
      const project = 'compat-settings';
      const name = () => client.settingsPath(project, LOCATION);

      test('getSettings of a fresh project returns the defaults', async () => {
        const [s] = await client.getSettings({ name: name() });
        assert.equal(s.name, name());
        assert.equal(s.createTime, null);
        assert.equal(s.redactionConfig, null);
        assert.equal(s.analysisConfig, null);
      });

      test('updateSettings changes the fields in updateMask; getSettings returns them', async () => {
        const [s] = await client.updateSettings({
          settings: {
            name: name(),
            languageCode: 'en-GB',
            conversationTtl: { seconds: 86400 },
            pubsubNotificationSettings: { 'create-conversation': `projects/${project}/topics/conv` },
            analysisConfig: {
              runtimeIntegrationAnalysisPercentage: 12.5,
              uploadConversationAnalysisPercentage: 50,
              annotatorSelector: { runSentimentAnnotator: true },
            },
            redactionConfig: { deidentifyTemplate: `projects/${project}/locations/${LOCATION}/deidentifyTemplates/t` },
            speechConfig: { speechRecognizer: `projects/${project}/locations/${LOCATION}/recognizers/r` },
          },
          updateMask: {
            paths: ['language_code', 'conversation_ttl', 'pubsub_notification_settings', 'analysis_config', 'redaction_config', 'speech_config'],
          },
        });
        const check = (x) => {
          assert.equal(x.name, name());
          assert.equal(x.languageCode, 'en-GB');
          assert.equal(Number(x.conversationTtl.seconds), 86400);
          assert.deepEqual({ ...x.pubsubNotificationSettings }, { 'create-conversation': `projects/${project}/topics/conv` });
          assert.equal(x.analysisConfig.runtimeIntegrationAnalysisPercentage, 12.5);
          assert.equal(x.analysisConfig.uploadConversationAnalysisPercentage, 50);
          assert.equal(x.analysisConfig.annotatorSelector.runSentimentAnnotator, true);
          assert.equal(x.analysisConfig.annotatorSelector.runEntityAnnotator, false);
          assert.equal(x.redactionConfig.deidentifyTemplate, `projects/${project}/locations/${LOCATION}/deidentifyTemplates/t`);
          assert.equal(x.speechConfig.speechRecognizer, `projects/${project}/locations/${LOCATION}/recognizers/r`);
          assert.ok(seconds(x.createTime) > 1700000000);
          assert.ok(seconds(x.updateTime) >= seconds(x.createTime));
        };
        check(s);
        const [got] = await client.getSettings({ name: name() });
        check(got);

        const [changed] = await client.updateSettings({
          settings: { name: name(), languageCode: 'de-DE', speechConfig: null },
          updateMask: { paths: ['language_code'] },
        });
        assert.equal(changed.languageCode, 'de-DE');
        assert.equal(changed.analysisConfig.uploadConversationAnalysisPercentage, 50, 'fields outside the mask are kept');
      });

      test('an invalid update fails with INVALID_ARGUMENT (3) and changes nothing', async () => {
        assertGoogleError(
          await rejection(
            client.updateSettings({
              settings: { name: name(), analysisConfig: { uploadConversationAnalysisPercentage: 150 } },
              updateMask: { paths: ['analysis_config'] },
            }),
          ),
          3,
          'percentage over 100',
        );
        const [got] = await client.getSettings({ name: name() });
        assert.equal(got.analysisConfig.uploadConversationAnalysisPercentage, 50);
      });
    });
  });
}
