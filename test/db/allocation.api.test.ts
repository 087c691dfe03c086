/** SPEC §7 automatic allocation through the API (R-40..R-44). */
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
let block = 0;
/** A fresh block of 100 UK numbers (+44 20 7946 xxxx, Ofcom drama range) per call. */
const ukBlock = () => {
  const b = block++;
  return (i: number) => `+4420794${String(b * 100 + i).padStart(5, '0')}`.slice(0, 13);
};
const enc = encodeURIComponent;

interface Num {
  e164: string;
  status: string;
  mainNumber: boolean;
  serviceId: string | null;
  holder: { type: string; customerId?: string } | null;
}

async function numbersOf(customerId: string): Promise<Num[]> {
  const res = await t.admin('GET', `/api/v1/numbers?customerId=${customerId}&limit=1000`);
  expect(res.statusCode).toBe(200);
  return res.json().items as Num[];
}

async function siteWith(
  country: 'GB' | 'US',
  count: number,
  fields: Record<string, unknown> = {},
): Promise<{ id: string; first: string; n: (i: number) => string }> {
  const site = await t.site({ country, ...fields });
  let n: (i: number) => string;
  if (country === 'GB') n = ukBlock();
  else {
    const b = block++;
    n = (i: number) => `+1201555${String((b % 10) * 1000 + i).padStart(4, '0')}`;
  }
  if (count > 0) await t.range({ start: n(0), count, siteId: site.id });
  return { id: site.id, first: n(0), n };
}

const addService = (customerId: string, body: Record<string, unknown>) =>
  t.admin('POST', `/api/v1/customers/${customerId}/services`, { platform: 'hostedVoice', ...body });

beforeAll(async () => {
  t = await createTestApp();
  const res = await t.admin('PUT', '/api/v1/settings', { createMainNumberAutomatically: true });
  expect(res.json()).toEqual({ createMainNumberAutomatically: true });
});

