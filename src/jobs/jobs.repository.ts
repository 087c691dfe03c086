/**
 * The jobs table (migration 0002): the only place with SQL for jobs.
 * Other features create and finish job records through these functions.
 */
import { sql, type Insertable, type Selectable } from 'kysely';
import type { Actor } from '../actor.js';
import type { Db } from '../db/pool.js';
import type { JobsTable } from '../db/schema.js';

export type JobRow = Selectable<JobsTable>;
export type JobStatus = JobRow['status'];

export interface NewJob {
  kind: string;
  params?: Record<string, unknown>;
  total?: number | null;
  customerId?: string | null;
  /** Default 'queued'. A job done synchronously is inserted already finished. */
  status?: JobStatus;
  result?: Record<string, unknown> | null;
  done?: number;
  failed?: number;
  maxAttempts?: number;
}

const finalStatuses: readonly JobStatus[] = [
  'succeeded',
  'partiallySucceeded',
  'failed',
  'cancelled',
];

/** Insert a job in the caller's transaction (outbox style: it commits with the change). */
export function insertJob(db: Db, actor: Actor, job: NewJob): Promise<JobRow> {
  const status = job.status ?? 'queued';
  const final = finalStatuses.includes(status);
  const row: Insertable<JobsTable> = {
    kind: job.kind,
    status,
    params: JSON.stringify(job.params ?? {}),
    result: job.result ? JSON.stringify(job.result) : null,
    total: job.total ?? null,
    done: job.done ?? 0,
    failed: job.failed ?? 0,
    created_by_id: actor.principal.id,
    created_by_name: actor.principal.name,
    source: actor.source,
    customer_id: job.customerId ?? null,
    ticket_id: actor.ticketId,
    request_id: actor.requestId,
    max_attempts: job.maxAttempts ?? 3,
    ...(final ? { started_at: new Date(), finished_at: new Date() } : {}),
  };
  return db.insertInto('jobs').values(row).returningAll().executeTakeFirstOrThrow();
}

