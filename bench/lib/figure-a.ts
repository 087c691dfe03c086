/**
 * Figure A: creating a 1,000,000-number range through the API, against the
 * same rows written by PostgreSQL alone into an unindexed table of the same
 * columns, (1) with INSERT … SELECT FROM generate_series and (2) with
 * `psql \copy` of a CSV file.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type pg from 'pg';
import { explainAnalyze } from './explain.js';
import type { Api } from './http.js';
import { progress, timed } from './log.js';
import { pickQuery } from './same-sql.js';

export const RANGE = { name: 'bench 1M', start: '+441134960000', count: 1_000_000 } as const;
const PSQL = process.env.BENCH_PSQL ?? '/usr/bin/psql';
const CSV_COLUMNS = ['e164', 'country', 'kind', 'range_id', 'site_id', 'source'] as const;
/** A fixed range id for the baseline rows (the bare tables have no foreign keys). */
const BARE_RANGE_ID = '00000000-0000-4000-8000-000000000001';

export interface FigureA {
  start: string;
  end: string;
  count: number;
  rangeId: string;
  apiSeconds: number;
  insertSelectSeconds: number;
  copySeconds: number;
  /** What the real table carries: indexes (primary key included), foreign keys, checks. */
  schema: { indexes: number; gin: number; foreignKeys: number; checks: number };
}

async function schemaOf(pool: pg.Pool): Promise<FigureA['schema']> {
  const r = await pool.query<FigureA['schema']>(
    `SELECT (SELECT count(*)::int FROM pg_index WHERE indrelid = 'numbers'::regclass) AS indexes,
            (SELECT count(*)::int FROM pg_indexes WHERE tablename = 'numbers' AND indexdef LIKE '%USING gin%') AS gin,
            (SELECT count(*)::int FROM pg_constraint WHERE conrelid = 'numbers'::regclass AND contype = 'f') AS "foreignKeys",
            (SELECT count(*)::int FROM pg_constraint WHERE conrelid = 'numbers'::regclass AND contype = 'c') AS checks`,
  );
  return r.rows[0]!;
}

function nth(start: string, i: number): string {
  return `+${(BigInt(start.slice(1)) + BigInt(i)).toString()}`;
}

/** Both ends must be valid numbers, or the API would refuse the range. */
function checkEnds(start: string, end: string): void {
  for (const e of [start, end]) {
    const p = parsePhoneNumberFromString(e);
    if (!p?.isValid() || p.country !== 'GB') throw new Error(`${e} is not a valid GB number`);
  }
  progress(`range ${start}–${end}: both ends valid GB fixed-line numbers (libphonenumber-js/max)`);
}

async function writeCsv(file: string, start: string, count: number): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const out = fs.createWriteStream(file);
  const base = BigInt(start.slice(1));
  const batch = 10_000;
  for (let i = 0; i < count; i += batch) {
    let chunk = '';
    for (let j = i; j < Math.min(count, i + batch); j++) {
      chunk += `+${(base + BigInt(j)).toString()},GB,fixedLine,${BARE_RANGE_ID},,api\n`;
    }
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) =>
    out.end((err?: Error | null) => (err ? reject(err) : resolve())),
  );
}

function psqlCopy(url: string, table: string, file: string): Promise<void> {
  const command = `\\copy ${table} (${CSV_COLUMNS.join(', ')}) FROM '${file}' WITH (FORMAT csv)`;
  return new Promise((resolve, reject) => {
    const child = spawn(PSQL, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', command], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`psql exited ${code}: ${err}`)),
    );
  });
}

