/**
 * The portal's pages for longer work, in headless Chromium: CSV import
 * (check, then commit), export of the current filter, a bulk action by
 * filter running as a job with live progress (a job worker runs in-process),
 * Requests for Information, civic addresses, and a customer's services with
 * automatic allocation and the upload-numbers dialog — each checked on the
 * server afterwards.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices } from '../../src/app.js';
import { createJobHandlers } from '../../src/jobs/handlers.js';
import { createWorker } from '../../src/jobs/worker.js';
import {
  expectAccessible,
  numbersTableRows,
  screenshot,
  startPortal,
  type Portal,
  type PortalUser,
} from './support.js';

let p: Portal;
let page: Page;
let operator: PortalUser;
let acme: { id: string };
let leeds: { id: string };
let range: { id: string };
const n = (i: number) => `+44113499${String(i).padStart(4, '0')}`;
const TENANT = '6f1c2b7e-3d4a-4e5f-9a8b-1c2d3e4f5a6b';

async function server(e164: string) {
  return (await p.admin('GET', `/api/v1/numbers/${encodeURIComponent(e164)}`)).json();
}

beforeAll(async () => {
  p = await startPortal();
  const services = createServices(
    p.db,
    { coolingOffDays: 90, coolingOffDaysByCountry: {}, logLevel: 'silent' },
    () => p.clock.now,
  );
  const worker = createWorker({
    db: p.db,
    handlers: createJobHandlers({
      db: p.db,
      pool: p.pool,
      numbers: services.numbers,
      now: () => p.clock.now,
    }),
    pollMs: 200,
  });
  worker.start();
  afterAll(() => worker.stop());
  acme = await p.customer({ name: 'Acme Ltd', accountName: 'acme-w' });
  leeds = await p.site({ name: 'Leeds', country: 'GB' });
  range = await p.range({ name: 'Leeds 0113 499', start: n(0), count: 30, siteId: leeds.id });
  await p.admin('POST', '/api/v1/consents', {
    tenantId: TENANT,
    status: 'active',
    consentedCountries: ['GB', 'IE'],
    contacts: [{ fullName: 'Zoe Zed', email: 'zoe@zenith.example', companyName: 'Zenith Corp' }],
  });
  operator = await p.addUser({ permissions: ['admin'], name: 'Olive Operator' });
  page = await p.signIn(operator);
});

describe('operator workflows', () => {
  it('import: checks a CSV (valid and invalid rows, with reasons), then imports the valid rows', async () => {
    await page.goto('/import');
    const csv = `Number;Country;Site\r\n+441134980001;GB;${leeds.id}\r\n0113 498 0002;GB;${leeds.id}\r\n4.42079E+11;GB;\r\n`;
    await page.locator('input[type="file"]').setInputFiles({
      name: 'numbers.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(csv),
    });
    await page.getByRole('button', { name: 'Check the file' }).click();
    const counts = page.getByTestId('import-counts');
    await counts.waitFor();
    expect(await counts.textContent()).toContain('2 valid rows, 1 invalid row');
    await page
      .getByRole('table', { name: 'Invalid rows' })
      .getByRole('cell', { name: '4.42079E+11', exact: true })
      .waitFor();
    expect(
      (await p.admin('GET', `/api/v1/numbers/${encodeURIComponent('+441134980001')}`)).statusCode,
    ).toBe(404);
    await expectAccessible(page, 'import');
    await screenshot(page, 'import');
    await page.getByRole('button', { name: 'Import 2 valid rows' }).click();
    await page.getByText('2 numbers imported.').waitFor();
    for (const e of ['+441134980001', '+441134980002']) {
      expect(await server(e)).toMatchObject({
        status: 'available',
        siteId: leeds.id,
        source: 'import',
      });
    }
  });

  it('export: the CSV holds exactly the numbers the table’s filter selects', async () => {
    await p.admin('POST', '/api/v1/numbers/bulk/allocate', {
      numbers: [n(1), n(2), n(3)],
      holder: { type: 'customer', customerId: acme.id },
    });
    await page.goto('/numbers?status=reserved');
    const shown = await numbersTableRows(page);
    expect(shown).toEqual([n(1), n(2), n(3)]);
    const href = await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
    expect(href).toContain('status=reserved');
    const res = await page.request.get(href!);
    expect(res.status()).toBe(200);
    const lines = (await res.text()).trim().split(/\r?\n/);
    const header = lines[0]!.split(',');
    const col = header.findIndex((h) => h.replace(/"/g, '') === 'number');
    expect(lines.slice(1).map((l) => l.split(',')[col])).toEqual(shown);
  });

  it('a bulk action by filter runs as a job; its progress shows live, here and on the jobs page', async () => {
    await page.goto(`/numbers?rangeId=${range.id}&status=available`);
    await page
      .getByTestId('page-range')
      .getByText(/of 27$/)
      .waitFor();
    await page.getByRole('button', { name: 'Act on all matching…' }).click();
    await page.getByRole('menuitem', { name: 'Lock…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason for the lock').fill('held for porting');
    await dialog.getByLabel('Ticket id (optional)').fill('PORT-77');
    await dialog.getByRole('button', { name: 'Lock all 27 numbers matching the filter' }).click();
    await dialog.getByText('Queued as a job').waitFor();
    await dialog.getByText('Done', { exact: true }).waitFor({ timeout: 20_000 });
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    const locked = (
      await p.admin('GET', `/api/v1/numbers?rangeId=${range.id}&locked=true&limit=100`)
    ).json().items;
    expect(locked).toHaveLength(27);
    expect(locked.every((x: { lockReason: string }) => x.lockReason === 'held for porting')).toBe(
      true,
    );
    expect((await server(n(1))).locked).toBe(false); // reserved: outside the filter

    await page.getByRole('navigation').getByRole('link', { name: 'Jobs' }).click();
    const row = page
      .locator('[data-testid="jobs-table"] tbody tr[data-status="succeeded"]')
      .first();
    await row.waitFor();
    expect(await row.textContent()).toContain('PORT-77');
    const jobs = (await p.admin('GET', '/api/v1/jobs')).json().items;
    expect(jobs[0]).toMatchObject({
      status: 'succeeded',
      ticketId: 'PORT-77',
      progress: { done: 27 },
    });
    await expectAccessible(page, 'jobs');
    await screenshot(page, 'jobs');
  });

  it('requests for information: relationship status with a ticket id, then create the account', async () => {
    await page
      .getByRole('navigation')
      .getByRole('link', { name: 'Requests for information' })
      .click();
    const row = page.locator(`tr[data-tenant="${TENANT}"]`);
    await row.getByText('Zenith Corp').waitFor();
    await row.getByRole('button', { name: 'Update relationship status' }).click();
    let dialog = page.getByRole('dialog');
    await dialog.getByRole('combobox', { name: 'New status' }).click();
    await page.getByRole('option', { name: 'Consent declined' }).click();
    expect(await dialog.getByRole('button', { name: 'Update status' }).isDisabled()).toBe(true);
    await dialog.getByRole('combobox', { name: 'New status' }).click();
    await page.getByRole('option', { name: 'Agreement signed' }).click();
    await dialog.getByLabel('Ticket id (optional)').fill('SALES-9');
    await dialog.getByRole('button', { name: 'Update status' }).click();
    await dialog.waitFor({ state: 'detached' });
    await row.getByText('Agreement signed').waitFor();
    const consent = (await p.admin('GET', `/api/v1/consents/${TENANT}`)).json();
    expect(consent.relationship).toMatchObject({ status: 'agreementSigned', ticketId: 'SALES-9' });
    await expectAccessible(page, 'consents');

    await row.getByRole('button', { name: 'Create account' }).click();
    dialog = page.getByRole('dialog');
    await dialog.getByLabel('Account name').fill('zenith');
    await dialog
      .getByRole('checkbox', { name: 'Sync with the platform (flow-through provisioning)' })
      .uncheck();
    await dialog.getByRole('button', { name: 'Create account' }).click();
    await dialog.getByText('Account created').waitFor();
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    const after = (await p.admin('GET', `/api/v1/consents/${TENANT}`)).json();
    expect(after.customerId).not.toBeNull();
    const customer = (await p.admin('GET', `/api/v1/customers/${after.customerId}`)).json();
    expect(customer).toMatchObject({ accountName: 'zenith', teamsTenantId: TENANT });
    const services = (await p.admin('GET', `/api/v1/customers/${after.customerId}/services`)).json()
      .items;
    expect(services.map((s: { platform: string }) => s.platform)).toEqual(['teamsOperatorConnect']);
    await row.getByRole('link', { name: 'Zenith Corp' }).waitFor();
    await screenshot(page, 'consents');
  });

  it('civic addresses: an operator-kept address with its first location', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Civic addresses' }).click();
    await page.getByRole('button', { name: 'Add an address' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('combobox', { name: 'For' }).click();
    await page.getByRole('option', { name: 'Acme Ltd' }).click();
    await dialog.getByRole('textbox', { name: 'Company', exact: true }).fill('Acme Ltd');
    await dialog
      .getByRole('textbox', { name: 'Description', exact: true })
      .fill('Leeds head office');
    await dialog.getByRole('textbox', { name: 'Street', exact: true }).fill('1 Park Row');
    await dialog.getByRole('textbox', { name: 'City', exact: true }).fill('Leeds');
    await dialog.getByRole('textbox', { name: 'Postal code', exact: true }).fill('LS1 5AB');
    await dialog
      .getByRole('textbox', { name: 'First location', exact: true })
      .fill('Reception, ground floor');
    await dialog.getByRole('textbox', { name: 'ELIN (optional)', exact: true }).fill('01134990000');
    await dialog.getByRole('button', { name: 'Create address' }).click();
    await dialog.waitFor({ state: 'detached' });
    const row = page.locator('tr[data-address="Leeds head office"]');
    await row.getByRole('button', { name: /Show 1 location/ }).click();
    await page.getByText('Reception, ground floor').waitFor();
    const list = (await p.admin('GET', `/api/v1/civic-addresses?customerId=${acme.id}`)).json()
      .items;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      source: 'operator',
      street: '1 Park Row',
      locations: [{ description: 'Reception, ground floor', elin: '01134990000', isDefault: true }],
    });
    await expectAccessible(page, 'addresses');
    await screenshot(page, 'addresses');
  });

  it('services: a first hosted-voice service allocates automatically; numbers upload to it after a check', async () => {
    await page.goto(`/customers/${acme.id}`);
    await page.getByRole('button', { name: 'Add a service' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('combobox', { name: 'Platform' }).click();
    await page.getByRole('option', { name: 'Hosted voice' }).click();
    await dialog.getByLabel('Quantity (seats)').fill('3');
    await dialog.getByRole('combobox', { name: 'Site' }).click();
    await page.getByRole('option', { name: 'Leeds' }).click();
    await dialog.getByRole('button', { name: 'Add service' }).click();
    await dialog.getByText('Service added').waitFor();
    // Either the numbers it allocated, or why automation did not run: never silence.
    expect(
      await dialog
        .getByText(/^(Allocated \d+ numbers? automatically|No automatic allocation: )/)
        .count(),
    ).toBe(1);
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    const services = (await p.admin('GET', `/api/v1/customers/${acme.id}/services`)).json().items;
    expect(services).toHaveLength(1);
    expect(services[0]).toMatchObject({ platform: 'hostedVoice', quantity: 3, siteId: leeds.id });

    const service = page.locator('tr[data-service="hostedVoice"]');
    await service.getByRole('button', { name: 'Upload numbers' }).click();
    const up = page.getByRole('dialog');
    await up.getByRole('textbox', { name: 'Number', exact: true }).fill('+44 113 499 5000');
    await up.getByRole('button', { name: 'Check' }).click();
    await up.getByTestId('upload-check').getByText('1 valid number, 0 invalid numbers.').waitFor();
    await expectAccessible(page, 'service upload');
    await screenshot(page, 'customer-upload');
    await up.getByRole('button', { name: 'Upload 1 number' }).click();
    await up.getByText('Uploaded', { exact: true }).waitFor();
    await up.getByRole('button', { name: 'Close', exact: true }).click();
    expect(await server('+441134995000')).toMatchObject({
      holder: { type: 'customer', customerId: acme.id },
      serviceId: services[0].id,
    });
    await expectAccessible(page, 'customer with services');
    await screenshot(page, 'customer');
  });
});
