// The web UI (/ui/) in a real headless Chromium (Debian's `chromium`, driven
// by puppeteer-core) against a live `parley serve` with authentication on:
// type the key, filter and page the list, open a conversation, analyse it and
// see the operation finish and the sentiment chart and the intents with their
// confidence, search transcripts for text, see an API error as the API
// returned it, the dashboard with sentiment and top intents; times the
// 500-turn conversation page.
// Screenshots go to $UI_SCREENSHOT_DIR (ctest: build/ui-screenshots).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import puppeteer from 'puppeteer-core';
import { intentTrainingCsv } from '../cli/intent_training.mjs';
import { findParleyBinary, startServer } from './harness.mjs';
import { storeArgs } from '../store/pg_store.mjs';

const found = findParleyBinary('ui.test.mjs');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = process.env.UI_SCREENSHOT_DIR || path.resolve('build', 'ui-screenshots');

let dataDir, server, base, key, browser, page;

async function call(method, p, body) {
  const res = await fetch(`${base}${p}`, {
    method,
    headers: { 'x-goog-api-key': key, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  assert.ok(res.ok, `${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const L = '/v1/projects/acme/locations/us';
const t = (s) => new Date(Date.parse('2024-05-01T10:00:00Z') + s * 1000).toISOString();
const seg = (role, text, s) => ({ text, messageTime: t(s), segmentParticipant: { role, userId: role === 'END_USER' ? 'c-1' : 'agent' } });

async function createConversation(id, extra, segments) {
  return call('POST', `${L}/conversations?conversationId=${id}`, {
    languageCode: 'en-US', startTime: t(0), ...extra, transcript: { transcriptSegments: segments },
  });
}

async function analyzeViaApi(id) {
  let op = await call('POST', `${L}/conversations/${id}/analyses`, {});
  while (!op.done) {
    await new Promise((r) => setTimeout(r, 100));
    op = await call('GET', `/v1/${op.name}`);
  }
  assert.equal(op.error, undefined, JSON.stringify(op.error));
}

before(async () => {
  if (found.error) throw new Error(found.error);
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run scripts/install-deps.sh --with-test-clients (Debian's chromium)`);
  }
  mkdirSync(SHOTS, { recursive: true });
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'parley-ui-'));
  // The key goes into the store the server will use (PostgreSQL under the
  // compat-pg/ entry, whose store is named by storeArgs).
  const store = storeArgs(dataDir);
  const out = execFileSync(found.bin, ['keys', 'create', ...(store.length > 0 ? store : ['--data-dir', dataDir]),
    '--tenant', 'acme', '--role', 'admin'], { encoding: 'utf8' });
  key = out.trim().split('\n').pop().trim();
  assert.match(key, /^prly_/);
  // A small intent model for the tenant, so that analyses report intents
  // (with their confidence) for the conversation page and the dashboard.
  const model = path.join(dataDir, 'intents.model');
  writeFileSync(path.join(dataDir, 'train.csv'), intentTrainingCsv());
  execFileSync(found.bin, ['intents', 'train', '--examples', path.join(dataDir, 'train.csv'), '--model', model]);
  server = await startServer(found.bin, dataDir, ['--intent-model', `acme=${model}`, '--intent-threshold', '0.3']);
  base = `http://127.0.0.1:${server.port}`;

  await call('POST', `${L}/phraseMatchers`, {
    displayName: 'Refund', type: 'ANY_OF', active: true,
    phraseMatchRuleGroups: [{ type: 'ANY_OF', phraseMatchRules: [{ query: 'refund' }] }],
  });
  await createConversation('chat-billing', { medium: 'CHAT', agentId: 'agent-7', labels: { queue: 'billing' } }, [
    seg('END_USER', 'Hi, my card was charged twice. This is terrible and I am angry.', 5),
    seg('HUMAN_AGENT', 'Sorry about that, let me check.', 20),
    seg('END_USER', 'Please send the refund to jane.doe@example.com', 40),
    seg('HUMAN_AGENT', 'Done, the refund is on its way. Thank you for your patience!', 60),
  ]);
  await createConversation('call-fraud', { medium: 'PHONE_CALL', agentId: 'agent-9', labels: { queue: 'fraud' } }, [
    seg('HUMAN_AGENT', 'Thank you for calling Acme Bank, how can I help?', 0),
    seg('END_USER', 'Someone used my card in Paris, I never went to France. I want a refund.', 4),
    seg('HUMAN_AGENT', 'I am sorry to hear that. I have blocked the card.', 30),
    seg('END_USER', 'Great, thanks a lot, that was quick.', 33),
  ]);
  // Uploaded with redaction: the stored text holds [EMAIL_ADDRESS], [PHONE_NUMBER].
  await call('POST', `${L}/conversations:upload`, {
    conversationId: 'chat-redacted',
    conversation: { medium: 'CHAT', agentId: 'agent-7', startTime: t(0), languageCode: 'en-US', labels: { queue: 'billing' },
      transcript: { transcriptSegments: [seg('END_USER', 'Write to jane.doe@example.com or call +1 415 555 0134 please.', 3)] } },
    redactionConfig: { deidentifyTemplate: 'projects/acme/locations/us/deidentifyTemplates/default' },
  });
  const big = [];
  for (let i = 0; i < 500; i++) {
    big.push(i % 2
      ? seg('HUMAN_AGENT', `I understand, let me look at order ${1000 + i} for you. It should arrive on Friday.`, i * 6)
      : seg('END_USER', i % 10 === 0 ? 'This is awful, the parcel is late again and I want a refund.' : 'Okay, thanks, that is helpful.', i * 6));
  }
  await createConversation('big-call', { medium: 'PHONE_CALL', agentId: 'agent-9', labels: { queue: 'shipping' } }, big);
  await analyzeViaApi('big-call');
  for (let i = 0; i < 24; i++) {
    await createConversation(`bulk-${String(i).padStart(2, '0')}`, { medium: 'CHAT', agentId: 'agent-1', labels: { queue: 'bulk' } },
      [seg('END_USER', 'Hello', 1), seg('HUMAN_AGENT', 'Hi', 2)]);
  }

  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') console.error(`page console: ${m.text()}`); });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const rowIds = () => page.$$eval('#rows tr[data-id]', (trs) => trs.map((tr) => tr.dataset.id));
async function waitRows(predicate) {
  try {
    await page.waitForFunction(predicate, { timeout: 10000 });
  } catch (e) {
    const state = await page.evaluate(() => ({ error: document.querySelector('#error')?.textContent,
      filter: document.querySelector('#filter-text')?.textContent, rows: document.querySelector('#rows')?.textContent.slice(0, 300) }));
    throw new Error(`${e.message}; page: ${JSON.stringify(state)}`);
  }
  return rowIds();
}

test('serves the embedded assets with their types and cache headers, without a key', async () => {
  const index = await fetch(`${base}/ui/`);
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-type'), /^text\/html/);
  assert.equal(index.headers.get('cache-control'), 'no-cache');
  assert.match(await index.text(), /<script src="app.js"/);
  const js = await fetch(`${base}/ui/app.js`);
  assert.match(js.headers.get('content-type'), /^text\/javascript/);
  const etag = js.headers.get('etag');
  assert.ok(etag);
  const again = await fetch(`${base}/ui/app.js`, { headers: { 'If-None-Match': etag } });
  assert.equal(again.status, 304);
  assert.match((await fetch(`${base}/ui/app.css`)).headers.get('content-type'), /^text\/css/);
  assert.equal((await fetch(`${base}/ui/nope.js`)).status, 404);
  const bare = await fetch(`${base}/ui`, { redirect: 'manual' });
  assert.equal(bare.status, 301);
  assert.equal(bare.headers.get('location'), '/ui/');
  // The API itself still needs the key.
  assert.equal((await fetch(`${base}${L}/conversations`)).status, 401);
  // The page's own origin may call the API (browsers send Origin on a
  // same-origin POST); another origin still may not.
  const headers = { 'x-goog-api-key': key, 'Content-Type': 'application/json' };
  const same = await fetch(`${base}${L}/conversations/chat-billing/analyses`, { method: 'POST', headers: { ...headers, Origin: base }, body: '{}' });
  assert.equal(same.status, 200, await same.text());
  const other = await fetch(`${base}${L}/conversations/chat-billing/analyses`, { method: 'POST', headers: { ...headers, Origin: 'http://evil.example' }, body: '{}' });
  assert.equal(other.status, 403);
});

test('key, list, paging and filters', async () => {
  await page.goto(`${base}/ui/`);
  await page.waitForSelector('#key-dialog[open]');
  await page.type('#key-input', key);
  await page.click('#key-save');
  // The scope: project acme, location us.
  await page.$eval('#project', (el) => { el.value = ''; });
  await page.type('#project', 'acme');
  await page.keyboard.press('Tab');  // leaving the field changes the scope
  let ids = await waitRows(() => document.querySelectorAll('#rows tr[data-id]').length === 25);
  assert.equal(ids.length, 25);
  assert.equal(await page.$eval('#next', (b) => b.disabled), false);
  await page.click('#next');
  ids = await waitRows(() => document.querySelector('#page-no').textContent === 'page 2' && document.querySelectorAll('#rows tr[data-id]').length > 0);
  assert.equal(ids.length, 28 - 25);
  assert.equal(await page.$eval('#next', (b) => b.disabled), true);
  await page.screenshot({ path: path.join(SHOTS, '1-list.png'), fullPage: true });

  await page.select('select[name=medium]', 'PHONE_CALL');
  await page.type('input[name=labels]', 'queue=fraud');
  await page.click('#apply');
  ids = await waitRows(() => document.querySelector('#filter-text').textContent.includes('fraud') && document.querySelectorAll('#rows tr[data-id]').length === 1);
  assert.deepEqual(ids, ['call-fraud']);
  assert.match(await page.$eval('#filter-text', (e) => e.textContent), /medium=PHONE_CALL AND labels\.queue="fraud"/);

  await page.$eval('input[name=labels]', (el) => { el.value = ''; });
  await page.select('select[name=medium]', '');
  await page.type('input[name=minTurns]', '100');
  await page.click('#apply');
  ids = await waitRows(() => document.querySelector('#filter-text').textContent.includes('turn_count>=100') && document.querySelectorAll('#rows tr[data-id]').length === 1);
  assert.deepEqual(ids, ['big-call']);
  await page.$eval('input[name=minTurns]', (el) => { el.value = ''; });
  await page.type('input[name=agent]', 'agent-7');
  await page.click('#apply');
  ids = await waitRows(() => document.querySelector('#filter-text').textContent.includes('agent-7') && document.querySelectorAll('#rows tr[data-id]').length === 2);
  assert.deepEqual(ids.sort(), ['chat-billing', 'chat-redacted']);
  // Dates: every conversation started on 2024-05-01 (big-call's start is too).
  await page.$eval('input[name=from]', (el) => { el.value = '2024-05-02'; });
  await page.click('#apply');
  await waitRows(() => document.querySelector('#filter-text').textContent.includes('start_time>="2024-05-02T00:00:00Z"') && document.querySelector('#rows').textContent.includes('No conversations match'));
  await page.$eval('input[name=from]', (el) => { el.value = '2024-05-01'; });
  await page.$eval('input[name=to]', (el) => { el.value = '2024-05-01'; });
  await page.click('#apply');
  ids = await waitRows(() => document.querySelector('#filter-text').textContent.includes('start_time<"2024-05-02T00:00:00.000Z"') && document.querySelectorAll('#rows tr[data-id]').length === 2);
  assert.deepEqual(ids.sort(), ['chat-billing', 'chat-redacted']);
  await page.screenshot({ path: path.join(SHOTS, '2-filtered.png'), fullPage: true });
});

test('text search over transcripts, within the filter, with marked snippets', async () => {
  const search = async (text, predicate) => {
    await page.$eval('input[name=text]', (el) => { el.value = ''; });
    await page.type('input[name=text]', text);
    await page.click('#apply');
    return waitRows(predicate);
  };
  await page.$eval('input[name=from]', (el) => { el.value = ''; });
  await page.$eval('input[name=to]', (el) => { el.value = ''; });
  await page.$eval('input[name=agent]', (el) => { el.value = ''; });
  let ids = await search('paris', () => document.querySelector('#filter-text').textContent.includes('text: paris') && document.querySelector('#search-status').textContent.includes('match'));
  assert.deepEqual(ids, ['call-fraud']);
  assert.match(await page.$eval('#rows tr[data-id="call-fraud"] .snippet', (e) => e.innerHTML), /used my card in <mark class="found">Paris<\/mark>/);
  assert.match(await page.$eval('#search-status', (e) => e.textContent), /^1 match in 28 conversations searched \(all that the filter matches\)/);
  // Every word is required, in any case; a 500-turn call is searched too.
  ids = await search('REFUND want', () => document.querySelector('#filter-text').textContent.includes('text: refund want') && document.querySelector('#search-status').textContent.includes('match'));
  assert.deepEqual(ids.sort(), ['big-call', 'call-fraud']);
  // The stored text is searched: a redacted address is not found.
  ids = await search('jane.doe', () => document.querySelector('#filter-text').textContent.includes('text: jane.doe') && document.querySelector('#search-status').textContent.includes('match'));
  assert.deepEqual(ids, ['chat-billing']);
  // Within the Insights filter: the search only reads what it matches.
  await page.type('input[name=labels]', 'queue=fraud');
  ids = await search('refund', () => document.querySelector('#filter-text').textContent.includes('fraud') && document.querySelector('#search-status').textContent.includes('match'));
  assert.deepEqual(ids, ['call-fraud']);
  assert.match(await page.$eval('#search-status', (e) => e.textContent), /^1 match in 1 conversations searched/);
  await page.screenshot({ path: path.join(SHOTS, '2b-search.png'), fullPage: true });
  await page.$eval('input[name=labels]', (el) => { el.value = ''; });
  await page.$eval('input[name=text]', (el) => { el.value = ''; });
  await page.click('#apply');
  await waitRows(() => document.querySelector('#search-status').textContent === '' && document.querySelectorAll('#rows tr[data-id]').length === 25);
});

test('a conversation: analyse, see the operation finish, the sentiment chart and intents with confidence', async () => {
  await page.$eval('input[name=agent]', (el) => { el.value = ''; });
  await page.$eval('input[name=from]', (el) => { el.value = ''; });
  await page.$eval('input[name=to]', (el) => { el.value = ''; });
  await page.type('input[name=labels]', 'queue=fraud');
  await page.click('#apply');
  await waitRows(() => document.querySelectorAll('#rows tr[data-id="call-fraud"]').length === 1 && document.querySelectorAll('#rows tr[data-id]').length === 1);
  await page.click('#rows a');
  await page.waitForSelector('body[data-rendered="call-fraud"]');
  assert.equal(await page.$$eval('#transcript .turn', (els) => els.length), 4);
  assert.ok(await page.$('#no-sentiment'), 'no chart before an analysis');
  assert.ok(await page.$('#time-bar'), 'a call has the silence/overtalk bar');
  await page.click('#analyze');
  await page.waitForSelector('body[data-analyzed]', { timeout: 30000 });
  assert.match(await page.$eval('#op-status', (e) => e.textContent), /analysis finished: operation \S+ done/);
  // One point per scored turn, drawn as an SVG chart.
  assert.equal(await page.$$eval('#sentiment-chart circle.pt', (els) => els.length), 4);
  assert.match(await page.$eval('#sentiment-chart', (e) => e.outerHTML), /<polyline/);
  const scores = await page.$$eval('#transcript .turn .s', (els) => els.map((e) => Number(e.textContent)));
  assert.ok(scores[3] > 0, `"Great, thanks a lot" scores positive: ${scores}`);
  assert.match(await page.$eval('#matchers', (e) => e.textContent), /Refund × 1/);
  assert.match(await page.$eval('#transcript', (e) => e.innerHTML), /<span class="hit">≈ Refund<\/span>/);
  assert.doesNotMatch(await page.$eval('#summary', (e) => e.textContent), /^Summary—$/);
  assert.ok(await page.$('#time-bar'));
  // "I want a refund" gets the model's intent, with its confidence on the
  // turn (from intentMatchData.confidence, ADR 0020) and in the table.
  const turnIntent = await page.$eval('#transcript #t1 .hit.intent', (e) => e.textContent);
  const m = /^intent: refund_request (0\.\d\d|1\.00)$/.exec(turnIntent);
  assert.ok(m, turnIntent);
  const row = await page.$$eval('#intents tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent)));
  const onTurns = await page.$$eval('#transcript .hit.intent', (els) => els.map((e) => e.textContent));
  assert.ok(onTurns.every((t) => t.startsWith('intent: refund_request ')), onTurns.join());
  const highest = Math.max(...onTurns.map((t) => Number(t.split(' ').pop()))).toFixed(2);
  assert.deepEqual(row, [['refund_request', highest, String(onTurns.length)]]);
  assert.ok(Number(m[1]) >= 0.3, 'at or above the threshold');
  await page.screenshot({ path: path.join(SHOTS, '3-conversation.png'), fullPage: true });
});

test('redacted values are shown as their info type', async () => {
  await page.goto(`${base}/ui/#/c/chat-redacted`);
  await page.waitForSelector('body[data-rendered="chat-redacted"]');
  const marks = await page.$$eval('#transcript mark.pii', (els) => els.map((e) => e.textContent));
  assert.deepEqual(marks, ['EMAIL_ADDRESS', 'PHONE_NUMBER']);
  assert.doesNotMatch(await page.$eval('#transcript', (e) => e.textContent), /jane\.doe|555/);
});

test('an API error is shown as the API returned it', async () => {
  await page.evaluate(() => sessionStorage.setItem('parley.key', 'prly_0000000000000000_wrong'));
  await page.goto('about:blank');
  await page.goto(`${base}/ui/#/c/call-fraud`);
  try {
    await page.waitForSelector('#error:not([hidden])', { timeout: 10000 });
  } catch (e) {
    throw new Error(`${e.message}: ${await page.evaluate(() => document.body.outerHTML.slice(0, 1500))}`);
  }
  const text = await page.$eval('#error', (e) => e.textContent);
  assert.match(text, /^401 /);
  assert.match(text, /"status": "UNAUTHENTICATED"/);
  await page.screenshot({ path: path.join(SHOTS, '4-error.png') });
  await page.evaluate((k) => sessionStorage.setItem('parley.key', k), key);
  await page.goto('about:blank');
  await page.goto(`${base}/ui/#/c/no-such-conv`);
  await page.waitForSelector('#error:not([hidden])');
  assert.match(await page.$eval('#error', (e) => e.textContent), /^404 [\s\S]*"status": "NOT_FOUND"/);
});

test('dashboard from calculateStats', async () => {
  await page.evaluate(() => sessionStorage.removeItem('parley.filters'));
  // chat-billing's analysis (started by the first test) has finished.
  for (let i = 0; (await call('GET', `${L}/conversations:calculateStats`)).analyzedConversationCount !== 3; i++) {
    assert.ok(i < 100, 'three analysed conversations');
    await new Promise((r) => setTimeout(r, 100));
  }
  await page.goto(`${base}/ui/#/dashboard`);
  await page.waitForSelector('body[data-dashboard="ready"]');
  assert.equal(await page.$eval('#kpi-count', (e) => e.textContent), '28');
  assert.ok(await page.$('#series-chart rect'));
  assert.match(await page.$eval('#matches-chart', (e) => e.textContent), /Refund/);
  // Parley's calculateStats extensions (ADR 0030): analysed conversations
  // (big-call, call-fraud, chat-billing), their average sentiment, the
  // average per interval, intents by conversations.
  const stats = await call('GET', `${L}/conversations:calculateStats`);
  assert.equal(stats.analyzedConversationCount, 3);
  assert.equal(await page.$eval('#kpi-analyzed', (e) => e.textContent), '3');
  const shown = await page.$eval('#kpi-sentiment', (e) => e.textContent);
  assert.match(shown, /^[+-]?\d\.\d\d$/);
  assert.equal(Number(shown), Number(stats.averageSentiment.toFixed(2)));
  assert.ok(await page.$('#sentiment-series circle.pt'));
  assert.ok(stats.intentMatches.refund_request >= 2, JSON.stringify(stats.intentMatches));
  assert.match(await page.$eval('#intents-chart', (e) => e.textContent), new RegExp(`refund_request\\s*${stats.intentMatches.refund_request}`));
  await page.screenshot({ path: path.join(SHOTS, '5-dashboard.png'), fullPage: true });
});

test('the 500-turn call page renders (navigation to transcript and chart drawn)', async () => {
  const times = [];
  for (let i = 0; i < 7; i++) {
    await page.goto('about:blank');
    await page.goto(`${base}/ui/#/c/big-call`);
    await page.waitForSelector('body[data-rendered="big-call"]', { timeout: 10000 });
    times.push(await page.evaluate(() => window.parleyRendered));
  }
  assert.equal(await page.$$eval('#transcript .turn', (els) => els.length), 500);
  assert.match(await page.$eval('#sentiment-chart', (e) => e.outerHTML), /<polyline/);
  await page.screenshot({ path: path.join(SHOTS, '6-500-turns.png') });
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  console.log(`ui: 500-turn conversation page rendered in ${median.toFixed(0)} ms (median of ${times.length}: ${sorted.map((x) => x.toFixed(0)).join(', ')}; load ${os.loadavg()[0].toFixed(1)})`);
  // The target is 300 ms (docs/PERFORMANCE.md); the test only catches a
  // pathological regression, since the machine is shared and noisy.
  assert.ok(median < 3000, `median ${median} ms`);
});
