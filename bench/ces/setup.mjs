// Loads a fresh Parley server for bench/ces/run.sh: a CES app, the location's
// virtual agent (INTENTS intents of 10 training phrases each and a fallback,
// trained), an FAQ knowledge base of FAQ_DOCS documents (15 rows each), all
// synthetic support text from a fixed vocabulary (seeded); prints SESSIONS
// session names, one a line.
//   node bench/ces/setup.mjs http://127.0.0.1:18091 > sessions.txt
import { jsonCaller, textFrom, waitDone as waitOperation } from '../common/setup_helpers.mjs';

const host = process.argv[2];
const parent = 'projects/bench/locations/us';
const INTENTS = Number(process.env.INTENTS ?? 20);
const FAQ_DOCS = Number(process.env.FAQ_DOCS ?? 100);
const SESSIONS = Number(process.env.SESSIONS ?? 256);

const words = (
  'account address alarm balance bank bill billing booking cable card charge claim code complaint ' +
  'connection contract coverage credit damage data delivery deposit device discount email error fee ' +
  'flight fraud insurance internet invoice laptop limit loan login meter modem network order outage ' +
  'package parcel password payment phone pin plan policy premium price printer purchase receipt refund ' +
  'renewal repair reservation return router seat signal sim speed statement subscription tariff ticket ' +
  'tracking transfer upgrade voucher wallet warranty wifi'
).split(' ');
const verbs = 'activate change close fix find get open pay reset send stop track update use'.split(' ');
const { pick, sentence } = textFrom(words, 7);

const call = jsonCaller(host);

const waitDone = (op, version) => waitOperation(call, `/${version}/${op.name}`);

const t0 = Date.now();
await waitDone(await call('POST', `/v1/${parent}/apps?appId=shop`,
  { displayName: 'Shop', rootAgent: `${parent}/apps/shop/agents/root` }), 'v1');
for (let i = 0; i < INTENTS; i++) {
  const topic = `${words[(i * 3) % words.length]} ${words[(i * 3 + 1) % words.length]}`;
  await call('POST', `/v2/${parent}/agent/intents`, {
    displayName: `intent_${i}`,
    trainingPhrases: Array.from({ length: 10 }, () => ({ parts: [{ text: `${pick(verbs)} my ${topic} ${sentence(2)}` }] })),
    messages: [{ text: { text: [`Answer ${i}: ${sentence(8)}.`] } }],
  });
}
await call('POST', `/v2/${parent}/agent/intents`,
  { displayName: 'fallback', isFallback: true, messages: [{ text: { text: ['Sorry, say that again?'] } }] });
await waitDone(await call('POST', `/v2/${parent}/agent:train`, {}), 'v2');
const kb = await call('POST', `/v2/${parent}/knowledgeBases`, { displayName: 'faq' });
for (let i = 0; i < FAQ_DOCS; i++) {
  const csv = Array.from({ length: 15 }, () => `how do I ${pick(verbs)} my ${sentence(3)}?,${sentence(14)}.`).join('\n');
  await waitDone(await call('POST', `/v2/${kb.name}/documents`,
    { displayName: `doc ${i}`, mimeType: 'text/csv', rawContent: Buffer.from(csv).toString('base64') }), 'v2');
}
console.error(`loaded ${INTENTS} intents and ${FAQ_DOCS} FAQ documents in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
for (let i = 0; i < SESSIONS; i++) console.log(`${parent}/apps/shop/sessions/bench-${i}`);
