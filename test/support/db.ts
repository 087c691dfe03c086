/** A fresh database per test file, cloned from the migrated template. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, inject } from 'vitest';
import { createDb, createPool, type Db } from '../../src/db/pool.js';

export const TEMPLATE_DB = 'numbat_test_template';

export interface TestDb {
  pool: pg.Pool;
  db: Db;
  url: string;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function createTestDb(): Promise<TestDb> {
  const adminUrl = inject('adminDbUrl');
  const name = `numbat_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  // CREATE DATABASE … TEMPLATE fails if another session is connected to the
  // template; test files start concurrently, so retry briefly.
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DB}`);
      break;
    } catch (err) {
      if (attempt > 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await admin.end();
  const url = withDatabase(adminUrl, name);
  const pool = createPool(url, 10);
  const db = createDb(pool);
  afterAll(async () => {
    await db.destroy();
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  });
  return { pool, db, url };
}
