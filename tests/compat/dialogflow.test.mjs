// Drives Google's official Dialogflow ES Node client (@google-cloud/dialogflow,
// v2, REST transport) against a live Parley server: conversation profiles,
// conversations, participants, analyzeContent, messages, the conversation
// summary and complete; knowledge bases and FAQ documents (awaiting the
// document operation) and the FAQ suggestion analyzeContent then returns,
// whose answer record AnswerRecordsClient lists and annotates with feedback.
// The client is used exactly as an application would use
// it against Google; only its endpoint and credentials differ.
//
//   PARLEY_BIN=build/parley node --test tests/compat/dialogflow.test.mjs
//
// Set PARLEY_COMPAT_TRACE=1 to route the client through a transparent logging
// proxy that prints every request and response to stderr.

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
  return loadClient('@google-cloud/dialogflow', (require) => {
    const gax = createRequire(require.resolve('@google-cloud/dialogflow'))('google-gax');
    return { dialogflow: require('@google-cloud/dialogflow'),
             OAuth2Client: require('google-auth-library').OAuth2Client, GoogleError: gax.GoogleError };
  });
}



// The gRPC code of a rejection. google-gax 5.x's REST transport lets gaxios
// reject non-2xx replies (the application sees the HTTP status and the raw
// body); newer ones decode the body into a GoogleError. Either way the
// server's google.rpc.Status is what is checked.
const CODE_FOR_STATUS = { INVALID_ARGUMENT: 3, NOT_FOUND: 5, ALREADY_EXISTS: 6, FAILED_PRECONDITION: 9 };
function rpcCode(err, deps) {
  assert.ok(err instanceof Error, `rejected with a non-Error: ${String(err)}`);
  if (err instanceof deps.GoogleError && typeof err.code === 'number') return { code: err.code, message: err.message };
  assert.equal(typeof err.status, 'number', `expected an HTTP error, got ${err.constructor.name}: ${err.message}`);
  const body = JSON.parse(err.message);
  assert.equal(body.error.code, err.status, `error.code must be the HTTP status: ${err.message}`);
  return { code: CODE_FOR_STATUS[body.error.status], message: body.error.message };
}

// Timestamp as decoded by the REST client (seconds is an int64 string).
function seconds(ts) {
  return ts == null ? null : Number(ts.seconds) + (ts.nanos ?? 0) / 1e9;
}

// ---------------------------------------------------------------------------

const deps = loadDependencies();
const server = findParleyBinary('dialogflow.test.mjs');

