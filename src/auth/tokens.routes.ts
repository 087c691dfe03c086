import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import { actorOf } from '../http/auth.js';
import { DateTime, errorResponses, Nullable, StringEnum, Uuid } from '../http/schemas.js';
import { permissions } from './principal.js';
import type { TokensService } from './tokens.service.js';

const PermissionSchema = StringEnum(permissions);

const TokenSchema = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    prefix: Type.String({ description: 'First characters of the secret, to tell tokens apart' }),
    permissions: Type.Array(PermissionSchema),
    scope: Type.String(),
    createdBy: Nullable(Type.String()),
    createdAt: DateTime,
    expiresAt: Nullable(DateTime),
    lastUsedAt: Nullable(DateTime),
    revokedAt: Nullable(DateTime),
  },
  { $id: 'Token' },
);

type Row = Awaited<ReturnType<TokensService['list']>>[number];

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const present = (r: Row): Static<typeof TokenSchema> => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  permissions: r.permissions as Static<typeof TokenSchema>['permissions'],
  scope: r.scope,
  createdBy: r.created_by,
  createdAt: r.created_at.toISOString(),
  expiresAt: iso(r.expires_at),
  lastUsedAt: iso(r.last_used_at),
  revokedAt: iso(r.revoked_at),
});

const tags = ['tokens'];

export const tokensRoutes: FastifyPluginAsyncTypebox<{ tokens: TokensService }> = async (
  app,
  { tokens },
) => {
  app.post(
    '/tokens',
    {
      config: { permission: 'admin' },
      schema: {
        tags,
        summary: 'Create an API token; the secret is in this answer only',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 200 }),
            permissions: Type.Array(PermissionSchema, { minItems: 1, uniqueItems: true }),
            scope: Type.String({ description: '"operator" or "customer:<uuid>"', maxLength: 50 }),
            expiresAt: Type.Optional(DateTime),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Intersect([
            TokenSchema,
            Type.Object({ token: Type.String({ description: 'Shown once' }) }),
          ]),
          ...errorResponses(400, 403),
        },
      },
    },
    async (req, reply) => {
      const { row, secret } = await tokens.create(actorOf(req), {
        ...req.body,
        expiresAt: req.body.expiresAt ? new Date(req.body.expiresAt) : null,
      });
      reply.code(201).header('cache-control', 'no-store');
      return { ...present(row), token: secret };
    },
  );

  app.get(
    '/tokens',
    {
      config: { permission: 'admin' },
      schema: {
        tags,
        summary: 'List API tokens (never their secrets)',
        response: { 200: Type.Object({ items: Type.Array(TokenSchema) }) },
      },
    },
    async (req) => ({ items: (await tokens.list(actorOf(req))).map(present) }),
  );

  app.delete(
    '/tokens/:id',
    {
      config: { permission: 'admin' },
      schema: {
        tags,
        summary: 'Revoke an API token',
        params: Type.Object({ id: Uuid }),
        response: { 204: Type.Null(), ...errorResponses(404) },
      },
    },
    async (req, reply) => {
      await tokens.revoke(actorOf(req), req.params.id);
      app.invalidateTokenCache();
      return reply.code(204).send(null);
    },
  );
};
