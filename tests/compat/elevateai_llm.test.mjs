// Generative AI through an OpenAI-compatible chat completions server: a small
// fake one here stands for llama.cpp / vLLM / Ollama. What parley sends
// (model, bearer key, a JSON-schema response_format, the transcript), what
// it makes of the reply, the local fallback when the server fails, 408 when
// it is too slow, and 429 past 10 generative requests at once per account.
// The same backend answers CES runSession turns (the app's globalInstruction
// as the system prompt), with the local agent's reply when it fails, and
// writes the Insights analysis summary and the Dialogflow conversation
// summary, with the local summary when it fails or times out.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { findParleyBinary, startServer } from './harness.mjs';

const found = findParleyBinary('elevateai_llm.test.mjs');

// The fake LLM: `mode` decides each reply; every request is recorded.
const fake = { mode: 'ok', requests: [], held: [] };
function replyFor(body) {
  if (!body.response_format) {  // a free-text chat turn (CES runSession)
    const user = body.messages.find((m) => m.role === 'user')?.content ?? '';
    return { id: 'x', object: 'chat.completion', model: body.model,
             choices: [{ index: 0, message: { role: 'assistant', content: `  LLM REPLY to: ${user}\n` }, finish_reason: 'stop' }] };
  }
  const name = body.response_format?.json_schema?.name;
  const content = {
    summary: { summary: 'LLM SUMMARY' },
    summary_details: { reasons: ['LLM REASON'], actionsTakenByAgent: ['LLM ACTION'], entities: [{ type: 'price', value: '$10' }], isResolved: true },
    answer: { answer: 'LLM ANSWER' },
    topics: { topics: ['billing'] },
  }[name] ?? {};
  return { id: 'x', object: 'chat.completion', model: body.model,
           choices: [{ index: 0, message: { role: 'assistant', content: JSON.stringify(content) }, finish_reason: 'stop' }] };
}
const llm = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    fake.requests.push({ url: req.url, auth: req.headers.authorization, body });
    const send = () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(replyFor(body)));
    };
    if (fake.mode === 'fail') {
      res.writeHead(500);
      res.end('boom');
    } else if (fake.mode === 'slow') {
      setTimeout(send, 3000);
    } else if (fake.mode === 'hold') {
      fake.held.push(send);
    } else {
      send();
    }
  });
});

