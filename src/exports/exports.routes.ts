/** GET /api/v1/exports/numbers.csv: the numbers the list filters select, streamed (SPEC §4, R-51). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import type pg from 'pg';
import { customerScope } from '../auth/principal.js';
import type { Db } from '../db/pool.js';
import { principalOf } from '../http/auth.js';
import { Country, errorResponses, Uuid } from '../http/schemas.js';
import { Kind, Usage } from '../numbers/numbers.presenter.js';
import { SyncStateQuery } from '../numbers/numbers.routes.js';
import { listFilter } from '../numbers/numbers.list.js';
import { streamNumbersCsv } from './exports.service.js';

/** The filters of GET /api/v1/numbers (no paging: an export is everything they select). */
export const ExportQuery = Type.Object(
  {
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
  },
  { additionalProperties: false },
);
export type ExportQueryT = Static<typeof ExportQuery>;

/** An id no row has: a customer-scoped caller filtering on another customer gets an empty file. */
const NOBODY = '00000000-0000-0000-0000-000000000000';

export const exportsRoutes: FastifyPluginAsyncTypebox<{
  db: Db;
  pool: pg.Pool | undefined;
  now: () => Date;
}> = async (app, { db, pool, now }) => {
  app.get(
    '/exports/numbers.csv',
    {
      config: { permission: 'read', concurrency: 'export' },
      schema: {
        tags: ['exports'],
        summary:
          'Export the numbers the filters select as CSV (streamed, any size; R-51 formula-injection guard; imports back unchanged)',
        querystring: ExportQuery,
        produces: ['text/csv'],
        response: { ...errorResponses(400, 401, 403, 429, 503) },
      },
    },
    async (req, reply) => {
      if (!pool) throw new Error('exports need the pg pool (AppOptions.pool)');
      const own = customerScope(principalOf(req));
      const filter = listFilter(req.query, now());
      if (own)
        filter.customerId = req.query.customerId && req.query.customerId !== own ? NOBODY : own;
      const stream = await streamNumbersCsv(pool, db, filter);
      void reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="numbers.csv"');
      return reply.send(stream);
    },
  );
};
