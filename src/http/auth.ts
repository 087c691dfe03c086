/**
 * R-1 at the edge: every route declares the permission it needs
 * (`config.permission`), and registering a route without one fails at start.
 * Bearer tokens are looked up by hash; a short cache keeps that lookup off the
 * hot path (a revoked token stops working within TOKEN_CACHE_MS).
 * Without an Authorization header, the portal's session cookie authenticates
 * (src/users): its requests act with source `ui`, and every request that is
 * not GET/HEAD/OPTIONS must carry the session's CSRF token in X-CSRF-Token.
 */
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Actor } from '../actor.js';
import {
  can,
  parseScope,
  permissions,
  type Permission,
  type Principal,
} from '../auth/principal.js';
import { hashToken } from '../auth/tokens.js';
import { findActiveByHash, touchToken } from '../auth/tokens.repository.js';
import type { Db } from '../db/pool.js';
import { sessionPrincipal } from '../users/session-auth.js';
import { CSRF_HEADER, csrfTokenMatches, SESSION_COOKIE } from '../users/sessions.js';
import { AppError } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The permission a route needs, or `public` for health and docs. */
    permission?: Permission | 'public';
  }
  interface FastifyRequest {
    principal: Principal | null;
    /** How the principal was authenticated: API token or portal session cookie. */
    authMethod: 'token' | 'session' | null;
  }
  interface FastifyInstance {
    /** Forget cached token look-ups (after a revocation in this process). */
    invalidateTokenCache: () => void;
    /** Every route registered after this plugin, with its permission (security matrices). */
    routeTable: RouteEntry[];
  }
}

export interface RouteEntry {
  method: string;
  url: string;
  permission: Permission | 'public' | undefined;
}

const TOKEN_CACHE_MS = 5_000;
/** Methods that change nothing: no CSRF token needed. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The principal of an authenticated request (routes with a permission only). */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new AppError('UNAUTHENTICATED', 'authentication required');
  return req.principal;
}

const TICKET_MAX = 64;

/** Who acts, for audit events: principal, source, request id, ticket id. */
export function actorOf(req: FastifyRequest): Actor {
  const ticket = req.headers['x-ticket-id'];
  const ticketId = typeof ticket === 'string' && ticket.length > 0 ? ticket : null;
  if (ticketId && ticketId.length > TICKET_MAX) {
    throw new AppError(
      'VALIDATION_FAILED',
      `X-Ticket-Id is longer than ${TICKET_MAX} characters (R-36)`,
      {},
      [{ field: 'X-Ticket-Id', message: `at most ${TICKET_MAX} characters` }],
    );
  }
  const source = req.authMethod === 'session' ? 'ui' : 'api';
  return { principal: principalOf(req), source, requestId: req.id, ticketId };
}

export default fp(async function auth(app: FastifyInstance, opts: { db: Db }) {
  const cache = new Map<string, { principal: Principal | null; until: number }>();

  app.decorateRequest('principal', null);
  app.decorateRequest('authMethod', null);
  if (!app.hasDecorator('parseCookie')) await app.register(cookie);
  app.decorate('invalidateTokenCache', () => cache.clear());

  const routeTable: RouteEntry[] = [];
  app.decorate('routeTable', routeTable);

  app.addHook('onRoute', (route) => {
    const permission = route.config?.permission;
    for (const method of [route.method].flat()) {
      routeTable.push({ method: String(method), url: route.url, permission });
    }
    const isDocs = route.url.startsWith('/api/docs');
    if (!permission && !isDocs) {
      throw new Error(
        `route ${String(route.method)} ${route.url} does not declare its permission (R-1)`,
      );
    }
  });

  async function lookup(secret: string): Promise<Principal | null> {
    const hash = hashToken(secret);
    const hit = cache.get(hash);
    if (hit && hit.until > Date.now()) return hit.principal;
    const row = await findActiveByHash(opts.db, hash);
    let principal: Principal | null = null;
    if (row && (!row.expires_at || row.expires_at > new Date())) {
      const scope = parseScope(row.scope);
      if (scope) {
        principal = {
          id: `token:${row.id}`,
          name: row.name,
          permissions: new Set(
            row.permissions.filter((p): p is Permission =>
              (permissions as readonly string[]).includes(p),
            ),
          ),
          scope,
        };
        void touchToken(opts.db, row.id).catch(() => undefined);
      }
    }
    if (cache.size > 10_000) cache.clear();
    cache.set(hash, { principal, until: Date.now() + TOKEN_CACHE_MS });
    return principal;
  }

  app.addHook('onRequest', async (req) => {
    const permission = req.routeOptions.config?.permission;
    if (!permission || permission === 'public') return;
    const header = req.headers.authorization;
    const session = header ? undefined : req.cookies[SESSION_COOKIE];
    if (session) {
      const principal = await sessionPrincipal(opts.db, session);
      if (!principal)
        throw new AppError('UNAUTHENTICATED', 'your session has ended; sign in again');
      if (!SAFE_METHODS.has(req.method) && !csrfTokenMatches(session, req.headers[CSRF_HEADER])) {
        throw new AppError(
          'CSRF_TOKEN_INVALID',
          'the X-CSRF-Token header is missing or wrong; reload the page and try again',
        );
      }
      if (!can(principal, permission)) {
        throw new AppError('FORBIDDEN', `this endpoint needs the "${permission}" permission`);
      }
      req.principal = principal;
      req.authMethod = 'session';
      return;
    }
    const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!m)
      throw new AppError('UNAUTHENTICATED', 'send an API token as "Authorization: Bearer <token>"');
    const principal = await lookup(m[1]!);
    if (!principal)
      throw new AppError('UNAUTHENTICATED', 'the API token is unknown, revoked or expired');
    if (!can(principal, permission)) {
      throw new AppError('FORBIDDEN', `this endpoint needs the "${permission}" permission`);
    }
    req.principal = principal;
    req.authMethod = 'token';
  });
});
