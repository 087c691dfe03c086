/**
 * The only place with SQL for numbers. Functions that lock rows take a
 * transaction; bulk writes are one statement for any number of rows.
 */
import { CompiledQuery, sql, type Selectable, type Transaction } from 'kysely';
import type { QueryResultRow } from 'pg';
import { poolOf, type Db } from '../db/pool.js';
import type { DB, NumbersTable } from '../db/schema.js';
import type { Actor } from '../actor.js';
import type { Holder, NumberState } from '../domain/lifecycle.js';

export type NumberRow = Selectable<NumbersTable>;
type Executor = Db | Transaction<DB>;

export function rowToState(r: NumberRow): NumberState {
  return {
    e164: r.e164,
    country: r.country,
    status: r.status,
    holder:
      r.holder_type === 'operator'
        ? { type: 'operator' }
        : r.holder_type === 'customer' && r.customer_id
          ? { type: 'customer', customerId: r.customer_id }
          : null,
    siteId: r.site_id,
    usage: r.usage,
    mainNumber: r.main_number,
    locked: r.locked,
    lockReason: r.lock_reason,
    coolingOffUntil: r.cooling_off_until,
    assignment: r.assignment_type
      ? {
          type: r.assignment_type,
          targetId: r.assignment_target_id ?? '',
          targetName: r.assignment_target_name,
        }
      : null,
    pendingOperation:
      r.pending_job_id && r.pending_action
        ? { jobId: r.pending_job_id, action: r.pending_action }
        : null,
  };
}

export function getNumber(db: Executor, e164: string): Promise<NumberRow | undefined> {
  return db.selectFrom('numbers').selectAll().where('e164', '=', e164).executeTakeFirst();
}

/** Locks the rows in e164 order, so concurrent bulk actions cannot deadlock. */
export function lockNumbers(trx: Transaction<DB>, e164s: readonly string[]): Promise<NumberRow[]> {
  if (e164s.length === 0) return Promise.resolve([]);
  return trx
    .selectFrom('numbers')
    .selectAll()
    .where('e164', '=', sql<string>`ANY(${[...e164s]}::text[])`)
    .orderBy('e164')
    .forUpdate()
    .execute();
}

export interface PoolFilter {
  count: number;
  siteId?: string | undefined;
  rangeId?: string | undefined;
  country?: string | undefined;
  kinds?: readonly string[] | undefined;
  now: Date;
}

/**
 * Available, unlocked, not cooling off, no pending operation — lowest first.
 * SKIP LOCKED lets concurrent allocators take different numbers instead of
 * queueing behind each other (and never the same one). The one-statement
 * allocations (`allocateStatement`, `allocateBatchStatement`) repeat this
 * pick word for word: keep the three in step.
 */
export function pickAvailable(trx: Transaction<DB>, f: PoolFilter): Promise<NumberRow[]> {
  let q = trx
    .selectFrom('numbers')
    .selectAll()
    .where('status', '=', 'available')
    .where('locked', '=', false)
    .where('pending_job_id', 'is', null)
    .where((eb) =>
      eb.or([eb('cooling_off_until', 'is', null), eb('cooling_off_until', '<=', f.now)]),
    );
  if (f.siteId) q = q.where('site_id', '=', f.siteId);
  if (f.rangeId) q = q.where('range_id', '=', f.rangeId);
  if (f.country) q = q.where('country', '=', f.country);
  if (f.kinds?.length) q = q.where('kind', 'in', [...f.kinds]);
  return q.orderBy('e164').limit(f.count).forUpdate().skipLocked().execute();
}

/**
 * The pool filter's optional conditions as SQL, numbered from $11 (after the
 * statements' ten fixed parameters; `runPoolStatement` appends their values in
 * this order), and the filter's shape for the statement caches.
 */
function poolFilterSql(f: Omit<PoolFilter, 'count' | 'now'>): { shape: string; filters: string } {
  const optional: [boolean, string][] = [
    [!!f.siteId, 'site_id = $?::uuid'],
    [!!f.rangeId, 'range_id = $?::uuid'],
    [!!f.country, 'country = $?::text'],
    [!!f.kinds?.length, 'kind = ANY($?::text[])'],
  ];
  let n = 10;
  return {
    shape: optional.map(([on]) => (on ? '1' : '0')).join(''),
    filters: optional
      .filter(([on]) => on)
      .map(([, cond]) => `AND ${cond.replace('$?', `$${++n}`)}`)
      .join(' '),
  };
}

/** Statement text per filter shape and small count, built once (the hot path skips query building). */
const NAMED_MAX_COUNT = 10;
const allocateStatements = new Map<string, { name: string; text: string }>();

