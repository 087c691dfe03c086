/**
 * The only place with SQL for platform sync: the outbox (migration 0007), the
 * sync state of numbers, and the differences a refresh finds.
 */
import { sql, type Selectable, type Transaction } from 'kysely';
import type { Db } from '../db/pool.js';
import type { DB, SyncDifferencesTable, SyncErrorJson, SyncState } from '../db/schema.js';

type Executor = Db | Transaction<DB>;
export type DifferenceRow = Selectable<SyncDifferencesTable>;

export interface SyncTargetRow {
  service_id: string;
  platform: 'teamsOperatorConnect' | 'teamsPhoneMobile' | 'webexCloudConnect' | 'hostedVoice';
  mode: 'integrated' | 'nonIntegrated' | null;
  sync_enabled: boolean;
  site_id: string | null;
  customer_id: string;
  account_name: string;
  teams_tenant_id: string | null;
  webex_org_id: string | null;
}

/** A service with the customer fields a connector needs to address the platform. */
function targets(db: Executor) {
  return db
    .selectFrom('services as s')
    .innerJoin('customers as c', 'c.id', 's.customer_id')
    .select([
      's.id as service_id',
      's.platform',
      's.mode',
      's.sync_enabled',
      's.site_id',
      's.customer_id',
      'c.account_name',
      'c.teams_tenant_id',
      'c.webex_org_id',
    ]);
}

export function serviceTarget(db: Executor, serviceId: string) {
  return targets(db).where('s.id', '=', serviceId).executeTakeFirst() as Promise<
    SyncTargetRow | undefined
  >;
}

/** Synced services, optionally of one customer or one service (refresh scope). */
export function syncedServices(
  db: Executor,
  f: { customerId?: string | undefined; serviceId?: string | undefined },
): Promise<SyncTargetRow[]> {
  let q = targets(db)
    .where(sql<boolean>`numbat_service_synced(s.id)`)
    .orderBy('s.created_at');
  if (f.customerId) q = q.where('s.customer_id', '=', f.customerId);
  if (f.serviceId) q = q.where('s.id', '=', f.serviceId);
  return q.execute();
}

