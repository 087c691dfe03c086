/** R-35 SBC routing export (CSV and JSON). */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
const n = (i: number) => `+44118496${String(i).padStart(4, '0')}`;
const enc = encodeURIComponent;
let customerId: string;

beforeAll(async () => {
  t = await createTestApp();
  const c = await t.customer({ teamsTenantId: randomUUID() });
  customerId = c.id;
  const s = (
    await t.admin('POST', `/api/v1/customers/${c.id}/services`, {
      platform: 'teamsOperatorConnect',
      sipConnection: 'sbc-lon-1',
    })
  ).json().service;
  await t.admin('POST', `/api/v1/customers/${c.id}/services/${s.id}/consent`);
  // 0, 1: active on the service (service's SIP connection, custom header on 0)
  await t.admin('POST', `/api/v1/customers/${c.id}/services/${s.id}/numbers`, {
    number: n(0),
    usage: 'conference',
    customSipHeader: 'tenant-contoso',
  });
  await t.admin('POST', `/api/v1/customers/${c.id}/services/${s.id}/numbers`, {
    number: n(1),
    usage: 'conference',
  });
  // 2: assigned, own SIP connection that looks like a formula
  await t.admin('POST', '/api/v1/numbers', {
    numbers: [2, 3, 4, 5].map((i) => ({ number: n(i) })),
  });
  const h = { type: 'customer', customerId: c.id };
  await t.admin('POST', '/api/v1/numbers/bulk/allocate', {
    numbers: [n(2), n(3), n(4)],
    holder: h,
  });
  await t.admin('POST', '/api/v1/numbers/bulk/activate', { numbers: [n(2), n(4)] });
  await t.admin('PATCH', `/api/v1/numbers/${enc(n(2))}`, { sipConnection: '=cmd|calc' });
  await t.admin('POST', `/api/v1/numbers/${enc(n(2))}/assign`, {
    assignment: { type: 'user', targetId: 'u-1' },
  });
  // 3: reserved — not routed; 5: available — not routed
  // 4: active but entered by sync from the platform — the SBC export ignores it (SPEC §3.3)
  await t.db.updateTable('numbers').set({ source: 'sync' }).where('e164', '=', n(4)).execute();
});

describe('R-35 SBC routing export', () => {
  it('R-35 JSON lists active and assigned api/ui/import numbers with SIP connection and custom header', async () => {
    const res = await t.admin('GET', '/api/v1/routing/sbc?format=json');
    expect(res.statusCode).toBe(200);
    const body = res.json<{ generatedAt: string; items: Record<string, unknown>[] }>();
    expect(body.generatedAt).toBe(t.clock.now.toISOString());
    expect(body.items.map((r) => r.e164)).toEqual([n(0), n(1), n(2)]);
    expect(body.items[0]).toMatchObject({
      sipConnection: 'sbc-lon-1',
      customSipHeader: 'tenant-contoso',
      platform: 'teamsOperatorConnect',
      status: 'active',
      customerId,
    });
    expect(body.items[2]).toMatchObject({
      sipConnection: '=cmd|calc',
      status: 'assigned',
      platform: null,
    });
  });

  it('R-35 CSV has the same rows, E.164 bare and formula-looking cells guarded (R-51)', async () => {
    const res = await t.admin('GET', '/api/v1/routing/sbc');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.headers['content-disposition']).toContain('sbc-dial-plan-');
    const lines = res.body.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'e164,sipConnection,customSipHeader,callingProfileId,platform,status,source,customerId,accountName,serviceId',
    );
    expect(lines).toHaveLength(4);
    expect(lines[1]!.startsWith(`${n(0)},sbc-lon-1,tenant-contoso,`)).toBe(true);
    expect(lines[3]!.startsWith(`${n(2)},'=cmd|calc,`)).toBe(true);
    expect(res.body).not.toContain(n(3));
    expect(res.body).not.toContain(n(4));
  });

  it('R-35 a number released drops out of the dial plan', async () => {
    await t.admin('POST', `/api/v1/numbers/${enc(n(1))}/release`);
    const items = (await t.admin('GET', '/api/v1/routing/sbc?format=json')).json().items as {
      e164: string;
    }[];
    expect(items.map((r) => r.e164)).toEqual([n(0), n(2)]);
  });

  it('is the operator’s: customer-scoped tokens get 403', async () => {
    const token = await t.token(['read'], `customer:${customerId}`);
    expect((await t.call(token, 'GET', '/api/v1/routing/sbc')).statusCode).toBe(403);
  });
});
