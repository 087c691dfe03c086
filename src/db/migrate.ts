/**
 * Forward-only migrations. Each runs in its own transaction under a
 * transaction-scoped advisory lock, so two instances starting at the same
 * moment apply each migration exactly once (the second waits, then sees it
 * recorded and skips it).
 */
import type pg from 'pg';
import { sql as m0001 } from './migrations/0001_init.js';
import { sql as m0002 } from './migrations/0002_jobs.js';
import { sql as m0003 } from './migrations/0003_bulk.js';
import { sql as m0004 } from './migrations/0004_services.js';
import { sql as m0005 } from './migrations/0005_users.js';
import { sql as m0006 } from './migrations/0006_bulk_references.js';
import { sql as m0007 } from './migrations/0007_sync.js';
import { sql as m0008 } from './migrations/0008_bulk_references_all.js';
import { sql as m0010 } from './migrations/0010_utilisation_history.js';
import { sql as m0011 } from './migrations/0011_import_audit_links.js';
import { sql as m0012 } from './migrations/0012_digit_grams.js';
import { sql as m0013 } from './migrations/0013_range_checks.js';

export interface Migration {
  id: number;
  name: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  { id: 1, name: 'init', sql: m0001 },
  { id: 2, name: 'jobs', sql: m0002 },
  { id: 3, name: 'bulk', sql: m0003 },
  { id: 4, name: 'services', sql: m0004 },
  { id: 5, name: 'users', sql: m0005 },
  { id: 6, name: 'bulk references', sql: m0006 },
  { id: 7, name: 'sync', sql: m0007 },
  { id: 8, name: 'bulk references all', sql: m0008 },
  { id: 10, name: 'utilisation history', sql: m0010 },
  { id: 11, name: 'import audit links', sql: m0011 },
  { id: 12, name: 'digit grams', sql: m0012 },
  { id: 13, name: 'range checks', sql: m0013 },
];

/** Arbitrary constant: the advisory lock key that serialises migrators. */
const MIGRATION_LOCK = 7_201_811_001;

export async function migrate(
  pool: pg.Pool,
  log: (msg: string) => void = () => {},
): Promise<number> {
  const client = await pool.connect();
  let applied = 0;
  try {
    await client
      .query(
        `CREATE TABLE IF NOT EXISTS numbat_migrations (
         id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      )
      .catch(async (err: unknown) => {
        // Two instances racing CREATE TABLE IF NOT EXISTS can collide on the
        // catalog's unique index; the table exists either way.
        // (23505 on pg_type's unique index, or 42710 "type already exists").
        const code = (err as { code?: string }).code;
        if (code !== '23505' && code !== '42710' && code !== '42P07') throw err;
      });
    for (const m of migrations) {
      await client.query('BEGIN');
      try {
        await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
        const done = await client.query('SELECT 1 FROM numbat_migrations WHERE id = $1', [m.id]);
        if (done.rowCount === 0) {
          await client.query(m.sql);
          await client.query('INSERT INTO numbat_migrations (id, name) VALUES ($1, $2)', [
            m.id,
            m.name,
          ]);
          applied++;
          log(`applied migration ${m.id} ${m.name}`);
        }
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${m.id} ${m.name} failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
  } finally {
    client.release();
  }
  return applied;
}