/**
 * The SQL of `allocateInOneStatement` for one filter shape. The pick is
 * `pickAvailable`'s, word for word (keep them in step); parameters $1..$10 are
 * fixed, the optional filters follow in order.
 */
function allocateStatement(f: PoolFilter, customer: boolean): { name: string; text: string } {
  // The LIMIT is written into the text: with LIMIT $1 PostgreSQL never trusts a
  // generic plan and re-plans every call. Small counts get a named statement each.
  if (!Number.isSafeInteger(f.count) || f.count < 1) throw new RangeError(`count ${f.count}`);
  const { shape, filters } = poolFilterSql(f);
  const key = shape + (customer ? 'c' : 'o') + String(f.count);
  let st = allocateStatements.get(key);
  if (st) return st;
  const holderActive = customer
    ? `EXISTS (SELECT 1 FROM customers c WHERE c.id = $4::uuid AND c.status = 'active')`
    : 'true';
  const text = `
    WITH picked AS MATERIALIZED (
      SELECT * FROM numbers
      WHERE status = 'available' AND NOT locked AND pending_job_id IS NULL
        AND (cooling_off_until IS NULL OR cooling_off_until <= $2::timestamptz) ${filters}
      ORDER BY e164 LIMIT ${f.count}
      FOR UPDATE SKIP LOCKED
    ),
    go AS (
      SELECT (SELECT count(*) FROM picked) = $1::int
         AND NOT EXISTS (SELECT 1 FROM picked WHERE main_number OR holder_type IS NOT NULL)
         AND ${holderActive} AS ok
    ),
    upd AS (
      UPDATE numbers n SET
        status = 'reserved', holder_type = $3::text, customer_id = $4::uuid,
        cooling_off_until = NULL, acquired_at = $2::timestamptz,
        updated_at = now(), version = n.version + 1,
        service_id = CASE WHEN $4::uuid IS NOT DISTINCT FROM n.customer_id THEN n.service_id END,
        civic_address_id =
          CASE WHEN $4::uuid IS NOT DISTINCT FROM n.customer_id THEN n.civic_address_id END,
        location_id = CASE WHEN $4::uuid IS NOT DISTINCT FROM n.customer_id THEN n.location_id END,
        customer_may_update = $4::uuid IS NOT DISTINCT FROM n.customer_id AND n.customer_may_update
      FROM picked p
      WHERE n.e164 = p.e164 AND (SELECT ok FROM go)
      RETURNING n.*, p.cooling_off_until AS before_cooling_off_until
    ),
    audit AS (
      INSERT INTO audit_events
        (principal_id, principal_name, source, ticket_id, request_id,
         action, object_type, object_id, customer_id, changes)
      SELECT $6::text, $7::text, $8::text, $9::text, $10::text,
             'number.allocate', 'number', u.e164, $4::uuid,
             jsonb_build_object(
               'status', jsonb_build_array('available', 'reserved'),
               'holder', jsonb_build_array(NULL::jsonb, $5::jsonb))
             || CASE WHEN u.before_cooling_off_until IS NULL THEN '{}'::jsonb
                ELSE jsonb_build_object('coolingOffUntil', jsonb_build_array(
                  to_char(u.before_cooling_off_until AT TIME ZONE 'UTC',
                          'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                  NULL::text)) END
      FROM upd u
    )
    SELECT * FROM upd ORDER BY e164`;
  // Counts above NAMED_MAX_COUNT run unnamed (re-planned), so that a connection
  // holds at most 16 × NAMED_MAX_COUNT prepared statements.
  st = { name: f.count <= NAMED_MAX_COUNT ? `numbat_allocate_${key}` : '', text };
  if (f.count <= NAMED_MAX_COUNT) allocateStatements.set(key, st);
  return st;
}

/**
 * Run an allocation statement: `values` are its fixed parameters, the pool
 * filter's parameters follow in the order its text numbers them. A named
 * prepared statement on the Db's pool when it has one; through Kysely otherwise.
 */
async function runPoolStatement<Row extends QueryResultRow>(
  db: Db,
  st: { name: string; text: string },
  values: unknown[],
  f: Omit<PoolFilter, 'count' | 'now'>,
): Promise<Row[]> {
  if (f.siteId) values.push(f.siteId);
  if (f.rangeId) values.push(f.rangeId);
  if (f.country) values.push(f.country);
  if (f.kinds?.length) values.push([...f.kinds]);
  const pool = poolOf(db);
  if (!pool) return (await db.executeQuery<Row>(CompiledQuery.raw(st.text, values))).rows;
  const query = st.name ? { name: st.name, text: st.text, values } : { text: st.text, values };
  return (await pool.query<Row>(query)).rows;
}

