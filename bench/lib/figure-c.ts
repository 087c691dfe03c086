/**
 * Figure C: 50 concurrent allocators (keep-alive HTTP clients), 5,000
 * single-number allocations in all, through the API (POST /numbers/allocate,
 * count 1, customers in turn) against the same 5,000 allocations as one SQL
 * UPDATE each (SELECT … FOR UPDATE SKIP LOCKED LIMIT 1) from 50 concurrent
 * callers sharing a pg pool as big as Numbat's (20 connections). Two more
 * sides send them to bare Fastify routes (lib/bare.ts): one statement per
 * request (allocateInOneStatement), and Numbat's group commit (the HTTP floor
 * of the figure). The four sides take turns in ROUNDS rounds of 1,000 (order
 * reversed every other round), so that load from elsewhere on the machine
 * falls on all of them alike; each side is then checked in the database: no
 * number allocated twice.
 */
import type pg from 'pg';
import { batchStats } from '../../src/numbers/allocation-batcher.js';
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
  /** Group commit during ours: allocate statements sent and the largest batch. */
  batches: { statements: number; requests: number; largest: number };
  sql: Run;
  /** The per-request statement (allocateInOneStatement) behind a bare Fastify route (lib/bare.ts). */
  bare: Run;
  /** The same group commit as ours behind a bare Fastify route: the HTTP floor of C1. */
  bareBatched: Run;
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
  reservedDelta: number,
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
    reservedDelta,
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

/** Rounds per side; the sides take turns, in reverse order every other round. */
export const ROUNDS = 5;

interface Side {
  label: string;
  audit: boolean;
  one: (i: number) => Promise<Allocation | string>;
  got: Allocation[];
  errors: string[];
  seconds: number;
  reservedDelta: number;
}

function side(label: string, audit: boolean, one: Side['one']): Side {
  return { label, audit, one, got: [], errors: [], seconds: 0, reservedDelta: 0 };
}

/** `count` allocations of this side, numbered from `offset` (customers in turn). */
async function round(pool: pg.Pool, s: Side, offset: number, count: number): Promise<void> {
  const before = await reserved(pool);
  const t = await timed(() =>
    concurrently(ALLOCATORS, count, async (i) => {
      try {
        const r = await s.one(offset + i);
        if (typeof r === 'string') s.errors.push(r);
        else s.got.push(r);
      } catch (err) {
        s.errors.push((err as Error).message);
      }
    }),
  );
  s.seconds += t.seconds;
  s.reservedDelta += (await reserved(pool)) - before;
}

async function finish(pool: pg.Pool, s: Side): Promise<Run> {
  const run = {
    seconds: s.seconds,
    perSecond: s.got.length / s.seconds,
    checks: await check(pool, s.got, s.reservedDelta, s.errors, s.audit),
  };
  progress(
    `  ${s.label}: ${run.perSecond.toFixed(0)}/s, checks ${run.checks.ok ? 'ok' : 'FAILED'} ${JSON.stringify(run.checks)}`,
  );
  return run;
}

/** One HTTP allocation; the answer must be exactly one number. */
function viaHttp(api: Api, path: string, body: (customerId: string) => unknown) {
  return async (customerId: string): Promise<Allocation | string> => {
    const r = await api.request<{ items?: { e164: string }[] }>('POST', path, body(customerId));
    const e164 = r.status === 200 && r.body.items?.length === 1 ? r.body.items[0]!.e164 : null;
    return e164
      ? { e164, customerId }
      : `HTTP ${r.status}: ${JSON.stringify(r.body).slice(0, 200)}`;
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

export async function figureC(
  api: Api,
  pool: pg.Pool,
  customers: readonly string[],
  bare: Api,
): Promise<FigureC> {
  const customer = (i: number) => customers[i % customers.length]!;
  const ours = viaHttp(api, '/api/v1/numbers/allocate', (customerId) => ({
    holder: { type: 'customer', customerId },
    count: 1,
  }));
  const bareOne = viaHttp(bare, '/bare/numbers/allocate', (customerId) => ({ customerId }));
  const bareBatched = viaHttp(bare, '/bare/numbers/allocate-batched', (customerId) => ({
    customerId,
  }));
  const sides = [
    side('ours (POST /api/v1/numbers/allocate)', true, (i) => ours(customer(i))),
    // The direct pool holds DB_CONNECTIONS; the ALLOCATORS callers queue for them as
    // Numbat's requests queue for its pool.
    side('SQL baseline (single UPDATEs, 20 pg connections)', false, async (i) => {
      const r = await pool.query<{ e164: string }>(ALLOCATE_SQL, [customer(i)]);
      return r.rows.length === 1 ? { e164: r.rows[0]!.e164, customerId: customer(i) } : 'no row';
    }),
    side('bare route, one statement per request', true, (i) => bareOne(customer(i))),
    side('bare route, group commit', true, (i) => bareBatched(customer(i))),
  ] as const;
  progress(
    `C: ${ALLOCATIONS} allocations per side from ${ALLOCATORS} concurrent allocators, ${ROUNDS} rounds of ${ALLOCATIONS / ROUNDS}, sides taking turns`,
  );
  const per = ALLOCATIONS / ROUNDS;
  const batches = { statements: 0, requests: 0, largest: 0 };
  for (let r = 0; r < ROUNDS; r++) {
    await pool.query('VACUUM (ANALYZE) numbers');
    for (const s of r % 2 === 0 ? sides : [...sides].reverse()) {
      const before = { ...batchStats };
      batchStats.largest = 0;
      await round(pool, s, r * per, per);
      if (s === sides[0]) {
        batches.statements += batchStats.statements - before.statements;
        batches.requests += batchStats.requests - before.requests;
        batches.largest = Math.max(batches.largest, batchStats.largest);
      }
    }
    progress(`  round ${r + 1}/${ROUNDS} done`);
  }
  progress(
    `  ours: ${batches.requests} requests in ${batches.statements} statements (largest ${batches.largest})`,
  );
  return {
    api: await finish(pool, sides[0]),
    batches,
    sql: await finish(pool, sides[1]),
    bare: await finish(pool, sides[2]),
    bareBatched: await finish(pool, sides[3]),
  };
}
