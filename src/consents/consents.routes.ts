/** /consents: Requests for Information (SPEC §5). Keyed by the Teams tenant id. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import { CustomerSchema, presentCustomer } from '../customers/customers.routes.js';
import { relationshipStatuses } from '../domain/platform.js';
import { actorOf, principalOf } from '../http/auth.js';
import {
  DateTime,
  errorResponses,
  IfMatchHeaders,
  Nullable,
  PageQuery,
  StringEnum,
  Uuid,
} from '../http/schemas.js';
import {
  AutoAllocationSchema,
  presentService,
  ServiceSchema,
} from '../services/services.presenter.js';
import { NewServiceBody, presentOutcome } from '../services/services.routes.js';
import type { ConsentRow } from './consents.repository.js';
import { etagOfConsent, type Contact, type ConsentsService } from './consents.service.js';
import { toPage } from '../http/page.js';

const PlatformStatus = StringEnum(['active', 'suspended', 'removed'] as const, {
  description: 'The consent status reported by the platform',
});
const RelationshipStatus = StringEnum(relationshipStatuses, {
  description:
    'consentAcknowledged → customerContacted → agreementSigned; consentDeclined / contractTerminated need a reason (R-34)',
});
const Ticket = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'R-36: at most 64 characters',
});

const ContactSchema = Type.Object(
  {
    fullName: Type.String({ minLength: 1, maxLength: 200 }),
    email: Type.String({ minLength: 1, maxLength: 320 }),
    telephoneNumber: Type.Optional(Type.String({ maxLength: 40 })),
    companyName: Type.Optional(Type.String({ maxLength: 200 })),
    companySize: Type.Optional(Type.String({ maxLength: 50 })),
  },
  { additionalProperties: false },
);

const ConsentSchema = Type.Object(
  {
    tenantId: Uuid,
    externalId: Nullable(Type.String()),
    status: PlatformStatus,
    consentedAt: Nullable(DateTime),
    lastModifiedAt: Nullable(DateTime),
    consentedCountries: Type.Array(Type.String()),
    contacts: Type.Array(ContactSchema),
    relationship: Type.Object({
      status: RelationshipStatus,
      reason: Nullable(Type.String()),
      ticketId: Nullable(Type.String()),
      lastModifiedAt: DateTime,
    }),
    customerId: Nullable(Uuid),
    source: Type.String(),
    createdAt: DateTime,
    updatedAt: DateTime,
    etag: Type.String(),
  },
  { $id: 'Consent' },
);

const present = (r: ConsentRow): Static<typeof ConsentSchema> => ({
  tenantId: r.tenant_id,
  externalId: r.external_id,
  status: r.platform_status,
  consentedAt: r.consented_at?.toISOString() ?? null,
  lastModifiedAt: r.platform_modified_at?.toISOString() ?? null,
  consentedCountries: r.consented_countries,
  contacts: r.contacts as unknown as Contact[],
  relationship: {
    status: r.relationship_status,
    reason: r.relationship_reason,
    ticketId: r.relationship_ticket_id,
    lastModifiedAt: r.relationship_modified_at.toISOString(),
  },
  customerId: r.customer_id,
  source: r.source,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  etag: etagOfConsent(r),
});

const Params = Type.Object({ tenantId: Uuid });
const tags = ['consents'];

export const consentsRoutes: FastifyPluginAsyncTypebox<{ consents: ConsentsService }> = async (
  app,
  { consents },
) => {
  app.get(
    '/consents',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: 'List Requests for Information (consents); customer-scoped callers see their own',
        querystring: Type.Object(
          {
            ...PageQuery,
            relationshipStatus: Type.Optional(RelationshipStatus),
            status: Type.Optional(PlatformStatus),
            customerId: Type.Optional(Uuid),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(ConsentSchema),
            nextCursor: Nullable(Type.String()),
          }),
        },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 100;
      const rows = await consents.list(principalOf(req), {
        after: req.query.cursor,
        relationshipStatus: req.query.relationshipStatus,
        platformStatus: req.query.status,
        customerId: req.query.customerId,
        limit: limit + 1,
      });
      return toPage(rows, limit, present, (last) => last.tenant_id);
    },
  );

  app.post(
    '/consents',
    {
      config: { permission: 'write' },
      schema: {
        tags,
        summary: 'Record a consent (platform sync fills them automatically)',
        body: Type.Object(
          {
            tenantId: Uuid,
            externalId: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
            status: Type.Optional(PlatformStatus),
            consentedAt: Type.Optional(Nullable(DateTime)),
            consentedCountries: Type.Optional(
              Type.Array(Type.String({ pattern: '^[A-Za-z]{2}$' }), { maxItems: 300 }),
            ),
            contacts: Type.Optional(Type.Array(ContactSchema, { maxItems: 50 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: ConsentSchema, ...errorResponses(400, 403, 409) },
      },
    },
    async (req, reply) => {
      const row = await consents.create(actorOf(req), req.body);
      reply
        .code(201)
        .header('location', `/api/v1/consents/${row.tenant_id}`)
        .header('etag', etagOfConsent(row));
      return present(row);
    },
  );

  app.get(
    '/consents/:tenantId',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: 'Get a consent',
        params: Params,
        response: { 200: ConsentSchema, ...errorResponses(404) },
      },
    },
    async (req, reply) => {
      const row = await consents.get(principalOf(req), req.params.tenantId);
      reply.header('etag', etagOfConsent(row));
      return present(row);
    },
  );

  app.post(
    '/consents/:tenantId/relationship',
    {
      config: { permission: 'write' },
      schema: {
        tags,
        summary:
          'Update the customer relationship status (R-34 reason for consentDeclined / contractTerminated, R-36 ticket id; honours If-Match)',
        params: Params,
        headers: IfMatchHeaders,
        body: Type.Object(
          {
            status: RelationshipStatus,
            reason: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
            ticketId: Type.Optional(Ticket),
          },
          { additionalProperties: false },
        ),
        response: { 200: ConsentSchema, ...errorResponses(400, 403, 404, 409, 412, 422) },
      },
    },
    async (req, reply) => {
      const row = await consents.changeRelationship(
        actorOf(req),
        req.params.tenantId,
        req.body,
        req.headers['if-match'],
      );
      reply.header('etag', etagOfConsent(row));
      return present(row);
    },
  );

  app.post(
    '/consents/:tenantId/customer',
    {
      config: { permission: 'write' },
      schema: {
        tags,
        summary:
          'Create the customer and its services from a consent with a signed agreement, in one step (all or nothing)',
        params: Params,
        body: Type.Object(
          {
            accountName: Type.String({ pattern: '^[A-Za-z0-9_-]{1,100}$' }),
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            correlationId: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
            webexOrgId: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 100 }))),
            services: Type.Optional(Type.Array(NewServiceBody, { maxItems: 10 })),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            customer: CustomerSchema,
            consent: ConsentSchema,
            services: Type.Array(
              Type.Object({ service: ServiceSchema, autoAllocation: AutoAllocationSchema }),
            ),
          }),
          ...errorResponses(400, 403, 404, 409),
        },
      },
    },
    async (req, reply) => {
      const r = await consents.createCustomer(actorOf(req), req.params.tenantId, req.body);
      reply.code(201).header('location', `/api/v1/customers/${r.customer.id}`);
      return {
        customer: presentCustomer(r.customer),
        consent: present(r.consent),
        services: r.services.map((s) => ({
          service: presentService(s.service),
          autoAllocation: presentOutcome(s.autoAllocation),
        })),
      };
    },
  );
};