/**
 * A POST /numbers/allocate of more numbers than the group commit takes
 * (allocation-batcher.ts MAX_BATCHED_COUNT; smaller ones share
 * `allocateBatchInOneStatement`) in ONE statement (one round trip, its own
 * transaction): pick `count` numbers exactly as `pickAvailable` does
 * (R-10 not cooling off, R-11 not locked, R-13 no pending operation; SKIP
 * LOCKED keeps concurrent allocators apart), check R-12 (the customer is
 * active), reserve them for `holder` as `applyUpdates` would, and write their
 * `number.allocate` audit events with the same `changes` as the general path.
 *
 * It changes nothing and returns null whenever the answer is not the plain
 * "all reserved": fewer than `count` numbers, holder not active, or a picked
 * number that is unusual for the pool (nominated main, R-21; or still carrying
 * a holder). The caller then takes the general path, whose domain rules give
 * the precise refusal (or handle the main number) — so every rule keeps a
 * single wording, in src/domain/lifecycle.ts.
 *
 * Sent as a named prepared statement on the Db's pool (no query building, and
 * PostgreSQL plans it once per connection); through Kysely when the Db has no
 * pool of its own.
 */
export async function allocateInOneStatement(
  db: Db,
  actor: Actor,
  holder: Holder,
  f: PoolFilter,
): Promise<NumberRow[] | null> {
  const customerId = holder.type === 'customer' ? holder.customerId : null;
  const st = allocateStatement(f, customerId !== null);
  const values: unknown[] = [
    f.count,
    f.now.toISOString(),
    holder.type,
    customerId,
    JSON.stringify(holder),
    actor.principal.id,
    actor.principal.name,
    actor.source,
    actor.ticketId,
    actor.requestId,
  ];
  type Row = NumberRow & { before_cooling_off_until: Date | null };
  const rows = await runPoolStatement<Row>(db, st, values, f);
  if (rows.length === 0) return null;
  return rows.map(({ before_cooling_off_until: _, ...row }) => row);
}

/** One request of `allocateBatchInOneStatement`: its own holder, count and actor. */
export interface BatchRequest {
  actor: Actor;
  holder: Holder;
  count: number;
}

const batchStatements = new Map<string, { name: string; text: string }>();
/** Batches up to this many numbers in all run as named statements (one per total). */
const BATCH_NAMED_MAX_TOTAL = 64;

/**
 * The SQL of `allocateBatchInOneStatement` for one filter shape and total.
 * The pick is `pickAvailable`'s (and `allocateStatement`'s), word for word:
 * keep the three in step. $1 is now; $2..$10 are per-request arrays; the
 * optional filters follow in order, as in `allocateStatement`.
 */
