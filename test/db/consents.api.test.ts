/** Consents / Requests for Information (SPEC §5, R-34, R-36) and the issue-4 scenario through the API. */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { systemPrincipal } from '../../src/auth/principal.js';
import { createConsentsService } from '../../src/consents/consents.service.js';
import { createNumbersService } from '../../src/numbers/numbers.service.js';
import { createServicesService } from '../../src/services/services.service.js';
import { createTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
let block = 0;
const ukBlock = () => {
  const b = block++;
  return (i: number) => `+4420794${String(b * 100 + i).padStart(5, '0')}`;
};

const consent = (tenantId = randomUUID(), extra: Record<string, unknown> = {}) =>
  t.admin('POST', '/api/v1/consents', {
    tenantId,
    consentedAt: '2026-01-10T09:00:00Z',
    consentedCountries: ['UK', 'US'],
    contacts: [{ fullName: 'Jo Admin', email: 'jo@contoso.example', companyName: 'Contoso' }],
    ...extra,
  });

const relationship = (
  tenantId: string,
  body: Record<string, unknown>,
  headers?: Record<string, string>,
) => t.admin('POST', `/api/v1/consents/${tenantId}/relationship`, body, headers);

interface Num {
  e164: string;
  status: string;
  mainNumber: boolean;
}
const numbersOf = async (customerId: string) =>
  (await t.admin('GET', `/api/v1/numbers?customerId=${customerId}&limit=1000`)).json()
    .items as Num[];

beforeAll(async () => {
  t = await createTestApp();
});

describe('consents', () => {
  it('records a consent: platform status, countries (UK read as GB), contacts, relationship acknowledged', async () => {
    const tenant = randomUUID();
    const res = await consent(tenant);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      tenantId: tenant,
      status: 'active',
      consentedCountries: ['GB', 'US'],
      contacts: [{ fullName: 'Jo Admin', companyName: 'Contoso' }],
      relationship: { status: 'consentAcknowledged', reason: null },
      customerId: null,
    });
    expect((await consent(tenant)).json().code).toBe('ALREADY_EXISTS');
    const list = await t.admin('GET', '/api/v1/consents?relationshipStatus=consentAcknowledged');
    expect((list.json().items as { tenantId: string }[]).map((c) => c.tenantId)).toContain(tenant);
  });

  it('refuses a tenant id that is not a UUID', async () => {
    const res = await t.admin('POST', '/api/v1/consents', { tenantId: 'contoso' });
    expect(res.statusCode).toBe(400);
  });

  it('R-34 consentDeclined and contractTerminated need a reason', async () => {
    const tenant = randomUUID();
    await consent(tenant);
    const refused = await relationship(tenant, { status: 'consentDeclined' });
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({ code: 'REASON_REQUIRED', rule: 'R-34' });
    expect((await t.admin('GET', `/api/v1/consents/${tenant}`)).json().relationship.status).toBe(
      'consentAcknowledged',
    );
    const ok = await relationship(tenant, {
      status: 'consentDeclined',
      reason: 'no coverage in US',
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().relationship).toMatchObject({
      status: 'consentDeclined',
      reason: 'no coverage in US',
    });
    // and after an agreement
    await relationship(tenant, { status: 'agreementSigned' });
    const term = await relationship(tenant, { status: 'contractTerminated', reason: '' });
    expect(term.json().code).toBe('REASON_REQUIRED');
    expect(
      (await relationship(tenant, { status: 'contractTerminated', reason: 'moved away' }))
        .statusCode,
    ).toBe(200);
  });

  it('moves forward only: an agreement cannot go back to consentAcknowledged', async () => {
    const tenant = randomUUID();
    await consent(tenant);
    expect((await relationship(tenant, { status: 'customerContacted' })).statusCode).toBe(200);
    expect((await relationship(tenant, { status: 'agreementSigned' })).statusCode).toBe(200);
    const back = await relationship(tenant, { status: 'consentAcknowledged' });
    expect(back.statusCode).toBe(409);
    expect(back.json().code).toBe('RELATIONSHIP_TRANSITION');
  });

  it('R-36 ticket ids of at most 64 characters, from the body or X-Ticket-Id, kept on the consent and in the audit', async () => {
    const tenant = randomUUID();
    await consent(tenant);
    const long = 'T'.repeat(65);
    const viaBody = await relationship(tenant, { status: 'customerContacted', ticketId: long });
    expect(viaBody.statusCode).toBe(400);
    const viaHeader = await relationship(
      tenant,
      { status: 'customerContacted' },
      { 'x-ticket-id': long },
    );
    expect(viaHeader.statusCode).toBe(400);
    expect((await t.admin('GET', `/api/v1/consents/${tenant}`)).json().relationship.status).toBe(
      'consentAcknowledged',
    );
    const ticket = 'CHG-'.padEnd(64, '7');
    const ok = await relationship(
      tenant,
      { status: 'customerContacted' },
      { 'x-ticket-id': ticket },
    );
    expect(ok.json().relationship.ticketId).toBe(ticket);
    const body = await relationship(tenant, { status: 'agreementSigned', ticketId: 'INC-42' });
    expect(body.json().relationship.ticketId).toBe('INC-42');
    const audit = await t.admin(
      'GET',
      `/api/v1/audit-events?objectType=consent&objectId=${tenant}`,
    );
    const tickets = (audit.json().items as { action: string; ticketId: string | null }[])
      .filter((e) => e.action === 'consent.relationship')
      .map((e) => e.ticketId);
    expect(tickets).toEqual(['INC-42', ticket]);
  });

  it('honours If-Match on relationship changes', async () => {
    const tenant = randomUUID();
    const etag = (await consent(tenant)).headers.etag as string;
    expect(
      (await relationship(tenant, { status: 'customerContacted' }, { 'if-match': etag }))
        .statusCode,
    ).toBe(200);
    expect(
      (await relationship(tenant, { status: 'agreementSigned' }, { 'if-match': etag })).statusCode,
    ).toBe(412);
  });

  it('creates the customer only from a signed agreement, once', async () => {
    const tenant = randomUUID();
    await consent(tenant);
    const early = await t.admin('POST', `/api/v1/consents/${tenant}/customer`, {
      accountName: 'early',
    });
    expect(early.statusCode).toBe(409);
    await relationship(tenant, { status: 'agreementSigned' });
    const res = await t.admin('POST', `/api/v1/consents/${tenant}/customer`, {
      accountName: `fabrikam-${tenant.slice(0, 8)}`,
      services: [{ platform: 'teamsOperatorConnect', syncEnabled: true }],
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.customer).toMatchObject({
      name: 'Contoso',
      teamsTenantId: tenant,
      status: 'active',
    });
    expect(body.consent.customerId).toBe(body.customer.id);
    // consent present and active → the Teams service skips pendingConsent
    expect(body.services[0].service).toMatchObject({
      platform: 'teamsOperatorConnect',
      status: 'pendingProvisioning',
      syncEnabled: true,
    });
    expect(body.services[0].service.consentedAt).not.toBeNull();
    const again = await t.admin('POST', `/api/v1/consents/${tenant}/customer`, {
      accountName: 'again',
    });
    expect(again.json().code).toBe('ALREADY_EXISTS');
  });

  it('R-30 a consent arriving for a known tenant moves its Teams services out of pendingConsent', async () => {
    const tenant = randomUUID();
    const c = await t.customer({ teamsTenantId: tenant });
    const svc = await t.admin('POST', `/api/v1/customers/${c.id}/services`, {
      platform: 'teamsPhoneMobile',
    });
    expect(svc.json().service.status).toBe('pendingConsent');
    const res = await consent(tenant);
    expect(res.json().customerId).toBe(c.id);
    const after = await t.admin(
      'GET',
      `/api/v1/customers/${c.id}/services/${svc.json().service.id}`,
    );
    expect(after.json().status).toBe('pendingProvisioning');
  });
});

describe('platform sync and customer scope', () => {
  it('sync upserts the platform fields by tenant id and never touches the relationship', async () => {
    const now = () => t.clock.now;
    const numbers = createNumbersService({ db: t.db, now, coolingOffDays: () => 90 });
    const consents = createConsentsService({
      db: t.db,
      services: createServicesService({ db: t.db, numbers, now }),
    });
    const actor = {
      principal: systemPrincipal,
      source: 'sync' as const,
      requestId: null,
      ticketId: null,
    };
    const tenant = randomUUID();
    const first = await consents.upsertFromPlatform(actor, {
      tenantId: tenant,
      externalId: 'rfi-1',
      status: 'active',
      consentedCountries: ['UK'],
      contacts: [{ fullName: 'A', email: 'a@example.com' }],
    });
    expect(first.created).toBe(true);
    await relationship(tenant, { status: 'customerContacted' });
    const second = await consents.upsertFromPlatform(actor, {
      tenantId: tenant,
      status: 'suspended',
      consentedCountries: ['UK', 'IE'],
    });
    expect(second.created).toBe(false);
    const got = (await t.admin('GET', `/api/v1/consents/${tenant}`)).json();
    expect(got).toMatchObject({
      externalId: 'rfi-1',
      status: 'suspended',
      consentedCountries: ['GB', 'IE'],
      source: 'sync',
      relationship: { status: 'customerContacted' },
    });
    // nothing new from the platform: no write, no audit event
    const events = async () =>
      (await t.admin('GET', `/api/v1/audit-events?objectType=consent&objectId=${tenant}`)).json()
        .items.length as number;
    const before = await events();
    await consents.upsertFromPlatform(actor, { tenantId: tenant, status: 'suspended' });
    expect(await events()).toBe(before);
  });

  it("a customer-scoped token sees its own consent only; others' are 404", async () => {
    const mine = randomUUID();
    const theirs = randomUUID();
    const c = await t.customer({ teamsTenantId: mine });
    await consent(mine);
    await consent(theirs);
    const token = await t.token(['read', 'write'], `customer:${c.id}`);
    const list = (await t.call(token, 'GET', '/api/v1/consents')).json().items as {
      tenantId: string;
    }[];
    expect(list.map((x) => x.tenantId)).toEqual([mine]);
    expect((await t.call(token, 'GET', `/api/v1/consents/${mine}`)).statusCode).toBe(200);
    expect((await t.call(token, 'GET', `/api/v1/consents/${theirs}`)).statusCode).toBe(404);
    const change = await t.call(token, 'POST', `/api/v1/consents/${mine}/relationship`, {
      status: 'customerContacted',
    });
    expect(change.statusCode).toBe(403);
  });
});

describe('scenario (issue 4): consent → agreementSigned → hosted-voice customer with automatic numbers', () => {
  async function signedConsent() {
    const tenant = randomUUID();
    expect((await consent(tenant)).statusCode).toBe(201);
    expect((await relationship(tenant, { status: 'customerContacted' })).statusCode).toBe(200);
    expect((await relationship(tenant, { status: 'agreementSigned' })).statusCode).toBe(200);
    return tenant;
  }
  const fromConsent = (tenant: string, siteId: string, quantity: number) =>
    t.admin('POST', `/api/v1/consents/${tenant}/customer`, {
      accountName: `acct-${tenant.slice(0, 8)}`,
      services: [{ platform: 'hostedVoice', siteId, quantity }],
    });

  beforeAll(async () => {
    const res = await t.admin('PUT', '/api/v1/settings', { createMainNumberAutomatically: true });
    expect(res.statusCode).toBe(200);
  });

  it('UK site (batchOf5), quantity 7: exactly 10 numbers — 1 main reserved, 7 active, 2 reserved', async () => {
    const site = await t.site({ country: 'GB' });
    expect(site).toMatchObject({ allocationPolicy: 'batchOf5' });
    const n = ukBlock();
    await t.range({ start: n(0), count: 40, siteId: site.id });
    const tenant = await signedConsent();
    const res = await fromConsent(tenant, site.id, 7);
    expect(res.statusCode).toBe(201);
    const { customer, services } = res.json();
    expect(services[0].service.status).toBe('ready');
    const nums = await numbersOf(customer.id);
    expect(nums).toHaveLength(10);
    expect(nums.filter((x) => x.mainNumber && x.status === 'reserved')).toHaveLength(1);
    expect(nums.filter((x) => x.status === 'active')).toHaveLength(7);
    expect(nums.filter((x) => x.status === 'reserved' && !x.mainNumber)).toHaveLength(2);
    // adding quantity later: no automation
    const patched = await t.admin(
      'PATCH',
      `/api/v1/customers/${customer.id}/services/${services[0].service.id}`,
      { quantity: 20 },
    );
    expect(patched.statusCode).toBe(200);
    expect(await numbersOf(customer.id)).toHaveLength(10);
  });

  it('US site (exact), quantity 7: exactly 8 numbers', async () => {
    const site = await t.site({ country: 'US' });
    expect(site).toMatchObject({ allocationPolicy: 'exact' });
    await t.range({ start: '+12015557000', count: 40, siteId: site.id });
    const tenant = await signedConsent();
    const res = await fromConsent(tenant, site.id, 7);
    expect(res.statusCode).toBe(201);
    const nums = await numbersOf(res.json().customer.id);
    expect(nums).toHaveLength(8);
    expect(nums.filter((x) => x.mainNumber)).toHaveLength(1);
    expect(nums.filter((x) => x.status === 'active')).toHaveLength(7);
  });

  it('a customer who already holds numbers at the site: no automation (R-44)', async () => {
    const site = await t.site({ country: 'GB' });
    const n = ukBlock();
    await t.range({ start: n(0), count: 20, siteId: site.id });
    const tenant = await signedConsent();
    const made = await t.admin('POST', `/api/v1/consents/${tenant}/customer`, {
      accountName: `held-${tenant.slice(0, 8)}`,
    });
    const customerId = made.json().customer.id as string;
    await t.admin('POST', `/api/v1/numbers/${encodeURIComponent(n(5))}/allocate`, {
      holder: { type: 'customer', customerId },
    });
    const svc = await t.admin('POST', `/api/v1/customers/${customerId}/services`, {
      platform: 'hostedVoice',
      siteId: site.id,
      quantity: 7,
    });
    expect(svc.statusCode).toBe(201);
    expect(svc.json().autoAllocation).toMatchObject({ ran: false });
    expect((await numbersOf(customerId)).map((x) => x.e164)).toEqual([n(5)]);
  });

  it('too few available numbers: nothing changes (no customer, no service, no numbers) and the error gives needed vs available', async () => {
    const site = await t.site({ country: 'GB' });
    const n = ukBlock();
    await t.range({ start: n(0), count: 9, siteId: site.id });
    const tenant = await signedConsent();
    const res = await fromConsent(tenant, site.id, 7);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'NOT_ENOUGH_NUMBERS', needed: 10, available: 9 });
    const c = await t.admin('GET', `/api/v1/consents/${tenant}`);
    expect(c.json().customerId).toBeNull();
    const customers = await t.admin('GET', `/api/v1/customers?q=acct-${tenant.slice(0, 8)}`);
    expect(customers.json().items).toEqual([]);
    const pool = await t.admin(
      'GET',
      `/api/v1/numbers?siteId=${site.id}&status=available&total=true`,
    );
    expect(pool.json().total).toBe(9);
  });
});
