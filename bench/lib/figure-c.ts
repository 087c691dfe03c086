/**
 * Figure C: 50 concurrent allocators (keep-alive HTTP clients), 5,000
 * single-number allocations in all, through the API (POST /numbers/allocate,
 * count 1, customers in turn) against the same 5,000 allocations as one SQL
 * UPDATE each (SELECT … FOR UPDATE SKIP LOCKED LIMIT 1) from 50 concurrent
 * callers sharing a pg pool as big as Numbat's (20 connections). Both are
 * then checked in the database: no number allocated twice. A third run sends
 * them to the same one statement behind a bare Fastify route (lib/bare.ts),
 * the HTTP floor of the figure.
 */
import type pg from 'pg';
import type { Api } from './http.js';
import { progress, timed } from './log.js';

export const ALLOCATORS = 50;
export const ALLOCATIONS = 5_000;
/** Numbat's pool size (src/db/pool.ts createPool default); the baseline gets as many connections. */
export const DB_CONNECTIONS = 20;
/** issue #7 item 4. */
export const TARGET_PER_SECOND = 2_000;

export interface Checks {
  returned: number;
  distinct: number;
  reservedDelta: number;
  /** Returned numbers that are reserved to the customer they were returned for. */
  heldAsReturned: number;
  /** Numbers with more than one `number.allocate` audit event (API run only). */
  auditDoubles: number | null;
  /** `number.allocate` events of the returned numbers (API run only). */
  auditEvents: number | null;
  errors: string[];
  ok: boolean;
}

export interface Run {
  seconds: number;
  perSecond: number;
  checks: Checks;
}

export interface FigureC {
  api: Run;
  sql: Run;
  /** The same one statement behind a bare Fastify route (lib/bare.ts): the HTTP floor. */
  bare: Run;
}

interface Allocation {
  e164: string;
  customerId: string;
}

const reserved = async (pool: pg.Pool) =>
  (
    await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM numbers WHERE status = 'reserved'`,
    )
  ).rows[0]!.n;

/** Runs `one(i, worker)` for i in [0, total) from `workers` concurrent loops. */
async function concurrently(
  workers: number,
  total: number,
  one: (i: number, worker: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      for (let i = next++; i < total; i = next++) await one(i, worker);
    }),
  );
}

async function check(
  pool: pg.Pool,
  got: Allocation[],
  before: number,
  errors: string[],
  audit: boolean,
): Promise<Checks> {
  const e164s = got.map((a) => a.e164);
  const held = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n
     FROM unnest($1::text[], $2::uuid[]) AS x(e164, customer_id)
     JOIN numbers n ON n.e164 = x.e164 AND n.status = 'reserved' AND n.customer_id = x.customer_id`,
    [e164s, got.map((a) => a.customerId)],
  );
  let auditDoubles: number | null = null;
  let auditEvents: number | null = null;
  if (audit) {
    auditDoubles = (
      await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM (
           SELECT object_id FROM audit_events
           WHERE object_type = 'number' AND action = 'number.allocate'
           GROUP BY object_id HAVING count(*) > 1) d`,
      )
    ).rows[0]!.n;
    auditEvents = (
      await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM audit_events
         WHERE object_type = 'number' AND action = 'number.allocate' AND object_id = ANY($1::text[])`,
        [e164s],
      )
    ).rows[0]!.n;
  }
  const c = {
    returned: got.length,
    distinct: new Set(e164s).size,
    reservedDelta: (await reserved(pool)) - before,
    heldAsReturned: held.rows[0]!.n,
    auditDoubles,
    auditEvents,
    errors: errors.slice(0, 5),
  };
  const ok =
    errors.length === 0 &&
    c.returned === ALLOCATIONS &&
    c.distinct === ALLOCATIONS &&
    c.reservedDelta === ALLOCATIONS &&
    c.heldAsReturned === ALLOCATIONS &&
    (!audit || (c.auditDoubles === 0 && c.auditEvents === ALLOCATIONS));
  return { ...c, ok };
}

