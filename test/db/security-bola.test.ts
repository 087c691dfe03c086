/**
 * Issue 7, OWASP API1 (broken object-level authorisation), R-1: every route
 * the app registers is classified in security-routes.ts, and every route that
 * names an object answers a customer-scoped principal holding all permissions
 * 404 for another customer's object: never 403, never its data, and nothing
 * changes. A route added without a classification fails the first test.
 */
import { randomUUID } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { insertJob } from '../../src/jobs/jobs.repository.js';
import { systemPrincipal } from '../../src/auth/principal.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { routeClasses, routeKey, type Ids, type Probe } from './security-routes.js';

/** Set on every object of the other customer: no answer may contain it. */
const MARKER = 'THEIRS-SECRET-7f3a';
const n = (i: number) => `+44113497${String(i).padStart(4, '0')}`;

let t: TestApp;
let ids: Ids;
let mineToken: string;
let mineSession: { cookie: string; csrf: string };
let auditBefore: number;

const count = async (table: 'audit_events' | 'numbers' | 'civic_addresses' | 'users') =>
  Number(
    (
      await t.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

function send(token: string, method: string, p: Probe) {
  const body = p.body?.(ids);
  return t.app.inject({
    method: method as InjectOptions['method'],
    url: p.path(ids),
    headers: { authorization: `Bearer ${token}`, ...p.headers },
    ...(body !== undefined ? { payload: body as InjectOptions['payload'] } : {}),
  });
}

beforeAll(async () => {
  t = await createTestApp();
  const mine = await t.customer({ name: 'Mine Ltd' });
  const theirs = await t.customer({ name: `${MARKER} Ltd` });
  const site = await t.site();
  const range = await t.range({ start: n(0), count: 20 });
  await t.admin('POST', '/api/v1/numbers/bulk/allocate', {
    numbers: [n(1)],
    holder: { type: 'customer', customerId: mine.id },
  });
  await t.admin('POST', '/api/v1/numbers/bulk/allocate', {
    numbers: [n(3)],
    holder: { type: 'customer', customerId: theirs.id },
  });
  await t.admin('POST', '/api/v1/numbers/bulk/activate', { numbers: [n(3)] });

  const svc = await t.admin('POST', `/api/v1/customers/${theirs.id}/services`, {
    platform: 'teamsOperatorConnect',
  });
  expect(svc.statusCode).toBe(201);
  const address = await t.admin('POST', '/api/v1/civic-addresses', {
    customerId: theirs.id,
    companyName: MARKER,
    street: '1 Forbury Square',
    city: 'Reading',
    postalCode: 'RG1 3EB',
    country: 'GB',
    validated: true,
    locations: [{ description: `${MARKER} floor`, isDefault: true }],
  });
  expect(address.statusCode).toBe(201);
  const tenantId = randomUUID();
  expect(
    (
      await t.admin('POST', '/api/v1/consents', {
        tenantId,
        consentedAt: '2026-01-10T09:00:00Z',
        consentedCountries: ['UK'],
        contacts: [{ fullName: MARKER, email: 'jo@theirs.example', companyName: MARKER }],
      })
    ).statusCode,
  ).toBe(201);
  for (const status of ['customerContacted', 'agreementSigned']) {
    const r = await t.admin('POST', `/api/v1/consents/${tenantId}/relationship`, { status });
    expect(r.statusCode).toBe(200);
  }
  const linked = await t.admin('POST', `/api/v1/consents/${tenantId}/customer`, {
    accountName: `theirs-tenant-${process.pid}`,
    name: `${MARKER} tenant`,
  });
  expect(linked.statusCode).toBe(201);
  const user = await t.admin('POST', '/api/v1/users', {
    email: `theirs-${process.pid}@bola.example`,
    name: MARKER,
    password: 'correct horse battery staple',
    permissions: ['read'],
    scope: `customer:${theirs.id}`,
  });
  expect(user.statusCode).toBe(201);
  const theirToken = await t.token(['read'], `customer:${theirs.id}`);
  const tokens = (await t.admin('GET', '/api/v1/tokens')).json().items as {
    id: string;
    prefix: string;
  }[];
  const tokenId = tokens.find((x) => theirToken.startsWith(x.prefix) && x.prefix.length > 4)!.id;
  const job = await insertJob(
    t.db,
    { principal: systemPrincipal, source: 'api', requestId: null, ticketId: null },
    { kind: 'bulk', params: { note: MARKER }, customerId: theirs.id, status: 'failed' },
  );

  ids = {
    customer: theirs.id,
    e164: n(3),
    serviceId: svc.json().service.id,
    addressId: address.json().id,
    locationId: address.json().locations[0].id,
    tenantId,
    jobId: job.id,
    userId: user.json().id,
    tokenId,
    rangeId: range.id,
    siteId: site.id,
  };
  // A customer admin: every permission, confined to its own customer.
  mineToken = await t.token(['admin'], `customer:${mine.id}`);
  // …and the same as a portal user signed in with a session cookie.
  const mineUser = `mine-${process.pid}@bola.example`;
  expect(
    (
      await t.admin('POST', '/api/v1/users', {
        email: mineUser,
        name: 'Mine Admin',
        password: 'correct horse battery staple',
        permissions: ['admin'],
        scope: `customer:${mine.id}`,
      })
    ).statusCode,
  ).toBe(201);
  const signed = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/sign-in',
    payload: { email: mineUser, password: 'correct horse battery staple' },
  });
  expect(signed.statusCode).toBe(200);
  mineSession = {
    cookie: `numbat_session=${signed.cookies.find((c) => c.name === 'numbat_session')!.value}`,
    csrf: signed.json().csrfToken,
  };
  auditBefore = await count('audit_events');
});

