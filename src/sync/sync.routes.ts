/**
 * Platform sync over HTTP (SPEC §3.3, §8): approve a tenant's deletion,
 * reactivate, start a refresh, list and apply differences. Reads need `read`,
 * everything else `write`; customer-scoped callers see only their customer's
 * numbers and differences (404 otherwise) and cannot approve, reactivate or
 * apply (403).
 */
import type { Actor } from '../actor.js';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import { actorOf, principalOf } from '../http/auth.js';
import { AppError } from '../http/errors.js';
import { toPage } from '../http/page.js';
import {
  DateTime,
  E164Param,
  e164Param,
  emptyBodyIsObject,
  errorResponses,
  Nullable,
  PageQuery,
  StringEnum,
  Uuid,
} from '../http/schemas.js';
import { JobSchema, presentJob } from '../jobs/jobs.presenter.js';
import { presentNumber } from '../numbers/numbers.presenter.js';
import { BULK_LIMIT, etagOf } from '../numbers/numbers.service.js';
import type { DifferenceRow } from './sync.repository.js';
import type { SyncService } from './sync.service.js';

const tags = ['sync'];

const DifferenceKind = StringEnum([
  'missingUpstream',
  'missingHere',
  'fieldDrift',
  'assignment',
  'tenantDeleted',
] as const);
const DifferenceStatus = StringEnum(['open', 'applied', 'superseded'] as const);

export const DifferenceSchema = Type.Object(
  {
    id: Uuid,
    refreshJobId: Uuid,
    serviceId: Uuid,
    customerId: Uuid,
    e164: Type.String(),
    kind: DifferenceKind,
    details: Type.Record(Type.String(), Type.Unknown(), {
      description: 'what differs, e.g. { usage: { numbat, platform } }',
    }),
    status: DifferenceStatus,
    createdAt: DateTime,
    appliedAt: Nullable(DateTime),
  },
  { $id: 'SyncDifference', additionalProperties: false },
);

function presentDifference(d: DifferenceRow): Static<typeof DifferenceSchema> {
  return {
    id: d.id,
    refreshJobId: d.refresh_job_id,
    serviceId: d.service_id,
    customerId: d.customer_id,
    e164: d.e164,
    kind: d.kind,
    details: d.details,
    status: d.status,
    createdAt: d.created_at.toISOString(),
    appliedAt: d.applied_at ? d.applied_at.toISOString() : null,
  };
}

