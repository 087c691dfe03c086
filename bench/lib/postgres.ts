/**
 * The PostgreSQL server the bench measures against: a fresh embedded cluster
 * in a temp dir (real durability: fsync and synchronous_commit on), or the
 * server of BENCH_DATABASE_URL. Either way the bench works in a database of
 * its own, created here and dropped (or deleted with the cluster) at cleanup.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbedded } from '../../src/db/embedded.js';
import { onCleanup } from './cleanup.js';
import { progress } from './log.js';

export interface BenchPostgres {
  /** URL of the bench's own database. */
  url: string;
  /** "embedded (temp dir)" or "BENCH_DATABASE_URL". */
  origin: string;
  version: string;
  /** Settings that matter for the figures, e.g. fsync=on. */
  settings: Record<string, string>;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function serverUrl(): Promise<{ adminUrl: string; origin: string }> {
  const external = process.env.BENCH_DATABASE_URL;
  if (external) return { adminUrl: external, origin: 'BENCH_DATABASE_URL' };

  // The pid in the name tells whose cluster a leftover directory was.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `numbat-bench-${process.pid}-`));
  // As root the server runs as OS user postgres, which must reach the dir.
  fs.chmodSync(dir, 0o755);
  onCleanup('remove temp dir', () => fs.rmSync(dir, { recursive: true, force: true }));
  progress(`starting embedded PostgreSQL in ${dir} (ephemeral: false)`);
  const cluster = await startEmbedded({ dataDir: dir, ephemeral: false });
  onCleanup('stop embedded PostgreSQL', async () => {
    progress('stopping embedded PostgreSQL');
    await cluster.stop();
  });
  return { adminUrl: cluster.url('postgres'), origin: 'embedded, temp dir, fsync on' };
}

export async function startPostgres(): Promise<BenchPostgres> {
  const { adminUrl, origin } = await serverUrl();
  const name = `numbat_bench_${randomBytes(4).toString('hex')}`;
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  onCleanup(`drop database ${name}`, () =>
    withClient(adminUrl, async (c) => {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }),
  );
  const url = withDatabase(adminUrl, name);
  const info = await withClient(url, async (c) => {
    const version = (await c.query<{ v: string }>(`SELECT current_setting('server_version') AS v`))
      .rows[0]!.v;
    const names = [
      'fsync',
      'synchronous_commit',
      'full_page_writes',
      'shared_buffers',
      'max_wal_size',
    ];
    const rows = await c.query<{ name: string; setting: string }>(
      'SELECT name, current_setting(name) AS setting FROM pg_settings WHERE name = ANY($1)',
      [names],
    );
    return { version, settings: Object.fromEntries(rows.rows.map((r) => [r.name, r.setting])) };
  });
  progress(`PostgreSQL ${info.version}, database ${name}`);
  return { url, origin, ...info };
}
