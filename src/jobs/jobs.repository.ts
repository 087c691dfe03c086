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
