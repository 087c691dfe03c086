/**
 * utilisation_snapshots (migration 0010): the only place with SQL for the
 * utilisation history.
 */
import { sql, type Transaction } from 'kysely';
import type { Db } from '../db/pool.js';
import type { DB } from '../db/schema.js';
import type { Utilisation } from '../ranges/ranges.repository.js';

/** A range's utilisation counts without `locked` (snapshots count states only). */
export type Counts = Omit<Utilisation, 'locked'>;

export interface HistoryRow extends Counts {
  day: string;
}

/** Arbitrary constant: serialises snapshot takers (the job and on-demand calls). */
const SNAPSHOT_LOCK = 7_201_811_010;

/**
 * Counts every site's and range's numbers by state (and each customer's
 * holdings there) in one scan of `numbers`, and stores them as `day`'s rows,
 * replacing rows of the same day. Returns how many rows were written.
 *
 * GROUPING(site_id, range_id, customer_id) tells the grouping sets apart:
 * 3 = per site, 5 = per range, 2 = per site and customer, 4 = per range and customer.
 */
export async function writeSnapshot(trx: Transaction<DB>, day: string, now: Date): Promise<number> {
  await sql`SELECT pg_advisory_xact_lock(${SNAPSHOT_LOCK})`.execute(trx);
  // Same day again: replace, so a holding that ended since leaves no stale row.
  await trx
    .deleteFrom('utilisation_snapshots')
    .where('day', '=', sql<Date>`${day}::date`)
    .execute();
  const res = await sql`
    WITH counted AS (
      SELECT site_id, range_id, customer_id,
        GROUPING(site_id, range_id, customer_id) AS g,
        count(*)::int AS total,
        (count(*) FILTER (WHERE status = 'available'
           AND (cooling_off_until IS NULL OR cooling_off_until <= ${now})))::int AS available,
        (count(*) FILTER (WHERE status = 'available' AND cooling_off_until > ${now}))::int AS cooling_off,
        (count(*) FILTER (WHERE status = 'reserved'))::int AS reserved,
        (count(*) FILTER (WHERE status = 'active'))::int AS active,
        (count(*) FILTER (WHERE status = 'assigned'))::int AS assigned
      FROM numbers
      GROUP BY GROUPING SETS ((site_id), (range_id), (site_id, customer_id), (range_id, customer_id))
    ), scoped AS (
      SELECT 'site' AS scope_type, s.id AS scope_id, NULL::uuid AS customer_id, c.total, c.available,
             c.cooling_off, c.reserved, c.active, c.assigned
        FROM sites s LEFT JOIN counted c ON c.g = 3 AND c.site_id = s.id
      UNION ALL
      SELECT 'range', r.id, NULL::uuid, c.total, c.available, c.cooling_off, c.reserved, c.active,
             c.assigned
        FROM ranges r LEFT JOIN counted c ON c.g = 5 AND c.range_id = r.id
      UNION ALL
      SELECT 'site', site_id, customer_id, total, available, cooling_off, reserved, active, assigned
        FROM counted WHERE g = 2 AND site_id IS NOT NULL AND customer_id IS NOT NULL
      UNION ALL
      SELECT 'range', range_id, customer_id, total, available, cooling_off, reserved, active, assigned
        FROM counted WHERE g = 4 AND range_id IS NOT NULL AND customer_id IS NOT NULL
    )
    INSERT INTO utilisation_snapshots
      (day, scope_type, scope_id, customer_id, total, available, cooling_off, reserved, active,
       assigned, taken_at)
    SELECT ${day}::date, scope_type, scope_id, customer_id, coalesce(total, 0),
           coalesce(available, 0), coalesce(cooling_off, 0), coalesce(reserved, 0),
           coalesce(active, 0), coalesce(assigned, 0), ${now}
      FROM scoped
    ON CONFLICT (scope_type, scope_id, customer_id, day) DO UPDATE SET
      total = excluded.total, available = excluded.available, cooling_off = excluded.cooling_off,
      reserved = excluded.reserved, active = excluded.active, assigned = excluded.assigned,
      taken_at = excluded.taken_at`.execute(trx);
  return Number(res.numAffectedRows ?? 0);
}

/** One scope's rows from `from` to `to` (inclusive), oldest first; customerId null = the whole scope. */
export async function history(
  db: Db,
  q: {
    scopeType: 'site' | 'range';
    scopeId: string;
    customerId: string | null;
    from: string;
    to: string;
  },
): Promise<HistoryRow[]> {
  const rows = await sql<HistoryRow>`
    SELECT to_char(day, 'YYYY-MM-DD') AS day, total, available, cooling_off AS "coolingOff",
           reserved, active, assigned
      FROM utilisation_snapshots
     WHERE scope_type = ${q.scopeType} AND scope_id = ${q.scopeId}::uuid
       AND customer_id IS NOT DISTINCT FROM ${q.customerId}::uuid
       AND day BETWEEN ${q.from}::date AND ${q.to}::date
     ORDER BY day`.execute(db);
  return rows.rows;
}

/** Whether `day` already has a snapshot (any row). */
export async function hasSnapshot(db: Db, day: string): Promise<boolean> {
  const row = await db
    .selectFrom('utilisation_snapshots')
    .select('day')
    .where('day', '=', sql<Date>`${day}::date`)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export function findScope(db: Db, type: 'site' | 'range', id: string) {
  return type === 'site'
    ? db.selectFrom('sites').select(['id', 'name']).where('id', '=', id).executeTakeFirst()
    : db.selectFrom('ranges').select(['id', 'name']).where('id', '=', id).executeTakeFirst();
}

/** Arbitrary constant: serialises schedulers, so one snapshot job is queued at a time. */
const SCHEDULE_LOCK = 7_201_811_011;

export async function lockScheduling(trx: Transaction<DB>): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${SCHEDULE_LOCK})`.execute(trx);
}

export async function hasQueuedJob(db: Db, kind: string): Promise<boolean> {
  const row = await db
    .selectFrom('jobs')
    .select('id')
    .where('kind', '=', kind)
    .where('status', '=', 'queued')
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** The next UTC midnight (+1 min) by the database clock, which the worker's claim compares with. */
export async function runAtNextUtcMidnight(db: Db, jobId: string): Promise<void> {
  await sql`
    UPDATE jobs
       SET run_after = date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
                       + interval '1 day 1 minute'
     WHERE id = ${jobId}`.execute(db);
}
