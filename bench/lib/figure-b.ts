/**
 * Figure B: latency of list pages over the 1M-number inventory, through the
 * API (HTTP, keep-alive, one request at a time) against the very same SQL sent
 * with pg. Every request of a kind is generated up front from a seeded PRNG,
 * so both sides answer the same questions. A first unmeasured pass through SQL
 * warms the caches for both; then API and SQL take turns, request by request
 * (who goes first alternates), so that both meet the same background load.
 */
import type pg from 'pg';
import { encodeCursor, type NumberListFilter } from '../../src/numbers/numbers.list.js';
import type { Status } from '../../src/domain/lifecycle.js';
import type { Api } from './http.js';
import { explainAnalyze } from './explain.js';
import { progress } from './log.js';
import { listQuery, setRowsEstimate, type PlainQuery } from './same-sql.js';
import { latency, rng, type Latency } from './stats.js';

export const REQUESTS = 1000;
const LIMIT = 100;

interface Spec {
  /** API query string (after `?`). */
  qs: string;
  filter: Omit<NumberListFilter, 'now'>;
  after?: string;
}

export interface KindResult {
  key: string;
  /** Numbers in the inventory when measured (1M, 10M). */
  inventory: number;
  label: string;
  example: string;
  api: Latency;
  sql: Latency;
  /** Mean rows per page, to show the pages are not empty. */
  meanRows: number;
  sqlText: string;
  /** EXPLAIN (ANALYZE, BUFFERS) of the slowest SQL sample. */
  slowestPlan: string;
}

interface Kind {
  key: string;
  label: string;
  make: (r: () => number) => Spec;
}

function kinds(customers: readonly string[], start: string, count: number): Kind[] {
  const base = BigInt(start.slice(1));
  const pick = <T>(r: () => number, xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  return [
    {
      key: 'B1',
      label: 'status=reserved&customerId=…, first page of 100',
      make: (r) => {
        const c = pick(r, customers);
        const status: Status[] = ['reserved'];
        return {
          qs: `status=reserved&customerId=${c}&limit=${LIMIT}`,
          filter: { status, customerId: c },
        };
      },
    },
    {
      key: 'B2',
      label: 'status=available, page of 100 deep in the table (cursor at 60–99 %)',
      make: (r) => {
        const offset = Math.floor(count * (0.6 + 0.39 * r()));
        const after = `+${(base + BigInt(offset)).toString()}`;
        const status: Status[] = ['available'];
        return {
          qs: `status=available&limit=${LIMIT}&cursor=${encodeCursor(after, false)}`,
          filter: { status },
          after,
        };
      },
    },
    {
      key: 'B3',
      label: 'partial-number search q= 4–6 random digits, page of 100',
      make: (r) => {
        const len = 4 + Math.floor(r() * 3);
        let q = '';
        for (let i = 0; i < len; i++) q += String(Math.floor(r() * 10));
        return { qs: `q=${q}&limit=${LIMIT}`, filter: { q } };
      },
    },
  ];
}

function sqlOf(spec: Spec): Promise<PlainQuery> {
  return listQuery(
    { ...spec.filter, now: new Date() },
    { limit: LIMIT, after: spec.after, desc: false },
  );
}

async function runSql(pool: pg.Pool, spec: Spec): Promise<{ ms: number; rows: number }> {
  const q = await sqlOf(spec);
  if (q.settings.length === 0) {
    const start = performance.now();
    const r = await pool.query(q.text, q.values);
    return { ms: performance.now() - start, rows: r.rowCount ?? 0 };
  }
  // Same statements as the app: its planner settings, then the query, in one transaction.
  const client = await pool.connect();
  try {
    const start = performance.now();
    await client.query('BEGIN');
    for (const s of q.settings) await client.query(s);
    const r = await client.query(q.text, q.values);
    await client.query('COMMIT');
    return { ms: performance.now() - start, rows: r.rowCount ?? 0 };
  } finally {
    client.release();
  }
}

export async function figureB(
  api: Api,
  pool: pg.Pool,
  customers: readonly string[],
  range: { start: string; count: number },
  inventory = range.count,
): Promise<KindResult[]> {
  const out: KindResult[] = [];
  const tag = inventory >= 1_000_000 ? `${inventory / 1_000_000}M` : String(inventory);
  for (const [k, kind] of kinds(customers, range.start, range.count).entries()) {
    const r = rng(1000 + k);
    const specs = Array.from({ length: REQUESTS }, () => kind.make(r));

    // The app steers some list queries by the table's row estimate: use the same.
    const est = await pool.query<{ n: number }>(
      `SELECT greatest(reltuples, 0)::float8 AS n FROM pg_class WHERE oid = 'numbers'::regclass`,
    );
    setRowsEstimate(Number(est.rows[0]?.n ?? 0));
    progress(`${kind.key} at ${tag} numbers, ${kind.label}: warm-up pass (SQL, unmeasured)`);
    for (const s of specs) await runSql(pool, s);

    progress(`${kind.key}: ${REQUESTS} requests through the API and as SQL, taking turns`);
    const apiMs: number[] = [];
    const sqlMs: number[] = [];
    let rows = 0;
    let sqlRows = 0;
    const viaApi = async (s: Spec) => {
      const res = await api.ok<{ items: unknown[] }>('GET', `/api/v1/numbers?${s.qs}`);
      apiMs.push(res.ms);
      rows += res.body.items.length;
    };
    const viaSql = async (s: Spec) => {
      const res = await runSql(pool, s);
      sqlMs.push(res.ms);
      sqlRows += Math.min(res.rows, LIMIT);
    };
    for (const [i, s] of specs.entries()) {
      if (i % 2 === 0) {
        await viaApi(s);
        await viaSql(s);
      } else {
        await viaSql(s);
        await viaApi(s);
      }
    }
    if (sqlRows !== rows) {
      throw new Error(`${kind.key}: the API returned ${rows} rows in all, SQL ${sqlRows}`);
    }

    const slowest = specs[sqlMs.indexOf(Math.max(...sqlMs))]!;
    const result: KindResult = {
      key: `${kind.key}@${tag}`,
      inventory,
      label: kind.label,
      example: `GET /api/v1/numbers?${specs[0]!.qs}`,
      api: latency(apiMs),
      sql: latency(sqlMs),
      meanRows: rows / REQUESTS,
      sqlText: (await sqlOf(specs[0]!)).text,
      slowestPlan: `-- ${slowest.qs}\n${(await explainAnalyze(pool, await sqlOf(slowest))).text}`,
    };
    progress(
      `  API p50 ${result.api.p50.toFixed(2)} ms p99 ${result.api.p99.toFixed(2)} ms | ` +
        `SQL p50 ${result.sql.p50.toFixed(2)} ms p99 ${result.sql.p99.toFixed(2)} ms | ${result.meanRows.toFixed(1)} rows/page`,
    );
    out.push(result);
  }
  return out;
}
