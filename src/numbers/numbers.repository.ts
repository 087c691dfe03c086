/**
 * The only place with SQL for numbers. Functions that lock rows take a
 * transaction; bulk writes are one statement for any number of rows.
 */
import { sql, type Selectable, type Transaction } from 'kysely';
import type { Db } from '../db/pool.js';
import type { DB, NumbersTable } from '../db/schema.js';
import type { NumberState } from '../domain/lifecycle.js';

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
 * queueing behind each other (and never the same one).
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