describe('automatic allocation for a new hostedVoice service', () => {
  it('R-40 R-42 batchOf5 (UK), quantity 7, main on: 10 numbers, 1 main reserved, 7 active, 2 reserved', async () => {
    const site = await siteWith('GB', 30);
    const c = await t.customer();
    const res = await addService(c.id, { siteId: site.id, quantity: 7 });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.service.status).toBe('ready');
    expect(body.autoAllocation).toMatchObject({ ran: true, policy: 'batchOf5', main: site.n(0) });
    const nums = await numbersOf(c.id);
    expect(nums).toHaveLength(10);
    // R-41 lowest first and contiguous
    expect(nums.map((x) => x.e164)).toEqual(Array.from({ length: 10 }, (_, i) => site.n(i)));
    const main = nums.filter((x) => x.mainNumber);
    expect(main).toHaveLength(1);
    expect(main[0]!.status).toBe('reserved');
    expect(nums.filter((x) => x.status === 'active')).toHaveLength(7);
    expect(nums.filter((x) => x.status === 'reserved' && !x.mainNumber)).toHaveLength(2);
    expect(nums.every((x) => x.serviceId === body.service.id)).toBe(true);

    // recorded as a finished job and in the audit log
    const job = await t.db
      .selectFrom('jobs')
      .selectAll()
      .where('id', '=', body.autoAllocation.jobId)
      .executeTakeFirstOrThrow();
    expect(job).toMatchObject({ kind: 'autoAllocation', status: 'succeeded', total: 10, done: 10 });
    expect(job.customer_id).toBe(c.id);
    const audit = await t.admin(
      'GET',
      `/api/v1/audit-events?objectType=service&objectId=${body.service.id}`,
    );
    const actions = (audit.json().items as { action: string }[]).map((e) => e.action);
    expect(actions).toContain('service.autoAllocate');
    expect(actions).toContain('service.create');
  });

  it('R-40 exact (US), quantity 7, main on: exactly 8 numbers', async () => {
    const site = await siteWith('US', 20);
    const c = await t.customer();
    const res = await addService(c.id, { siteId: site.id, quantity: 7 });
    expect(res.statusCode).toBe(201);
    const nums = await numbersOf(c.id);
    expect(nums).toHaveLength(8);
    expect(nums.filter((x) => x.mainNumber)).toHaveLength(1);
    expect(nums.filter((x) => x.status === 'active')).toHaveLength(7);
  });

  it('R-40 with the main-number setting off: no main, Q + 0 rounded to the batch', async () => {
    await t.admin('PUT', '/api/v1/settings', { createMainNumberAutomatically: false });
    try {
      const uk = await siteWith('GB', 20);
      const c = await t.customer();
      expect((await addService(c.id, { siteId: uk.id, quantity: 7 })).statusCode).toBe(201);
      const nums = await numbersOf(c.id);
      expect(nums).toHaveLength(10);
      expect(nums.some((x) => x.mainNumber)).toBe(false);
      expect(nums.filter((x) => x.status === 'active')).toHaveLength(7);
      const us = await siteWith('US', 20);
      const d = await t.customer();
      expect((await addService(d.id, { siteId: us.id, quantity: 7 })).statusCode).toBe(201);
      expect(await numbersOf(d.id)).toHaveLength(7);
    } finally {
      await t.admin('PUT', '/api/v1/settings', { createMainNumberAutomatically: true });
    }
  });

  it('R-41 skips locked, cooling-off, toll-free and premium numbers, and prefers a contiguous block', async () => {
    const site = await siteWith('GB', 0);
    const n = site.n;
    // 0..3 and 10..24 in the pool; 1 locked; 12 cooling off (released by another customer)
    await t.range({ start: n(0), count: 4, siteId: site.id });
    await t.range({ start: n(10), count: 15, siteId: site.id });
    await t.admin('POST', `/api/v1/numbers/${enc(n(1))}/lock`, { reason: 'voicemail access' });
    const other = await t.customer();
    const h = { type: 'customer', customerId: other.id };
    await t.admin('POST', `/api/v1/numbers/${enc(n(12))}/allocate`, { holder: h });
    await t.admin('POST', `/api/v1/numbers/${enc(n(12))}/release`);
    // toll-free and premium numbers of the site are never chosen
    await t.admin('POST', '/api/v1/numbers', {
      numbers: [
        { number: '+448081570001', siteId: site.id },
        { number: '+449098790001', siteId: site.id },
      ],
    });
    const c = await t.customer();
    const res = await addService(c.id, { siteId: site.id, quantity: 4 });
    expect(res.statusCode).toBe(201);
    // needs 5: 0,2,3 is too short; 13..17 is the lowest block of five
    expect(res.json().autoAllocation.numbers).toEqual([13, 14, 15, 16, 17].map(n));
  });

  it('R-44 no automation when the customer already holds numbers at the site (manual allocation wins)', async () => {
    const site = await siteWith('GB', 20);
    const c = await t.customer();
    await t.admin('POST', `/api/v1/numbers/${enc(site.n(15))}/allocate`, {
      holder: { type: 'customer', customerId: c.id },
    });
    const res = await addService(c.id, { siteId: site.id, quantity: 7 });
    expect(res.statusCode).toBe(201);
    expect(res.json().autoAllocation).toEqual({ ran: false, reason: 'customerHoldsNumbersAtSite' });
    expect(res.json().service.status).toBe('pendingProvisioning');
    expect((await numbersOf(c.id)).map((x) => x.e164)).toEqual([site.n(15)]);
  });

  it('R-44 no automation when quantity changes later or a second voice service is added at the site', async () => {
    const site = await siteWith('US', 30);
    const c = await t.customer();
    const first = (await addService(c.id, { siteId: site.id, quantity: 2 })).json();
    expect(await numbersOf(c.id)).toHaveLength(3);
    const patched = await t.admin(
      'PATCH',
      `/api/v1/customers/${c.id}/services/${first.service.id}`,
      { quantity: 12 },
    );
    expect(patched.statusCode).toBe(200);
    expect(patched.json().quantity).toBe(12);
    expect(await numbersOf(c.id)).toHaveLength(3);
    // the customer now holds numbers there: a second service does not allocate either
    const second = await addService(c.id, { siteId: site.id, quantity: 5 });
    expect(second.json().autoAllocation.ran).toBe(false);
    expect(await numbersOf(c.id)).toHaveLength(3);
  });

  it('R-43 too few numbers: nothing changes and the error gives needed vs available', async () => {
    const site = await siteWith('GB', 6);
    const c = await t.customer();
    const jobsBefore = await t.db.selectFrom('jobs').select('id').execute();
    const res = await addService(c.id, { siteId: site.id, quantity: 7 });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({
      code: 'NOT_ENOUGH_NUMBERS',
      rule: 'R-43',
      needed: 10,
      available: 6,
    });
    expect(res.json().detail).toContain('needs 10');
    expect(await numbersOf(c.id)).toEqual([]);
    const services = await t.admin('GET', `/api/v1/customers/${c.id}/services`);
    expect(services.json().items).toEqual([]);
    const pool = await t.admin(
      'GET',
      `/api/v1/numbers?siteId=${site.id}&status=available&total=true`,
    );
    expect(pool.json().total).toBe(6);
    expect(await t.db.selectFrom('jobs').select('id').execute()).toHaveLength(jobsBefore.length);
  });

  it('autoAllocate false skips automation on request', async () => {
    const site = await siteWith('GB', 10);
    const c = await t.customer();
    const res = await addService(c.id, { siteId: site.id, quantity: 3, autoAllocate: false });
    expect(res.statusCode).toBe(201);
    expect(res.json().autoAllocation).toBeNull();
    expect(await numbersOf(c.id)).toEqual([]);
  });

  it('R-12 a suspended customer gets nothing, and nothing is created', async () => {
    const site = await siteWith('GB', 10);
    const c = await t.customer({ status: 'suspended' });
    const res = await addService(c.id, { siteId: site.id, quantity: 3 });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('HOLDER_NOT_ACTIVE');
    expect((await t.admin('GET', `/api/v1/customers/${c.id}/services`)).json().items).toEqual([]);
  });
});
