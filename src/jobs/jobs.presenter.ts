/** Job rows to API objects: explicit, so internal columns (lease, params) never leak. */
import { Type, type Static } from '@sinclair/typebox';
import { DateTime, Nullable, StringEnum, Uuid } from '../http/schemas.js';
import type { JobRow } from './jobs.repository.js';

export const JobStatus = StringEnum([
  'queued',
  'running',
  'succeeded',
  'partiallySucceeded',
  'failed',
  'cancelled',
] as const);

export const JobSchema = Type.Object(
  {
    id: Uuid,
    kind: Type.String({ description: 'e.g. import, numbers.bulk' }),
    status: JobStatus,
    progress: Type.Object({
      total: Nullable(Type.Integer({ description: 'null until known' })),
      done: Type.Integer(),
      failed: Type.Integer(),
      note: Nullable(Type.String({ description: 'what the job is doing now' })),
    }),
    createdBy: Type.Object({ id: Type.String(), name: Type.String() }),
    source: Type.String(),
    ticketId: Nullable(Type.String()),
    customerId: Nullable(Uuid),
    attempts: Type.Integer(),
    cancelRequested: Type.Boolean(),
    result: Nullable(Type.Object({}, { additionalProperties: true })),
    error: Nullable(Type.String()),
    createdAt: DateTime,
    startedAt: Nullable(DateTime),
    finishedAt: Nullable(DateTime),
    links: Type.Object({ self: Type.String(), errors: Type.String() }),
  },
  { description: 'A job (SPEC §2): long or asynchronous work with progress and per-item errors' },
);
export type JobDto = Static<typeof JobSchema>;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function presentJob(r: JobRow): JobDto {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    progress: { total: r.total, done: r.done, failed: r.failed, note: r.progress_note },
    createdBy: { id: r.created_by_id, name: r.created_by_name },
    source: r.source,
    ticketId: r.ticket_id,
    customerId: r.customer_id,
    attempts: r.attempts,
    cancelRequested: r.cancel_requested,
    result: r.result,
    error: r.error,
    createdAt: r.created_at.toISOString(),
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
    links: { self: `/api/v1/jobs/${r.id}`, errors: `/api/v1/jobs/${r.id}/errors.csv` },
  };
}
