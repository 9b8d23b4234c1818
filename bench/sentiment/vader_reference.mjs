// The reference Parley's sentiment scorer is measured against: the npm
// package vader-sentiment (the JavaScript port of VADER), installed by
// scripts/install-deps.sh into third_party/npm/node_modules.
//
//   node vader_reference.mjs score FILE        one text per line in, one VADER
//                                              compound score per line out
//   node vader_reference.mjs bench FILE [SEC]  scores FILE's lines over and over
//                                              for SEC seconds (default 3), prints
//                                              "vader-sentiment-js <n> sentences <s> s <r> sentences/s"
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '../../third_party/npm/package.json'));
let vader;
try {
  vader = require('vader-sentiment');
} catch (e) {
  console.error('vader_reference: vader-sentiment is not installed; run scripts/install-deps.sh');
  process.exit(2);
}
const analyzer = vader.SentimentIntensityAnalyzer;

const [mode, file, secondsArg] = process.argv.slice(2);
if (!mode || !file || (mode !== 'score' && mode !== 'bench')) {
  console.error('usage: node vader_reference.mjs score|bench FILE [SECONDS]');
  process.exit(2);
}
let lines = readFileSync(file, 'utf8').split('\n');
if (lines.length && lines[lines.length - 1] === '') lines.pop();

if (mode === 'score') {
  const out = new Array(lines.length);
  for (let i = 0; i < lines.length; i++) {
    out[i] = analyzer.polarity_scores(lines[i]).compound.toString();
  }
  process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
} else {
  const seconds = secondsArg ? Number(secondsArg) : 3;
  let sink = 0;
  // Warm up the JIT before timing.
  for (let i = 0; i < Math.min(lines.length, 2000); i++) sink += analyzer.polarity_scores(lines[i]).compound;
  let n = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < seconds) {
    for (const line of lines) sink += analyzer.polarity_scores(line).compound;
    n += lines.length;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  console.log(`vader-sentiment-js ${n} sentences ${elapsed.toFixed(3)} s ${Math.round(n / elapsed)} sentences/s` +
              (sink === 12345.678 ? ' ' : ''));
}