function allocateBatchStatement(f: Omit<PoolFilter, 'count'>, total: number) {
  if (!Number.isSafeInteger(total) || total < 1) throw new RangeError(`total ${total}`);
  const { shape, filters } = poolFilterSql(f);
  const key = shape + String(total);
  let st = batchStatements.get(key);
  if (st) return st;
  // req: the requests in arrival order (idx from 1). ok: those whose holder is
  // active (R-12), each with the offset of its first number among the picked.
  // served: requests all of whose numbers were picked and are plain (no main
  // number, no holder) — the others change nothing and take the general path.
  const text = `
    WITH req AS (
      SELECT * FROM unnest($2::int[], $3::text[], $4::uuid[], $5::jsonb[], $6::text[],
                           $7::text[], $8::text[], $9::text[], $10::text[])
        WITH ORDINALITY AS r(cnt, holder_type, customer_id, holder, principal_id,
                             principal_name, source, ticket_id, request_id, idx)
    ),
    ok AS MATERIALIZED (
      SELECT r.*, sum(r.cnt) OVER (ORDER BY r.idx) - r.cnt AS start_rn
      FROM req r
      WHERE r.holder_type = 'operator'
         OR EXISTS (SELECT 1 FROM customers c WHERE c.id = r.customer_id AND c.status = 'active')
    ),
    picked AS MATERIALIZED (
      SELECT * FROM numbers
      WHERE status = 'available' AND NOT locked AND pending_job_id IS NULL
        AND (cooling_off_until IS NULL OR cooling_off_until <= $1::timestamptz) ${filters}
      ORDER BY e164 LIMIT ${total}
      FOR UPDATE SKIP LOCKED
    ),
    numbered AS MATERIALIZED (
      SELECT p.e164, p.cooling_off_until, p.main_number OR p.holder_type IS NOT NULL AS unusual,
             row_number() OVER (ORDER BY p.e164) - 1 AS rn
      FROM picked p
    ),
    assigned AS MATERIALIZED (
      SELECT n.e164, n.cooling_off_until AS before_cooling_off_until, o.*
      FROM numbered n JOIN ok o ON n.rn >= o.start_rn AND n.rn < o.start_rn + o.cnt
      WHERE o.start_rn + o.cnt <= (SELECT count(*) FROM numbered)
        AND NOT EXISTS (SELECT 1 FROM numbered x
                        WHERE x.unusual AND x.rn >= o.start_rn AND x.rn < o.start_rn + o.cnt)
    ),
    upd AS (
      UPDATE numbers n SET
        status = 'reserved', holder_type = a.holder_type, customer_id = a.customer_id,
        cooling_off_until = NULL, acquired_at = $1::timestamptz,
        updated_at = now(), version = n.version + 1,
        service_id = CASE WHEN a.customer_id IS NOT DISTINCT FROM n.customer_id THEN n.service_id END,
        civic_address_id =
          CASE WHEN a.customer_id IS NOT DISTINCT FROM n.customer_id THEN n.civic_address_id END,
        location_id = CASE WHEN a.customer_id IS NOT DISTINCT FROM n.customer_id THEN n.location_id END,
        customer_may_update = a.customer_id IS NOT DISTINCT FROM n.customer_id AND n.customer_may_update
      FROM assigned a
      WHERE n.e164 = a.e164
      RETURNING n.*, a.idx AS batch_idx
    ),
    audit AS (
      INSERT INTO audit_events
        (principal_id, principal_name, source, ticket_id, request_id,
         action, object_type, object_id, customer_id, changes)
      SELECT a.principal_id, a.principal_name, a.source, a.ticket_id, a.request_id,
             'number.allocate', 'number', a.e164, a.customer_id,
             jsonb_build_object(
               'status', jsonb_build_array('available', 'reserved'),
               'holder', jsonb_build_array(NULL::jsonb, a.holder))
             || CASE WHEN a.before_cooling_off_until IS NULL THEN '{}'::jsonb
                ELSE jsonb_build_object('coolingOffUntil', jsonb_build_array(
                  to_char(a.before_cooling_off_until AT TIME ZONE 'UTC',
                          'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                  NULL::text)) END
      FROM assigned a JOIN upd u ON u.e164 = a.e164
      ORDER BY a.idx, a.e164
    )
    SELECT * FROM upd ORDER BY batch_idx, e164`;
  st = { name: total <= BATCH_NAMED_MAX_TOTAL ? `numbat_allocate_batch_${key}` : '', text };
  if (st.name) batchStatements.set(key, st);
  return st;
}

/**
 * Many POST /numbers/allocate requests with the same pool filter in ONE
 * statement (one round trip, one transaction, one commit): the group commit
 * of src/numbers/allocation-batcher.ts. Picks the requests' numbers together
 * exactly as `pickAvailable` does (R-10, R-11, R-13; SKIP LOCKED), hands them
 * out in request order, lowest first, and reserves each request's numbers for
 * its own holder with its own `number.allocate` audit events (its own actor:
 * principal, source, ticket, request id) — the same rows and events as
 * `allocateInOneStatement` would write for that request alone.
 *
 * A request gets all its numbers or none (R-12 holder not active, too few
 * numbers left for it, a main number or a number still carrying a holder
 * among its share): its slot in the answer is then null, nothing was changed
 * for it, and the caller takes the general path for it, which gives the
 * precise answer. One request's refusal never fails another's.
 */
export async function allocateBatchInOneStatement(
  db: Db,
  requests: readonly BatchRequest[],
  f: Omit<PoolFilter, 'count'>,
): Promise<(NumberRow[] | null)[]> {
  if (requests.length === 0) return [];
  const total = requests.reduce((s, r) => s + r.count, 0);
  const st = allocateBatchStatement(f, total);
  const col = <T>(fn: (r: BatchRequest) => T) => requests.map(fn);
  const values: unknown[] = [
    f.now.toISOString(),
    col((r) => r.count),
    col((r) => r.holder.type),
    col((r) => (r.holder.type === 'customer' ? r.holder.customerId : null)),
    col((r) => JSON.stringify(r.holder)),
    col((r) => r.actor.principal.id),
    col((r) => r.actor.principal.name),
    col((r) => r.actor.source),
    col((r) => r.actor.ticketId),
    col((r) => r.actor.requestId),
  ];
  type Row = NumberRow & { batch_idx: number | string };
  const rows = await runPoolStatement<Row>(db, st, values, f);
  const out: (NumberRow[] | null)[] = requests.map(() => null);
  for (const { batch_idx, ...row } of rows) (out[Number(batch_idx) - 1] ??= []).push(row);
  return out;
}

