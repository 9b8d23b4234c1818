// Safe start-up of `parley serve` (issue 15): one server per data dir (a
// second exits with a clear message while `parley keys` and `parley audit`
// still work beside the first), and every flag checked before anything
// starts, with a clear error and a non-zero exit.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer } from '../crash/harness.mjs';

const bin = process.env.PARLEY_BIN;
assert.ok(bin, 'PARLEY_BIN must point at build/parley');
const dir = mkdtempSync(path.join(tmpdir(), 'parley-startup-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const parley = (...args) => spawnSync(bin, args, { encoding: 'utf8', timeout: 10_000 });

test('a second server on the same data dir refuses to start; keys and audit work beside it', async () => {
  const data = path.join(dir, 'locked');
  const first = await startServer(bin, data);
  try {
    const second = parley('serve', '--listen', '127.0.0.1:0', '--data-dir', data);
    assert.notEqual(second.status, 0);
    assert.match(second.stderr, /another `parley serve` is using --data-dir .*locked/);
    assert.doesNotMatch(second.stderr, /listening on/);

    const created = parley('keys', 'create', '--data-dir', data, '--tenant', 'acme', '--role', 'admin');
    assert.equal(created.status, 0, created.stderr);
    const listed = parley('keys', 'list', '--data-dir', data);
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /acme/);
    const audit = parley('audit', '--data-dir', data);
    assert.equal(audit.status, 0, audit.stderr);
  } finally {
    assert.equal((await first.stop()).code, 0);
  }
  // The lock goes with the process: a new server starts.
  const again = await startServer(bin, data);
  assert.equal((await again.stop()).code, 0);
});

test('every flag is checked: ports, counts, directories, files', () => {
  const data = path.join(dir, 'flags');
  const file = path.join(dir, 'a-file');
  writeFileSync(file, 'x');
  mkdirSync(path.join(dir, 'a-dir'));
  // Small files are read with a cap (core::ReadFile), and the error names them.
  const bigKey = path.join(dir, 'big-key');
  writeFileSync(bigKey, 'k'.repeat(65537), { mode: 0o600 });
  const bigAuth = path.join(dir, 'big-auth.json');
  writeFileSync(bigAuth, `{"keys": []}${' '.repeat(1 << 20)}`, { mode: 0o600 });
  const refused = [
    [['--listen', '127.0.0.1:99999'], /--listen 127\.0\.0\.1:99999: .*0 to 65535/],
    [['--listen', ':-1'], /--listen :-1: .*0 to 65535/],
    [['--listen', '127.0.0.1:80x'], /--listen/],
    [['--listen', '127.0.0.1'], /HOST:PORT/],
    [['--listen', '127.0.0.1:'], /HOST:PORT/],
    [['--metrics-listen', '127.0.0.1:65536'], /--metrics-listen/],
    [['--threads', '0'], /--threads/],
    [['--threads', '-2'], /--threads/],
    [['--blocking-threads', '0'], /--blocking-threads/],
    [['--workers', '0'], /--workers/],
    [['--max-body-bytes', '0'], /--max-body-bytes/],
    [['--sweep-seconds', '0'], /--sweep-seconds/],
    [['--intent-threshold', '1.5'], /--intent-threshold/],
    [['--bucket-dir', path.join(dir, 'missing')], /--bucket-dir.*(not exist|missing)/i],
    [['--bucket-dir', file], /--bucket-dir/],
    [['--file-root', path.join(dir, 'missing')], /--file-root/],
    [['--export-dir', file], /--export-dir.*Not a directory/],
    [['--data-dir', file], /--data-dir.*Not a directory/],
    [['--auth-file', path.join(dir, 'missing.json')], /--auth-file/],
    [['--auth-file', bigAuth], /big-auth\.json is larger than 1048576 bytes/],
    [['--llm-endpoint', 'http://127.0.0.1:9', '--llm-key-file', bigKey], /--llm-key-file: .*big-key is larger than 65536 bytes/],
    [['--llm-endpoint', 'http://127.0.0.1:9', '--llm-key-file', path.join(dir, 'a-dir')], /--llm-key-file: cannot read .*a-dir: not a regular file/],
    [['--tls-cert', path.join(dir, 'missing.pem'), '--tls-key', file], /cannot use the TLS certificate .*missing\.pem/],
    [['--log-level', 'loud'], /--log-level/],
    [['--asr-mode', 'turbo'], /--asr-mode: turbo not in \{fast,accurate\}/],
  ];
  for (const [args, message] of refused) {
    const r = parley('serve', '--data-dir', data, ...args);
    assert.notEqual(r.status, 0, `${args.join(' ')} is refused`);
    assert.notEqual(r.status, null, `${args.join(' ')} exits (does not start serving)`);
    assert.match(r.stderr, message, `${args.join(' ')}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /listening on/);
  }
});

test('boundary values are accepted: port 0 and an existing --bucket-dir', async () => {
  const s = await startServer(bin, path.join(dir, 'ok'), ['--bucket-dir', path.join(dir, 'a-dir'), '--threads', '1', '--blocking-threads', '1']);
  assert.equal((await s.stop()).code, 0);
});
