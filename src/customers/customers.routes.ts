import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import { actorOf, principalOf } from '../http/auth.js';
import {
  DateTime,
  emptyBodyIsObject,
  errorResponses,
  IfMatchHeaders,
  Nullable,
  PageQuery,
  Uuid,
} from '../http/schemas.js';
import type { CustomerRow } from './customers.repository.js';
import type { CustomersService } from './customers.service.js';
import { toPage } from '../http/page.js';

const AccountName = Type.String({ pattern: '^[A-Za-z0-9_-]{1,100}$' });
const Status = Type.Union([
  Type.Literal('active'),
  Type.Literal('suspended'),
  Type.Literal('closed'),
]);

export const CustomerSchema = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    accountName: AccountName,
    status: Status,
    teamsTenantId: Nullable(Uuid),
    webexOrgId: Nullable(Type.String()),
    correlationId: Nullable(Type.String()),
    createdAt: DateTime,
    updatedAt: DateTime,
    etag: Type.String(),
  },
  { $id: 'Customer' },
);

export const presentCustomer = (r: CustomerRow): Static<typeof CustomerSchema> => ({
  id: r.id,
  name: r.name,
  accountName: r.account_name,
  status: r.status,
  teamsTenantId: r.teams_tenant_id,
  webexOrgId: r.webex_org_id,
  correlationId: r.correlation_id,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  etag: `"${r.version}"`,
});

const Editable = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  status: Type.Union([Type.Literal('active'), Type.Literal('suspended')], {
    description: 'close with POST …/close',
  }),
  teamsTenantId: Nullable(Uuid),
  webexOrgId: Nullable(Type.String({ minLength: 1, maxLength: 100 })),
  correlationId: Nullable(Type.String({ maxLength: 100 })),
};

const tags = ['customers'];

export const customersRoutes: FastifyPluginAsyncTypebox<{ customers: CustomersService }> = async (
  app,
  { customers },
) => {
  app.post(
    '/customers',
    {
      config: { permission: 'write' },
      schema: {
        tags,
        summary: 'Create a customer',
        body: Type.Object(
          {
            name: Editable.name,
            accountName: AccountName,
            status: Type.Optional(Editable.status),
            teamsTenantId: Type.Optional(Editable.teamsTenantId),
            webexOrgId: Type.Optional(Editable.webexOrgId),
            correlationId: Type.Optional(Editable.correlationId),
          },
          { additionalProperties: false },
        ),
        response: { 201: CustomerSchema, ...errorResponses(400, 403, 409) },
      },
    },
    async (req, reply) => {
      const row = await customers.create(actorOf(req), req.body);
      reply
        .code(201)
        .header('location', `/api/v1/customers/${row.id}`)
        .header('etag', `"${row.version}"`);
      return presentCustomer(row);
    },
  );

  app.get(
    '/customers',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: 'List customers by account name; customer-scoped callers see only their own',
        querystring: Type.Object(
          {
            ...PageQuery,
            status: Type.Optional(Status),
            q: Type.Optional(Type.String({ maxLength: 100 })),
            teamsTenantId: Type.Optional(Uuid),
            webexOrgId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            correlationId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(CustomerSchema),
            nextCursor: Nullable(Type.String()),
          }),
        },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 100;
      const rows = await customers.list(principalOf(req), {
        after: req.query.cursor,
        status: req.query.status,
        q: req.query.q,
        teamsTenantId: req.query.teamsTenantId,
        webexOrgId: req.query.webexOrgId,
        correlationId: req.query.correlationId,
        limit: limit + 1,
      });
      return toPage(rows, limit, presentCustomer, (last) => last.account_name);
    },
  );

  app.get(
    '/customers/:id',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: 'Get a customer',
        params: Type.Object({ id: Uuid }),
        response: { 200: CustomerSchema, ...errorResponses(404) },
      },
    },
    async (req, reply) => {
      const row = await customers.get(principalOf(req), req.params.id);
      reply.header('etag', `"${row.version}"`);
      return presentCustomer(row);
    },
  );

  app.patch(
    '/customers/:id',
    {
      config: { permission: 'write' },
      schema: {
        tags,
        summary: 'Change a customer (honours If-Match)',
        params: Type.Object({ id: Uuid }),
        headers: IfMatchHeaders,
        body: Type.Partial(Type.Object(Editable), { additionalProperties: false }),
        response: { 200: CustomerSchema, ...errorResponses(400, 403, 404, 409, 412) },
      },
    },
    async (req, reply) => {
      const row = await customers.update(
        actorOf(req),
        req.params.id,
        req.body,
        req.headers['if-match'],
      );
      reply.header('etag', `"${row.version}"`);
      return presentCustomer(row);
    },
  );

  app.post(
    '/customers/:id/close',
    {
      config: { permission: 'write' },
      preValidation: emptyBodyIsObject,
      schema: {
        tags,
        summary: 'Close a customer; it must hold no numbers unless releaseNumbers is true',
        params: Type.Object({ id: Uuid }),
        body: Type.Object(
          { releaseNumbers: Type.Optional(Type.Boolean()) },
          { additionalProperties: false },
        ),
        response: { 200: CustomerSchema, ...errorResponses(403, 404, 409) },
      },
    },
    async (req) =>
      presentCustomer(
        await customers.close(actorOf(req), req.params.id, req.body.releaseNumbers ?? false),
      ),
  );
};
