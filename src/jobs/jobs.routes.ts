/** /api/v1/jobs: list, get, per-item errors as CSV, cancel, retry (issue 3). */
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { canSee, customerScope, type Principal } from '../auth/principal.js';
import { writeAudit } from '../audit/audit.repository.js';
import type { Db } from '../db/pool.js';
import { csvCell, csvLine } from '../domain/csv.js';
import { isE164Shape } from '../domain/e164.js';
import { actorOf, principalOf } from '../http/auth.js';
import { AppError, notFound } from '../http/errors.js';
import { errorResponses, Nullable, PageQuery, Uuid } from '../http/schemas.js';
import { JobSchema, JobStatus, presentJob } from './jobs.presenter.js';
import * as repo from './jobs.repository.js';
import { toPage } from '../http/page.js';

const tags = ['jobs'];
const IdParam = Type.Object({ id: Uuid });

/** The job, or 404 when it does not exist or belongs to another customer. */
async function visibleJob(db: Db, principal: Principal, id: string): Promise<repo.JobRow> {
  const job = await repo.findJob(db, id);
  if (!job || !canSee(principal, job.customer_id)) throw notFound(`job ${id}`);
  return job;
}

const encodeCursor = (j: repo.JobRow) => Buffer.from(j.id).toString('base64url');

function decodeCursor(c: string): string {
  const id = Buffer.from(c, 'base64url').toString('utf8');
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) return id;
  throw new AppError('VALIDATION_FAILED', 'invalid cursor', {}, [
    { field: 'cursor', message: 'invalid' },
  ]);
}

const ERRORS_PAGE = 5_000;

export const jobsRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/jobs',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: 'List jobs, newest first (customer-scoped callers see their own)',
        querystring: Type.Object(
          {
            ...PageQuery,
            kind: Type.Optional(Type.String({ maxLength: 50 })),
            status: Type.Optional(JobStatus),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(JobSchema),
            nextCursor: Nullable(Type.String()),
          }),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (req) => {
      const q = req.query;
      const limit = q.limit ?? 100;
      const rows = await repo.listJobs(db, {
        customerId: customerScope(principalOf(req)) ?? undefined,
        kind: q.kind,
        status: q.status,
        afterId: q.cursor ? decodeCursor(q.cursor) : undefined,
        limit: limit + 1,
      });
      return toPage(rows, limit, presentJob, (last) => encodeCursor(last));
    },
  );

  app.get(
    '/jobs/:id',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: 'A job with its progress',
        params: IdParam,
        response: { 200: JobSchema, ...errorResponses(404) },
      },
    },
    async (req) => presentJob(await visibleJob(db, principalOf(req), req.params.id)),
  );

  app.get(
    '/jobs/:id/errors.csv',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: "A job's per-item errors as CSV (item, code, message), streamed",
        params: IdParam,
        produces: ['text/csv'],
        response: { ...errorResponses(404) },
      },
    },
    async (req, reply) => {
      const job = await visibleJob(db, principalOf(req), req.params.id);
      async function* rows() {
        yield csvLine(['item', 'code', 'message']);
        for (let after = 0; ;) {
          const page = await repo.itemErrors(db, job.id, after, ERRORS_PAGE);
          if (page.length === 0) return;
          yield page
            .map((e) =>
              // an item that is an E.164 number stays bare (a `+` and
              // digits cannot be a formula); anything else is guarded.
              csvLine([
                csvCell(e.item, { e164: isE164Shape(e.item) }),
                csvCell(e.code),
                csvCell(e.message),
              ]),
            )
            .join('');
          after = page.at(-1)!.seq;
        }
      }
      void reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="job-${job.id}-errors.csv"`);
      return reply.send(Readable.from(rows()));
    },
  );

  app.post(
    '/jobs/:id/cancel',
    {
      config: { permission: 'write' },
      schema: {
        tags,
        summary: 'Cancel a job: a queued job ends at once, a running one stops at its next chunk',
        params: IdParam,
        response: { 200: JobSchema, ...errorResponses(404, 409) },
      },
    },
    async (req) => {
      const actor = actorOf(req);
      const job = await visibleJob(db, actor.principal, req.params.id);
      const row = await db.transaction().execute(async (trx) => {
        const r = await repo.requestCancel(trx, job.id);
        if (!r) return undefined;
        await writeAudit(trx, actor, [
          {
            action: 'job.cancel',
            objectType: 'job',
            objectId: job.id,
            customerId: job.customer_id,
            changes: { status: [job.status, r.status] },
          },
        ]);
        return r;
      });
      if (!row)
        throw new AppError(
          'CONFLICT',
          `job ${job.id} is ${job.status}; only queued or running jobs can be cancelled`,
        );
      return presentJob(row);
    },
  );

  app.post(
    '/jobs/:id/retry',
    {
      config: { permission: 'write' },
      schema: {
        tags,
        summary: 'Run a failed, cancelled or partially succeeded job again',
        params: IdParam,
        response: { 202: JobSchema, ...errorResponses(404, 409) },
      },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      const job = await visibleJob(db, actor.principal, req.params.id);
      if (job.kind === 'import' && !(await repo.hasJobFile(db, job.id))) {
        throw new AppError(
          'CONFLICT',
          `job ${job.id}: its file is not stored (a CLI import, or an import already committed); run the import again`,
        );
      }
      const row = await db.transaction().execute(async (trx) => {
        const r = await repo.resetForRetry(trx, job.id);
        if (!r) return undefined;
        await writeAudit(trx, actor, [
          {
            action: 'job.retry',
            objectType: 'job',
            objectId: job.id,
            customerId: job.customer_id,
            changes: { status: [job.status, 'queued'] },
          },
        ]);
        return r;
      });
      if (!row)
        throw new AppError(
          'CONFLICT',
          `job ${job.id} is ${job.status}; only failed, cancelled or partially succeeded jobs can be retried`,
        );
      reply.code(202).header('location', `/api/v1/jobs/${row.id}`);
      return presentJob(row);
    },
  );
};
