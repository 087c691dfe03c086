/**
 * /api/v1/auth: sign-in, sign-out, who am I, change my password. The session
 * secret travels only in an HttpOnly, SameSite=Strict cookie; the CSRF token
 * comes in the body of sign-in and /me (see sessions.ts).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { permissions as allPermissions, type Principal } from '../auth/principal.js';
import { actorOf, principalOf } from '../http/auth.js';
import { errorResponses, Nullable, StringEnum } from '../http/schemas.js';
import { PASSWORD_MAX } from './passwords.js';
import { csrfTokenFor, SESSION_COOKIE, SESSION_MAX_MS } from './sessions.js';
import { principalOfUser, type UsersService } from './users.service.js';

const Me = Type.Object(
  {
    id: Type.String({ description: '`user:<uuid>` or `token:<uuid>`' }),
    name: Type.String(),
    email: Nullable(Type.String()),
    permissions: Type.Array(StringEnum(allPermissions)),
    scope: Type.String(),
    customer: Nullable(Type.Object({ id: Type.String(), name: Type.String() })),
    csrfToken: Nullable(
      Type.String({ description: 'Send as X-CSRF-Token on every change (session only)' }),
    ),
  },
  { $id: 'Me' },
);

const tags = ['auth'];

/** The cookie secret, when this request was authenticated by it. */
const sessionSecret = (req: FastifyRequest) =>
  req.authMethod === 'session' ? req.cookies[SESSION_COOKIE] : undefined;

function setSessionCookie(req: FastifyRequest, reply: FastifyReply, secret: string) {
  void reply.setCookie(SESSION_COOKIE, secret, {
    httpOnly: true,
    sameSite: 'strict',
    // Behind TLS the cookie never travels in clear; plain http works for a local start.
    secure: req.protocol === 'https',
    path: '/',
    maxAge: SESSION_MAX_MS / 1000,
  });
}

export const authRoutes: FastifyPluginAsyncTypebox<{ users: UsersService }> = async (
  app,
  { users },
) => {
  app.addSchema(Me);

  async function me(p: Principal, secret: string | undefined) {
    const customer =
      p.scope.type === 'customer'
        ? ((await app.db
            .selectFrom('customers')
            .select(['id', 'name'])
            .where('id', '=', p.scope.customerId)
            .executeTakeFirst()) ?? null)
        : null;
    return {
      id: p.id,
      name: p.id.startsWith('user:') ? await users.displayName(p.id.slice(5), p.name) : p.name,
      email: p.id.startsWith('user:') ? p.name : null,
      permissions: allPermissions.filter((x) => p.permissions.has(x)),
      scope: p.scope.type === 'operator' ? 'operator' : `customer:${p.scope.customerId}`,
      customer,
      csrfToken: secret ? csrfTokenFor(secret) : null,
    };
  }

  app.post(
    '/auth/sign-in',
    {
      config: { permission: 'public' },
      schema: {
        tags,
        summary: 'Sign in with e-mail and password; sets the session cookie',
        security: [],
        body: Type.Object(
          {
            email: Type.String({ minLength: 1, maxLength: 254 }),
            password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Me, ...errorResponses(400, 401, 429) },
      },
    },
    async (req, reply) => {
      try {
        const { secret, user } = await users.signIn(req.body, {
          userAgent: req.headers['user-agent']?.slice(0, 300) ?? null,
          requestId: req.id,
        });
        setSessionCookie(req, reply, secret);
        reply.header('cache-control', 'no-store');
        return await me(principalOfUser(user)!, secret);
      } catch (err) {
        const retry = (err as { details?: { retryAfter?: number } }).details?.retryAfter;
        if (retry) reply.header('retry-after', String(retry));
        throw err;
      }
    },
  );

  app.post(
    '/auth/sign-out',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: 'End this session and clear its cookie',
        response: { 204: Type.Null(), ...errorResponses(401, 403) },
      },
    },
    async (req, reply) => {
      const secret = sessionSecret(req);
      if (secret) await users.signOut(actorOf(req), secret);
      void reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/auth/me',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: 'Who is calling: permissions, scope, and the CSRF token of this session',
        response: { 200: Me, ...errorResponses(401) },
      },
    },
    async (req, reply) => {
      reply.header('cache-control', 'no-store');
      return me(principalOf(req), sessionSecret(req));
    },
  );

  app.post(
    '/auth/password',
    {
      config: { permission: 'read' },
      schema: {
        tags,
        summary: 'Change your own password (signed-in users); your other sessions end',
        body: Type.Object(
          {
            currentPassword: Type.String({ minLength: 1, maxLength: PASSWORD_MAX }),
            newPassword: Type.String({ minLength: 1, maxLength: PASSWORD_MAX }),
          },
          { additionalProperties: false },
        ),
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403) },
      },
    },
    async (req, reply) => {
      await users.changePassword(actorOf(req), sessionSecret(req) ?? '', req.body);
      return reply.code(204).send(null);
    },
  );
};
