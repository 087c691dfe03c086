/** /civic-addresses: emergency addresses and their locations (SPEC §6). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import { actorOf, principalOf } from '../http/auth.js';
import {
  Country,
  DateTime,
  errorResponses,
  IfMatchHeaders,
  Nullable,
  PageQuery,
  Uuid,
} from '../http/schemas.js';
import {
  etagOfAddress,
  type AddressesService,
  type AddressWithLocations,
} from './addresses.service.js';
import { toPage } from '../http/page.js';

const Text = (max: number) => Nullable(Type.String({ maxLength: max }));

const LocationSchema = Type.Object({
  id: Uuid,
  externalId: Nullable(Type.String()),
  description: Nullable(Type.String()),
  additionalInfo: Nullable(Type.String()),
  isDefault: Type.Boolean(),
  elin: Nullable(Type.String({ description: 'Emergency Location Identification Number' })),
});

const AddressSchema = Type.Object(
  {
    id: Uuid,
    customerId: Nullable(Uuid),
    source: Type.Union([Type.Literal('operator'), Type.Literal('sync')]),
    readOnly: Type.Boolean({ description: 'Synced from the platform: read-only here' }),
    externalId: Nullable(Type.String()),
    companyName: Nullable(Type.String()),
    description: Nullable(Type.String()),
    street: Nullable(Type.String()),
    city: Nullable(Type.String()),
    region: Nullable(Type.String()),
    postalCode: Nullable(Type.String()),
    country: Country,
    validated: Type.Boolean(),
    locations: Type.Array(LocationSchema),
    createdAt: DateTime,
    updatedAt: DateTime,
    etag: Type.String(),
  },
  { $id: 'CivicAddress' },
);

const present = (a: AddressWithLocations): Static<typeof AddressSchema> => ({
  id: a.id,
  customerId: a.customer_id,
  source: a.source,
  readOnly: a.source === 'sync',
  externalId: a.external_id,
  companyName: a.company_name,
  description: a.description,
  street: a.street,
  city: a.city,
  region: a.region,
  postalCode: a.postal_code,
  country: a.country,
  validated: a.validated,
  locations: a.locations.map((l) => ({
    id: l.id,
    externalId: l.external_id,
    description: l.description,
    additionalInfo: l.additional_info,
    isDefault: l.is_default,
    elin: l.elin,
  })),
  createdAt: a.created_at.toISOString(),
  updatedAt: a.updated_at.toISOString(),
  etag: etagOfAddress(a),
});

const AddressFields = {
  companyName: Type.Optional(Text(200)),
  description: Type.Optional(Text(500)),
  street: Type.Optional(Text(300)),
  city: Type.Optional(Text(200)),
  region: Type.Optional(Text(200)),
  postalCode: Type.Optional(Text(50)),
  validated: Type.Optional(Type.Boolean()),
};
const LocationFields = Type.Object(
  {
    description: Type.Optional(Text(500)),
    additionalInfo: Type.Optional(Text(500)),
    isDefault: Type.Optional(Type.Boolean()),
    elin: Type.Optional(Text(50)),
  },
  { additionalProperties: false },
);

const Params = Type.Object({ id: Uuid });
const LocationParams = Type.Object({ id: Uuid, locationId: Uuid });
const tags = ['civic addresses'];

export const addressesRoutes: FastifyPluginAsyncTypebox<{ addresses: AddressesService }> = async (
  app,
  { addresses },
) => {
  app.get(
    '/civic-addresses',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: 'List civic addresses; customer-scoped callers see their own',
        querystring: Type.Object(
          {
            ...PageQuery,
            customerId: Type.Optional(Uuid),
            operator: Type.Optional(Type.Boolean({ description: "Only the operator's own" })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(AddressSchema),
            nextCursor: Nullable(Type.String()),
          }),
        },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 100;
      const rows = await addresses.list(principalOf(req), {
        customerId: req.query.customerId,
        operatorOnly: req.query.operator ?? false,
        ...(req.query.cursor ? { after: req.query.cursor } : {}),
        limit: limit + 1,
      });
      return toPage(rows, limit, present, (last) => last.id);
    },
  );

  app.post(
    '/civic-addresses',
    {
      config: { permission: 'write' },
      schema: {
        tags,
        summary: 'Create an operator-kept civic address (hosted voice) with its locations',
        body: Type.Object(
          {
            customerId: Type.Optional(Nullable(Uuid)),
            country: Country,
            ...AddressFields,
            locations: Type.Optional(Type.Array(LocationFields, { maxItems: 100 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: AddressSchema, ...errorResponses(400, 403) },
      },
    },
    async (req, reply) => {
      const row = await addresses.create(actorOf(req), req.body);
      reply
        .code(201)
        .header('location', `/api/v1/civic-addresses/${row.id}`)
        .header('etag', etagOfAddress(row));
      return present(row);
    },
  );

  app.get(
    '/civic-addresses/:id',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: 'Get a civic address with its locations (ELIN included)',
        params: Params,
        response: { 200: AddressSchema, ...errorResponses(404) },
      },
    },
    async (req, reply) => {
      const row = await addresses.get(principalOf(req), req.params.id);
      reply.header('etag', etagOfAddress(row));
      return present(row);
    },
  );

  app.patch(
    '/civic-addresses/:id',
    {
      config: { permission: 'write' },
      schema: {
        tags,
        summary: 'Change an operator-kept address (synced ones are read-only; honours If-Match)',
        params: Params,
        headers: IfMatchHeaders,
        body: Type.Object(
          { country: Type.Optional(Country), ...AddressFields },
          { additionalProperties: false },
        ),
        response: { 200: AddressSchema, ...errorResponses(400, 403, 404, 409, 412) },
      },
    },
    async (req, reply) => {
      const row = await addresses.update(
        actorOf(req),
        req.params.id,
        req.body,
        req.headers['if-match'],
      );
      reply.header('etag', etagOfAddress(row));
      return present(row);
    },
  );

  app.delete(
    '/civic-addresses/:id',
    {
      config: { permission: 'delete' },
      schema: {
        tags,
        summary: 'Delete an operator-kept address no number uses',
        params: Params,
        headers: IfMatchHeaders,
        response: { 204: Type.Null(), ...errorResponses(403, 404, 409, 412) },
      },
    },
    async (req, reply) => {
      await addresses.remove(actorOf(req), req.params.id, req.headers['if-match']);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/civic-addresses/:id/locations',
    {
      config: { permission: 'write' },
      schema: {
        tags,
        summary: 'Add a location (isDefault moves the default to it)',
        params: Params,
        body: LocationFields,
        response: { 201: AddressSchema, ...errorResponses(400, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      reply.code(201);
      return present(await addresses.addLocation(actorOf(req), req.params.id, req.body));
    },
  );

  app.patch(
    '/civic-addresses/:id/locations/:locationId',
    {
      config: { permission: 'write' },
      schema: {
        tags,
        summary: 'Change a location',
        params: LocationParams,
        body: LocationFields,
        response: { 200: AddressSchema, ...errorResponses(400, 403, 404, 409) },
      },
    },
    async (req) =>
      present(
        await addresses.updateLocation(
          actorOf(req),
          req.params.id,
          req.params.locationId,
          req.body,
        ),
      ),
  );

  app.delete(
    '/civic-addresses/:id/locations/:locationId',
    {
      config: { permission: 'delete' },
      schema: {
        tags,
        summary: 'Delete a location no number uses',
        params: LocationParams,
        response: { 200: AddressSchema, ...errorResponses(403, 404, 409) },
      },
    },
    async (req) =>
      present(await addresses.removeLocation(actorOf(req), req.params.id, req.params.locationId)),
  );
};
