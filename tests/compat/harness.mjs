// What the official-client compatibility tests share: finding the server
// binary, a `parley serve` child process on a free port, a transparent
// logging proxy (PARLEY_COMPAT_TRACE=1), the rejection of a call, and
// loading a client library installed in tests/compat.
import { storeArgs } from '../store/pg_store.mjs';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const compatDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(compatDir, '..', '..');

// A client library from tests/compat/node_modules: `load(require)` picks what
// the test uses, and `clientVersion` is added. `{error}` saying how to
// install it when it is missing or does not load: tests fail (never skip)
// with that message.
export function loadClient(pkg, load) {
  const marker = path.join(compatDir, 'node_modules', ...pkg.split('/'), 'package.json');
  const install = 'Run:  bash scripts/install-deps.sh --with-test-clients\n' +
    '(it runs `npm ci` in tests/compat, using the versions pinned in package-lock.json).';
  if (!existsSync(marker)) {
    return { error: `The client library ${pkg} is not installed (${marker} is missing).\n${install}` };
  }
  const require = createRequire(path.join(compatDir, 'package.json'));
  try {
    return { ...load(require), clientVersion: require(`${pkg}/package.json`).version };
  } catch (e) {
    return { error: `Loading the client library ${pkg} failed: ${e.message}\n${install}` };
  }
}

// The parley binary: $PARLEY_BIN (ctest sets it), else build/parley.
// `{bin}` or `{error}` naming how to run `testFile` by hand.
export function findParleyBinary(testFile) {
  const fromEnv = process.env.PARLEY_BIN;
  if (fromEnv) {
    return existsSync(fromEnv) ? { bin: fromEnv } : { error: `PARLEY_BIN=${fromEnv} does not exist; build it first.` };
  }
  const fallback = path.join(repoRoot, 'build', 'parley');
  if (existsSync(fallback)) return { bin: fallback };
  return {
    error:
      'Set PARLEY_BIN to the parley server binary (ctest does this), e.g.\n' +
      `  PARLEY_BIN=build/parley node --test tests/compat/${testFile}`,
  };
}

// The error `promise` is rejected with; fails the test if it resolves.
export async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail('expected the call to be rejected, but it succeeded');
}

// ---------------------------------------------------------------------------
// Server process.

export async function startServer(bin, dataDir, extraArgs = []) {
  const child = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, ...storeArgs(dataDir), ...extraArgs], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`parley did not report its port within 20 s; stderr:\n${stderr}`));
    }, 20000);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      const m = /parley: listening on 127\.0\.0\.1:(\d+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`parley exited early (code ${code}, signal ${signal}); stderr:\n${stderr}`));
    });
  });
  return {
    port,
    child,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) {
        return { code: child.exitCode, signal: child.signalCode };
      }
      const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

// A transparent HTTP proxy that logs every exchange (PARLEY_COMPAT_TRACE=1).
export async function startTracingProxy(targetPort) {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const headers = { ...req.headers };
      delete headers.host;
      const up = http.request(
        { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers },
        (upRes) => {
          const out = [];
          upRes.on('data', (c) => out.push(c));
          upRes.on('end', () => {
            const resBody = Buffer.concat(out);
            process.stderr.write(
              `\n>>> ${req.method} ${req.url}\n` +
                (body.length ? `${body.toString('utf8')}\n` : '') +
                `<<< ${upRes.statusCode}\n${resBody.toString('utf8')}\n`,
            );
            const resHeaders = { ...upRes.headers };
            delete resHeaders['transfer-encoding'];
            delete resHeaders.connection;
            resHeaders['content-length'] = String(resBody.length);
            res.writeHead(upRes.statusCode, resHeaders);
            res.end(resBody);
          });
        },
      );
      up.on('error', (e) => {
        process.stderr.write(`\n>>> ${req.method} ${req.url}\n!!! upstream error: ${e.message}\n`);
        res.destroy(e);
      });
      up.end(body);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: server.address().port, close: () => new Promise((r) => server.close(r)) };
}

