/** Customer services (SPEC §5, R-30), uploading numbers for a service (R-2, R-3), customers completed. */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
let block = 0;
/** 100 fresh UK numbers per call (+44 118 496 xxxx, Ofcom drama range, plus neighbours). */
const ukBlock = () => {
  const b = block++;
  return (i: number) => `+44118496${String(b * 100 + i).padStart(4, '0')}`;
};
const enc = encodeURIComponent;
const svcUrl = (c: string, s?: string, tail = '') =>
  `/api/v1/customers/${c}/services${s ? `/${s}` : ''}${tail}`;

async function teamsService(customerId: string, body: Record<string, unknown> = {}) {
  const res = await t.admin('POST', svcUrl(customerId), {
    platform: 'teamsOperatorConnect',
    ...body,
  });
  expect(res.statusCode).toBe(201);
  return res.json().service as { id: string; status: string; etag: string };
}

beforeAll(async () => {
  t = await createTestApp();
});

describe('services', () => {
  it('validates the shape per platform: hostedVoice needs site and quantity; mode is Webex only', async () => {
    const c = await t.customer();
    const noSite = await t.admin('POST', svcUrl(c.id), { platform: 'hostedVoice', quantity: 2 });
    expect(noSite.statusCode).toBe(400);
    expect(noSite.json().errors[0].field).toBe('siteId');
    const qty = await t.admin('POST', svcUrl(c.id), { platform: 'webexCloudConnect', quantity: 2 });
    expect(qty.json().errors[0].field).toBe('quantity');
    const mode = await t.admin('POST', svcUrl(c.id), {
      platform: 'teamsOperatorConnect',
      mode: 'integrated',
    });
    expect(mode.json().errors[0].field).toBe('mode');
    const bad = await t.admin('POST', svcUrl(c.id), { platform: 'zoom' });
    expect(bad.statusCode).toBe(400);
    const webex = await t.admin('POST', svcUrl(c.id), {
      platform: 'webexCloudConnect',
      sipConnection: 'sbc-lon-1',
    });
    expect(webex.json().service).toMatchObject({
      mode: 'integrated',
      status: 'pendingConsent',
      sipConnection: 'sbc-lon-1',
      syncEnabled: false,
    });
    const list = await t.admin('GET', svcUrl(c.id));
    expect(list.json().items).toHaveLength(1);
  });

  it('refuses services for a closed customer and 404s an unknown one', async () => {
    const c = await t.customer();
    await t.admin('POST', `/api/v1/customers/${c.id}/close`);
    const res = await t.admin('POST', svcUrl(c.id), { platform: 'teamsOperatorConnect' });
    expect(res.json().code).toBe('CUSTOMER_CLOSED');
    expect(
      (await t.admin('POST', svcUrl(randomUUID()), { platform: 'teamsOperatorConnect' }))
        .statusCode,
    ).toBe(404);
  });

  it('R-30 pendingConsent: numbers are refused until the consent is recorded, then ready after upload', async () => {
    const c = await t.customer();
    const s = await teamsService(c.id);
    expect(s.status).toBe('pendingConsent');
    const n = ukBlock();
    const early = await t.admin('POST', svcUrl(c.id, s.id, '/numbers'), {
      number: n(1),
      usage: 'application',
    });
    expect(early.statusCode).toBe(409);
    expect(early.json()).toMatchObject({ code: 'SERVICE_STATUS', rule: 'R-30' });
    const consented = await t.admin('POST', svcUrl(c.id, s.id, '/consent'));
    expect(consented.json()).toMatchObject({ status: 'pendingProvisioning' });
    expect(consented.json().consentedAt).toBe(t.clock.now.toISOString());
    const again = await t.admin('POST', svcUrl(c.id, s.id, '/consent'));
    expect(again.json().code).toBe('SERVICE_STATUS');
    const up = await t.admin('POST', svcUrl(c.id, s.id, '/numbers'), {
      number: n(1),
      usage: 'application',
    });
    expect(up.statusCode).toBe(200);
    expect(up.json()).toMatchObject({ created: 1, service: { status: 'ready' } });
    const num = (await t.admin('GET', `/api/v1/numbers/${enc(n(1))}`)).json();
    expect(num).toMatchObject({
      status: 'active',
      holder: { type: 'customer', customerId: c.id },
      serviceId: s.id,
      usage: 'application',
      source: 'api',
    });
  });

  it('R-30 removal releases the service numbers and then the service is gone', async () => {
    const c = await t.customer();
    const s = await teamsService(c.id);
    await t.admin('POST', svcUrl(c.id, s.id, '/consent'));
    const n = ukBlock();
    await t.admin('POST', svcUrl(c.id, s.id, '/numbers'), {
      range: { start: n(0), count: 3 },
      usage: 'conference',
    });
    await t.admin('POST', `/api/v1/numbers/${enc(n(0))}/assign`, {
      assignment: { type: 'conference', targetId: 'bridge-1' },
    });
    const res = await t.admin('POST', svcUrl(c.id, s.id, '/remove'));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ gone: true, released: 3, refused: [], service: null });
    expect((await t.admin('GET', svcUrl(c.id, s.id))).statusCode).toBe(404);
    const released = (await t.admin('GET', `/api/v1/numbers/${enc(n(0))}`)).json();
    expect(released).toMatchObject({ status: 'coolingOff', holder: null, serviceId: null });
    const audit = await t.admin('GET', `/api/v1/audit-events?objectType=service&objectId=${s.id}`);
    const actions = (audit.json().items as { action: string }[]).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['service.removalRequested', 'service.delete']));
  });

  it('R-30 a service being removed takes no numbers and no changes', async () => {
    const c = await t.customer();
    const s = await teamsService(c.id);
    await t.admin('POST', svcUrl(c.id, s.id, '/consent'));
    const n = ukBlock();
    await t.admin('POST', svcUrl(c.id, s.id, '/numbers'), { number: n(0), usage: 'conference' });
    // a pending upstream change keeps a number on the service (R-13), so removal stops half-way
    await t.db
      .updateTable('numbers')
      .set({ pending_job_id: randomUUID(), pending_action: 'sync' })
      .where('e164', '=', n(0))
      .execute();
    const res = await t.admin('POST', svcUrl(c.id, s.id, '/remove'));
    expect(res.json()).toMatchObject({ gone: false, released: 0 });
    expect(res.json().refused[0]).toMatchObject({ e164: n(0), code: 'PENDING_OPERATION' });
    expect(res.json().service.status).toBe('removing');
    const up = await t.admin('POST', svcUrl(c.id, s.id, '/numbers'), {
      number: n(1),
      usage: 'conference',
    });
    expect(up.json()).toMatchObject({ code: 'SERVICE_STATUS', rule: 'R-30' });
    const patch = await t.admin('PATCH', svcUrl(c.id, s.id), { sipConnection: 'x' });
    expect(patch.json().code).toBe('SERVICE_STATUS');
    // once the upstream change is done, asking again finishes the removal
    await t.db
      .updateTable('numbers')
      .set({ pending_job_id: null, pending_action: null })
      .where('e164', '=', n(0))
      .execute();
    expect((await t.admin('POST', svcUrl(c.id, s.id, '/remove'))).json()).toMatchObject({
      gone: true,
    });
  });

  it('honours If-Match on PATCH and audits the change', async () => {
    const c = await t.customer();
    const s = await teamsService(c.id);
    const ok = await t.admin(
      'PATCH',
      svcUrl(c.id, s.id),
      { syncEnabled: true },
      { 'if-match': s.etag },
    );
    expect(ok.statusCode).toBe(200);
    expect(ok.json().syncEnabled).toBe(true);
    const stale = await t.admin(
      'PATCH',
      svcUrl(c.id, s.id),
      { syncEnabled: false },
      { 'if-match': s.etag },
    );
    expect(stale.statusCode).toBe(412);
    const quantity = await t.admin('PATCH', svcUrl(c.id, s.id), { quantity: 3 });
    expect(quantity.json().errors[0].field).toBe('quantity');
  });
});

