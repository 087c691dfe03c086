import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import { actorOf } from '../http/auth.js';
import {
  Country,
  DateTime,
  errorResponses,
  IfMatchHeaders,
  Nullable,
  PageQuery,
  Uuid,
} from '../http/schemas.js';
import type { SiteRow } from './sites.repository.js';
import type { SitesService } from './sites.service.js';
import { toPage } from '../http/page.js';

const Policy = Type.Union([Type.Literal('batchOf5'), Type.Literal('exact')], {
  description: 'R-40 automatic allocation policy',
});

const SiteSchema = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    country: Country,
    address: Nullable(Type.String()),
    allocationPolicy: Policy,
    createdAt: DateTime,
    updatedAt: DateTime,
    etag: Type.String(),
  },
  { $id: 'Site' },
);

const present = (r: SiteRow): Static<typeof SiteSchema> => ({
  id: r.id,
  name: r.name,
  country: r.country,
  address: r.address,
  allocationPolicy: r.allocation_policy,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  etag: `"${r.version}"`,
});

const Fields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  country: Country,
  address: Nullable(Type.String({ maxLength: 500 })),
  allocationPolicy: Policy,
};

const tags = ['sites'];

export const sitesRoutes: FastifyPluginAsyncTypebox<{ sites: SitesService }> = async (
  app,
  { sites },
) => {
  app.post(
    '/sites',
    {
      config: { permission: 'write' },
      schema: {
        tags,
        summary: 'Create a site',
        body: Type.Object(
          {
            name: Fields.name,
            country: Fields.country,
            address: Type.Optional(Fields.address),
            allocationPolicy: Type.Optional(Policy),
          },
          { additionalProperties: false },
        ),
        response: { 201: SiteSchema, ...errorResponses(400, 403, 409) },
      },
    },
    async (req, reply) => {
      const row = await sites.create(actorOf(req), req.body);
      reply
        .code(201)
        .header('location', `/api/v1/sites/${row.id}`)
        .header('etag', `"${row.version}"`);
      return present(row);
    },
  );

  app.get(
    '/sites',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: 'List sites by name',
        querystring: Type.Object(
          { ...PageQuery, country: Type.Optional(Country) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ items: Type.Array(SiteSchema), nextCursor: Nullable(Type.String()) }),
        },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 100;
      const rows = await sites.list({
        after: req.query.cursor,
        country: req.query.country,
        limit: limit + 1,
      });
      return toPage(rows, limit, present, (last) => last.name);
    },
  );

  app.get(
    '/sites/:id',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: 'Get a site',
        params: Type.Object({ id: Uuid }),
        response: { 200: SiteSchema, ...errorResponses(404) },
      },
    },
    async (req, reply) => {
      const row = await sites.get(req.params.id);
      reply.header('etag', `"${row.version}"`);
      return present(row);
    },
  );

  app.patch(
    '/sites/:id',
    {
      config: { permission: 'write' },
      schema: {
        tags,
        summary: 'Change a site (honours If-Match)',
        params: Type.Object({ id: Uuid }),
        headers: IfMatchHeaders,
        body: Type.Partial(Type.Object(Fields), { additionalProperties: false }),
        response: { 200: SiteSchema, ...errorResponses(400, 403, 404, 409, 412) },
      },
    },
    async (req, reply) => {
      const row = await sites.update(
        actorOf(req),
        req.params.id,
        req.body,
        req.headers['if-match'],
      );
      reply.header('etag', `"${row.version}"`);
      return present(row);
    },
  );
};