const SyncBulkResultSchema = Type.Object(
  {
    e164: Type.String(),
    ok: Type.Boolean(),
    status: Type.Optional(Type.String()),
    syncState: Type.Optional(Nullable(Type.String())),
    etag: Type.Optional(Type.String()),
    code: Type.Optional(Type.String()),
    message: Type.Optional(Type.String()),
    rule: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const encodeCursor = (d: DifferenceRow) => Buffer.from(d.id).toString('base64url');
function decodeCursor(c: string): string {
  const id = Buffer.from(c, 'base64url').toString('utf8');
  if (UUID_RE.test(id)) return id;
  throw new AppError('VALIDATION_FAILED', 'invalid cursor', {}, [
    { field: 'cursor', message: 'invalid' },
  ]);
}

export const syncRoutes: FastifyPluginAsyncTypebox<{ sync: SyncService; now: () => Date }> = async (
  app,
  { sync, now },
) => {
  app.addSchema(DifferenceSchema);

  for (const [path, summary, run] of [
    [
      'approve-removal',
      "Approve a tenant's deletion: markedForRemoval → readyForRemoval → released, cooling off (SPEC §3.3)",
      (actor: Actor, e164: string) => sync.approveRemoval(actor, e164),
    ],
    [
      'reactivate',
      'Push a markedForRemoval or failed number to its platform again (→ active once confirmed)',
      (actor: Actor, e164: string) => sync.reactivate(actor, e164),
    ],
  ] as const) {
    app.post(
      `/numbers/:e164/sync/${path}`,
      {
        config: { permission: 'write' },
        preValidation: emptyBodyIsObject,
        schema: {
          tags,
          summary,
          params: E164Param,
          body: Type.Object({}, { additionalProperties: false }),
          response: { 200: Type.Ref('Number'), ...errorResponses(403, 404, 409) },
        },
      },
      async (req, reply) => {
        const row = await run(actorOf(req), e164Param(req.params.e164));
        reply.header('etag', etagOf(row));
        return presentNumber(row, now());
      },
    );
  }

  // Issue #6: the portal's bulk buttons. Up to BULK_LIMIT numbers, answered
  // per number; no job path (approving 1,000 numbers: ~0.2 s, see sync.service bulk).
  for (const [path, summary] of [
    [
      'approve-removal',
      "Approve tenants' deletions of many numbers (SPEC §3.3): per-number results",
    ],
    ['reactivate', 'Reactivate many markedForRemoval or failed numbers: per-number results'],
  ] as const) {
    app.post(
      `/numbers/bulk/sync/${path}`,
      {
        config: { permission: 'write' },
        schema: {
          tags,
          summary,
          body: Type.Object(
            {
              numbers: Type.Array(Type.String({ maxLength: 20 }), {
                minItems: 1,
                maxItems: BULK_LIMIT,
              }),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              results: Type.Array(SyncBulkResultSchema),
              summary: Type.Object({ ok: Type.Integer(), failed: Type.Integer() }),
            }),
            ...errorResponses(400, 403),
          },
        },
      },
      async (req) => {
        const results = await sync.bulk(actorOf(req), path, req.body.numbers);
        const t = now();
        const ok = results.filter((r) => r.ok).length;
        return {
          results: results.map((r) =>
            r.ok
              ? {
                  e164: r.e164,
                  ok: true,
                  status: presentNumber(r.row, t).status,
                  syncState: r.row.sync_state,
                  etag: etagOf(r.row),
                }
              : {
                  e164: r.e164,
                  ok: false,
                  code: r.code,
                  message: r.message,
                  ...(r.rule ? { rule: r.rule } : {}),
                },
          ),
          summary: { ok, failed: results.length - ok },
        };
      },
    );
  }

  app.post(
    '/sync/refresh',
    {
      config: { permission: 'write' },
      preValidation: emptyBodyIsObject,
      schema: {
        tags,
        summary:
          "Read the platforms' numbers and record the differences (a job); nothing in Numbat changes until they are applied",
        body: Type.Object(
          {
            customerId: Type.Optional(Uuid),
            serviceId: Type.Optional(Uuid),
            repeatEveryMinutes: Type.Optional(
              Type.Integer({
                minimum: 5,
                maximum: 10080,
                description:
                  'Schedule: run again every N minutes (each run queues the next; cancel the queued job to stop)',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 202: JobSchema, ...errorResponses(400, 403, 404) },
      },
    },
    async (req, reply) => {
      const job = await sync.startRefresh(actorOf(req), req.body);
      reply.code(202).header('location', `/api/v1/jobs/${job.id}`);
      return presentJob(job);
    },
  );

  app.get(
    '/sync/differences',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: 'Differences found by refreshes, newest first',
        querystring: Type.Object(
          {
            ...PageQuery,
            customerId: Type.Optional(Uuid),
            serviceId: Type.Optional(Uuid),
            kind: Type.Optional(DifferenceKind),
            status: Type.Optional(DifferenceStatus),
            refreshJobId: Type.Optional(Uuid),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(Type.Ref('SyncDifference')),
            nextCursor: Nullable(Type.String()),
          }),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (req) => {
      const q = req.query;
      const limit = q.limit ?? 100;
      const rows = await sync.listDifferences(principalOf(req), {
        customerId: q.customerId,
        serviceId: q.serviceId,
        kind: q.kind,
        status: q.status,
        refreshJobId: q.refreshJobId,
        afterId: q.cursor ? decodeCursor(q.cursor) : undefined,
        limit: limit + 1,
      });
      return toPage(rows, limit, presentDifference, encodeCursor);
    },
  );

  app.post(
    '/sync/differences/apply',
    {
      config: { permission: 'write' },
      schema: {
        tags,
        summary: 'Apply reviewed differences; per difference `ok` or the refusal',
        body: Type.Object(
          { ids: Type.Array(Uuid, { minItems: 1, maxItems: 1000 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            results: Type.Array(
              Type.Object({
                id: Uuid,
                ok: Type.Boolean(),
                kind: Type.Optional(Type.String()),
                e164: Type.Optional(Type.String()),
                outcome: Type.Optional(Type.String()),
                code: Type.Optional(Type.String()),
                message: Type.Optional(Type.String()),
              }),
            ),
            summary: Type.Object({ ok: Type.Integer(), failed: Type.Integer() }),
          }),
          ...errorResponses(400, 403),
        },
      },
    },
    async (req) => {
      const results = await sync.applyDifferences(actorOf(req), req.body.ids);
      const ok = results.filter((r) => r.ok).length;
      return { results, summary: { ok, failed: results.length - ok } };
    },
  );
};
