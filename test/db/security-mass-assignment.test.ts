/**
 * Issue 7, OWASP API3 (broken object property-level authorisation / mass
 * assignment): every request body schema is closed (`additionalProperties:
 * false`, nested objects and union members too), and a body that tries to set
 * a field the server owns (status, holder, customer, etag, timestamps,
 * source, ids) is refused 400 with the field named, and nothing changes. The
 * same body without that field succeeds, so the refusal is the field's.
 */
import type { InjectOptions } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
const n = (i: number) => `+44113498${String(i).padStart(4, '0')}`;
const enc = encodeURIComponent;

type Json = Record<string, unknown>;

async function auditCount() {
  return Number(
    (
      await t.db
        .selectFrom('audit_events')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
}

beforeAll(async () => {
  t = await createTestApp();
});

describe('every request body schema is closed', () => {
  it('additionalProperties: false on every object of every body, nested and in unions', () => {
    const doc = t.app.swagger() as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, Json> } }>>;
      components?: { schemas?: Record<string, Json> };
    };
    const open: string[] = [];
    let objects = 0;
    const seen = new Set<unknown>();
    function walk(schema: unknown, where: string) {
      if (!schema || typeof schema !== 'object' || seen.has(schema)) return;
      seen.add(schema);
      const s = schema as Json;
      if (typeof s.$ref === 'string') {
        const name = s.$ref.split('/').pop()!;
        walk(doc.components?.schemas?.[name], `${where}→${name}`);
        return;
      }
      if (s.type === 'object' || s.properties) {
        objects++;
        if (s.additionalProperties !== false) open.push(where);
      }
      for (const [k, v] of Object.entries(s.properties ?? {})) walk(v, `${where}.${k}`);
      for (const key of ['anyOf', 'oneOf', 'allOf'] as const)
        for (const [i, v] of ((s[key] as unknown[]) ?? []).entries()) walk(v, `${where}[${i}]`);
      if (s.items) walk(s.items, `${where}[]`);
    }
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const json = op.requestBody?.content?.['application/json'];
        if (json) walk(json.schema, `${method.toUpperCase()} ${path} body`);
      }
    }
    expect(open).toEqual([]);
    expect(objects).toBeGreaterThan(30);
  });
});

interface Case {
  name: string;
  method: InjectOptions['method'];
  url: () => string;
  body: Json;
  forbidden: Json;
  headers?: () => Record<string, string>;
  /** The object as the server holds it, read before and after the refusal. */
  state?: () => Promise<unknown>;
}

let customerId: string;
let serviceId: string;
let siteId: string;
let userId: string;
let addressId: string;
const etags: Record<string, string> = {};

async function etagOf(url: string) {
  const res = await t.admin('GET', url);
  expect(res.statusCode).toBe(200);
  return res.headers.etag as string;
}
const read = (url: () => string) => async () => (await t.admin('GET', url())).json();