/** The columns a lifecycle action may change. */
export interface LifecycleUpdate {
  e164: string;
  status: string;
  holder_type: string | null;
  customer_id: string | null;
  main_number: boolean;
  locked: boolean;
  lock_reason: string | null;
  cooling_off_until: string | null;
  assignment_type: string | null;
  assignment_target_id: string | null;
  assignment_target_name: string | null;
  acquired_at: string | null;
}

export function stateToUpdate(s: NumberState, acquiredAt: Date | null): LifecycleUpdate {
  return {
    e164: s.e164,
    status: s.status,
    holder_type: s.holder?.type ?? null,
    customer_id: s.holder?.type === 'customer' ? s.holder.customerId : null,
    main_number: s.mainNumber,
    locked: s.locked,
    lock_reason: s.lockReason,
    cooling_off_until: s.coolingOffUntil?.toISOString() ?? null,
    assignment_type: s.assignment?.type ?? null,
    assignment_target_id: s.assignment?.targetId ?? null,
    assignment_target_name: s.assignment?.targetName ?? null,
    acquired_at: acquiredAt?.toISOString() ?? null,
  };
}

/** Writes many lifecycle changes in one statement; bumps version (the ETag). */
export async function applyUpdates(
  trx: Transaction<DB>,
  updates: readonly LifecycleUpdate[],
): Promise<NumberRow[]> {
  if (updates.length === 0) return [];
  const r = await sql<NumberRow>`
    UPDATE numbers n SET
      status = u.status, holder_type = u.holder_type, customer_id = u.customer_id,
      main_number = u.main_number, locked = u.locked, lock_reason = u.lock_reason,
      cooling_off_until = u.cooling_off_until, assignment_type = u.assignment_type,
      assignment_target_id = u.assignment_target_id,
      assignment_target_name = u.assignment_target_name,
      acquired_at = u.acquired_at, updated_at = now(), version = n.version + 1,
      -- A number leaving its customer leaves that customer's service and
      -- emergency address behind (migration 0004's composite foreign keys).
      service_id = CASE WHEN u.customer_id IS NOT DISTINCT FROM n.customer_id THEN n.service_id END,
      civic_address_id =
        CASE WHEN u.customer_id IS NOT DISTINCT FROM n.customer_id THEN n.civic_address_id END,
      location_id = CASE WHEN u.customer_id IS NOT DISTINCT FROM n.customer_id THEN n.location_id END,
      customer_may_update = u.customer_id IS NOT DISTINCT FROM n.customer_id AND n.customer_may_update
    FROM jsonb_to_recordset(${JSON.stringify(updates)}::jsonb) AS u(
      e164 text, status text, holder_type text, customer_id uuid, main_number boolean,
      locked boolean, lock_reason text, cooling_off_until timestamptz, assignment_type text,
      assignment_target_id text, assignment_target_name text, acquired_at timestamptz)
    WHERE n.e164 = u.e164 COLLATE "C"
    RETURNING n.*`.execute(trx);
  return r.rows;
}

export interface MainKey {
  holderKey: string;
  siteId: string;
  e164: string;
}

export const holderKey = (holderType: string | null, customerId: string | null) =>
  holderType === 'customer' ? `customer:${customerId}` : (holderType ?? 'none');

/** Existing main numbers of any holder at the given sites (R-21 lookups). */
export async function mainsAtSites(
  trx: Transaction<DB>,
  siteIds: readonly string[],
): Promise<MainKey[]> {
  if (siteIds.length === 0) return [];
  const rows = await trx
    .selectFrom('numbers')
    .select(['e164', 'holder_type', 'customer_id', 'site_id'])
    .where('main_number', '=', true)
    .where('holder_type', 'is not', null)
    .where('site_id', 'in', [...siteIds])
    .execute();
  return rows.map((r) => ({
    holderKey: holderKey(r.holder_type, r.customer_id),
    siteId: r.site_id!,
    e164: r.e164,
  }));
}

export async function customerStatuses(
  db: Executor,
  ids: readonly string[],
): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('customers')
    .select(['id', 'status'])
    .where('id', 'in', [...ids])
    .execute();
  return new Map(rows.map((r) => [r.id, r.status]));
}
