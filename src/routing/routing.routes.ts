/**
 * R-35 SBC routing export: the dial plan the SBC needs (number → SIP
 * connection, custom header) for every api/ui/import number that is active or
 * assigned, as CSV or JSON. Streamed page by page, so any size works.
 */
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { customerScope } from '../auth/principal.js';
import type { Db } from '../db/pool.js';
import { csvCell, csvLine } from '../domain/csv.js';
import { principalOf } from '../http/auth.js';
import { AppError } from '../http/errors.js';
import { errorResponses, Nullable } from '../http/schemas.js';
import { routesPage, type RouteRow } from './routing.repository.js';

/** Rows per database round trip. */
const PAGE = 5_000;

const columns = [
  'e164',
  'sipConnection',
  'customSipHeader',
  'callingProfileId',
  'platform',
  'status',
  'source',
  'customerId',
  'accountName',
  'serviceId',
] as const;

const RouteSchema = Type.Object({
  e164: Type.String(),
  sipConnection: Nullable(Type.String()),
  customSipHeader: Nullable(Type.String()),
  callingProfileId: Nullable(Type.String()),
  platform: Nullable(Type.String()),
  status: Type.String(),
  source: Type.String(),
  customerId: Nullable(Type.String()),
  accountName: Nullable(Type.String()),
  serviceId: Nullable(Type.String()),
});

function toRoute(r: RouteRow) {
  return {
    e164: r.e164,
    sipConnection: r.sip_connection,
    customSipHeader: r.custom_sip_header,
    callingProfileId: r.calling_profile_id,
    platform: r.platform,
    status: r.status,
    source: r.source,
    customerId: r.customer_id,
    accountName: r.account_name,
    serviceId: r.service_id,
  };
}

async function* pages(db: Db): AsyncGenerator<RouteRow[]> {
  let after: string | null = null;
  for (;;) {
    const rows = await routesPage(db, after, PAGE);
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < PAGE) return;
    after = rows.at(-1)!.e164;
  }
}

async function* csv(db: Db): AsyncGenerator<string> {
  yield csvLine([...columns]);
  for await (const rows of pages(db)) {
    let chunk = '';
    for (const r of rows) {
      const route = toRoute(r);
      // every cell but the E.164 number is guarded against formula injection.
      chunk += csvLine(columns.map((c) => csvCell(route[c], { e164: c === 'e164' })));
    }
    yield chunk;
  }
}

async function* json(db: Db, generatedAt: string): AsyncGenerator<string> {
  yield `{"generatedAt":${JSON.stringify(generatedAt)},"items":[`;
  let first = true;
  for await (const rows of pages(db)) {
    const parts = rows.map((r) => JSON.stringify(toRoute(r)));
    yield (first ? '' : ',') + parts.join(',');
    first = false;
  }
  yield ']}';
}

export const routingRoutes: FastifyPluginAsyncTypebox<{ now: () => Date }> = async (
  app,
  { now },
) => {
  app.get(
    '/routing/sbc',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['routing'],
        summary:
          'R-35 SBC dial plan: active/assigned numbers entered by api, ui or import, with SIP connection and custom header (CSV or JSON)',
        querystring: Type.Object(
          { format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('json')])) },
          { additionalProperties: false },
        ),
        response: {
          // Streamed: typed `unknown` so the handler can send a stream; the schema documents JSON.
          200: Type.Unsafe<unknown>(
            Type.Object(
              { generatedAt: Type.String(), items: Type.Array(RouteSchema) },
              { description: 'JSON with format=json; text/csv with the same columns otherwise' },
            ),
          ),
          ...errorResponses(403),
        },
      },
    },
    async (req, reply) => {
      if (customerScope(principalOf(req)) !== null)
        throw new AppError('FORBIDDEN', "the SBC dial plan is the operator's");
      const at = now().toISOString();
      const stamp = at.slice(0, 19).replace(/[-:]/g, '');
      if (req.query.format === 'json') {
        reply.type('application/json; charset=utf-8');
        return reply.send(Readable.from(json(app.db, at)));
      }
      reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="sbc-dial-plan-${stamp}.csv"`);
      return reply.send(Readable.from(csv(app.db)));
    },
  );
};