describe('server-owned fields cannot be mass-assigned', () => {
  beforeAll(async () => {
    const c = await t.customer();
    customerId = c.id;
    siteId = (await t.site()).id;
    await t.range({ start: n(0), count: 20 });
    await t.admin('POST', '/api/v1/numbers/bulk/allocate', {
      numbers: [n(1)],
      holder: { type: 'customer', customerId },
    });
    const svc = await t.admin('POST', `/api/v1/customers/${customerId}/services`, {
      platform: 'teamsOperatorConnect',
    });
    serviceId = svc.json().service.id;
    const user = await t.admin('POST', '/api/v1/users', {
      email: `mass-${process.pid}@assign.example`,
      name: 'Mass',
      password: 'correct horse battery staple',
      permissions: ['read'],
      scope: 'operator',
    });
    userId = user.json().id;
    const a = await t.admin('POST', '/api/v1/civic-addresses', {
      customerId,
      country: 'GB',
      city: 'Reading',
    });
    addressId = a.json().id;
    etags.number = await etagOf(`/api/v1/numbers/${enc(n(1))}`);
    etags.customer = await etagOf(`/api/v1/customers/${customerId}`);
    etags.site = await etagOf(`/api/v1/sites/${siteId}`);
    etags.user = await etagOf(`/api/v1/users/${userId}`);
    etags.address = await etagOf(`/api/v1/civic-addresses/${addressId}`);
  });

  const numberUrl = () => `/api/v1/numbers/${enc(n(1))}`;
  const cases: Case[] = [
    ...[
      { status: 'active' },
      { holder: { type: 'customer', customerId: '00000000-0000-4000-8000-000000000000' } },
      { etag: '"7"' },
      { source: 'sync' },
      { createdAt: '2020-01-01T00:00:00Z' },
      { mainNumber: true },
      { locked: true },
    ].map((forbidden): Case => ({
      name: `POST /numbers with ${Object.keys(forbidden)[0]}`,
      method: 'POST',
      url: () => '/api/v1/numbers',
      body: { number: n(50) },
      forbidden,
    })),
    ...[
      { status: 'available' },
      { holder: null },
      { customerId: '00000000-0000-4000-8000-000000000000' },
      { etag: '"9"' },
      { e164: n(11) },
      { mainNumber: true },
      { locked: true },
      { updatedAt: '2020-01-01T00:00:00Z' },
      { source: 'import' },
      { coolingOffUntil: '2030-01-01T00:00:00Z' },
    ].map((forbidden): Case => ({
      name: `PATCH /numbers/{e164} with ${Object.keys(forbidden)[0]}`,
      method: 'PATCH',
      url: numberUrl,
      body: { extension: '42' },
      forbidden,
      headers: () => ({ 'if-match': etags.number! }),
      state: read(numberUrl),
    })),
    {
      name: 'POST /numbers/{e164}/activate with status',
      method: 'POST',
      url: () => `/api/v1/numbers/${enc(n(1))}/activate`,
      body: {},
      forbidden: { status: 'active' },
    },
    ...[{ status: 'closed' }, { accountName: 'renamed' }, { id: 'x' }, { etag: '"3"' }].map(
      (forbidden): Case => ({
        name: `PATCH /customers/{id} with ${Object.keys(forbidden)[0]}`,
        method: 'PATCH',
        url: () => `/api/v1/customers/${customerId}`,
        body: { name: 'Renamed' },
        forbidden: forbidden.status
          ? { ...forbidden, createdAt: '2020-01-01T00:00:00Z' }
          : forbidden,
        headers: () => ({ 'if-match': etags.customer! }),
        state: read(() => `/api/v1/customers/${customerId}`),
      }),
    ),
    ...[
      { status: 'active' },
      { platform: 'webexCloudConnect' },
      { customerId: '00000000-0000-4000-8000-000000000000' },
    ].map((forbidden): Case => ({
      name: `PATCH /customers/{id}/services/{id} with ${Object.keys(forbidden)[0]}`,
      method: 'PATCH',
      url: () => `/api/v1/customers/${customerId}/services/${serviceId}`,
      body: { syncEnabled: false },
      forbidden,
      state: read(() => `/api/v1/customers/${customerId}/services/${serviceId}`),
    })),
    {
      name: 'POST /customers/{id}/services with status',
      method: 'POST',
      url: () => `/api/v1/customers/${customerId}/services`,
      body: { platform: 'teamsOperatorConnect' },
      forbidden: { status: 'active' },
    },
    ...[{ id: 'x' }, { createdAt: '2020-01-01T00:00:00Z' }].map((forbidden): Case => ({
      name: `PATCH /sites/{id} with ${Object.keys(forbidden)[0]}`,
      method: 'PATCH',
      url: () => `/api/v1/sites/${siteId}`,
      body: { name: `Renamed site ${process.pid}` },
      forbidden,
      headers: () => ({ 'if-match': etags.site! }),
      state: read(() => `/api/v1/sites/${siteId}`),
    })),
    ...[{ email: 'other@assign.example' }, { passwordHash: 'x' }, { id: 'x' }, { etag: '"5"' }].map(
      (forbidden): Case => ({
        name: `PATCH /users/{id} with ${Object.keys(forbidden)[0]}`,
        method: 'PATCH',
        url: () => `/api/v1/users/${userId}`,
        body: { name: 'Renamed' },
        forbidden,
        headers: () => ({ 'if-match': etags.user! }),
        state: read(() => `/api/v1/users/${userId}`),
      }),
    ),
    ...[{ customerId: null }, { readOnly: false }, { source: 'api' }].map((forbidden): Case => ({
      name: `PATCH /civic-addresses/{id} with ${Object.keys(forbidden)[0]}`,
      method: 'PATCH',
      url: () => `/api/v1/civic-addresses/${addressId}`,
      body: { city: 'Slough' },
      forbidden,
      headers: () => ({ 'if-match': etags.address! }),
      state: read(() => `/api/v1/civic-addresses/${addressId}`),
    })),
    ...[{ tokenHash: 'x' }, { prefix: 'nbt_x' }, { secret: 'a'.repeat(40) }].map(
      (forbidden): Case => ({
        name: `POST /tokens with ${Object.keys(forbidden)[0]}`,
        method: 'POST',
        url: () => '/api/v1/tokens',
        body: {
          name: `mass-${Object.keys(forbidden)[0]}`,
          permissions: ['read'],
          scope: 'operator',
        },
        forbidden,
      }),
    ),
  ];

  it.each(cases)('$name → 400 naming the field, nothing changes', async (c) => {
    const before = await auditCount();
    const state = await c.state?.();
    const field = Object.keys(c.forbidden)[0]!;
    const res = await t.admin(
      c.method,
      c.url(),
      {
        ...c.body,
        ...c.forbidden,
      },
      c.headers?.(),
    );
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().code).toBe('VALIDATION_FAILED');
    expect(JSON.stringify(res.json().errors ?? res.json().detail)).toMatch(
      /unknown field|additional properties/i,
    );
    expect(await auditCount()).toBe(before);
    if (c.state) expect(await c.state()).toEqual(state);
    expect(JSON.stringify(res.json())).toContain(field);
  });

  it('the same bodies without the forbidden field are accepted (the refusal was the field’s)', async () => {
    const seen = new Set<string>();
    for (const c of cases) {
      const key = `${c.method} ${c.url()}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const headers = c.headers?.();
      if (headers?.['if-match']) {
        // The ETag of the object as it is now.
        headers['if-match'] = await etagOf(c.url());
      }
      const res = await t.admin(c.method, c.url(), c.body, headers);
      expect([200, 201, 202], `${key}: ${res.body}`).toContain(res.statusCode);
    }
  });
});