if (deps.error || server.error) {
  test('prerequisites for the official-client compatibility test', () => {
    assert.fail([deps.error, server.error].filter(Boolean).join('\n\n'));
  });
} else {
  describe(`official @google-cloud/dialogflow@${deps.clientVersion} v2 client (REST) against parley`, () => {
    const PROJECT = 'acme';
    const LOCATION = 'us-central1';
    const parent = `projects/${PROJECT}/locations/${LOCATION}`;
    let dataDir;
    let parley;
    let proxy;
    let profiles;
    let conversations;
    let participants;
    let knowledgeBases;
    let documents;
    let intents;
    let agents;
    let answerRecords;

    before(async () => {
      dataDir = mkdtempSync(path.join(tmpdir(), 'parley-compat-df-'));
      parley = await startServer(server.bin, dataDir);
      let port = parley.port;
      if (TRACE) {
        proxy = await startTracingProxy(parley.port);
        port = proxy.port;
      }
      const authClient = new deps.OAuth2Client();
      authClient.setCredentials({
        access_token: 'test-token',
        token_type: 'Bearer',
        expiry_date: Date.now() + 10 * 365 * 24 * 3600 * 1000,
      });
      const options = { fallback: true, protocol: 'http', apiEndpoint: '127.0.0.1', port, authClient };
      profiles = new deps.dialogflow.v2.ConversationProfilesClient(options);
      conversations = new deps.dialogflow.v2.ConversationsClient(options);
      participants = new deps.dialogflow.v2.ParticipantsClient(options);
      knowledgeBases = new deps.dialogflow.v2.KnowledgeBasesClient(options);
      documents = new deps.dialogflow.v2.DocumentsClient(options);
      intents = new deps.dialogflow.v2.IntentsClient(options);
      agents = new deps.dialogflow.v2.AgentsClient(options);
      answerRecords = new deps.dialogflow.v2.AnswerRecordsClient(options);
    });

    after(async () => {
      for (const c of [profiles, conversations, participants, knowledgeBases, documents, intents, agents, answerRecords]) if (c) await c.close();
      if (proxy) await proxy.close();
      if (parley) {
        const { code, signal } = await parley.stop();
        assert.equal(code, 0, `parley should exit 0 on SIGTERM (signal ${signal}); stderr:\n${parley.stderr()}`);
      }
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    // State shared by the steps below, in order.
    let assistProfile;
    let botProfile;
    let conversation;
    let endUser;
    let agent;
    let firstMessage;

    test('conversation profiles: create, get, list, update', async () => {
      const [created] = await profiles.createConversationProfile({
        parent,
        conversationProfile: {
          displayName: 'Billing assist',
          languageCode: 'en-US',
          humanAgentAssistantConfig: {
            humanAgentSuggestionConfig: {
              featureConfigs: [
                {
                  suggestionFeature: { type: 'ARTICLE_SUGGESTION' },
                  queryConfig: {
                    knowledgeBaseQuerySource: { knowledgeBases: [`${parent}/knowledgeBases/kb1`] },
                    maxResults: 3,
                  },
                },
                { suggestionFeature: { type: 'CONVERSATION_SUMMARIZATION' } },
              ],
            },
            messageAnalysisConfig: { enableSentimentAnalysis: true },
          },
        },
      });
      assert.match(created.name, new RegExp(`^${parent}/conversationProfiles/[0-9]+$`));
      assert.equal(profiles.matchLocationFromProjectLocationConversationProfileName(created.name), LOCATION);
      assert.equal(created.displayName, 'Billing assist');
      assert.ok(seconds(created.createTime) > 0);
      const features = created.humanAgentAssistantConfig.humanAgentSuggestionConfig.featureConfigs;
      assert.deepEqual(features.map((f) => f.suggestionFeature.type), ['ARTICLE_SUGGESTION', 'CONVERSATION_SUMMARIZATION']);
      assert.deepEqual(features[0].queryConfig.knowledgeBaseQuerySource.knowledgeBases, [`${parent}/knowledgeBases/kb1`]);
      assert.equal(features[0].queryConfig.maxResults, 3);
      assert.equal(created.humanAgentAssistantConfig.messageAnalysisConfig.enableSentimentAnalysis, true);
      assistProfile = created.name;

      const [bot] = await profiles.createConversationProfile({
        parent,
        conversationProfile: { displayName: 'Bot first', automatedAgentConfig: { agent: `${parent}/agent` } },
      });
      botProfile = bot.name;

      const [got] = await profiles.getConversationProfile({ name: assistProfile });
      assert.equal(got.name, assistProfile);
      assert.equal(got.languageCode, 'en-US');

      const [listed] = await profiles.listConversationProfiles({ parent, pageSize: 1 });
      assert.deepEqual(listed.map((p) => p.name).sort(), [assistProfile, botProfile].sort());

      const [updated] = await profiles.updateConversationProfile({
        conversationProfile: { name: assistProfile, displayName: 'Billing assist v2', languageCode: 'fr-FR' },
        updateMask: { paths: ['display_name'] },
      });
      assert.equal(updated.displayName, 'Billing assist v2');
      assert.equal(updated.languageCode, 'en-US', 'a field outside the mask is kept');
      assert.ok(seconds(updated.updateTime) >= seconds(updated.createTime));

      const err = rpcCode(await rejection(profiles.createConversationProfile({ parent, conversationProfile: {} })), deps);
      assert.equal(err.code, 3);
      assert.match(err.message, /display_name/);
    });

    test('conversations: create (stage from the profile), get, list with a filter', async () => {
      const [created] = await conversations.createConversation({
        parent,
        conversationId: 'Order_42',
        conversation: { conversationProfile: assistProfile },
      });
      assert.equal(created.name, `${parent}/conversations/Order_42`);
      assert.equal(created.lifecycleState, 'IN_PROGRESS');
      assert.equal(created.conversationStage, 'HUMAN_ASSIST_STAGE');
      assert.equal(created.conversationProfile, assistProfile);
      assert.ok(seconds(created.startTime) > 0);
      assert.equal(created.endTime, null);
      conversation = created.name;

      const [bot] = await conversations.createConversation({ parent, conversation: { conversationProfile: botProfile } });
      assert.equal(bot.conversationStage, 'VIRTUAL_AGENT_STAGE');
      assert.match(bot.name, new RegExp(`^${parent}/conversations/[0-9]+$`));

      const [got] = await conversations.getConversation({ name: conversation });
      assert.equal(got.name, conversation);
      assert.equal(got.lifecycleState, 'IN_PROGRESS');

      const [inProgress] = await conversations.listConversations({ parent, filter: 'lifecycle_state = "IN_PROGRESS"' });
      assert.deepEqual(inProgress.map((c) => c.name).sort(), [bot.name, conversation].sort());

      const dup = rpcCode(
        await rejection(
          conversations.createConversation({ parent, conversationId: 'Order_42', conversation: { conversationProfile: assistProfile } }),
        ),
        deps,
      );
      assert.equal(dup.code, 6);
      const missing = rpcCode(
        await rejection(
          conversations.createConversation({
            parent,
            conversationId: 'ghost-1',
            conversation: { conversationProfile: `${parent}/conversationProfiles/999` },
          }),
        ),
        deps,
      );
      assert.equal(missing.code, 3);
      assert.match(missing.message, /conversationProfiles\/999/);
    });

    test('participants: create, get, list, update', async () => {
      const [user] = await participants.createParticipant({ parent: conversation, participant: { role: 'END_USER' } });
      assert.match(user.name, new RegExp(`^${conversation}/participants/[0-9]+$`));
      assert.equal(user.role, 'END_USER');
      endUser = user.name;
      const [human] = await participants.createParticipant({
        parent: conversation,
        participant: { role: 'HUMAN_AGENT', sipRecordingMediaLabel: 'agent-leg' },
      });
      agent = human.name;

      const [got] = await participants.getParticipant({ name: agent });
      assert.equal(got.role, 'HUMAN_AGENT');
      assert.equal(got.sipRecordingMediaLabel, 'agent-leg');

      const [listed] = await participants.listParticipants({ parent: conversation });
      assert.deepEqual(listed.map((p) => p.name), [endUser, agent]);

      const [updated] = await participants.updateParticipant({
        participant: { name: endUser, documentsMetadataFilters: { market: 'fr' } },
        updateMask: { paths: ['documents_metadata_filters'] },
      });
      assert.deepEqual({ ...updated.documentsMetadataFilters }, { market: 'fr' });
      assert.equal(updated.role, 'END_USER');
    });

    test('analyzeContent stores the message, with sentiment, once per requestId', async () => {
      const [first] = await participants.analyzeContent({
        participant: endUser,
        textInput: { text: 'I was charged twice for my internet bill and I am really angry.', languageCode: 'en-US' },
        requestId: 'req-1',
      });
      const m = first.message;
      assert.match(m.name, new RegExp(`^${conversation}/messages/[0-9]+$`));
      assert.equal(m.content, 'I was charged twice for my internet bill and I am really angry.');
      assert.equal(m.participant, endUser);
      assert.equal(m.participantRole, 'END_USER');
      assert.ok(seconds(m.createTime) > 0);
      assert.ok(m.sentimentAnalysis.queryTextSentiment.score < 0, 'an angry message scores below 0');
      assert.ok(m.sentimentAnalysis.queryTextSentiment.magnitude > 0);
      // The profile's ARTICLE_SUGGESTION names a knowledge base that does not
      // exist: that feature fails alone, with its error in its result.
      assert.equal(first.humanAgentSuggestionResults.length, 1);
      assert.equal(first.humanAgentSuggestionResults[0].error.code, 5);
      firstMessage = m.name;

      const [retry] = await participants.analyzeContent({
        participant: endUser,
        textInput: { text: 'I was charged twice for my internet bill and I am really angry.', languageCode: 'en-US' },
        requestId: 'req-1',
      });
      assert.equal(retry.message.name, firstMessage, 'a retry returns the first answer');

      const [reply] = await participants.analyzeContent({
        participant: agent,
        textInput: {
          text: 'I am sorry about that. I have refunded the duplicate charge, you will receive it within five days.',
          languageCode: 'en-US',
        },
      });
      assert.equal(reply.message.participantRole, 'HUMAN_AGENT');
      await participants.analyzeContent({
        participant: endUser,
        textInput: { text: 'Great, thank you so much!', languageCode: 'en-US' },
      });

      const empty = rpcCode(
        await rejection(participants.analyzeContent({ participant: endUser, textInput: { text: '', languageCode: 'en-US' } })),
        deps,
      );
      assert.equal(empty.code, 3);
    });

    test('listMessages: newest first, filtered on create_time', async () => {
      const [messages] = await conversations.listMessages({ parent: conversation });
      assert.equal(messages.length, 3, 'the retry stored nothing');
      assert.equal(messages[2].name, firstMessage, 'the first message is last (newest first)');
      assert.deepEqual(
        messages.map((m) => m.participantRole),
        ['END_USER', 'HUMAN_AGENT', 'END_USER'],
      );
      const [recent] = await conversations.listMessages({
        parent: conversation,
        filter: 'create_time > "2017-01-15T01:30:15.01Z"',
      });
      assert.equal(recent.length, 3);
      const [none] = await conversations.listMessages({
        parent: conversation,
        filter: 'create_time > "9999-01-01T00:00:00Z"',
      });
      assert.equal(none.length, 0);
    });

    test('suggestConversationSummary summarises the conversation', async () => {
      const [response] = await conversations.suggestConversationSummary({ conversation, contextSize: 10 });
      assert.equal(response.contextSize, 3);
      assert.match(response.latestMessage, new RegExp(`^${conversation}/messages/[0-9]+$`));
      assert.match(response.summary.text, /charged twice/);
      assert.match(response.summary.textSections.situation, /charged twice/);
      assert.match(response.summary.textSections.resolution, /refunded/);
      assert.match(response.summary.answerRecord, new RegExp(`^${parent}/answerRecords/[^/]+$`));
    });

    test('knowledge base and FAQ document through the client; analyzeContent suggests the FAQ answer', async () => {
      const [kb] = await knowledgeBases.createKnowledgeBase({
        parent,
        knowledgeBase: { displayName: 'Billing FAQ', languageCode: 'en' },
      });
      assert.match(kb.name, new RegExp(`^${parent}/knowledgeBases/[0-9]+$`));
      assert.equal(kb.displayName, 'Billing FAQ');
      const csv =
        'How do I reset my password?,Open Settings and choose Reset password.\n' +
        'Where is my refund?,Refunds reach your card within five business days.\n' +
        'Can I change my delivery address?,Open the order and choose Change address.\n';
      const [operation] = await documents.createDocument({
        parent: kb.name,
        document: { displayName: 'faq', mimeType: 'text/csv', knowledgeTypes: ['FAQ'], rawContent: Buffer.from(csv) },
      });
      assert.match(operation.name, new RegExp(`^${parent}/operations/[0-9]+$`));
      const [doc] = await operation.promise();
      assert.match(doc.name, new RegExp(`^${kb.name}/documents/[0-9]+$`));
      assert.equal(doc.displayName, 'faq');
      // The operation's result is decoded from its Any: enums as numbers.
      assert.equal(doc.state, 2, 'Document.State ACTIVE');
      assert.deepEqual(doc.knowledgeTypes, [1], 'KnowledgeType FAQ');
      const [got] = await documents.getDocument({ name: doc.name });
      assert.equal(got.state, 'ACTIVE');
      assert.deepEqual(got.knowledgeTypes, ['FAQ']);
      assert.equal(Buffer.from(got.rawContent).toString(), csv);
      const [listed] = await documents.listDocuments({ parent: kb.name });
      assert.deepEqual(listed.map((d) => d.name), [doc.name]);

      const [profile] = await profiles.createConversationProfile({
        parent,
        conversationProfile: {
          displayName: 'FAQ assist',
          humanAgentAssistantConfig: {
            humanAgentSuggestionConfig: {
              featureConfigs: [
                {
                  suggestionFeature: { type: 'FAQ' },
                  queryConfig: { knowledgeBaseQuerySource: { knowledgeBases: [kb.name] }, maxResults: 2 },
                },
              ],
            },
          },
        },
      });
      const [conv] = await conversations.createConversation({
        parent,
        conversation: { conversationProfile: profile.name },
      });
      const [user] = await participants.createParticipant({ parent: conv.name, participant: { role: 'END_USER' } });
      const [res] = await participants.analyzeContent({
        participant: user.name,
        textInput: { text: 'Hello, where is my refund? It has been a week.', languageCode: 'en-US' },
      });
      assert.equal(res.humanAgentSuggestionResults.length, 1);
      const faq = res.humanAgentSuggestionResults[0].suggestFaqAnswersResponse;
      assert.ok(faq, 'an FAQ suggestion');
      assert.ok(faq.faqAnswers.length >= 1 && faq.faqAnswers.length <= 2);
      assert.equal(faq.faqAnswers[0].question, 'Where is my refund?');
      assert.equal(faq.faqAnswers[0].answer, 'Refunds reach your card within five business days.');
      assert.equal(faq.faqAnswers[0].source, doc.name);
      assert.ok(faq.faqAnswers[0].confidence > 0 && faq.faqAnswers[0].confidence <= 1);
      assert.match(faq.faqAnswers[0].answerRecord, new RegExp(`^${parent}/answerRecords/[^/]+$`));
      assert.equal(faq.latestMessage, res.message.name);
      assert.equal(faq.contextSize, 1);

      // The answer's record: listed for its conversation, then given feedback.
      const conversationId = conv.name.split('/').pop();
      const [records] = await answerRecords.listAnswerRecords({ parent, filter: `conversation_id=${conversationId}` });
      assert.deepEqual(records.map((r) => r.name), faq.faqAnswers.map((a) => a.answerRecord));
      assert.equal(records[0].agentAssistantRecord.faqAnswer.answer, faq.faqAnswers[0].answer);
      const [updated] = await answerRecords.updateAnswerRecord({
        answerRecord: {
          name: records[0].name,
          answerFeedback: { correctnessLevel: 'FULLY_CORRECT', clicked: true, displayed: true },
        },
        updateMask: { paths: ['answer_feedback.correctness_level', 'answer_feedback.clicked', 'answer_feedback.displayed'] },
      });
      assert.equal(updated.name, records[0].name);
      assert.equal(updated.answerFeedback.correctnessLevel, 'FULLY_CORRECT');
      assert.equal(updated.answerFeedback.clicked, true);
      assert.equal(updated.answerFeedback.displayed, true);
      const [again] = await answerRecords.listAnswerRecords({ parent, filter: `conversation_id=${conversationId}` });
      assert.equal(again[0].answerFeedback.correctnessLevel, 'FULLY_CORRECT');
      const missing = rpcCode(
        await rejection(answerRecords.updateAnswerRecord({
          answerRecord: { name: `${records[0].name}9`, answerFeedback: { clicked: true } },
          updateMask: { paths: ['answer_feedback.clicked'] },
        })),
        deps,
      );
      assert.equal(missing.code, 5);

      const [deleting] = await documents.deleteDocument({ name: doc.name });
      await deleting.promise();
      const gone = rpcCode(await rejection(documents.getDocument({ name: doc.name })), deps);
      assert.equal(gone.code, 5);
      await knowledgeBases.deleteKnowledgeBase({ name: kb.name, force: true });
    });

    test('IntentsClient creates intents, AgentsClient trains, analyzeContent answers as the virtual agent', async () => {
      const agent = `${parent}/agent`;
      const phrases = (texts) => texts.map((text) => ({ type: 'EXAMPLE', parts: [{ text }] }));
      const [track] = await intents.createIntent({
        parent: agent,
        intent: {
          displayName: 'track_order',
          trainingPhrases: phrases(['where is my order', 'track my parcel', 'when will my package arrive', 'has my order shipped yet']),
          messages: [{ text: { text: ['Your order is on its way.'] } }],
        },
      });
      assert.match(track.name, new RegExp(`^${agent}/intents/[0-9]+$`));
      assert.equal(track.trainingPhrases.length, 0);
      await intents.createIntent({
        parent: agent,
        intent: {
          displayName: 'refund',
          trainingPhrases: phrases(['I want my money back', 'can I get a refund', 'refund this purchase please', 'how do I get reimbursed']),
          messages: [{ text: { text: ['I can help with a refund.'] } }],
        },
      });
      const [full] = await intents.getIntent({ name: track.name, intentView: 'INTENT_VIEW_FULL' });
      assert.equal(full.trainingPhrases.length, 4);
      const [training] = await agents.trainAgent({ parent });
      await training.promise();
      assert.equal(training.done, true);

      const [profile] = await profiles.createConversationProfile({
        parent,
        conversationProfile: { displayName: 'bot first', languageCode: 'en-US', automatedAgentConfig: { agent } },
      });
      const [conv] = await conversations.createConversation({ parent, conversation: { conversationProfile: profile.name } });
      assert.equal(conv.conversationStage, 'VIRTUAL_AGENT_STAGE');
      const [user] = await participants.createParticipant({ parent: conv.name, participant: { role: 'END_USER' } });
      const [res] = await participants.analyzeContent({
        participant: user.name,
        textInput: { text: 'where is my package', languageCode: 'en-US' },
      });
      const reply = res.automatedAgentReply;
      assert.equal(reply.automatedAgentReplyType, 'FINAL');
      const qr = reply.detectIntentResponse.queryResult;
      assert.equal(qr.queryText, 'where is my package');
      assert.equal(qr.intent.name, track.name);
      assert.equal(qr.intent.displayName, 'track_order');
      assert.equal(qr.fulfillmentText, 'Your order is on its way.');
      assert.ok(qr.intentDetectionConfidence > 0 && qr.intentDetectionConfidence <= 1);
      assert.equal(res.replyText, 'Your order is on its way.');
      const [messages] = await conversations.listMessages({ parent: conv.name });
      assert.deepEqual(messages.map((m) => [m.participantRole, m.content]), [
        ['AUTOMATED_AGENT', 'Your order is on its way.'],
        ['END_USER', 'where is my package'],
      ]);
    });

    test('completeConversation ends it; content is then refused', async () => {
      const [completed] = await conversations.completeConversation({ name: conversation });
      assert.equal(completed.lifecycleState, 'COMPLETED');
      assert.ok(seconds(completed.endTime) >= seconds(completed.startTime));
      const err = rpcCode(
        await rejection(participants.analyzeContent({ participant: endUser, textInput: { text: 'hello?', languageCode: 'en-US' } })),
        deps,
      );
      assert.equal(err.code, 9);
      const joining = rpcCode(
        await rejection(participants.createParticipant({ parent: conversation, participant: { role: 'HUMAN_AGENT' } })),
        deps,
      );
      assert.equal(joining.code, 9);
      const [done] = await conversations.listConversations({ parent, filter: 'lifecycle_state = "COMPLETED"' });
      assert.deepEqual(done.map((c) => c.name), [conversation]);
    });
  });
}
