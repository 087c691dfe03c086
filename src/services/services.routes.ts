/** /customers/{id}/services: a customer's services, their status actions and number uploads. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import type { AutoAllocationOutcome } from '../allocation/auto-allocation.js';
import { actorOf, principalOf } from '../http/auth.js';
import {
  Country,
  emptyBodyIsObject,
  errorResponses,
  IfMatchHeaders,
  Nullable,
  Uuid,
} from '../http/schemas.js';
import { Capability, Usage } from '../numbers/numbers.presenter.js';
import {
  AutoAllocationSchema,
  Mode,
  PlatformSchema,
  presentService,
  ServiceSchema,
} from './services.presenter.js';
import { etagOfService, type ServicesService } from './services.service.js';
import { MAX_UPLOAD } from './services.upload.js';

const Params = Type.Object({ id: Uuid });
const ServiceParams = Type.Object({ id: Uuid, serviceId: Uuid });
const Name = Type.String({ minLength: 1, maxLength: 200 });

export const NewServiceBody = Type.Object(
  {
    platform: PlatformSchema,
    syncEnabled: Type.Optional(Type.Boolean()),
    mode: Type.Optional(Mode),
    sipConnection: Type.Optional(Nullable(Name)),
    callingProfileId: Type.Optional(Nullable(Name)),
    quantity: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    siteId: Type.Optional(Uuid),
    autoAllocate: Type.Optional(
      Type.Boolean({
        description:
          'hostedVoice: allocate numbers automatically (SPEC §7, R-40..R-44). Default true.',
      }),
    ),
  },
  { additionalProperties: false },
);

const PatchBody = Type.Object(
  {
    syncEnabled: Type.Optional(Type.Boolean()),
    mode: Type.Optional(Mode),
    sipConnection: Type.Optional(Nullable(Name)),
    callingProfileId: Type.Optional(Nullable(Name)),
    quantity: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 100_000,
        description: 'Changing the quantity never allocates numbers (R-44)',
      }),
    ),
  },
  { additionalProperties: false },
);

const UploadBody = Type.Object(
  {
    number: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    numbers: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 40 }), {
        minItems: 1,
        maxItems: MAX_UPLOAD,
      }),
    ),
    range: Type.Optional(
      Type.Object(
        {
          start: Type.String({ minLength: 1, maxLength: 40 }),
          end: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
          count: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_UPLOAD })),
        },
        { additionalProperties: false },
      ),
    ),
    csv: Type.Optional(
      Type.String({
        maxLength: 2_000_000,
        description: `CSV text: a column number / e164 / telephoneNumber (or the first column), at most ${MAX_UPLOAD} rows`,
      }),
    ),
    country: Type.Optional(Country),
    siteId: Type.Optional(Uuid),
    extension: Type.Optional(Type.String({ maxLength: 20 })),
    usage: Type.Optional(Usage),
    capabilities: Type.Optional(Type.Array(Capability, { uniqueItems: true })),
    customSipHeader: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,100}$' })),
    sipConnection: Type.Optional(Name),
    callingProfileId: Type.Optional(Name),
    cacLimit: Type.Optional(Type.Integer({ minimum: 2, maximum: 10_000 })),
    serviceInfo: Type.Optional(Type.String({ maxLength: 255 })),
    emergency: Type.Optional(
      Type.Object(
        {
          civicAddressId: Type.Optional(Uuid),
          locationId: Type.Optional(Uuid),
          customerMayUpdate: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
    activate: Type.Optional(
      Type.Boolean({ description: 'Default true: uploaded numbers go active' }),
    ),
    validateOnly: Type.Optional(
      Type.Boolean({ description: 'Only count valid and invalid numbers; nothing changes' }),
    ),
  },
  { additionalProperties: false },
);

const UploadAnswer = Type.Object({
  validateOnly: Type.Boolean(),
  valid: Type.Integer(),
  invalid: Type.Integer(),
  errors: Type.Array(Type.Object({ field: Type.String(), message: Type.String() })),
  created: Type.Integer(),
  allocated: Type.Integer(),
  attached: Type.Integer(),
  numbers: Type.Array(Type.String()),
  service: ServiceSchema,
});

export function presentOutcome(
  o: AutoAllocationOutcome | null,
): Static<typeof AutoAllocationSchema> {
  if (!o) return null;
  return o.ran ? { ran: true, ...o.result } : { ran: false, reason: o.reason };
}

const tags = ['services'];

export const servicesRoutes: FastifyPluginAsyncTypebox<{ services: ServicesService }> = async (
  app,
  { services },
) => {
  app.get(
    '/customers/:id/services',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: "A customer's services",
        params: Params,
        response: {
          200: Type.Object({ items: Type.Array(ServiceSchema) }),
          ...errorResponses(404),
        },
      },
    },
    async (req) => ({
      items: (await services.list(principalOf(req), req.params.id)).map(presentService),
    }),
  );

  app.post(
    '/customers/:id/services',
    {
      config: { permission: 'write' },
      schema: {
        tags,
        summary:
          'Add a service; a first hostedVoice service at a site allocates numbers automatically (R-40..R-44), all or nothing',
        params: Params,
        body: NewServiceBody,
        response: {
          201: Type.Object({ service: ServiceSchema, autoAllocation: AutoAllocationSchema }),
          ...errorResponses(400, 403, 404, 409),
        },
      },
    },
    async (req, reply) => {
      const { service, autoAllocation } = await services.create(
        actorOf(req),
        req.params.id,
        req.body,
      );
      reply
        .code(201)
        .header('location', `/api/v1/customers/${service.customer_id}/services/${service.id}`)
        .header('etag', etagOfService(service));
      return { service: presentService(service), autoAllocation: presentOutcome(autoAllocation) };
    },
  );

  app.get(
    '/customers/:id/services/:serviceId',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: 'Get a service',
        params: ServiceParams,
        response: { 200: ServiceSchema, ...errorResponses(404) },
      },
    },
    async (req, reply) => {
      const row = await services.get(principalOf(req), req.params.id, req.params.serviceId);
      reply.header('etag', etagOfService(row));
      return presentService(row);
    },
  );

  app.patch(
    '/customers/:id/services/:serviceId',
    {
      config: { permission: 'write' },
      schema: {
        tags,
        summary: 'Change a service (honours If-Match); a quantity change never allocates (R-44)',
        params: ServiceParams,
        headers: IfMatchHeaders,
        body: PatchBody,
        response: { 200: ServiceSchema, ...errorResponses(400, 403, 404, 409, 412) },
      },
    },
    async (req, reply) => {
      const row = await services.update(
        actorOf(req),
        req.params.id,
        req.params.serviceId,
        req.body,
        req.headers['if-match'],
      );
      reply.header('etag', etagOfService(row));
      return presentService(row);
    },
  );

  app.post(
    '/customers/:id/services/:serviceId/consent',
    {
      config: { permission: 'write' },
      preValidation: emptyBodyIsObject,
      schema: {
        tags,
        summary: 'Record that the customer consented: pendingConsent → pendingProvisioning (R-30)',
        params: ServiceParams,
        body: Type.Object({}, { additionalProperties: false }),
        response: { 200: ServiceSchema, ...errorResponses(403, 404, 409) },
      },
    },
    async (req) =>
      presentService(await services.giveConsent(actorOf(req), req.params.id, req.params.serviceId)),
  );

  app.post(
    '/customers/:id/services/:serviceId/remove',
    {
      config: { permission: 'delete' },
      preValidation: emptyBodyIsObject,
      schema: {
        tags,
        summary:
          'Remove a service: → removing, its numbers are released, then it is gone (R-30); repeat to continue',
        params: ServiceParams,
        body: Type.Object({}, { additionalProperties: false }),
        response: {
          200: Type.Object({
            gone: Type.Boolean(),
            released: Type.Integer(),
            refused: Type.Array(
              Type.Object({
                e164: Type.String(),
                ok: Type.Boolean(),
                code: Type.Optional(Type.String()),
                message: Type.Optional(Type.String()),
                rule: Type.Optional(Type.String()),
              }),
            ),
            service: Nullable(ServiceSchema),
          }),
          ...errorResponses(403, 404, 409),
        },
      },
    },
    async (req) => {
      const r = await services.remove(actorOf(req), req.params.id, req.params.serviceId);
      return { ...r, service: r.service ? presentService(r.service) : null };
    },
  );

  app.post(
    '/customers/:id/services/:serviceId/numbers',
    {
      config: { permission: 'write' },
      schema: {
        tags,
        summary: `Upload numbers for a service: one of number, numbers, range or csv (≤ ${MAX_UPLOAD}); R-2, R-3, platform fields; all or nothing; moves the service to ready (R-30)`,
        params: ServiceParams,
        body: UploadBody,
        response: { 200: UploadAnswer, ...errorResponses(400, 403, 404, 409, 422) },
      },
    },
    async (req) => {
      const r = await services.upload(actorOf(req), req.params.id, req.params.serviceId, req.body);
      return { ...r, service: presentService(r.service) };
    },
  );
};
