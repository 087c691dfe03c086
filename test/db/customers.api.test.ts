/** Customers and sites through the API. */
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
const n = (i: number) => `+44118496${String(i).padStart(4, '0')}`;

beforeAll(async () => {
  t = await createTestApp();
  await t.range({ start: n(0), count: 50 });
});

describe('customers', () => {
  it('validates the account name and keeps it unique', async () => {
    const bad = await t.admin('POST', '/api/v1/customers', { name: 'X', accountName: 'has space' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('body.accountName');
    await t.admin('POST', '/api/v1/customers', { name: 'A', accountName: 'acme' });
    const dup = await t.admin('POST', '/api/v1/customers', { name: 'B', accountName: 'acme' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().code).toBe('ALREADY_EXISTS');
  });

  it('keeps the Teams tenant id a UUID', async () => {
    const res = await t.admin('POST', '/api/v1/customers', {
      name: 'T',
      accountName: 'tenant1',
      teamsTenantId: 'nope',
    });
    expect(res.statusCode).toBe(400);
  });

  it('refuses to close a customer that holds numbers, unless asked to release them', async () => {
    const c = await t.customer();
    const h = { type: 'customer', customerId: c.id };
    await t.admin('POST', '/api/v1/numbers/bulk/allocate', { numbers: [n(1), n(2)], holder: h });
    await t.admin('POST', '/api/v1/numbers/bulk/activate', { numbers: [n(2)] });
    await t.admin('POST', `/api/v1/numbers/${encodeURIComponent(n(2))}/assign`, {
      assignment: { type: 'user', targetId: 'u' },
    });
    const refused = await t.admin('POST', `/api/v1/customers/${c.id}/close`);
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'CUSTOMER_HAS_NUMBERS', held: 2 });
    const closed = await t.admin('POST', `/api/v1/customers/${c.id}/close`, {
      releaseNumbers: true,
    });
    expect(closed.statusCode).toBe(200);
    expect(closed.json().status).toBe('closed');
    const held = (await t.admin('GET', `/api/v1/numbers?customerId=${c.id}&total=true`)).json();
    expect(held.total).toBe(0);
    const released = (await t.admin('GET', `/api/v1/numbers/${encodeURIComponent(n(2))}`)).json();
    expect(released.status).toBe('coolingOff');
    // a closed customer can hold nothing new
    const alloc = await t.admin('POST', `/api/v1/numbers/${encodeURIComponent(n(3))}/allocate`, {
      holder: h,
    });
    expect(alloc.json().code).toBe('HOLDER_NOT_ACTIVE');
  });

  it('honours If-Match on PATCH', async () => {
    const c = await t.customer();
    const get = await t.admin('GET', `/api/v1/customers/${c.id}`);
    const ok = await t.admin(
      'PATCH',
      `/api/v1/customers/${c.id}`,
      { name: 'New' },
      { 'if-match': get.headers.etag as string },
    );
    expect(ok.statusCode).toBe(200);
    const stale = await t.admin(
      'PATCH',
      `/api/v1/customers/${c.id}`,
      { name: 'Newer' },
      { 'if-match': get.headers.etag as string },
    );
    expect(stale.statusCode).toBe(412);
  });
});

describe('sites', () => {
  it('defaults UK sites to batchOf5 and others to exact (R-40)', async () => {
    expect(
      (await t.admin('POST', '/api/v1/sites', { name: 'Leeds', country: 'GB' })).json()
        .allocationPolicy,
    ).toBe('batchOf5');
    expect(
      (await t.admin('POST', '/api/v1/sites', { name: 'Austin', country: 'US' })).json()
        .allocationPolicy,
    ).toBe('exact');
  });

  it('refuses to change the country of a site that has numbers (R-3)', async () => {
    const s = await t.site({ country: 'GB' });
    await t.admin('PATCH', `/api/v1/numbers/${encodeURIComponent(n(10))}`, { siteId: s.id });
    const res = await t.admin('PATCH', `/api/v1/sites/${s.id}`, { country: 'IE' });
    expect(res.statusCode).toBe(409);
    expect((await t.admin('GET', `/api/v1/sites/${s.id}`)).json().country).toBe('GB');
  });

  it('refuses to move a number to a site of another country (R-3)', async () => {
    const s = await t.site({ country: 'US' });
    const res = await t.admin('PATCH', `/api/v1/numbers/${encodeURIComponent(n(11))}`, {
      siteId: s.id,
    });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'COUNTRY_MISMATCH', rule: 'R-3' });
  });
});
