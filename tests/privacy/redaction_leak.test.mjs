// Nothing derived from a redacted conversation may hold a redacted value
// (issue 14). The test plants personal data in a chat and a speech-style
// call uploaded under a redaction config whose inspect template adds custom
// info types (order id, account number, user name), runs every analyzer,
// exports, and reads every view; then it searches every reply, every
// exported file and every byte the server wrote to disk for the planted
// values. Node built-ins only; a real `parley serve`.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';

import { findParleyBinary, killAll, request, startServer } from '../crash/harness.mjs';

const P = '/v1/projects/p1/locations/us';
const TEMPLATE = 'projects/p1/locations/us/inspectTemplates/support';

// What is planted, and the form a leak would take.
const PLANTED = [
  'cminh730',             // user name, also inside the email
  'cminh730@email.com',
  '3348917502',           // order id
  '00123456789',          // account number
  'Crystal',              // the customer's name
  'Minh',
  '415-555-0132',         // phone, written
  'four one five five five five zero one three two',  // phone, spoken
  'peterson',             // a name in speech-style text
  'market street',        // a street in speech-style text
];

const templates = {
  inspectTemplates: [{
    name: TEMPLATE,
    inspectConfig: {
      customInfoTypes: [
        { infoType: { name: 'ORDER_ID' }, regex: { pattern: '\\b\\d{10}\\b' }, likelihood: 'UNLIKELY',
          detectionRules: [{ hotwordRule: { hotwordRegex: { pattern: '(?i)order' }, proximity: { windowBefore: 20 },
                                            likelihoodAdjustment: { fixedLikelihood: 'VERY_LIKELY' } } }] },
        { infoType: { name: 'ACCOUNT_NUMBER' }, regex: { pattern: '\\b\\d{8,12}\\b' }, likelihood: 'UNLIKELY',
          detectionRules: [{ hotwordRule: { hotwordRegex: { pattern: '(?i)account' }, proximity: { windowBefore: 30 },
                                            likelihoodAdjustment: { fixedLikelihood: 'LIKELY' } } }] },
        { infoType: { name: 'USER_NAME' }, regex: { pattern: '\\b[a-z]+[0-9]+\\b' }, likelihood: 'UNLIKELY',
          detectionRules: [{ hotwordRule: { hotwordRegex: { pattern: '(?i)user\\s*name' }, proximity: { windowBefore: 20 },
                                            likelihoodAdjustment: { fixedLikelihood: 'LIKELY' } } }] },
      ],
    },
  }],
};

const chat = {
  medium: 'CHAT',
  agentId: 'agent-1',
  transcript: { transcriptSegments: [
    { text: 'Hi! How can I help you?', segmentParticipant: { role: 'HUMAN_AGENT' } },
    { text: 'Hi! I need to return an item, my name is Crystal Minh.', segmentParticipant: { role: 'END_USER' } },
    { text: 'May I have your username, email address and order ID please?', segmentParticipant: { role: 'HUMAN_AGENT' } },
    { text: 'Username: cminh730', segmentParticipant: { role: 'END_USER' } },
    { text: 'cminh730@email.com', segmentParticipant: { role: 'END_USER' } },
    { text: 'Order ID: 3348917502', segmentParticipant: { role: 'END_USER' } },
    { text: 'My account number is 00123456789 and you can call me at 415-555-0132.', segmentParticipant: { role: 'END_USER' } },
    { text: 'Thanks Crystal, I have issued the return label. All refunds take 5 days.', segmentParticipant: { role: 'HUMAN_AGENT' } },
    { text: 'Great, thank you so much, that solved it.', segmentParticipant: { role: 'END_USER' } },
  ] },
};

const call = {
  medium: 'PHONE_CALL',
  agentId: 'agent-2',
  transcript: { transcriptSegments: [
    { text: 'thank you for calling acme bank this is maria how can i help', channelTag: 2, segmentParticipant: { role: 'HUMAN_AGENT' } },
    { text: 'hi maria my name is john peterson i live at twelve hundred market street san francisco', channelTag: 1,
      segmentParticipant: { role: 'END_USER' } },
    { text: 'my number is four one five five five five zero one three two and my card was charged twice', channelTag: 1,
      segmentParticipant: { role: 'END_USER' } },
    { text: 'i am sorry about that i have refunded the second charge', channelTag: 2, segmentParticipant: { role: 'HUMAN_AGENT' } },
  ] },
};

// Every file under dir, recursively.
function files(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else out.push(p);
  }
  return out;
}

function assertNoLeak(where, text) {
  const lower = text.toLowerCase();
  for (const v of PLANTED) {
    assert.ok(!lower.includes(v.toLowerCase()), `${where} holds the redacted value "${v}":\n${text.slice(0, 4000)}`);
  }
}

after(killAll);

