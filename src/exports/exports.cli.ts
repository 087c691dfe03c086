/**
 * `numbat export [filters] > file.csv` (SPEC §4, §9 "CLI"): the export of
 * GET /api/v1/exports/numbers.csv, streamed from PostgreSQL's COPY to stdout.
 * Loaded on demand by the command (src/jobs/bulk.cli.ts), and importing only
 * what an export needs: with the whole application loaded, start-up cost
 * ~0.4 s more CPU than the export of 1M rows itself (docs/decisions.md).
 */
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/database.js';
import { migrate, migrations } from '../db/migrate.js';
import { countNumbers, listFilter } from '../numbers/numbers.list.js';
import { streamNumbersCsv } from './exports.service.js';

export interface ExportCliOptions {
  status?: string;
  holder?: 'operator' | 'customer' | 'none';
  customer?: string;
  site?: string;
  range?: string;
  country?: string;
  kind?: string;
  usage?: string;
  main?: boolean;
  locked?: boolean;
  q?: string;
}

/** A progress bar on stderr when it is a terminal (cli-progress loaded only then). */
async function progressBar(total: () => Promise<number>) {
  if (!process.stderr.isTTY) return null;
  const { default: cliProgress } = await import('cli-progress');
  const b = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: '{bar} {percentage}% | {value}/{total} numbers | {eta_formatted} left',
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  b.start(await total(), 0);
  return b;
}

/**
 * Whether every migration is recorded: one query, where migrate() spends two
 * round trips and a transaction per migration to find nothing to do.
 */
async function upToDate(pool: pg.Pool): Promise<boolean> {
  try {
    const r = await pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM numbat_migrations WHERE id = ANY($1::int[])',
      [migrations.map((m) => m.id)],
    );
    return r.rows[0]?.n === migrations.length;
  } catch {
    return false; // no numbat_migrations yet: migrate() creates it
  }
}

export async function exportNumbers(o: ExportCliOptions): Promise<void> {
  const config = loadConfig();
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    dataDirExplicit: config.dataDirExplicit,
    migrate: false,
  });
  try {
    if (!(await upToDate(database.pool))) await migrate(database.pool);
    const filter = listFilter(
      {
        status: o.status,
        holder: o.holder,
        customerId: o.customer,
        siteId: o.site,
        rangeId: o.range,
        country: o.country?.toUpperCase(),
        kind: o.kind,
        usage: o.usage,
        main: o.main,
        locked: o.locked,
        q: o.q,
      },
      new Date(),
    );
    const progress = await progressBar(() => countNumbers(database.db, filter));
    const stream = await streamNumbersCsv(database.pool, database.db, filter);
    let rows = -1; // the header line
    if (progress) {
      stream.on('data', (chunk: Buffer) => {
        for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) rows++;
        progress.update(Math.max(rows, 0));
      });
    }
    await pipeline(stream, process.stdout);
    progress?.stop();
  } finally {
    await database.close();
  }
}
