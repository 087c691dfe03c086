/** authentication, permissions per route, and customer scope (404, never 403). */
import Fastify from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import auth from '../../src/http/auth.js';
import { createTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
let mine: { id: string };
let theirs: { id: string };
let customerToken: string;
const n = (i: number) => `+44113496${String(i).padStart(4, '0')}`;
const url = (e164: string, suffix = '') => `/api/v1/numbers/${encodeURIComponent(e164)}${suffix}`;

beforeAll(async () => {
  t = await createTestApp();
  mine = await t.customer();
  theirs = await t.customer();
  await t.range({ start: n(0), count: 100 });
  await t.admin('POST', '/api/v1/numbers/bulk/allocate', {
    numbers: [n(1), n(2)],
    holder: { type: 'customer', customerId: mine.id },
  });
  await t.admin('POST', '/api/v1/numbers/bulk/allocate', {
    numbers: [n(3), n(4)],
    holder: { type: 'customer', customerId: theirs.id },
  });
  await t.admin('POST', '/api/v1/numbers/bulk/activate', { numbers: [n(1), n(3)] });
  customerToken = await t.token(['read', 'write'], `customer:${mine.id}`);
});

describe('authentication', () => {
  it('refuses a request without a token (401, problem+json)', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/numbers' });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('UNAUTHENTICATED');
  });

  it('refuses an unknown token and a revoked one', async () => {
    expect((await t.call('nbt_not-a-real-token-at-all', 'GET', '/api/v1/numbers')).statusCode).toBe(
      401,
    );
    const token = await t.token(['read']);
    expect((await t.call(token, 'GET', '/api/v1/customers')).statusCode).toBe(200); // now cached
    const list = (await t.admin('GET', '/api/v1/tokens')).json().items as {
      id: string;
      prefix: string;
    }[];
    const id = list.find((x) => token.startsWith(x.prefix) && x.prefix.length > 4)!.id;
    expect((await t.admin('DELETE', `/api/v1/tokens/${id}`)).statusCode).toBe(204);
    expect((await t.call(token, 'GET', '/api/v1/customers')).statusCode).toBe(401);
    const row = await t.db
      .selectFrom('api_tokens')
      .select('revoked_at')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.revoked_at).not.toBeNull();
  });

  it('stores tokens only as hashes and never lists the secret', async () => {
    const token = await t.token(['read']);
    const rows = await t.db.selectFrom('api_tokens').select(['token_hash', 'prefix']).execute();
    expect(rows.some((r) => r.token_hash === token)).toBe(false);
    expect(JSON.stringify((await t.admin('GET', '/api/v1/tokens')).json())).not.toContain(token);
  });
});

describe('permissions (R-1)', () => {
  it('a read token can read but not write (403) and nothing changes', async () => {
    const read = await t.token(['read']);
    expect((await t.call(read, 'GET', url(n(10)))).statusCode).toBe(200);
    const res = await t.call(read, 'POST', url(n(10), '/lock'), { reason: 'x' });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('FORBIDDEN');
    expect((await t.admin('GET', url(n(10)))).json().locked).toBe(false);
  });

  it('write implies read; only admin manages tokens', async () => {
    const write = await t.token(['write']);
    expect((await t.call(write, 'GET', '/api/v1/numbers?limit=1')).statusCode).toBe(200);
    expect((await t.call(write, 'GET', '/api/v1/tokens')).statusCode).toBe(403);
    const created = await t.admin('POST', '/api/v1/tokens', {
      name: 'w',
      permissions: ['write'],
      scope: 'operator',
    });
    expect(created.json().permissions).toEqual(['read', 'write']);
  });

  it('deleting a number needs the delete permission', async () => {
    const write = await t.token(['write']);
    expect((await t.call(write, 'DELETE', url(n(90)))).statusCode).toBe(403);
    const del = await t.token(['delete']);
    expect((await t.call(del, 'DELETE', url(n(90)))).statusCode).toBe(204);
    expect((await t.admin('GET', url(n(90)))).statusCode).toBe(404);
  });

  it('a route that declares no permission cannot be registered', async () => {
    const app = Fastify();
    await app.register(auth, { db: t.db });
    expect(() => app.get('/api/v1/oops', async () => 'x')).toThrow(
      /does not declare its permission/,
    );
    await app.close();
  });

  it('every API route in the OpenAPI document declares bearer security', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).length).toBeGreaterThan(10);
    expect(doc.security).toEqual([{ bearer: [] }]);
  });
});

