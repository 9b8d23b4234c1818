// For the Node tests that start `parley serve`: when PARLEY_PG_STATE names
// the state directory of a test PostgreSQL cluster (scripts/pg-cluster.sh,
// the CTest fixture `postgres`), the server runs on the PostgreSQL store
// instead of SQLite. Each data directory gets a schema of its own, named
// after it, so a server restarted over the same data directory finds its
// data, and tests running at once never see each other's rows.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

// The cluster's superuser URL, or null when the tests run on SQLite.
export function postgresAdminUrl() {
  const state = process.env.PARLEY_PG_STATE;
  if (!state) return null;
  return readFileSync(path.join(state, 'url'), 'utf8').trim();
}

// The schema of `dataDir`'s store (also the application name of its
// connections).
export function schemaOf(dataDir) {
  return 's_' + createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 20);
}

// Runs SQL as the cluster's superuser; returns psql's unaligned output.
export function adminSql(sql) {
  return execFileSync('psql', [postgresAdminUrl(), '-qXAtc', `SET client_min_messages = warning; ${sql}`],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

// `parley serve` arguments that put the store of `dataDir` in PostgreSQL
// ([] on SQLite), connecting as `role` (default: the superuser).
export function storeArgs(dataDir, role = null) {
  const admin = postgresAdminUrl();
  if (admin === null) return [];
  const schema = schemaOf(dataDir);
  adminSql(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  const url = role === null ? admin : admin.replace('//parley@', `//${role}@`);
  return ['--store', `${url}&application_name=${schema}&options=-csearch_path%3D${schema}`];
}
