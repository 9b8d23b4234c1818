// Loads a fresh Parley server for bench/dialogflow/run.sh: an FAQ knowledge base
// of FAQ_DOCS documents (15 question,answer rows each) and an article knowledge
// base of ARTICLE_DOCS documents (5 paragraphs each), synthetic support text
// from a fixed vocabulary (seeded, so every run is the same); a profile with
// sentiment, ARTICLE_SUGGESTION and FAQ on both; CONVERSATIONS conversations,
// each with an END_USER participant, whose names are printed one a line.
//   node bench/dialogflow/setup.mjs http://127.0.0.1:18090 > participants.txt
import { jsonCaller, textFrom, waitDone as waitOperation } from '../common/setup_helpers.mjs';

const base = `${process.argv[2]}/v2/projects/bench`;
const FAQ_DOCS = Number(process.env.FAQ_DOCS ?? 500);
const ARTICLE_DOCS = Number(process.env.ARTICLE_DOCS ?? 500);
const CONVERSATIONS = Number(process.env.CONVERSATIONS ?? 256);

const words = (
  'account address agent alarm app balance bank bill billing blocked booking branch cable ' +
  'calendar call cancel card charge chat check claim code complaint connection contract ' +
  'coverage credit customer damage data deadline delivery deposit device discount dispute ' +
  'document download email error exchange expiry fee flight fraud gift hotel insurance ' +
  'internet invoice item key laptop late limit loan login loyalty luggage meter modem ' +
  'mortgage network number offer order outage package parcel password payment pension ' +
  'phone pin plan point policy premium price printer profile promotion purchase receipt ' +
  'refund renewal rent repair replacement reservation return reward roaming router salary ' +
  'schedule screen seat security service shipment signal sim speed statement storage ' +
  'subscription support tariff tax ticket tracking transfer travel upgrade usage voucher ' +
  'wallet warranty website wifi withdrawal'
).split(' ');
const verbs = 'activate change close fix find get open pay reset send stop track update use'.split(' ');
const { pick, sentence } = textFrom(words, 42);

const call = jsonCaller(base);

const waitDone = (op) => waitOperation(call, `http://${new URL(base).host}/v2/${op.name}`);

async function addDocs(kb, n, make) {
  for (let i = 0; i < n; i++) {
    const [mimeType, content] = make(i);
    const op = await call('POST', `/knowledgeBases/${kb.name.split('/').pop()}/documents`, {
      displayName: `doc ${i}`,
      mimeType,
      rawContent: Buffer.from(content).toString('base64'),
    });
    await waitDone(op);
  }
}

const t0 = Date.now();
const faq = await call('POST', '/knowledgeBases', { displayName: 'faq' });
const articles = await call('POST', '/knowledgeBases', { displayName: 'articles' });
await addDocs(faq, FAQ_DOCS, () => [
  'text/csv',
  Array.from({ length: 15 }, () => `how do I ${pick(verbs)} my ${sentence(3)}?,${sentence(14)}.`).join('\n'),
]);
await addDocs(articles, ARTICLE_DOCS, () => [
  'text/plain',
  `${sentence(4)}\n\n` + Array.from({ length: 5 }, () => `${sentence(40)}.`).join('\n\n'),
]);
console.error(`loaded ${FAQ_DOCS + ARTICLE_DOCS} documents in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
const feature = (type, kb) => ({
  suggestionFeature: { type },
  queryConfig: { knowledgeBaseQuerySource: { knowledgeBases: [kb.name] }, maxResults: 3 },
});
const profile = await call('POST', '/conversationProfiles', {
  displayName: 'bench',
  humanAgentAssistantConfig: {
    // NO_SUGGESTIONS=1: the same calls without suggestions (what they cost).
    humanAgentSuggestionConfig: {
      featureConfigs: process.env.NO_SUGGESTIONS === '1' ? [] : [feature('ARTICLE_SUGGESTION', articles), feature('FAQ', faq)],
    },
    messageAnalysisConfig: { enableSentimentAnalysis: true },
  },
});
for (let i = 0; i < CONVERSATIONS; i++) {
  const c = await call('POST', `/conversations?conversationId=bench-${i}`, { conversationProfile: profile.name });
  const p = await call('POST', `/conversations/bench-${i}/participants`, { role: 'END_USER' });
  console.log(p.name);
  void c;
}
