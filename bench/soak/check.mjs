// bench/soak.sh's check: GETs every "project id want" line of FILE from the
// server on PORT (16 at a time) and prints "CHECKED n BAD m" (m replies whose
// status is not the wanted one; the first few on stderr).
import { readFileSync } from 'node:fs';
import http from 'node:http';

const [file, port] = process.argv.slice(2);
const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
let next = 0;
let bad = 0;
function get(path) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    }).on('error', reject);
  });
}
async function worker() {
  while (next < lines.length) {
    const [project, id, want] = lines[next++].split(' ');
    const path = `/v1/projects/${project}/locations/us/conversations/${id}`;
    const status = await get(path);
    if (status !== Number(want)) {
      bad++;
      if (bad <= 5) console.error(`MISMATCH ${path} -> ${status}, want ${want}`);
    }
  }
}
await Promise.all(Array.from({ length: 16 }, worker));
agent.destroy();
console.log(`CHECKED ${lines.length} BAD ${bad}`);
