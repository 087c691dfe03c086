/** /api/v1/numbers: validates, delegates to the service, presents. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import { actorOf, principalOf } from '../http/auth.js';
import { AppError } from '../http/errors.js';
import { syncStates } from '../domain/platform.js';
import { customerScope } from '../auth/principal.js';
import { numberHistory } from '../audit/audit.repository.js';
import { presentAudit, AuditEventSchema } from '../audit/audit.presenter.js';
import { actionTypes, type Action, type ActionType } from '../domain/lifecycle.js';
import {
  Country,
  E164Param,
  e164Param,
  errorResponses,
  Holder,
  IfMatchHeaders,
  Nullable,
  PageQuery,
  emptyBodyIsObject,
  StringEnum,
  Uuid,
} from '../http/schemas.js';
import { countNumbers, decodeCursor, listFilter, listNumbers } from './numbers.list.js';
import {
  Assignment,
  Capability,
  Kind,
  NumberSchema,
  presentNumber,
  Usage,
} from './numbers.presenter.js';
import { BULK_LIMIT, etagOf, type NumbersService } from './numbers.service.js';
import { BULK_JOB_MAX_NUMBERS, BulkFilter, enqueueBulkJob } from '../jobs/bulk.job.js';
import { JobSchema, presentJob } from '../jobs/jobs.presenter.js';
import { toPage } from '../http/page.js';

const ActionName = StringEnum(actionTypes);

const ActionBody = Type.Object(
  {
    holder: Type.Optional(Holder),
    assignment: Type.Optional(Assignment),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
type ActionBodyT = Static<typeof ActionBody>;

function toAction(type: ActionType, body: ActionBodyT | undefined): Action {
  const missing = (field: string) =>
    new AppError('VALIDATION_FAILED', `${type} needs "${field}"`, {}, [
      { field, message: 'required' },
    ]);
  switch (type) {
    case 'allocate':
      if (!body?.holder) throw missing('holder');
      return { type, holder: body.holder };
    case 'assign':
      if (!body?.assignment) throw missing('assignment');
      return { type, assignment: body.assignment };
    case 'lock':
      return { type, reason: body?.reason ?? '' };
    case 'deallocate':
    case 'activate':
    case 'deactivate':
    case 'unassign':
    case 'release':
    case 'unlock':
    case 'setMain':
    case 'unsetMain':
      return { type };
  }
}

export const SyncStateQuery = Type.String({
  maxLength: 200,
  description: `Platform sync states, comma-separated: ${syncStates.join(', ')}`,
});

const ListQuery = Type.Object(
  {
    ...PageQuery,
    status: Type.Optional(
      Type.String({
        description: 'Comma-separated: available, coolingOff, reserved, active, assigned',
      }),
    ),
    holder: Type.Optional(
      Type.Union([Type.Literal('operator'), Type.Literal('customer'), Type.Literal('none')]),
    ),
    customerId: Type.Optional(Uuid),
    siteId: Type.Optional(Uuid),
    rangeId: Type.Optional(Uuid),
    country: Type.Optional(Country),
    kind: Type.Optional(Kind),
    usage: Type.Optional(Usage),
    main: Type.Optional(Type.Boolean()),
    locked: Type.Optional(Type.Boolean()),
    syncState: Type.Optional(SyncStateQuery),
    q: Type.Optional(Type.String({ maxLength: 20, description: 'Digits anywhere in the number' })),
    sort: Type.Optional(Type.Union([Type.Literal('e164'), Type.Literal('-e164')])),
    total: Type.Optional(Type.Boolean({ description: 'Also count all matches (slower)' })),
  },
  { additionalProperties: false },
);

const NewNumberBody = Type.Object(
  {
    number: Type.String({
      minLength: 1,
      maxLength: 40,
      description: 'E.164, or national with `country`',
    }),
    country: Type.Optional(Country),
    siteId: Type.Optional(Uuid),
    rangeId: Type.Optional(Uuid),
    extension: Type.Optional(Type.String({ maxLength: 20 })),
    usage: Type.Optional(Usage),
    capabilities: Type.Optional(Type.Array(Capability, { uniqueItems: true })),
    serviceInfo: Type.Optional(Type.String({ maxLength: 255 })),
  },
  { additionalProperties: false },
);

const PatchBody = Type.Object(
  {
    extension: Type.Optional(Nullable(Type.String({ maxLength: 20 }))),
    usage: Type.Optional(Nullable(Usage)),
    capabilities: Type.Optional(Type.Array(Capability, { uniqueItems: true })),
    emergency: Type.Optional(
      Type.Object(
        {
          civicAddressId: Type.Optional(Nullable(Uuid)),
          locationId: Type.Optional(
            Nullable(
              Type.String({
                format: 'uuid',
                description: "Default: the address's default location",
              }),
            ),
          ),
          customerMayUpdate: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
    customSipHeader: Type.Optional(Nullable(Type.String({ pattern: '^[A-Za-z0-9_-]{1,100}$' }))),
    sipConnection: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
    callingProfileId: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
    cacLimit: Type.Optional(Nullable(Type.Integer({ minimum: 2 }))),
    serviceInfo: Type.Optional(Nullable(Type.String({ maxLength: 255 }))),
    siteId: Type.Optional(Nullable(Uuid)),
    rangeId: Type.Optional(Nullable(Uuid)),
    serviceId: Type.Optional(
      Nullable(Type.String({ format: 'uuid', description: "One of the holder's services" })),
    ),
  },
  { additionalProperties: false },
);

const BulkResult = Type.Object({
  e164: Type.String(),
  ok: Type.Boolean(),
  status: Type.Optional(Type.String()),
  etag: Type.Optional(Type.String()),
  code: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
  rule: Type.Optional(Type.String()),
});

const tags = ['numbers'];

export const numbersRoutes: FastifyPluginAsyncTypebox<{
  numbers: NumbersService;
  now: () => Date;
}> = async (app, { numbers, now }) => {
  app.get(
    '/numbers',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: 'List numbers (filters, partial-number search, cursor pagination)',
        querystring: ListQuery,
        response: {
          200: Type.Object({
            items: Type.Array(NumberSchema),
            nextCursor: Nullable(Type.String()),
            total: Type.Optional(Type.Integer()),
          }),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (req) => {
      const q = req.query;
      const own = customerScope(principalOf(req));
      if (own && q.customerId && q.customerId !== own)
        return { items: [], nextCursor: null, ...(q.total ? { total: 0 } : {}) };
      const filter = listFilter({ ...q, customerId: own ?? q.customerId }, now());
      const desc = q.sort === '-e164';
      let after: string | undefined;
      if (q.cursor) {
        const c = decodeCursor(q.cursor);
        if (!c || c.d !== desc) {
          throw new AppError('VALIDATION_FAILED', 'invalid cursor', {}, [
            { field: 'cursor', message: 'invalid' },
          ]);
        }
        after = c.k;
      }
      const [page, total] = await Promise.all([
        listNumbers(app.db, filter, { limit: q.limit ?? 100, after, desc }),
        q.total ? countNumbers(app.db, filter) : Promise.resolve(undefined),
      ]);
      const t = now();
      return {
        items: page.rows.map((r) => presentNumber(r, t)),
        nextCursor: page.nextCursor,
        ...(total !== undefined ? { total } : {}),
      };
    },
  );

  app.post(
    '/numbers',
    {
      config: { permission: 'write' },
      schema: {
        tags,
        summary: 'Add one number or a list (all or nothing); ranges: POST /ranges',
        body: Type.Union([
          NewNumberBody,
          Type.Object(
            { numbers: Type.Array(NewNumberBody, { minItems: 1, maxItems: BULK_LIMIT }) },
            { additionalProperties: false },
          ),
        ]),
        response: {
          201: Type.Object({ items: Type.Array(NumberSchema) }),
          ...errorResponses(400, 409, 422),
        },
      },
    },
    async (req, reply) => {
      const body = req.body;
      const inputs = 'numbers' in body ? body.numbers : [body];
      const rows = await numbers.add(actorOf(req), inputs);
      const t = now();
      reply.code(201);
      if (rows.length === 1)
        reply.header('location', `/api/v1/numbers/${encodeURIComponent(rows[0]!.e164)}`);
      return { items: rows.map((r) => presentNumber(r, t)) };
    },
  );

  app.post(
    '/numbers/allocate',
    {
      config: { permission: 'write' },
      schema: {
        tags,
        summary: 'Allocate numbers from the pool: lowest available first, all or nothing',
        body: Type.Object(
          {
            holder: Holder,
            count: Type.Integer({ minimum: 1, maximum: BULK_LIMIT, default: 1 }),
            siteId: Type.Optional(Uuid),
            rangeId: Type.Optional(Uuid),
            country: Type.Optional(Country),
            kind: Type.Optional(Kind),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ items: Type.Array(NumberSchema) }),
          ...errorResponses(400, 403, 409),
        },
      },
    },
    async (req) => {
      const b = req.body;
      const rows = await numbers.allocateFromPool(actorOf(req), b.holder, {
        count: b.count,
        siteId: b.siteId,
        rangeId: b.rangeId,
        country: b.country,
        kinds: b.kind ? [b.kind] : undefined,
      });
      const t = now();
      return { items: rows.map((r) => presentNumber(r, t)) };
    },
  );

  app.post(
    '/numbers/bulk/:action',
    {
      config: { permission: 'write' },
      schema: {
        tags,
        summary: `Apply a lifecycle action to numbers: up to ${BULK_LIMIT} answer per-number results; more, or a filter, run as a job (202 + Location)`,
        params: Type.Object({ action: ActionName }),
        body: Type.Object(
          {
            numbers: Type.Optional(
              Type.Array(Type.String({ maxLength: 20 }), {
                minItems: 1,
                maxItems: BULK_JOB_MAX_NUMBERS,
              }),
            ),
            filter: Type.Optional(BulkFilter),
            holder: Type.Optional(Holder),
            assignment: Type.Optional(Assignment),
            reason: Type.Optional(Type.String({ maxLength: 500 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            results: Type.Array(BulkResult),
            summary: Type.Object({ ok: Type.Integer(), failed: Type.Integer() }),
          }),
          202: JobSchema,
          ...errorResponses(400, 403),
        },
      },
    },
    async (req, reply) => {
      const { numbers: list, filter, ...rest } = req.body;
      const action = toAction(req.params.action, rest);
      if ((list === undefined) === (filter === undefined)) {
        throw new AppError('VALIDATION_FAILED', 'give exactly one of "numbers" and "filter"', {}, [
          { field: 'numbers', message: 'numbers or filter' },
        ]);
      }
      // SPEC §4: more than 1,000 numbers, or a filter, run as a job.
      if (filter || list!.length > BULK_LIMIT) {
        const job = await enqueueBulkJob(
          app.db,
          actorOf(req),
          action,
          filter ? { filter } : { numbers: list! },
        );
        reply.code(202).header('location', `/api/v1/jobs/${job.id}`);
        return presentJob(job);
      }
      const results = await numbers.bulk(actorOf(req), list!, action);
      const ok = results.filter((r) => r.ok).length;
      return { results, summary: { ok, failed: results.length - ok } };
    },
  );

  app.get(
    '/numbers/:e164',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: 'Get a number',
        params: E164Param,
        response: { 200: NumberSchema, ...errorResponses(404) },
      },
    },
    async (req, reply) => {
      const row = await numbers.get(principalOf(req), e164Param(req.params.e164));
      reply.header('etag', etagOf(row));
      return presentNumber(row, now());
    },
  );

  app.patch(
    '/numbers/:e164',
    {
      config: { permission: 'write' },
      schema: {
        tags,
        summary: "Change a number's attributes (honours If-Match)",
        params: E164Param,
        headers: IfMatchHeaders,
        body: PatchBody,
        response: { 200: NumberSchema, ...errorResponses(400, 403, 404, 409, 412, 422) },
      },
    },
    async (req, reply) => {
      const row = await numbers.patch(
        actorOf(req),
        e164Param(req.params.e164),
        req.body,
        req.headers['if-match'],
      );
      reply.header('etag', etagOf(row));
      return presentNumber(row, now());
    },
  );

  app.delete(
    '/numbers/:e164',
    {
      config: { permission: 'delete' },
      schema: {
        tags,
        summary: 'Remove an available number from the inventory',
        params: E164Param,
        headers: IfMatchHeaders,
        response: { 204: Type.Null(), ...errorResponses(403, 404, 409, 412) },
      },
    },
    async (req, reply) => {
      await numbers.remove(actorOf(req), e164Param(req.params.e164), req.headers['if-match']);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/numbers/:e164/history',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: "A number's audit history, newest first",
        params: E164Param,
        querystring: Type.Object({ ...PageQuery }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            items: Type.Array(AuditEventSchema),
            nextCursor: Nullable(Type.String()),
          }),
          ...errorResponses(404),
        },
      },
    },
    async (req) => {
      const principal = principalOf(req);
      const e164 = e164Param(req.params.e164);
      await numbers.get(principal, e164); // 404 outside the caller's scope
      const limit = req.query.limit ?? 100;
      const before = req.query.cursor ? Number(req.query.cursor) : undefined;
      if (before !== undefined && !Number.isInteger(before)) {
        throw new AppError('VALIDATION_FAILED', 'invalid cursor', {}, [
          { field: 'cursor', message: 'invalid' },
        ]);
      }
      const rows = await numberHistory(app.db, e164, customerScope(principal), before, limit + 1);
      return toPage(rows, limit, presentAudit, (last) => String(last.id));
    },
  );

  app.post(
    '/numbers/:e164/:action',
    {
      config: { permission: 'write' },
      preValidation: emptyBodyIsObject,
      schema: {
        tags,
        summary: 'Apply a lifecycle action to one number (SPEC §3.2; honours If-Match)',
        params: Type.Object({ e164: E164Param.properties.e164, action: ActionName }),
        headers: IfMatchHeaders,
        body: ActionBody,
        response: { 200: NumberSchema, ...errorResponses(400, 403, 404, 409, 412, 422) },
      },
    },
    async (req, reply) => {
      const action = toAction(req.params.action, req.body);
      const row = await numbers.act(
        actorOf(req),
        e164Param(req.params.e164),
        action,
        req.headers['if-match'],
      );
      reply.header('etag', etagOf(row));
      return presentNumber(row, now());
    },
  );
};