describe('customer scope: another customer’s data is 404, never 403', () => {
  it('lists only its own numbers, whatever the filter asks', async () => {
    const all = (await t.call(customerToken, 'GET', '/api/v1/numbers?total=true')).json();
    expect(all.items.map((x: { e164: string }) => x.e164).sort()).toEqual([n(1), n(2)]);
    expect(all.total).toBe(2);
    const other = (
      await t.call(customerToken, 'GET', `/api/v1/numbers?customerId=${theirs.id}`)
    ).json();
    expect(other.items).toEqual([]);
  });

  it('gets 404 for another customer’s number, its history, and unheld numbers', async () => {
    for (const path of [url(n(3)), url(n(3), '/history'), url(n(50))]) {
      const res = await t.call(customerToken, 'GET', path);
      expect(res.statusCode, path).toBe(404);
    }
    expect((await t.call(customerToken, 'GET', url(n(1)))).statusCode).toBe(200);
  });

  it('gets 404 for another customer and sees only itself in the customer list', async () => {
    expect((await t.call(customerToken, 'GET', `/api/v1/customers/${theirs.id}`)).statusCode).toBe(
      404,
    );
    expect((await t.call(customerToken, 'GET', `/api/v1/customers/${mine.id}`)).statusCode).toBe(
      200,
    );
    const list = (await t.call(customerToken, 'GET', '/api/v1/customers')).json().items;
    expect(list.map((c: { id: string }) => c.id)).toEqual([mine.id]);
  });

  it('cannot act on another customer’s number (404) but may assign its own', async () => {
    const body = { assignment: { type: 'user', targetId: 'u1' } };
    expect((await t.call(customerToken, 'POST', url(n(3), '/assign'), body)).statusCode).toBe(404);
    expect((await t.admin('GET', url(n(3)))).json().status).toBe('active');
    const ok = await t.call(customerToken, 'POST', url(n(1), '/assign'), body);
    expect(ok.statusCode).toBe(200);
    expect(ok.json().status).toBe('assigned');
  });

  it('cannot allocate, release or lock (operator actions)', async () => {
    const res = await t.call(customerToken, 'POST', url(n(2), '/release'));
    expect(res.statusCode).toBe(403);
    expect((await t.admin('GET', url(n(2)))).json().status).toBe('reserved');
  });

  it('bulk actions report another customer’s numbers as NOT_FOUND and leave them alone', async () => {
    const res = await t.call(customerToken, 'POST', '/api/v1/numbers/bulk/unassign', {
      numbers: [n(1), n(3)],
    });
    const results = res.json().results as { e164: string; ok: boolean; code?: string }[];
    expect(results.find((r) => r.e164 === n(1))).toMatchObject({ ok: true });
    expect(results.find((r) => r.e164 === n(3))).toMatchObject({ ok: false, code: 'NOT_FOUND' });
  });

  it('sees only its own customer’s audit events, and no ranges', async () => {
    const events = (await t.call(customerToken, 'GET', '/api/v1/audit-events?limit=1000')).json()
      .items as { customerId: string | null }[];
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.customerId === mine.id)).toBe(true);
    expect((await t.call(customerToken, 'GET', '/api/v1/ranges')).json().items).toEqual([]);
  });

  it('can only change the emergency location, and only where the operator allows it (R-38)', async () => {
    // SPEC §6: the location must be one of the customer's own (issue 4)
    const address = await t.admin('POST', '/api/v1/civic-addresses', {
      customerId: mine.id,
      country: 'GB',
      city: 'Reading',
      locations: [{ description: 'Floor 2' }],
    });
    const loc = address.json().locations[0].id as string;
    const patch = { emergency: { locationId: loc } };
    const refused = await t.call(customerToken, 'PATCH', url(n(2)), patch);
    expect(refused.statusCode).toBe(403);
    await t.admin('PATCH', url(n(2)), { emergency: { customerMayUpdate: true } });
    const ok = await t.call(customerToken, 'PATCH', url(n(2)), patch);
    expect(ok.statusCode).toBe(200);
    expect(ok.json().emergency).toMatchObject({
      civicAddressId: address.json().id,
      locationId: loc,
      customerMayUpdate: true,
    });
    expect((await t.call(customerToken, 'PATCH', url(n(2)), { serviceInfo: 'x' })).statusCode).toBe(
      403,
    );
    expect((await t.call(customerToken, 'PATCH', url(n(4)), patch)).statusCode).toBe(404);
  });
});