export async function outboxCount(db: Executor, jobId: string): Promise<number> {
  const r = await db
    .selectFrom('sync_outbox')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('job_id', '=', jobId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** The next batch of one operation still to deliver, lowest numbers first. */
export function nextOutbox(
  db: Executor,
  jobId: string,
  op: 'push' | 'delete' | 'release',
  limit: number,
) {
  return db
    .selectFrom('sync_outbox')
    .select(['e164', 'service_id'])
    .where('job_id', '=', jobId)
    .where('op', '=', op)
    .orderBy('e164')
    .limit(limit)
    .execute();
}

export async function deleteOutbox(trx: Executor, jobId: string, e164s: readonly string[]) {
  if (!e164s.length) return;
  await trx
    .deleteFrom('sync_outbox')
    .where('job_id', '=', jobId)
    .where('e164', '=', sql<string>`ANY(${[...e164s]}::text[])`)
    .execute();
}

/** R-13 while in flight: numbers of this job's outbox carry it as their pending operation. */
export async function markPending(db: Executor, jobId: string): Promise<void> {
  await sql`
    UPDATE numbers n SET pending_job_id = o.job_id,
      pending_action = CASE o.op WHEN 'push' THEN 'syncPush' WHEN 'delete' THEN 'syncDelete' ELSE 'syncRelease' END
    FROM sync_outbox o
    WHERE o.job_id = ${jobId}::uuid AND n.e164 = o.e164 AND n.pending_job_id IS NULL`.execute(db);
}

/** Numbers to push, with the platform-side ids of their emergency address and location. */
export function numbersToPush(db: Executor, e164s: readonly string[]) {
  return db
    .selectFrom('numbers as n')
    .leftJoin('civic_addresses as a', 'a.id', 'n.civic_address_id')
    .leftJoin('locations as l', 'l.id', 'n.location_id')
    .select([
      'n.e164',
      'n.status',
      'n.kind',
      'n.usage',
      'n.capabilities',
      'n.custom_sip_header',
      'n.customer_may_update',
      'n.service_id',
      'n.sync_state',
      'n.pending_job_id',
      sql<string | null>`coalesce(a.external_id, a.id::text)`.as('civic_address_ref'),
      sql<string | null>`coalesce(l.external_id, l.id::text)`.as('location_ref'),
    ])
    .where('n.e164', '=', sql<string>`ANY(${[...e164s]}::text[])`)
    .execute();
}

export interface StateUpdate {
  e164: string;
  state: SyncState | null;
  errors: SyncErrorJson[] | null;
}

/**
 * Record what the platform said, one statement for a batch; clears the
 * pending operation only where it is this job's (a later change keeps its own).
 */
export async function applySyncStates(
  trx: Executor,
  jobId: string,
  updates: readonly StateUpdate[],
  syncedAt: Date,
): Promise<void> {
  if (!updates.length) return;
  await sql`
    UPDATE numbers n SET
      sync_state = u.state,
      sync_errors = CASE WHEN u.errors IS NULL OR jsonb_array_length(u.errors) = 0 THEN NULL ELSE u.errors END,
      last_synced_at = CASE WHEN u.state = 'active' THEN ${syncedAt}::timestamptz ELSE n.last_synced_at END,
      upstream_job_id = ${jobId},
      pending_job_id = CASE WHEN n.pending_job_id = ${jobId}::uuid THEN NULL ELSE n.pending_job_id END,
      pending_action = CASE WHEN n.pending_job_id = ${jobId}::uuid THEN NULL ELSE n.pending_action END,
      updated_at = now(), version = n.version + 1
    FROM jsonb_to_recordset(${JSON.stringify(updates)}::jsonb) AS u(e164 text, state text, errors jsonb)
    WHERE n.e164 = u.e164 COLLATE "C"`.execute(trx);
}

/** Clear this job's pending operation on numbers (no state change). */
export async function clearPending(trx: Executor, jobId: string, e164s: readonly string[]) {
  if (!e164s.length) return;
  await trx
    .updateTable('numbers')
    .set({ pending_job_id: null, pending_action: null })
    .where('pending_job_id', '=', jobId)
    .where('e164', '=', sql<string>`ANY(${[...e164s]}::text[])`)
    .execute();
}

/** When a job gives up: every number it still had to deliver ends `failed` with why. */
export async function failRemaining(
  trx: Executor,
  jobId: string,
  errors: SyncErrorJson[],
): Promise<string[]> {
  const r = await sql<{ e164: string }>`
    UPDATE numbers n SET
      sync_state = CASE WHEN n.sync_state IS NULL THEN NULL ELSE 'failed' END,
      sync_errors = ${JSON.stringify(errors)}::jsonb,
      pending_job_id = NULL, pending_action = NULL, updated_at = now(), version = n.version + 1
    FROM sync_outbox o
    WHERE o.job_id = ${jobId}::uuid AND n.e164 = o.e164 AND n.pending_job_id = ${jobId}::uuid
    RETURNING n.e164`.execute(trx);
  return r.rows.map((x) => x.e164);
}

/** Enqueue a push of numbers (reactivate, apply a difference) in the caller's transaction. */
export async function enqueuePush(
  trx: Transaction<DB>,
  serviceId: string,
  e164s: readonly string[],
  op: 'push' | 'release',
): Promise<string> {
  const r = await sql<{ j: string }>`SELECT numbat_sync_job(${serviceId}::uuid) AS j`.execute(trx);
  const jobId = r.rows[0]!.j;
  await sql`
    INSERT INTO sync_outbox (job_id, service_id, e164, op)
    SELECT ${jobId}::uuid, ${serviceId}::uuid, e, ${op} FROM unnest(${[...e164s]}::text[]) AS e
    ON CONFLICT (job_id, service_id, e164) DO UPDATE SET op = EXCLUDED.op`.execute(trx);
  await trx
    .updateTable('numbers')
    .set({ pending_job_id: jobId, pending_action: op === 'push' ? 'syncPush' : 'syncRelease' })
    .where('e164', '=', sql<string>`ANY(${[...e164s]}::text[])`)
    .execute();
  return jobId;
}

/** Numbers of a service as Numbat sees them (refresh compares them with the platform's). */
export function serviceNumbers(db: Executor, serviceId: string) {
  return db
    .selectFrom('numbers')
    .select([
      'e164',
      'status',
      'usage',
      'custom_sip_header',
      'assignment_type',
      'sync_state',
      'pending_job_id',
    ])
    .where('service_id', '=', serviceId)
    .orderBy('e164')
    .execute();
}

export async function insertDifferences(
  trx: Executor,
  rows: readonly {
    refresh_job_id: string;
    service_id: string;
    customer_id: string;
    e164: string;
    kind: DifferenceRow['kind'];
    details: Record<string, unknown>;
  }[],
): Promise<void> {
  if (!rows.length) return;
  // Older open differences of the same numbers are replaced by what this refresh saw.
  await sql`
    UPDATE sync_differences SET status = 'superseded'
    WHERE status = 'open' AND service_id = ${rows[0]!.service_id}::uuid
      AND e164 = ANY(${rows.map((r) => r.e164)}::text[])`.execute(trx);
  for (let i = 0; i < rows.length; i += 1000) {
    await trx
      .insertInto('sync_differences')
      .values(rows.slice(i, i + 1000).map((r) => ({ ...r, details: JSON.stringify(r.details) })))
      .execute();
  }
}

export interface DifferenceFilter {
  customerId?: string | undefined;
  serviceId?: string | undefined;
  kind?: DifferenceRow['kind'] | undefined;
  status?: DifferenceRow['status'] | undefined;
  refreshJobId?: string | undefined;
  afterId?: string | undefined;
  limit: number;
}

export function listDifferences(db: Executor, f: DifferenceFilter): Promise<DifferenceRow[]> {
  let q = db
    .selectFrom('sync_differences')
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(f.limit);
  if (f.customerId) q = q.where('customer_id', '=', f.customerId);
  if (f.serviceId) q = q.where('service_id', '=', f.serviceId);
  if (f.kind) q = q.where('kind', '=', f.kind);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.refreshJobId) q = q.where('refresh_job_id', '=', f.refreshJobId);
  if (f.afterId)
    q = q.where(
      sql<boolean>`(created_at, id) < (SELECT d.created_at, d.id FROM sync_differences d WHERE d.id = ${f.afterId}::uuid)`,
    );
  return q.execute();
}

export function lockDifferences(trx: Transaction<DB>, ids: readonly string[]) {
  return trx
    .selectFrom('sync_differences')
    .selectAll()
    .where('id', 'in', [...ids])
    .orderBy('id')
    .forUpdate()
    .execute();
}

export async function markApplied(trx: Transaction<DB>, ids: readonly string[], at: Date) {
  if (!ids.length) return;
  await trx
    .updateTable('sync_differences')
    .set({ status: 'applied', applied_at: at })
    .where('id', 'in', [...ids])
    .execute();
}