describe('route classification (R-1)', () => {
  it('every registered route is classified, and every classification names a route', () => {
    const registered = new Set(t.app.routeTable.map((r) => routeKey(r.method, r.url)));
    const unclassified = [...registered].filter((k) => !(k in routeClasses));
    const stale = Object.keys(routeClasses).filter((k) => !registered.has(k));
    expect(unclassified, 'add these routes to test/db/security-routes.ts').toEqual([]);
    expect(stale, 'these classified routes no longer exist').toEqual([]);
    // The table sees the real app: the routes of every feature are in it.
    expect(registered.size).toBeGreaterThan(50);
  });
});

const objectRoutes = Object.entries(routeClasses).flatMap(([key, c]) =>
  c.kind === 'object' ? [{ key, method: key.split(' ')[0]!, probe: c }] : [],
);

describe('another customer’s object → 404, never 403, never its data (R-1)', () => {
  it.each(objectRoutes)('$key', async ({ method, probe }) => {
    const res = await send(mineToken, method, probe);
    expect(res.statusCode, res.body).toBe(404);
    expect(res.json().code).toBe('NOT_FOUND');
    expect(res.body).not.toContain(MARKER);
  });

  it.each(objectRoutes)('$key, as a signed-in portal user', async ({ method, probe }) => {
    const body = probe.body?.(ids);
    const res = await t.app.inject({
      method: method as InjectOptions['method'],
      url: probe.path(ids),
      headers: { cookie: mineSession.cookie, 'x-csrf-token': mineSession.csrf, ...probe.headers },
      ...(body !== undefined ? { payload: body as InjectOptions['payload'] } : {}),
    });
    expect(res.statusCode, res.body).toBe(404);
    expect(res.body).not.toContain(MARKER);
  });

  it.each(objectRoutes.filter((r) => r.method === 'GET'))(
    'the ids are real: the operator reads $key',
    async ({ method, probe }) => {
      const res = await send(t.adminToken, method, probe);
      expect(res.statusCode, res.body).toBe(200);
    },
  );

  it('ids in a bulk body answer NOT_FOUND per number, and the number is left alone', async () => {
    const res = await t.call(mineToken, 'POST', '/api/v1/numbers/bulk/unassign', {
      numbers: [ids.e164],
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().results).toEqual([
      expect.objectContaining({ e164: ids.e164, ok: false, code: 'NOT_FOUND' }),
    ]);
    expect(res.body).not.toContain(MARKER);
  });
});

const operatorOnly = Object.entries(routeClasses).flatMap(([key, c]) =>
  c.kind === 'operatorOnly' ? [{ key, method: key.split(' ')[0]!, probe: c }] : [],
);

describe('operator-only actions on another customer’s object: refused alike for any id', () => {
  it.each(operatorOnly)('$key', async ({ method, probe }) => {
    const res = await send(mineToken, method, probe);
    expect([403, 404], res.body).toContain(res.statusCode);
    expect(res.body).not.toContain(MARKER);
    // The same answer as for ids that exist nowhere: no existence oracle.
    const ghost: Ids = {
      ...ids,
      customer: randomUUID(),
      e164: '+441134979999',
      serviceId: randomUUID(),
      addressId: randomUUID(),
      locationId: randomUUID(),
      tenantId: randomUUID(),
    };
    const body = probe.body?.(ghost);
    const none = await t.app.inject({
      method: method as InjectOptions['method'],
      url: probe.path(ghost),
      headers: { authorization: `Bearer ${mineToken}`, ...probe.headers },
      ...(body !== undefined ? { payload: body as InjectOptions['payload'] } : {}),
    });
    expect(none.statusCode).toBe(res.statusCode);
    expect(none.json().code).toBe(res.json().code);
  });
});

const probes = Object.entries(routeClasses).flatMap(([key, c]) =>
  c.kind === 'none' && c.probe ? [{ key, method: key.split(' ')[0]!, probe: c.probe }] : [],
);

describe('ids in the query or body name nothing of another customer', () => {
  it.each(probes)('$key', async ({ method, probe }) => {
    const res = await send(mineToken, method, probe);
    expect(res.body).not.toContain(MARKER);
    expect(res.body).not.toContain(ids.e164);
    if (method === 'GET') expect([200, 404]).toContain(res.statusCode);
    else expect([403, 404]).toContain(res.statusCode);
  });

  it('the probes are real: the operator sees the other customer’s data in the same lists', async () => {
    const numbers = await t.admin('GET', `/api/v1/numbers?customerId=${ids.customer}`);
    expect(numbers.body).toContain(ids.e164);
    const addresses = await t.admin('GET', `/api/v1/civic-addresses?customerId=${ids.customer}`);
    expect(addresses.body).toContain(MARKER);
    const csv = await t.admin('GET', `/api/v1/exports/numbers.csv?customerId=${ids.customer}`);
    expect(csv.body).toContain(ids.e164.slice(1));
  });
});

describe('nothing changed', () => {
  it('no audit event was written and the other customer’s objects are as they were', async () => {
    expect(await count('audit_events')).toBe(auditBefore);
    const num = await t.admin('GET', `/api/v1/numbers/${encodeURIComponent(ids.e164)}`);
    expect(num.json()).toMatchObject({ status: 'active', holder: { customerId: ids.customer } });
    const c = await t.admin('GET', `/api/v1/customers/${ids.customer}`);
    expect(c.json().name).toBe(`${MARKER} Ltd`);
    const user = await t.admin('GET', `/api/v1/users/${ids.userId}`);
    expect(user.json().name).toBe(MARKER);
    const tokens = (await t.admin('GET', '/api/v1/tokens')).json().items as {
      id: string;
      revokedAt?: string | null;
    }[];
    expect(tokens.find((x) => x.id === ids.tokenId)).toBeDefined();
  });
});
