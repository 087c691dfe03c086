import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import { actorOf, principalOf } from '../http/auth.js';
import {
  Country,
  DateTime,
  E164,
  errorResponses,
  Nullable,
  PageQuery,
  Uuid,
} from '../http/schemas.js';
import type { RangeRow, Utilisation } from './ranges.repository.js';
import type { RangesService } from './ranges.service.js';
import { toPage } from '../http/page.js';

const UtilisationSchema = Type.Object({
  total: Type.Integer(),
  available: Type.Integer(),
  coolingOff: Type.Integer(),
  reserved: Type.Integer(),
  active: Type.Integer(),
  assigned: Type.Integer(),
  locked: Type.Integer(),
});

const RangeSchema = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    start: E164,
    end: E164,
    size: Type.Integer(),
    country: Country,
    siteId: Nullable(Uuid),
    carrier: Nullable(Type.String()),
    portedIn: Type.Boolean(),
    utilisation: UtilisationSchema,
    createdAt: DateTime,
  },
  { $id: 'Range' },
);

const empty: Utilisation = {
  total: 0,
  available: 0,
  coolingOff: 0,
  reserved: 0,
  active: 0,
  assigned: 0,
  locked: 0,
};

function present(r: RangeRow, u: Utilisation | undefined): Static<typeof RangeSchema> {
  return {
    id: r.id,
    name: r.name,
    start: r.start_e164,
    end: r.end_e164,
    size: Number(BigInt(r.end_e164.slice(1)) - BigInt(r.start_e164.slice(1))) + 1,
    country: r.country,
    siteId: r.site_id,
    carrier: r.carrier,
    portedIn: r.ported_in,
    utilisation: u ?? empty,
    createdAt: r.created_at.toISOString(),
  };
}

const tags = ['ranges'];

export const rangesRoutes: FastifyPluginAsyncTypebox<{
  ranges: RangesService;
  now: () => Date;
}> = async (app, { ranges, now }) => {
  app.post(
    '/ranges',
    {
      config: { permission: 'write' },
      schema: {
        tags,
        summary:
          'Create a range and all its numbers (R-4: start–end or start + count, ≤ 1,000,000)',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 200 }),
            start: Type.String({ minLength: 1, maxLength: 40 }),
            end: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
            count: Type.Optional(Type.Integer({ minimum: 1 })),
            country: Type.Optional(Country),
            siteId: Type.Optional(Uuid),
            carrier: Type.Optional(Type.String({ maxLength: 200 })),
            portedIn: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: { 201: RangeSchema, ...errorResponses(400, 403, 409, 422) },
      },
    },
    async (req, reply) => {
      const row = await ranges.create(actorOf(req), req.body);
      // The range as its transaction committed it: every number new and
      // available (counting them again costs ~0.5 s at 1,000,000).
      const size = Number(BigInt(row.end_e164.slice(1)) - BigInt(row.start_e164.slice(1))) + 1;
      reply.code(201).header('location', `/api/v1/ranges/${row.id}`);
      return present(row, { ...empty, total: size, available: size });
    },
  );

  app.get(
    '/ranges',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: 'List ranges with utilisation counts per state',
        querystring: Type.Object(
          { ...PageQuery, siteId: Type.Optional(Uuid) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ items: Type.Array(RangeSchema), nextCursor: Nullable(Type.String()) }),
        },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 100;
      const rows = await ranges.list(principalOf(req), {
        siteId: req.query.siteId,
        after: req.query.cursor,
        limit: limit + 1,
      });
      const page = toPage(
        rows,
        limit,
        (r) => r,
        (last) => last.start_e164,
      );
      const u = await ranges.utilisation(
        page.items.map((r) => r.id),
        now(),
      );
      return { items: page.items.map((r) => present(r, u.get(r.id))), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/ranges/:id',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: 'Get a range with its utilisation',
        params: Type.Object({ id: Uuid }),
        response: { 200: RangeSchema, ...errorResponses(404) },
      },
    },
    async (req) => {
      const row = await ranges.get(principalOf(req), req.params.id);
      const u = await ranges.utilisation([row.id], now());
      return present(row, u.get(row.id));
    },
  );
};