export function findJob(db: Db, id: string) {
  return db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Record per-item failures (e.g. one line of an import) for a job. */
export async function insertItemErrors(
  db: Db,
  jobId: string,
  errors: readonly { item: string; code: string; message: string }[],
): Promise<void> {
  if (errors.length === 0) return;
  await sql`
    INSERT INTO job_item_errors (job_id, seq, item, code, message)
    SELECT ${jobId}::uuid,
           coalesce((SELECT max(seq) FROM job_item_errors WHERE job_id = ${jobId}::uuid), 0) + e.ord,
           e.item, e.code, e.message
    FROM jsonb_to_recordset(${JSON.stringify(errors.map((e, i) => ({ ...e, ord: i + 1 })))}::jsonb)
      AS e(item text, code text, message text, ord int)`.execute(db);
}

// ---------------------------------------------------------------------------
// Worker side (issue 3): claiming with FOR UPDATE SKIP LOCKED under a lease.

/**
 * Claim one job: a queued job that is due, or a running job whose lease ran
 * out (its worker died). SKIP LOCKED lets many workers claim concurrently
 * without queueing behind each other or taking the same job.
 */
export async function claimJob(
  db: Db,
  workerId: string,
  leaseMs: number,
  kinds: readonly string[],
): Promise<JobRow | undefined> {
  if (kinds.length === 0) return undefined;
  const r = await sql<JobRow>`
    UPDATE jobs j SET
      status = 'running', attempts = j.attempts + 1, locked_by = ${workerId},
      locked_until = now() + ${`${leaseMs} milliseconds`}::interval, heartbeat_at = now(),
      started_at = coalesce(j.started_at, now()), updated_at = now()
    WHERE j.id = (
      SELECT id FROM jobs
      WHERE kind = ANY(${[...kinds]}::text[])
        AND ((status = 'queued' AND run_after <= now())
          OR (status = 'running' AND locked_until < now()))
      ORDER BY run_after, created_at
      FOR UPDATE SKIP LOCKED
      LIMIT 1)
    RETURNING j.*`.execute(db);
  return r.rows[0];
}

/** Extend the lease; false when this worker no longer holds the job. */
export async function heartbeat(
  db: Db,
  jobId: string,
  workerId: string,
  leaseMs: number,
): Promise<{ held: boolean; cancelRequested: boolean }> {
  const r = await sql<{ cancel_requested: boolean }>`
    UPDATE jobs SET locked_until = now() + ${`${leaseMs} milliseconds`}::interval,
      heartbeat_at = now()
    WHERE id = ${jobId} AND locked_by = ${workerId} AND status = 'running'
    RETURNING cancel_requested`.execute(db);
  const row = r.rows[0];
  return { held: row !== undefined, cancelRequested: row?.cancel_requested ?? false };
}

export async function setProgress(
  db: Db,
  jobId: string,
  p: { done?: number; failed?: number; total?: number | null; note?: string | null },
): Promise<void> {
  const set: Record<string, unknown> = { updated_at: new Date() };
  if (p.done !== undefined) set.done = p.done;
  if (p.failed !== undefined) set.failed = p.failed;
  if (p.total !== undefined) set.total = p.total;
  if (p.note !== undefined) set.progress_note = p.note;
  await db.updateTable('jobs').set(set).where('id', '=', jobId).execute();
}

/** Final state; only the worker holding the job may finish it. */
export async function finishJob(
  db: Db,
  jobId: string,
  workerId: string | null,
  f: {
    status: 'succeeded' | 'partiallySucceeded' | 'failed' | 'cancelled';
    result?: Record<string, unknown> | null;
    error?: string | null;
  },
): Promise<boolean> {
  let q = db
    .updateTable('jobs')
    .set({
      status: f.status,
      result: f.result === undefined ? undefined : f.result ? JSON.stringify(f.result) : null,
      error: f.error ?? null,
      finished_at: new Date(),
      updated_at: new Date(),
      locked_by: null,
      locked_until: null,
      progress_note: null,
    })
    .where('id', '=', jobId)
    .where('status', 'in', ['running', 'queued']);
  if (workerId !== null) q = q.where('locked_by', '=', workerId);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** A failed attempt that may be retried: back to the queue after `delayMs`. */
export async function requeueJob(
  db: Db,
  jobId: string,
  workerId: string,
  error: string,
  delayMs: number,
): Promise<void> {
  await sql`
    UPDATE jobs SET status = 'queued', error = ${error}, locked_by = NULL, locked_until = NULL,
      run_after = now() + ${`${delayMs} milliseconds`}::interval, updated_at = now()
    WHERE id = ${jobId} AND locked_by = ${workerId} AND status = 'running'`.execute(db);
}

export interface JobListFilter {
  customerId?: string | undefined;
  kind?: string | undefined;
  status?: JobStatus | undefined;
  /** Keyset: jobs listed after this job (created before it, ties by id). */
  afterId?: string | undefined;
  limit: number;
}

export function listJobs(db: Db, f: JobListFilter): Promise<JobRow[]> {
  let q = db
    .selectFrom('jobs')
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(f.limit);
  if (f.customerId) q = q.where('customer_id', '=', f.customerId);
  if (f.kind) q = q.where('kind', '=', f.kind);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.afterId) {
    // Compared in SQL: created_at has microseconds, a JS Date only milliseconds.
    q = q.where(
      sql<boolean>`(created_at, id) < (SELECT j.created_at, j.id FROM jobs j WHERE j.id = ${f.afterId})`,
    );
  }
  return q.execute();
}

export function itemErrors(db: Db, jobId: string, afterSeq: number, limit: number) {
  return db
    .selectFrom('job_item_errors')
    .selectAll()
    .where('job_id', '=', jobId)
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(limit)
    .execute();
}

/** Cancel: a queued job ends at once; a running one is asked to stop (cancel_requested). */
export async function requestCancel(db: Db, jobId: string): Promise<JobRow | undefined> {
  const r = await sql<JobRow>`
    UPDATE jobs SET
      cancel_requested = (status = 'running'),
      status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END,
      finished_at = CASE WHEN status = 'queued' THEN now() ELSE finished_at END,
      updated_at = now()
    WHERE id = ${jobId} AND status IN ('queued', 'running')
    RETURNING *`.execute(db);
  return r.rows[0];
}

/** Retry a finished, unsuccessful job: back to the queue with a clean slate. */
export async function resetForRetry(trx: Db, jobId: string): Promise<JobRow | undefined> {
  {
    const row = await trx
      .updateTable('jobs')
      .set({
        status: 'queued',
        attempts: 0,
        done: 0,
        failed: 0,
        error: null,
        result: null,
        cancel_requested: false,
        run_after: new Date(),
        started_at: null,
        finished_at: null,
        locked_by: null,
        locked_until: null,
        progress_note: null,
        updated_at: new Date(),
      })
      .where('id', '=', jobId)
      .where('status', 'in', ['failed', 'cancelled', 'partiallySucceeded'])
      .returningAll()
      .executeTakeFirst();
    if (row) await trx.deleteFrom('job_item_errors').where('job_id', '=', jobId).execute();
    return row;
  }
}

/** Store an uploaded file of a job in chunks (same transaction as the job). */
export async function storeJobFile(
  db: Db,
  jobId: string,
  chunks: readonly Buffer[],
): Promise<void> {
  for (let i = 0; i < chunks.length; i += 16) {
    await db
      .insertInto('job_files')
      .values(chunks.slice(i, i + 16).map((data, k) => ({ job_id: jobId, seq: i + k, data })))
      .execute();
  }
}

export async function* readJobFile(db: Db, jobId: string): AsyncGenerator<Buffer> {
  for (let seq = 0; ; seq++) {
    const row = await db
      .selectFrom('job_files')
      .select('data')
      .where('job_id', '=', jobId)
      .where('seq', '=', seq)
      .executeTakeFirst();
    if (!row) return;
    yield row.data;
  }
}

export async function hasJobFile(db: Db, jobId: string): Promise<boolean> {
  const row = await db
    .selectFrom('job_files')
    .select('seq')
    .where('job_id', '=', jobId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Drop a job's stored file once it can no longer be needed (a committed import). */
export async function deleteJobFile(db: Db, jobId: string): Promise<void> {
  await db.deleteFrom('job_files').where('job_id', '=', jobId).execute();
}
