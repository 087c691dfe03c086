/** Number platform fields per service, on upload and on PATCH; serviceId assignment. */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
let block = 0;
const ukBlock = () => {
  const b = block++;
  return (i: number) => `+44118496${String(b * 100 + i).padStart(4, '0')}`;
};
const enc = encodeURIComponent;
const numUrl = (e: string) => `/api/v1/numbers/${enc(e)}`;

/** A customer with a consented service of `platform`, and one of its civic addresses. */
async function setup(platform: string, extra: Record<string, unknown> = {}) {
  const c = await t.customer({ teamsTenantId: randomUUID() });
  const res = await t.admin('POST', `/api/v1/customers/${c.id}/services`, { platform, ...extra });
  const s = res.json().service as { id: string; status: string };
  if (s.status === 'pendingConsent')
    await t.admin('POST', `/api/v1/customers/${c.id}/services/${s.id}/consent`);
  const address = (
    await t.admin('POST', '/api/v1/civic-addresses', {
      customerId: c.id,
      country: 'GB',
      street: '1 Forbury Square',
      city: 'Reading',
      locations: [{ description: 'Reception', elin: '+441184960999' }],
    })
  ).json<{ id: string; locations: { id: string }[] }>();
  const upload = (body: Record<string, unknown>) =>
    t.admin('POST', `/api/v1/customers/${c.id}/services/${s.id}/numbers`, body);
  return { c, s, address, location: address.locations[0]!.id, upload };
}

beforeAll(async () => {
  t = await createTestApp();
});

describe('R-31 custom SIP header', () => {
  it('R-31 is refused on Teams Phone Mobile numbers, on upload and on PATCH', async () => {
    const tpm = await setup('teamsPhoneMobile');
    const n = ukBlock();
    const up = await tpm.upload({ number: n(0), usage: 'conference', customSipHeader: 'trunk-7' });
    expect(up.statusCode).toBe(400);
    expect(up.json().errors[0].message).toContain('R-31');
    expect((await t.admin('GET', numUrl(n(0)))).statusCode).toBe(404);
    expect((await tpm.upload({ number: n(0), usage: 'conference' })).statusCode).toBe(200);
    const patch = await t.admin('PATCH', numUrl(n(0)), { customSipHeader: 'trunk-7' });
    expect(patch.statusCode).toBe(422);
    expect(patch.json()).toMatchObject({ code: 'CUSTOM_SIP_HEADER_NOT_ALLOWED', rule: 'R-31' });
    expect((await t.admin('GET', numUrl(n(0)))).json().customSipHeader).toBeNull();
  });

  it('R-31 is allowed on Operator Connect numbers', async () => {
    const oc = await setup('teamsOperatorConnect');
    const n = ukBlock();
    const up = await oc.upload({ number: n(0), usage: 'conference', customSipHeader: 'trunk-7' });
    expect(up.statusCode).toBe(200);
    expect((await t.admin('GET', numUrl(n(0)))).json().customSipHeader).toBe('trunk-7');
  });
});

describe('R-32 / R-33 Webex number type and CAC', () => {
  it('R-32 Webex takes user, application (Service) and contactCenter — not conference', async () => {
    const wx = await setup('webexCloudConnect', { mode: 'nonIntegrated' });
    const n = ukBlock();
    const bad = await wx.upload({ number: n(0), usage: 'conference' });
    expect(bad.json().errors[0].message).toContain('R-32');
    expect(
      (await wx.upload({ number: n(0), usage: 'contactCenter', cacLimit: 30 })).statusCode,
    ).toBe(200);
    const patch = await t.admin('PATCH', numUrl(n(0)), { usage: 'conference' });
    expect(patch.json()).toMatchObject({ code: 'USAGE_NOT_ALLOWED', rule: 'R-32' });
  });

  it('R-33 user numbers have CAC 2, fixed; contactCenter and application take CAC ≥ 2', async () => {
    const wx = await setup('webexCloudConnect');
    const n = ukBlock();
    const bad = await wx.upload({ number: n(0), usage: 'user', cacLimit: 4 });
    expect(bad.json().errors[0].message).toContain('R-33');
    expect((await wx.upload({ number: n(0), usage: 'user' })).statusCode).toBe(200);
    expect((await t.admin('GET', numUrl(n(0)))).json().cacLimit).toBe(2);
    const patch = await t.admin('PATCH', numUrl(n(0)), { cacLimit: 8 });
    expect(patch.statusCode).toBe(422);
    expect(patch.json()).toMatchObject({ code: 'CAC_FIXED', rule: 'R-33' });
    // becoming a Service number frees the CAC
    const svc = await t.admin('PATCH', numUrl(n(0)), { usage: 'application', cacLimit: 8 });
    expect(svc.json()).toMatchObject({ usage: 'application', cacLimit: 8 });
    const low = await t.admin('PATCH', numUrl(n(0)), { cacLimit: 1 });
    expect(low.statusCode).toBe(400); // CAC ≥ 2 (schema and database)
    // and back to user: CAC becomes 2 again
    const user = await t.admin('PATCH', numUrl(n(0)), { usage: 'user', cacLimit: null });
    expect(user.json().cacLimit).toBe(2);
  });
});