async function count(pool: pg.Pool, table: string): Promise<number> {
  return (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;
}

async function expectRows(pool: pg.Pool, table: string, n: number): Promise<void> {
  const got = await count(pool, table);
  if (got !== n) throw new Error(`${table}: expected ${n} rows, found ${got}`);
}

export async function figureA(
  api: Api,
  pool: pg.Pool,
  url: string,
  dataDir: string,
): Promise<FigureA> {
  const { start, count: n, name } = RANGE;
  const end = nth(start, n - 1);
  checkEnds(start, end);

  const csv = path.join(dataDir, 'numbers-1m.csv');
  progress(`writing ${csv}`);
  await writeCsv(csv, start, n);

  for (const t of ['bench_bare_insert', 'bench_bare_copy']) {
    await pool.query(`DROP TABLE IF EXISTS ${t}`);
    await pool.query(`CREATE TABLE ${t} (LIKE numbers INCLUDING DEFAULTS)`); // columns only: no index, no check
  }

  progress(`A baseline: INSERT … SELECT FROM generate_series, ${n} rows, unindexed table`);
  await pool.query('CHECKPOINT');
  const insert = await timed(() =>
    pool.query(
      `INSERT INTO bench_bare_insert (e164, country, kind, range_id, site_id, source)
       SELECT '+' || ($1::bigint + i)::text, $2, $3, $4::uuid, $5::uuid, $6
       FROM generate_series(0, $7::int) AS i`,
      [start.slice(1), 'GB', 'fixedLine', BARE_RANGE_ID, null, 'api', n - 1],
    ),
  );
  await expectRows(pool, 'bench_bare_insert', n);
  progress(`  ${insert.seconds.toFixed(2)} s`);

  progress(`A baseline: psql \\copy of a ${n}-line CSV, unindexed table`);
  await pool.query('CHECKPOINT');
  const copy = await timed(() => psqlCopy(url, 'bench_bare_copy', csv));
  await expectRows(pool, 'bench_bare_copy', n);
  progress(`  ${copy.seconds.toFixed(2)} s`);

  for (const t of ['bench_bare_insert', 'bench_bare_copy']) await pool.query(`DROP TABLE ${t}`);

  progress(`A ours: POST /api/v1/ranges {count: ${n}}`);
  await pool.query('CHECKPOINT');
  const created = await timed(() =>
    api.ok<{ id: string; utilisation: { total: number } }>(
      'POST',
      '/api/v1/ranges',
      { name, start, count: n },
      201,
    ),
  );
  const body = created.value.body;
  if (body.utilisation.total !== n)
    throw new Error(`range utilisation.total ${body.utilisation.total}, expected ${n}`);
  const inDb = await pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM numbers WHERE range_id = $1',
    [body.id],
  );
  if (inDb.rows[0]!.n !== n)
    throw new Error(`numbers of the range: ${inDb.rows[0]!.n}, expected ${n}`);
  progress(`  ${created.seconds.toFixed(2)} s (verified: ${n} numbers in the range)`);

  return {
    start,
    end,
    count: n,
    rangeId: body.id,
    apiSeconds: created.seconds,
    insertSelectSeconds: insert.seconds,
    copySeconds: copy.seconds,
    schema: await schemaOf(pool),
  };
}

/** Figure A on its own (BENCH_ONLY=A): ours, both baselines of the same run and the ratios. */
export function figureAText(a: FigureA, loadEnd: number, loadStart: number): string {
  const ratio = (x: number) => `${(a.apiSeconds / x).toFixed(2)}×`;
  return [
    `A. ${a.count.toLocaleString('en')}-number range, POST /ranges: ${a.apiSeconds.toFixed(2)} s (target ≤ 10 s: ${a.apiSeconds <= 10 ? 'yes' : 'no'})`,
    `   baseline INSERT … SELECT generate_series, unindexed: ${a.insertSelectSeconds.toFixed(2)} s → ${ratio(a.insertSelectSeconds)}`,
    `   baseline psql \\copy of a CSV, unindexed: ${a.copySeconds.toFixed(2)} s → ${ratio(a.copySeconds)}`,
    `   numbers table: ${a.schema.indexes} indexes (${a.schema.gin} GIN), ${a.schema.foreignKeys} foreign keys, ${a.schema.checks} checks; load average ${loadStart.toFixed(1)} → ${loadEnd.toFixed(1)}`,
  ].join('\n');
}

/**
 * BENCH_ONLY=A: the allocation pick of 1,000 right after the range (EXPLAIN
 * ANALYZE, rolled back), as the full bench's setup measures it: proof that
 * the range's small-sample ANALYZE leaves the planner a good plan.
 */
export async function pickRightAfter(pool: pg.Pool): Promise<string> {
  const plan = await explainAnalyze(pool, await pickQuery({ count: 1_000, now: new Date() }));
  const top = plan.text.split('\n').slice(0, 3).join(' / ');
  return `   allocation pick of 1,000 right after the range: ${plan.executionMs.toFixed(1)} ms (${top.slice(0, 160)}…)`;
}
