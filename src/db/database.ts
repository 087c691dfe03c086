/**
 * Opens Numbat's database: a PostgreSQL server from DATABASE_URL, or the
 * embedded cluster in NUMBAT_DATA_DIR. Migrations run on open.
 */
import pg from 'pg';
import { startEmbedded, usableDataDir, type RunningCluster } from './embedded.js';
import { migrate } from './migrate.js';
import { createDb, createPool, type Db } from './pool.js';

export interface Database {
  pool: pg.Pool;
  db: Db;
  url: string;
  close: () => Promise<void>;
}

export interface OpenOptions {
  databaseUrl: string | null;
  dataDir: string;
  /** The data directory was set explicitly (NUMBAT_DATA_DIR): never relocate it. */
  dataDirExplicit?: boolean;
  log?: (msg: string) => void;
  /** Run migrations (default true). */
  migrate?: boolean;
  poolSize?: number;
}

const EMBEDDED_DB = 'numbat';

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE DATABASE ${name}`).catch((err: { code?: string }) => {
        if (err.code !== '42P04' && err.code !== '23505') throw err; // created meanwhile
      });
    }
  } finally {
    await client.end();
  }
}

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  const log = opts.log ?? (() => undefined);
  let cluster: RunningCluster | null = null;
  let url: string;
  if (opts.databaseUrl) {
    url = opts.databaseUrl;
  } else {
    const dataDir = usableDataDir(opts.dataDir, opts.dataDirExplicit ?? false, log);
    cluster = await startEmbedded({ dataDir, log: (l) => log(`postgres: ${l}`) });
    await ensureDatabase(cluster.url('postgres'), EMBEDDED_DB);
    url = cluster.url(EMBEDDED_DB);
  }
  const pool = createPool(url, opts.poolSize);
  if (opts.migrate !== false) await migrate(pool, log);
  const db = createDb(pool);
  return {
    pool,
    db,
    url,
    close: async () => {
      await db.destroy();
      // Kysely ends the pool only if it ran a query itself; a command that used
      // only the raw pool (migrate, COPY export) kept an idle client open for
      // pg's 10 s idle timeout, delaying the process exit.
      if (!pool.ended) await pool.end();
      if (cluster?.owned) await cluster.stop();
    },
  };
}
