/**
 * Issue 7, OWASP API5 (broken function-level authorisation), R-1: every
 * route the app registers × every permission set → allowed or 403 exactly as
 * its `config.permission` declares; no credentials → 401; a customer-scoped
 * admin is refused the operator's routes (security-routes.ts says which).
 * Ids in paths name nothing, so an allowed call answers 400/404 and changes
 * nothing; the point is which calls get past authorisation.
 */
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Permission } from '../../src/auth/principal.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { routeClasses, routeKey, type Ids } from './security-routes.js';

let t: TestApp;
const tokens: Record<string, string> = {};
/** What each token holds after R-1's normalisation (write and delete imply read). */
const held: Record<string, Permission[]> = {
  read: ['read'],
  write: ['read', 'write'],
  delete: ['read', 'delete'],
  admin: ['read', 'write', 'delete', 'admin'],
};

const ghost = '00000000-0000-4000-8000-000000000000';
/** A concrete path for a route pattern, naming objects that do not exist. */
const concrete = (url: string) =>
  url
    .replace(':e164', encodeURIComponent('+441134969999'))
    .replace(':action', 'unassign')
    .replace(/:[A-Za-z]+/g, ghost)
    .replace('*', 'index.html');

function call(
  token: string | null,
  method: string,
  url: string,
  body?: unknown,
): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: method as InjectOptions['method'],
    url,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    ...(body !== undefined ? { payload: body as InjectOptions['payload'] } : {}),
  });
}

/** Ids of objects that exist nowhere, for the classified probes. */
const ghosts: Ids = {
  customer: ghost,
  e164: '+441134969999',
  serviceId: ghost,
  addressId: ghost,
  locationId: ghost,
  tenantId: ghost,
  jobId: ghost,
  userId: ghost,
  tokenId: ghost,
  rangeId: ghost,
  siteId: ghost,
};

const deniedFor = (res: LightMyRequestResponse, permission: string) =>
  res.statusCode === 403 &&
  res.json().code === 'FORBIDDEN' &&
  String(res.json().detail).includes(`needs the "${permission}" permission`);

beforeAll(async () => {
  t = await createTestApp();
  const customer = await t.customer();
  for (const p of Object.keys(held)) tokens[p] = await t.token([p]);
  tokens.customerAdmin = await t.token(['admin'], `customer:${customer.id}`);
});

const routes = () =>
  t.app.routeTable.filter((r) => r.method !== 'HEAD' && r.permission !== 'public');

describe('function-level authorisation (R-1)', () => {
  it('every route declares a permission, and the table is complete', () => {
    expect(t.app.routeTable.every((r) => r.permission !== undefined)).toBe(true);
    const declared = new Set(routes().map((r) => r.permission));
    expect([...declared].sort()).toEqual(['admin', 'delete', 'read', 'write']);
  });

  it('no credentials → 401 on every non-public route', async () => {
    const wrong: string[] = [];
    for (const r of routes()) {
      const res = await call(null, r.method, concrete(r.url));
      if (res.statusCode !== 401 || res.json().code !== 'UNAUTHENTICATED')
        wrong.push(`${r.method} ${r.url} → ${res.statusCode}`);
    }
    expect(wrong).toEqual([]);
  });

  it('public routes answer without credentials', async () => {
    const pub = t.app.routeTable.filter((r) => r.permission === 'public' && r.method === 'GET');
    expect(pub.map((r) => r.url)).toEqual(
      expect.arrayContaining(['/healthz', '/api/v1/openapi.json']),
    );
    for (const r of pub)
      expect((await call(null, r.method, concrete(r.url))).statusCode).not.toBe(401);
  });

  it.each(Object.keys(held))(
    'an operator token holding %s: allowed or 403 exactly as declared',
    async (set) => {
      const wrong: string[] = [];
      let allowed = 0;
      let denied = 0;
      for (const r of routes()) {
        const mayCall =
          held[set]!.includes('admin') || (held[set]! as string[]).includes(r.permission!);
        const res = await call(tokens[set]!, r.method, concrete(r.url));
        const refused = deniedFor(res, r.permission!);
        if (mayCall) allowed++;
        else denied++;
        if (mayCall === refused || res.statusCode === 401)
          wrong.push(`${r.method} ${r.url} (${r.permission}) → ${res.statusCode} ${res.body}`);
      }
      expect(wrong).toEqual([]);
      // The matrix is not vacuous: each set is refused somewhere unless it is admin.
      expect(allowed).toBeGreaterThan(0);
      if (set !== 'admin') expect(denied).toBeGreaterThan(0);
    },
  );

  it('a customer-scoped admin is refused exactly the operator’s routes', async () => {
    const wrong: string[] = [];
    for (const r of routes()) {
      const c = routeClasses[routeKey(r.method, r.url)];
      expect(c, `${r.method} ${r.url} is not classified in security-routes.ts`).toBeDefined();
      // A valid body, so that refusals after validation are reached.
      const res =
        c!.kind === 'none'
          ? await call(tokens.customerAdmin!, r.method, concrete(r.url), c!.body?.())
          : await call(tokens.customerAdmin!, r.method, c!.path(ghosts), c!.body?.(ghosts));
      const refused = res.statusCode === 403 || (res.statusCode === 404 && !c!.customerAllowed);
      if (c!.customerAllowed ? res.statusCode === 403 : !refused)
        wrong.push(`${r.method} ${r.url} → ${res.statusCode} ${res.body}`);
    }
    expect(wrong).toEqual([]);
  });
});