describe('upload numbers for a service', () => {
  async function readyHosted() {
    const site = await t.site({ country: 'GB' });
    const c = await t.customer();
    const res = await t.admin('POST', svcUrl(c.id), {
      platform: 'hostedVoice',
      siteId: site.id,
      quantity: 5,
      autoAllocate: false,
      sipConnection: 'sbc-rdg-1',
      callingProfileId: 'cp-hv',
    });
    return { site, c, s: res.json().service as { id: string; status: string } };
  }

  it('R-3 takes only numbers of the site country, reports every bad one, and changes nothing', async () => {
    const { c, s } = await readyHosted();
    const n = ukBlock();
    const res = await t.admin('POST', svcUrl(c.id, s.id, '/numbers'), {
      numbers: [n(0), '+12015550123', 'abc', n(0), '0118 496 ' + n(1).slice(-4)],
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', valid: 2, invalid: 3 });
    const fields = (res.json().errors as { field: string; message: string }[]).map((e) => e.field);
    expect(fields).toEqual(['numbers[1]', 'numbers[2]', 'numbers[3]']);
    expect(res.json().errors[0].message).toContain('R-3');
    expect((await t.admin('GET', `/api/v1/numbers/${enc(n(0))}`)).statusCode).toBe(404);
    expect((await t.admin('GET', svcUrl(c.id, s.id))).json().status).toBe('pendingProvisioning');
  });

  it('single, range and CSV (national format with the site country); validateOnly counts without changing', async () => {
    const { site, c, s } = await readyHosted();
    const n = ukBlock();
    const dry = await t.admin('POST', svcUrl(c.id, s.id, '/numbers'), {
      range: { start: n(10), end: n(14) },
      validateOnly: true,
    });
    expect(dry.json()).toMatchObject({ validateOnly: true, valid: 5, invalid: 0 });
    expect((await t.admin('GET', `/api/v1/numbers/${enc(n(10))}`)).statusCode).toBe(404);

    const single = await t.admin('POST', svcUrl(c.id, s.id, '/numbers'), { number: n(0) });
    expect(single.json()).toMatchObject({
      created: 1,
      numbers: [n(0)],
      service: { status: 'ready' },
    });
    const range = await t.admin('POST', svcUrl(c.id, s.id, '/numbers'), {
      range: { start: n(10), end: n(14) },
      activate: false,
    });
    expect(range.json()).toMatchObject({ created: 5 });
    const national = (i: number) => `0${n(i).slice(3, 6)} ${n(i).slice(6, 9)} ${n(i).slice(9)}`;
    const csv = `\uFEFFNumber;Note\r\n${national(20)};reception\r\n'${n(21)};x\r\n`;
    const up = await t.admin('POST', svcUrl(c.id, s.id, '/numbers'), { csv });
    expect(up.statusCode).toBe(200);
    expect(up.json()).toMatchObject({ created: 2, numbers: [n(20), n(21)] });
    const badCsv = await t.admin('POST', svcUrl(c.id, s.id, '/numbers'), {
      csv: `number\n${n(30)}\n4.42079E+11\n`,
    });
    expect(badCsv.json().errors).toEqual([
      expect.objectContaining({
        field: 'line 3',
        message: expect.stringContaining('SCIENTIFIC_NOTATION'),
      }),
    ]);

    const list = await t.admin('GET', `/api/v1/numbers?customerId=${c.id}&limit=100`);
    const items = list.json().items as {
      e164: string;
      status: string;
      siteId: string;
      sipConnection: string;
      callingProfileId: string;
    }[];
    expect(items.map((x) => x.e164)).toEqual([
      n(0),
      n(10),
      n(11),
      n(12),
      n(13),
      n(14),
      n(20),
      n(21),
    ]);
    expect(items.filter((x) => x.status === 'reserved').map((x) => x.e164)).toEqual(
      [10, 11, 12, 13, 14].map(n),
    );
    // the service's routing defaults and the site
    expect(items.every((x) => x.siteId === site.id && x.sipConnection === 'sbc-rdg-1')).toBe(true);
    expect(items.every((x) => x.callingProfileId === 'cp-hv')).toBe(true);
  });

  it('allocates existing available numbers, attaches the customer’s own, refuses others’ and cooling-off ones', async () => {
    const { site, c, s } = await readyHosted();
    const n = ukBlock();
    await t.range({ start: n(0), count: 5, siteId: site.id });
    const other = await t.customer();
    await t.admin('POST', `/api/v1/numbers/${enc(n(1))}/allocate`, {
      holder: { type: 'customer', customerId: other.id },
    });
    await t.admin('POST', `/api/v1/numbers/${enc(n(2))}/allocate`, {
      holder: { type: 'customer', customerId: c.id },
    });
    await t.admin('POST', `/api/v1/numbers/${enc(n(3))}/allocate`, {
      holder: { type: 'customer', customerId: other.id },
    });
    await t.admin('POST', `/api/v1/numbers/${enc(n(3))}/release`);
    const refused = await t.admin('POST', svcUrl(c.id, s.id, '/numbers'), {
      numbers: [n(0), n(1), n(2), n(3)],
    });
    expect(refused.statusCode).toBe(400);
    const messages = (refused.json().errors as { message: string }[]).map((e) => e.message);
    expect(messages).toEqual([
      expect.stringContaining('held by another holder'),
      expect.stringContaining('R-10'),
    ]);
    expect(messages[0]).not.toContain(other.id); // no leak of who holds it
    const ok = await t.admin('POST', svcUrl(c.id, s.id, '/numbers'), { numbers: [n(0), n(2)] });
    expect(ok.json()).toMatchObject({ created: 0, allocated: 1, attached: 1 });
    const two = (await t.admin('GET', `/api/v1/numbers/${enc(n(2))}`)).json();
    expect(two).toMatchObject({ serviceId: s.id, status: 'reserved' }); // attached keep their state
    const zero = (await t.admin('GET', `/api/v1/numbers/${enc(n(0))}`)).json();
    expect(zero).toMatchObject({ serviceId: s.id, status: 'active' });
  });

  it('R-3 an upload may target another site only for non-hosted services, and the site country applies', async () => {
    const { c, s } = await readyHosted();
    const us = await t.site({ country: 'US' });
    const res = await t.admin('POST', svcUrl(c.id, s.id, '/numbers'), {
      number: '+12015550142',
      siteId: us.id,
    });
    expect(res.json().errors[0].field).toBe('siteId');
    const teams = await teamsService(c.id);
    await t.admin('POST', svcUrl(c.id, teams.id, '/consent'));
    const mismatch = await t.admin('POST', svcUrl(c.id, teams.id, '/numbers'), {
      number: ukBlock()(0),
      siteId: us.id,
      usage: 'conference',
    });
    expect(mismatch.json().errors[0].message).toContain('R-3');
    const fine = await t.admin('POST', svcUrl(c.id, teams.id, '/numbers'), {
      number: '+12015550142',
      siteId: us.id,
      usage: 'conference',
    });
    expect(fine.statusCode).toBe(200);
  });

  it('a customer-scoped token reads its own services, not others’, and cannot upload', async () => {
    const { c, s } = await readyHosted();
    const other = await t.customer();
    const token = await t.token(['read', 'write'], `customer:${c.id}`);
    expect((await t.call(token, 'GET', svcUrl(c.id))).json().items).toHaveLength(1);
    expect((await t.call(token, 'GET', svcUrl(c.id, s.id))).statusCode).toBe(200);
    expect((await t.call(token, 'GET', svcUrl(other.id))).statusCode).toBe(404);
    const up = await t.call(token, 'POST', svcUrl(c.id, s.id, '/numbers'), {
      number: ukBlock()(0),
    });
    expect(up.statusCode).toBe(403);
    const add = await t.call(token, 'POST', svcUrl(c.id), { platform: 'teamsOperatorConnect' });
    expect(add.statusCode).toBe(403);
  });
});

describe('customers completed', () => {
  it('finds customers by Teams tenant id, Webex org id and correlation id', async () => {
    const tenant = randomUUID();
    const c = await t.customer({
      teamsTenantId: tenant,
      webexOrgId: `org-${tenant}`,
      correlationId: `crm-${tenant}`,
    });
    for (const q of [
      `teamsTenantId=${tenant}`,
      `webexOrgId=org-${tenant}`,
      `correlationId=crm-${tenant}`,
    ]) {
      const res = await t.admin('GET', `/api/v1/customers?${q}`);
      expect((res.json().items as { id: string }[]).map((x) => x.id)).toEqual([c.id]);
    }
  });

  it('moves active ↔ suspended; a closed customer cannot change', async () => {
    const c = await t.customer();
    expect(
      (await t.admin('PATCH', `/api/v1/customers/${c.id}`, { status: 'suspended' })).json().status,
    ).toBe('suspended');
    expect(
      (await t.admin('PATCH', `/api/v1/customers/${c.id}`, { status: 'active' })).json().status,
    ).toBe('active');
    expect(
      (await t.admin('PATCH', `/api/v1/customers/${c.id}`, { status: 'closed' })).statusCode,
    ).toBe(400);
    await t.admin('POST', `/api/v1/customers/${c.id}/close`);
    const res = await t.admin('PATCH', `/api/v1/customers/${c.id}`, { status: 'active' });
    expect(res.json().code).toBe('CUSTOMER_CLOSED');
  });

  it('keeps the Teams tenant id while Teams services hold numbers', async () => {
    const c = await t.customer({ teamsTenantId: randomUUID() });
    const s = await teamsService(c.id);
    await t.admin('POST', svcUrl(c.id, s.id, '/consent'));
    await t.admin('POST', svcUrl(c.id, s.id, '/numbers'), {
      number: ukBlock()(0),
      usage: 'conference',
    });
    const res = await t.admin('PATCH', `/api/v1/customers/${c.id}`, {
      teamsTenantId: randomUUID(),
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('CONFLICT');
  });
});