describe('R-37 emergency address on Teams user numbers', () => {
  it('R-37 a user number on Teams needs civic address and location unless the customer may update', async () => {
    const oc = await setup('teamsOperatorConnect');
    const n = ukBlock();
    const bare = await oc.upload({ number: n(0), usage: 'user' });
    expect(bare.statusCode).toBe(400);
    expect(bare.json().errors[0].message).toContain('R-37');
    const withAddress = await oc.upload({
      number: n(0),
      usage: 'user',
      emergency: { civicAddressId: oc.address.id },
    });
    expect(withAddress.statusCode).toBe(200);
    // the address's default location is taken when none is named
    expect((await t.admin('GET', numUrl(n(0)))).json().emergency).toEqual({
      civicAddressId: oc.address.id,
      locationId: oc.location,
      customerMayUpdate: false,
    });
    const mayUpdate = await oc.upload({
      number: n(1),
      usage: 'user',
      emergency: { customerMayUpdate: true },
    });
    expect(mayUpdate.statusCode).toBe(200);
    // clearing the address of a user number the customer may not update is refused
    const clear = await t.admin('PATCH', numUrl(n(0)), { emergency: { civicAddressId: null } });
    expect(clear.statusCode).toBe(422);
    expect(clear.json()).toMatchObject({ code: 'EMERGENCY_ADDRESS_REQUIRED', rule: 'R-37' });
    // a user number joining a Teams service must carry one too
    const loose = ukBlock()(0);
    await t.admin('POST', '/api/v1/numbers', { number: loose, usage: 'user' });
    await t.admin('POST', `${numUrl(loose)}/allocate`, {
      holder: { type: 'customer', customerId: oc.c.id },
    });
    const join = await t.admin('PATCH', numUrl(loose), { serviceId: oc.s.id });
    expect(join.json().code).toBe('EMERGENCY_ADDRESS_REQUIRED');
    const joinOk = await t.admin('PATCH', numUrl(loose), {
      serviceId: oc.s.id,
      emergency: { civicAddressId: oc.address.id, locationId: oc.location },
    });
    expect(joinOk.statusCode).toBe(200);
    expect(joinOk.json().serviceId).toBe(oc.s.id);
  });

  it('R-37 does not apply to Webex or to non-user numbers', async () => {
    const wx = await setup('webexCloudConnect');
    expect((await wx.upload({ number: ukBlock()(0), usage: 'user' })).statusCode).toBe(200);
    const oc = await setup('teamsOperatorConnect');
    expect((await oc.upload({ number: ukBlock()(0), usage: 'application' })).statusCode).toBe(200);
  });
});

describe('serviceId and capabilities', () => {
  it('a number can only join a service of its own holder', async () => {
    const a = await setup('hostedVoice', {
      siteId: (await t.site({ country: 'GB' })).id,
      quantity: 1,
      autoAllocate: false,
    });
    const b = await setup('teamsOperatorConnect');
    const n = ukBlock();
    await a.upload({ number: n(0) });
    const res = await t.admin('PATCH', numUrl(n(0)), { serviceId: b.s.id });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].field).toBe('serviceId');
    const detach = await t.admin('PATCH', numUrl(n(0)), { serviceId: null });
    expect(detach.json().serviceId).toBeNull();
    // an available number has no holder, so no service
    await t.admin('POST', '/api/v1/numbers', { number: n(1) });
    expect((await t.admin('PATCH', numUrl(n(1)), { serviceId: a.s.id })).statusCode).toBe(400);
  });

  it('the mobile capability belongs to Teams Phone Mobile numbers', async () => {
    const oc = await setup('teamsOperatorConnect');
    const n = ukBlock();
    const bad = await oc.upload({ number: n(0), usage: 'conference', capabilities: ['mobile'] });
    expect(bad.statusCode).toBe(400);
    const tpm = await setup('teamsPhoneMobile');
    const ok = await tpm.upload({
      number: n(0),
      usage: 'conference',
      capabilities: ['mobile', 'inboundCalling'],
    });
    expect(ok.statusCode).toBe(200);
    expect((await t.admin('GET', numUrl(n(0)))).json().capabilities).toEqual([
      'mobile',
      'inboundCalling',
    ]);
  });

  it('a number leaving its customer leaves the service and the emergency address behind', async () => {
    const oc = await setup('teamsOperatorConnect');
    const n = ukBlock();
    await oc.upload({
      number: n(0),
      usage: 'user',
      emergency: { civicAddressId: oc.address.id, customerMayUpdate: true },
    });
    await t.admin('POST', `${numUrl(n(0))}/release`);
    const released = (await t.admin('GET', numUrl(n(0)))).json();
    expect(released).toMatchObject({
      serviceId: null,
      emergency: { civicAddressId: null, locationId: null, customerMayUpdate: false },
    });
  });
});