let server, dir, base;
before(async () => {
  if (found.error) return;
  await new Promise((r) => llm.listen(0, '127.0.0.1', r));
  dir = mkdtempSync(path.join(os.tmpdir(), 'parley-llm-'));
  writeFileSync(path.join(dir, 'llm.key'), 'sk-test-123\n');
  server = await startServer(found.bin, path.join(dir, 'data'), [
    '--llm-endpoint', `http://127.0.0.1:${llm.address().port}/v1`, '--llm-model', 'test-model',
    '--llm-key-file', path.join(dir, 'llm.key'), '--llm-timeout-ms', '1500', '--llm-attempts', '2']);
  base = `http://127.0.0.1:${server.port}/v1/interactions`;
});
after(async () => {
  if (server) await server.stop();
  llm.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function call(method, url, body) {
  const r = await fetch(url, { method, headers: { 'content-type': 'application/json', 'x-api-token': 'dev' },
                              body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, json: await r.json() };
}

async function declareChat() {
  const r = await call('POST', base, {
    type: 'chat', languageTag: 'en-us',
    chat: { participants: [{ participantId: 'a', role: 'agent' }, { participantId: 'c', role: 'customer' }],
            messages: [{ participantId: 'c', message: 'My invoice shows a late fee of $10 that I did not expect.' },
                       { participantId: 'a', message: 'I have removed the late fee from your invoice.' }] } });
  assert.equal(r.status, 201);
  return r.json.interactionIdentifier;
}

test('summary and details come from the LLM, asked with a JSON schema', { skip: found.error }, async () => {
  fake.mode = 'ok';
  fake.requests = [];
  const id = await declareChat();
  const s = await call('GET', `${base}/${id}/gen-ai/cx/summary`);
  assert.deepEqual(s, { status: 200, json: { summary: 'LLM SUMMARY' } });
  const [req] = fake.requests;
  assert.equal(req.url, '/v1/chat/completions');
  assert.equal(req.auth, 'Bearer sk-test-123');
  assert.equal(req.body.model, 'test-model');
  assert.equal(req.body.response_format.type, 'json_schema');
  assert.deepEqual(req.body.response_format.json_schema.schema.required, ['summary']);
  assert.match(req.body.messages[1].content, /Customer: My invoice shows a late fee/);
  assert.match(req.body.messages[1].content, /Agent: I have removed the late fee/);
  const d = await call('GET', `${base}/${id}/gen-ai/cx/summary/details`);
  assert.deepEqual(d.json, { reasons: ['LLM REASON'], actionsTakenByAgent: ['LLM ACTION'],
                             entities: [{ type: 'price', value: '$10' }], isResolved: true });
  const a = await call('POST', `${base}/${id}/gen-ai/ask`, { question: 'What was removed?' });
  assert.equal(a.status, 200);
  assert.equal(a.json.answer, 'LLM ANSWER');
});

test('a failing server: retried, then the local answer', { skip: found.error }, async () => {
  const id = await declareChat();
  fake.mode = 'fail';
  fake.requests = [];
  const s = await call('GET', `${base}/${id}/gen-ai/cx/agent/action-items`);
  assert.equal(s.status, 200);
  assert.deepEqual(s.json, { actionItems: ['I have removed the late fee from your invoice.'] });
  assert.equal(fake.requests.length, 2, 'two attempts (--llm-attempts 2)');
});

test('a server slower than --llm-timeout-ms: 408 RequestTimeout', { skip: found.error }, async () => {
  const id = await declareChat();
  fake.mode = 'slow';
  const s = await call('GET', `${base}/${id}/gen-ai/topics`);
  assert.equal(s.status, 408);
  assert.equal(s.json.title, 'RequestTimeout');
  // A timed-out question is kept as failed.
  const q = await call('POST', `${base}/${id}/gen-ai/cx/ask`, { question: 'Why the fee?' });
  assert.equal(q.status, 408);
  fake.mode = 'ok';
  const h = await call('GET', `${base}/${id}/gen-ai/cx/ask`);
  assert.equal(h.json.questionsAndAnswers.length, 1);
  assert.equal(h.json.questionsAndAnswers[0].isSuccessful, false);
});

test('more than 10 generative requests at once for one account: 429', { skip: found.error }, async () => {
  const id = await declareChat();
  fake.mode = 'hold';
  fake.held = [];
  const ten = Array.from({ length: 10 }, () => call('GET', `${base}/${id}/gen-ai/summary`));
  for (let i = 0; i < 200 && fake.held.length < 10; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(fake.held.length, 10);
  const eleventh = await call('GET', `${base}/${id}/gen-ai/cx/topics`);
  assert.equal(eleventh.status, 429);
  assert.equal(eleventh.json.title, 'TooManyRequests');
  fake.mode = 'ok';
  for (const send of fake.held) send();
  const results = await Promise.all(ten);
  assert.deepEqual(results.map((r) => r.status), Array(10).fill(200));
  // The slots are free again.
  assert.equal((await call('GET', `${base}/${id}/gen-ai/cx/topics`)).status, 200);
});

test('CES runSession: the reply comes from the LLM with the app\'s instruction; the local one when it fails', { skip: found.error }, async () => {
  const root = `http://127.0.0.1:${server.port}/v1/projects/p1/locations/us`;
  const app = await call('POST', `${root}/apps?appId=llmshop`, {
    displayName: 'LLM shop', rootAgent: `projects/p1/locations/us/apps/llmshop/agents/root`,
    globalInstruction: 'Always mention the shop is called Parley Goods.' });
  assert.equal(app.status, 200, JSON.stringify(app.json));
  fake.mode = 'ok';
  fake.requests = [];
  const turn = await call('POST', `${root}/apps/llmshop/sessions/s-llm:runSession`,
                          { config: {}, inputs: [{ text: 'do you sell umbrellas' }] });
  assert.equal(turn.status, 200, JSON.stringify(turn.json));
  assert.equal(turn.json.outputs[0].text, 'LLM REPLY to: do you sell umbrellas');
  assert.equal(fake.requests.length, 1);
  const sent = fake.requests[0].body;
  assert.equal(sent.model, 'test-model');
  assert.equal(fake.requests[0].auth, 'Bearer sk-test-123');
  assert.match(sent.messages.find((m) => m.role === 'system').content, /Parley Goods/);
  const spans = turn.json.outputs[0].diagnosticInfo.rootSpan.childSpans.map((c) => c.name);
  assert.ok(spans.includes('generation'), `spans: ${spans}`);
  // Stored as the agent's message of the turn.
  const conv = await call('GET', `${root}/apps/llmshop/conversations/s-llm`);
  assert.equal(conv.status, 200);
  assert.deepEqual(conv.json.turns[0].messages.map((m) => m.chunks[0].text),
                   ['do you sell umbrellas', 'LLM REPLY to: do you sell umbrellas']);
  // The LLM failing does not fail the turn: the local agent's (empty: no
  // intents here) reply stands, and the turn is stored.
  fake.mode = 'fail';
  const second = await call('POST', `${root}/apps/llmshop/sessions/s-llm:runSession`,
                            { config: {}, inputs: [{ text: 'and raincoats' }] });
  fake.mode = 'ok';
  assert.equal(second.status, 200, JSON.stringify(second.json));
  assert.notEqual(second.json.outputs[0].text ?? '', 'LLM REPLY to: and raincoats');
  assert.equal(second.json.outputs[0].turnIndex, 2);
});

// An Insights conversation analysed with the summarization annotator: its
// latestSummary, once the analysis operation is done.
async function insightsSummary(root, id) {
  const created = await call('POST', `${root}/conversations?conversationId=${id}`, {
    medium: 'CHAT',
    transcript: { transcriptSegments: [
      { text: 'My invoice shows a late fee of $10 that I did not expect.', segmentParticipant: { role: 'END_USER' } },
      { text: 'I have removed the late fee from your invoice.', segmentParticipant: { role: 'HUMAN_AGENT' } }] } });
  assert.equal(created.status, 200, JSON.stringify(created.json));
  const op = await call('POST', `${root}/conversations/${id}/analyses`,
                        { annotatorSelector: { runSummarizationAnnotator: true } });
  assert.equal(op.status, 200, JSON.stringify(op.json));
  let done;
  for (let i = 0; i < 300 && !done?.json.done; i++) {
    done = await call('GET', `http://127.0.0.1:${server.port}/v1/${op.json.name}`);
    if (!done.json.done) await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(done.json.done, true, JSON.stringify(done.json));
  const c = await call('GET', `${root}/conversations/${id}`);
  assert.equal(c.status, 200);
  return c.json.latestSummary;
}

test('Insights analysis summary: from the LLM; the local one when it fails or times out', { skip: found.error }, async () => {
  const root = `http://127.0.0.1:${server.port}/v1/projects/p1/locations/us-central1`;
  fake.mode = 'ok';
  fake.requests = [];
  const llmSummary = await insightsSummary(root, 'sum-llm');
  assert.equal(llmSummary.text, 'LLM SUMMARY');
  assert.equal(llmSummary.metadata.model, 'llm:test-model');
  assert.equal(fake.requests.length, 1);
  assert.equal(fake.requests[0].body.response_format.json_schema.name, 'summary');
  assert.match(fake.requests[0].body.messages[1].content, /Customer: My invoice shows a late fee/);
  for (const mode of ['fail', 'slow']) {
    fake.mode = mode;
    const local = await insightsSummary(root, `sum-${mode}`);
    assert.notEqual(local.text, 'LLM SUMMARY');
    assert.match(local.text, /late fee/);
    assert.equal(local.metadata.model, 'parley-extractive');
  }
  fake.mode = 'ok';
});

test('Dialogflow suggestConversationSummary: from the LLM; the local one when it fails', { skip: found.error }, async () => {
  const root = `http://127.0.0.1:${server.port}/v2/projects/p1/locations/global`;
  const conv = `${root}/conversations/sum-df`;
  const profile = await call('POST', `${root}/conversationProfiles`, {
    displayName: 'assist', languageCode: 'en-US',
    humanAgentAssistantConfig: { humanAgentSuggestionConfig: { featureConfigs: [
      { suggestionFeature: { type: 'CONVERSATION_SUMMARIZATION' } }] } } });
  assert.equal(profile.status, 200, JSON.stringify(profile.json));
  const created = await call('POST', `${root}/conversations?conversationId=sum-df`,
                             { conversationProfile: profile.json.name });
  assert.equal(created.status, 200, JSON.stringify(created.json));
  const user = await call('POST', `${conv}/participants`, { role: 'END_USER' });
  const agent = await call('POST', `${conv}/participants`, { role: 'HUMAN_AGENT' });
  const batch = await call('POST', `${conv}/messages:batchCreate`, { requests: [
    { message: { participant: user.json.name, content: 'I was charged twice for my internet bill.', sendTime: '2024-05-01T10:00:00Z' } },
    { message: { participant: agent.json.name, content: 'I have refunded the duplicate charge.', sendTime: '2024-05-01T10:00:20Z' } }] });
  assert.equal(batch.status, 200, JSON.stringify(batch.json));
  fake.mode = 'ok';
  fake.requests = [];
  const s = await call('POST', `${conv}/suggestions:suggestConversationSummary`, {});
  assert.equal(s.status, 200, JSON.stringify(s.json));
  assert.equal(s.json.summary.text, 'LLM SUMMARY');
  assert.equal(s.json.summary.baselineModelVersion, 'llm:test-model');
  assert.equal(fake.requests.length, 1);
  fake.mode = 'fail';
  const local = await call('POST', `${conv}/suggestions:suggestConversationSummary`, {});
  fake.mode = 'ok';
  assert.equal(local.status, 200);
  assert.match(local.json.summary.text, /charged twice/);
  assert.equal(local.json.summary.baselineModelVersion, 'parley-extractive-1');
});
