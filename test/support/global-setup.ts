/**
 * Starts one PostgreSQL for the whole `db` test run — embedded in a temporary
 * directory, or the server in TEST_DATABASE_URL — and builds a migrated
 * template database that every test file clones (test/support/db.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbedded } from '../../src/db/embedded.js';
import { migrate } from '../../src/db/migrate.js';
import { createPool } from '../../src/db/pool.js';

export const TEMPLATE_DB = 'numbat_test_template';

declare module 'vitest' {
  export interface ProvidedContext {
    adminDbUrl: string;
  }
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export default async function setup(project: TestProject) {
  let adminUrl: string;
  let stop = async () => {};
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'numbat-test-'));
  fs.chmodSync(tmp, 0o755); // as root, the server runs as another OS user
  if (process.env.TEST_DATABASE_URL) {
    adminUrl = process.env.TEST_DATABASE_URL;
  } else {
    const cluster = await startEmbedded({ dataDir: tmp, ephemeral: true });
    adminUrl = cluster.url('postgres');
    stop = cluster.stop;
  }
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  // Databases left by an earlier, interrupted run on a shared server.
  const stale = await admin.query<{ datname: string }>(
    `SELECT datname FROM pg_database WHERE datname LIKE 'numbat_test_%'`,
  );
  for (const { datname } of stale.rows)
    await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`);
  const pool = createPool(withDatabase(adminUrl, TEMPLATE_DB), 2);
  await migrate(pool);
  await pool.end();
  await admin.end();
  project.provide('adminDbUrl', adminUrl);

  return async () => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    const rows = await c.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE 'numbat_test_%'`,
    );
    for (const { datname } of rows.rows)
      await c.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    await c.end();
    await stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  };
}
