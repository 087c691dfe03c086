/** /api/v1/users: user management for admins (R-1; customer admins see their own users). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { actorOf } from '../http/auth.js';
import { errorResponses, IfMatchHeaders, Nullable, PageQuery, Uuid } from '../http/schemas.js';
import { PASSWORD_MAX } from './passwords.js';
import { PermissionSchema, presentUser, UserSchema } from './users.presenter.js';
import { etagOfUser, type UsersService } from './users.service.js';
import { toPage } from '../http/page.js';

const Email = Type.String({ format: 'email', maxLength: 254 });
const Password = Type.String({ minLength: 1, maxLength: PASSWORD_MAX });
const Name = Type.String({ minLength: 1, maxLength: 200 });
const Scope = Type.String({ description: '"operator" or "customer:<uuid>"', maxLength: 50 });
const tags = ['users'];

export const usersRoutes: FastifyPluginAsyncTypebox<{ users: UsersService }> = async (
  app,
  { users },
) => {
  app.addSchema(UserSchema);

  app.post(
    '/users',
    {
      config: { permission: 'admin' },
      schema: {
        tags,
        summary: 'Create a user who signs in to the portal',
        body: Type.Object(
          {
            email: Email,
            name: Name,
            password: Password,
            permissions: Type.Array(PermissionSchema, { minItems: 1, uniqueItems: true }),
            scope: Scope,
          },
          { additionalProperties: false },
        ),
        response: { 201: UserSchema, ...errorResponses(400, 403, 409) },
      },
    },
    async (req, reply) => {
      const row = await users.create(actorOf(req), req.body);
      reply.code(201).header('location', `/api/v1/users/${row.id}`).header('etag', etagOfUser(row));
      return presentUser(row);
    },
  );

  app.get(
    '/users',
    {
      config: { permission: 'admin' },
      schema: {
        tags,
        summary: 'List users by e-mail address',
        querystring: Type.Object({ ...PageQuery }, { additionalProperties: false }),
        response: {
          200: Type.Object({ items: Type.Array(UserSchema), nextCursor: Nullable(Type.String()) }),
          ...errorResponses(401, 403),
        },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? 100;
      const rows = await users.list(actorOf(req), { after: req.query.cursor, limit: limit + 1 });
      return toPage(rows, limit, presentUser, (last) => last.email);
    },
  );

  app.get(
    '/users/:id',
    {
      config: { permission: 'admin' },
      schema: {
        tags,
        summary: 'Get a user',
        params: Type.Object({ id: Uuid }),
        response: { 200: UserSchema, ...errorResponses(404) },
      },
    },
    async (req, reply) => {
      const row = await users.get(actorOf(req), req.params.id);
      reply.header('etag', etagOfUser(row));
      return presentUser(row);
    },
  );

  app.patch(
    '/users/:id',
    {
      config: { permission: 'admin' },
      schema: {
        tags,
        summary:
          "Change a user's name, permissions, scope, password or disable it (honours If-Match); " +
          'its sessions end when its rights or password change',
        params: Type.Object({ id: Uuid }),
        headers: IfMatchHeaders,
        body: Type.Object(
          {
            name: Type.Optional(Name),
            permissions: Type.Optional(
              Type.Array(PermissionSchema, { minItems: 1, uniqueItems: true }),
            ),
            scope: Type.Optional(Scope),
            disabled: Type.Optional(Type.Boolean()),
            password: Type.Optional(Password),
          },
          { additionalProperties: false },
        ),
        response: { 200: UserSchema, ...errorResponses(400, 403, 404, 409, 412) },
      },
    },
    async (req, reply) => {
      const row = await users.update(
        actorOf(req),
        req.params.id,
        req.body,
        req.headers['if-match'],
      );
      reply.header('etag', etagOfUser(row));
      return presentUser(row);
    },
  );

  app.delete(
    '/users/:id',
    {
      config: { permission: 'admin' },
      schema: {
        tags,
        summary: 'Delete a user and end its sessions',
        params: Type.Object({ id: Uuid }),
        response: { 204: Type.Null(), ...errorResponses(404, 409) },
      },
    },
    async (req, reply) => {
      await users.remove(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
};