async function viaApi(
  api: Api,
  pool: pg.Pool,
  customers: readonly string[],
  path = '/api/v1/numbers/allocate',
  bodyOf: (customerId: string) => unknown = (customerId) => ({
    holder: { type: 'customer', customerId },
    count: 1,
  }),
): Promise<Run> {
  const before = await reserved(pool);
  const got: Allocation[] = [];
  const errors: string[] = [];
  const t = await timed(() =>
    concurrently(ALLOCATORS, ALLOCATIONS, async (i) => {
      const customerId = customers[i % customers.length]!;
      try {
        const r = await api.request<{ items?: { e164: string }[] }>(
          'POST',
          path,
          bodyOf(customerId),
        );
        const e164 = r.status === 200 && r.body.items?.length === 1 ? r.body.items[0]!.e164 : null;
        if (e164) got.push({ e164, customerId });
        else errors.push(`HTTP ${r.status}: ${JSON.stringify(r.body).slice(0, 200)}`);
      } catch (err) {
        errors.push((err as Error).message);
      }
    }),
  );
  return {
    seconds: t.seconds,
    perSecond: got.length / t.seconds,
    checks: await check(pool, got, before, errors, true),
  };
}

/** The allocation as one statement; the pool predicate is the app's (pickAvailable). */
const ALLOCATE_SQL = `
  UPDATE numbers SET status = 'reserved', holder_type = 'customer', customer_id = $1,
         acquired_at = now(), updated_at = now(), version = version + 1
  WHERE e164 = (
    SELECT e164 FROM numbers
    WHERE status = 'available' AND NOT locked AND pending_job_id IS NULL
      AND (cooling_off_until IS NULL OR cooling_off_until <= now())
    ORDER BY e164 LIMIT 1
    FOR UPDATE SKIP LOCKED)
  RETURNING e164`;

async function viaSql(pool: pg.Pool, customers: readonly string[]): Promise<Run> {
  const before = await reserved(pool);
  const got: Allocation[] = [];
  const errors: string[] = [];
  // The direct pool holds DB_CONNECTIONS; the ALLOCATORS callers queue for them as
  // Numbat's requests queue for its pool.
  const t = await timed(() =>
    concurrently(ALLOCATORS, ALLOCATIONS, async (i) => {
      const customerId = customers[i % customers.length]!;
      try {
        const r = await pool.query<{ e164: string }>(ALLOCATE_SQL, [customerId]);
        if (r.rows.length === 1) got.push({ e164: r.rows[0]!.e164, customerId });
        else errors.push('no row updated');
      } catch (err) {
        errors.push((err as Error).message);
      }
    }),
  );
  return {
    seconds: t.seconds,
    perSecond: got.length / t.seconds,
    checks: await check(pool, got, before, errors, false),
  };
}

export async function figureC(
  api: Api,
  pool: pg.Pool,
  customers: readonly string[],
  bare: Api,
): Promise<FigureC> {
  progress(
    `C ours: ${ALLOCATIONS} allocations through the API from ${ALLOCATORS} concurrent allocators`,
  );
  await pool.query('VACUUM (ANALYZE) numbers');
  const viaHttp = await viaApi(api, pool, customers);
  progress(
    `  ${viaHttp.perSecond.toFixed(0)}/s, checks ${viaHttp.checks.ok ? 'ok' : 'FAILED'} ${JSON.stringify(viaHttp.checks)}`,
  );

  progress(
    `C baseline: ${ALLOCATIONS} allocations as single UPDATEs from ${ALLOCATORS} callers over ${DB_CONNECTIONS} pg connections`,
  );
  await pool.query('VACUUM (ANALYZE) numbers');
  const direct = await viaSql(pool, customers);
  progress(
    `  ${direct.perSecond.toFixed(0)}/s, checks ${direct.checks.ok ? 'ok' : 'FAILED'} ${JSON.stringify(direct.checks)}`,
  );
  progress(
    `C bare HTTP: ${ALLOCATIONS} allocations through a bare Fastify route running the same statement`,
  );
  await pool.query('VACUUM (ANALYZE) numbers');
  const bareRun = await viaApi(bare, pool, customers, '/bare/numbers/allocate', (customerId) => ({
    customerId,
  }));
  progress(
    `  ${bareRun.perSecond.toFixed(0)}/s, checks ${bareRun.checks.ok ? 'ok' : 'FAILED'} ${JSON.stringify(bareRun.checks)}`,
  );
  return { api: viaHttp, sql: direct, bare: bareRun };
}
