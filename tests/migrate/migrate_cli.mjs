// What the migrate tests share: running `parley migrate` and reading its
// verification table.
import { spawnSync } from 'node:child_process';

export function run(bin, args, timeout = 120000) {
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// The verification table of `parley migrate`: kind -> {source, destination, sha, ok}.
export function table(stdout) {
  const rows = {};
  for (const line of stdout.split('\n')) {
    const f = line.split('\t');
    if (f.length < 6 || f[0] === 'KIND') continue;
    rows[f[0]] = { source: Number(f[1]), destination: Number(f[2]), sourceSha: f[3], destinationSha: f[4], result: f[5] };
  }
  return rows;
}