test('no output derived from a redacted conversation holds a redacted value', { timeout: 120000 }, async (t) => {
  const found = findParleyBinary();
  if (found.error) return t.skip(found.error);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'parley-leak-'));
  const dataDir = path.join(tmp, 'data');
  const exportDir = path.join(tmp, 'export');
  const templatesFile = path.join(tmp, 'templates.json');
  writeFileSync(templatesFile, JSON.stringify(templates));
  // The customer's own transcript file (the source, not derived output).
  const bucketDir = path.join(tmp, 'buckets');
  mkdirSync(path.join(bucketDir, 'bucket'), { recursive: true });
  writeFileSync(path.join(bucketDir, 'bucket', 'chat.json'), JSON.stringify({ entries: chat.transcript.transcriptSegments.map((s, i) => ({
    text: s.text, role: s.segmentParticipant.role === 'END_USER' ? 'CUSTOMER' : 'AGENT', user_id: s.segmentParticipant.role === 'END_USER' ? 1 : 2,
    start_timestamp_usec: 1700000000000000 + i * 5000000 })) }));
  const server = await startServer(found.bin, dataDir, ['--inspect-templates', templatesFile, '--export-dir', exportDir,
    '--bucket-dir', bucketDir]);
  const agent = new http.Agent({ keepAlive: true });
  const replies = [];
  const call_ = async (method, url, body) => {
    const res = await request(agent, server.port, method, url, body === undefined ? undefined : JSON.stringify(body));
    replies.push({ where: `${method} ${url}`, body: res.body });
    return res;
  };
  const poll = async (opName) => {
    for (let i = 0; i < 500; i++) {
      const res = await call_('GET', `/v1/${opName}`);
      const op = JSON.parse(res.body);
      if (op.done) return op;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`operation ${opName} not done`);
  };
  try {
    // Redaction through the location's settings, naming the template.
    let res = await call_('PATCH', `${P}/settings?updateMask=redaction_config`,
      { redactionConfig: { inspectTemplate: TEMPLATE, deidentifyTemplate: 'projects/p1/locations/us/deidentifyTemplates/basic' } });
    assert.equal(res.status, 200, res.body);

    const fromFile = { dataSource: { gcsSource: { transcriptUri: 'gs://bucket/chat.json' } } };
    for (const [id, conv] of [['chat-1', chat], ['call-1', call], ['file-1', fromFile]]) {
      res = await call_('POST', `${P}/conversations:upload`, { conversationId: id, conversation: conv });
      assert.equal(res.status, 200, res.body);
      const op = JSON.parse(res.body);
      const stored = JSON.stringify(op.response);
      // The custom types and the speech-style built-ins were applied.
      for (const type of ['[ORDER_ID]', '[ACCOUNT_NUMBER]', '[USER_NAME]', '[EMAIL_ADDRESS]', '[PERSON_NAME]', '[PHONE_NUMBER]']) {
        if (id !== 'call-1') assert.ok(stored.includes(type), `${type} missing in ${stored}`);
      }
      if (id === 'call-1') {
        for (const type of ['[PERSON_NAME]', '[STREET_ADDRESS]', '[PHONE_NUMBER]']) {
          assert.ok(stored.includes(type), `${type} missing in ${stored}`);
        }
      }
      res = await call_('POST', `${P}/conversations/${id}/analyses`, { annotatorSelector: {
        runSummarizationAnnotator: true, runEntityAnnotator: true, runSentimentAnnotator: true, runIntentAnnotator: true,
        runPhraseMatcherAnnotator: true, runSilenceAnnotator: true, runInterruptionAnnotator: true,
        runIssueModelAnnotator: true } });
      assert.equal(res.status, 200, res.body);
      const done = await poll(JSON.parse(res.body).name);
      assert.ok(!done.error, JSON.stringify(done));
    }

    // Every view of every conversation, the analyses, lists and stats.
    for (const id of ['chat-1', 'call-1', 'file-1']) {
      await call_('GET', `${P}/conversations/${id}`);
      await call_('GET', `${P}/conversations/${id}?view=FULL`);
      await call_('GET', `${P}/conversations/${id}?view=BASIC`);
      res = await call_('GET', `${P}/conversations/${id}/analyses`);
      for (const a of JSON.parse(res.body).analyses ?? []) await call_('GET', `/v1/${a.name}`);
    }
    await call_('GET', `${P}/conversations?view=FULL`);
    await call_('GET', `${P}/conversations?view=FULL&filter=latest_analysis:"*"`);
    await call_('GET', `${P}/conversations:calculateStats`);
    await call_('GET', `${P}/operations`);

    // Export, then every exported file.
    res = await call_('POST', `${P}/insightsdata:export`, { bigQueryDestination: { dataset: 'ds', table: 'calls' } });
    assert.equal(res.status, 200, res.body);
    await poll(JSON.parse(res.body).name);
    const exported = files(exportDir);
    assert.ok(exported.length > 0, 'the export wrote nothing');

    // The replies really carry analysis output (a test that cannot fail is none).
    const full = replies.find((r) => r.where.endsWith('conversations/chat-1?view=FULL')).body;
    assert.ok(full.includes('latestAnalysis'), full);
    assert.ok(replies.some((r) => r.body.includes('summarizationModel') || r.body.includes('conversationSummarizationSuggestion') || r.body.includes('latestSummary')),
      'no summary in any reply');

    if (process.env.LEAK_DUMP) writeFileSync(process.env.LEAK_DUMP, JSON.stringify(replies, null, 1));
    for (const r of replies) assertNoLeak(r.where, r.body);
    for (const f of exported) assertNoLeak(f, readFileSync(f, 'utf8'));
  } finally {
    await server.stop();
    agent.destroy();
  }
  // What the server stored: the database, its WAL and anything else on disk.
  for (const f of files(dataDir)) assertNoLeak(f, readFileSync(f).toString('latin1'));
  rmSync(tmp, { recursive: true, force: true });
});
