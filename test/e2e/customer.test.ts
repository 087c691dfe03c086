/**
 * The portal as a customer admin uses it (SPEC §1): only its own customer's
 * data, the actions a customer may take (assign, unassign, the emergency
 * location where the operator allows it), and its own users.
 */
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
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
let admin: PortalUser;
let acme: { id: string };
let bravo: { id: string };
let address: { id: string; locations: { id: string; description: string }[] };
let readerToken: string;
const n = (i: number) => `+44113498${String(i).padStart(4, '0')}`;
const url = (e164: string, suffix = '') => `/api/v1/numbers/${encodeURIComponent(e164)}${suffix}`;

async function server(e164: string) {
  return (await p.admin('GET', url(e164))).json();
}

beforeAll(async () => {
  p = await startPortal();
  acme = await p.customer({ name: 'Acme Ltd', accountName: 'acme-c' });
  bravo = await p.customer({ name: 'Bravo plc', accountName: 'bravo-c' });
  await p.range({ name: 'Leeds 0113 498', start: n(0), count: 20 });
  const mine = [n(1), n(2), n(3), n(4), n(5)];
  await p.admin('POST', '/api/v1/numbers/bulk/allocate', {
    numbers: mine,
    holder: { type: 'customer', customerId: acme.id },
  });
  await p.admin('POST', '/api/v1/numbers/bulk/activate', { numbers: [n(1), n(2), n(3)] });
  await p.admin('POST', '/api/v1/numbers/bulk/allocate', {
    numbers: [n(6)],
    holder: { type: 'customer', customerId: bravo.id },
  });
  await p.admin('PATCH', url(n(2)), { emergency: { customerMayUpdate: true } });
  address = (
    await p.admin('POST', '/api/v1/civic-addresses', {
      customerId: acme.id,
      country: 'GB',
      companyName: 'Acme Ltd',
      description: 'Leeds office',
      street: '1 Wellington Place',
      city: 'Leeds',
      postalCode: 'LS1 4AP',
      locations: [
        { description: 'Ground floor', isDefault: true },
        { description: 'Floor 3', elin: '01134960003' },
      ],
    })
  ).json();
  readerToken = (
    await p.admin('POST', '/api/v1/tokens', {
      name: 'acme-reader',
      permissions: ['read'],
      scope: `customer:${acme.id}`,
    })
  ).json().token;
  admin = await p.addUser({
    permissions: ['admin'],
    scope: `customer:${acme.id}`,
    name: 'Ada Acme',
  });
});

describe('customer admin', () => {
  it('sees only its own numbers, and no operator pages', async () => {
    page = await p.signIn(admin);
    await page.getByText('Acme Ltd', { exact: true }).first().waitFor();
    await page.getByTestId('kpi-Numbers').getByText('5').waitFor();
    await expectAccessible(page, 'customer dashboard');
    await page.getByRole('navigation').getByRole('link', { name: 'Numbers', exact: true }).click();
    expect(await numbersTableRows(page)).toEqual([n(1), n(2), n(3), n(4), n(5)]);
    for (const link of ['Ranges', 'Sites', 'Customers']) {
      expect(await page.getByRole('navigation').getByRole('link', { name: link }).count()).toBe(0);
    }
    await expectAccessible(page, 'customer numbers');
    await screenshot(page, 'customer-admin-numbers');
  });

  it("gets 'not found' for another customer's number, never its details", async () => {
    await page.goto(`/numbers/${encodeURIComponent(n(6))}`);
    await page.getByText('is not in the inventory, or not yours to see').waitFor();
    expect(await page.locator('body').textContent()).not.toContain('Bravo');
  });

  it('assigns by right-click and unassigns by bulk button; operator actions are not offered', async () => {
    await page.goto('/numbers');
    await numbersTableRows(page);
    await page.locator(`tr[data-number="${n(1)}"]`).click({ button: 'right' });
    const menu = page.getByTestId('row-menu');
    await menu.getByRole('menuitem', { name: 'Assign…' }).waitFor();
    const items = await menu.getByRole('menuitem').allTextContents();
    expect(items).not.toContain('Release');
    expect(items).not.toContain('Allocate…');
    await menu.getByRole('menuitem', { name: 'Assign…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('User or target id').fill('carol@acme.example');
    await dialog.getByRole('button', { name: 'Assign 1 number' }).click();
    await dialog.getByText('Done', { exact: true }).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).first().click();
    expect(await server(n(1))).toMatchObject({
      status: 'assigned',
      assignment: { type: 'user', targetId: 'carol@acme.example' },
    });
    const ev = await p.db
      .selectFrom('audit_events')
      .select(['source', 'principal_id', 'customer_id'])
      .where('object_id', '=', n(1))
      .where('action', '=', 'number.assign')
      .executeTakeFirstOrThrow();
    expect(ev).toEqual({ source: 'ui', principal_id: `user:${admin.id}`, customer_id: acme.id });

    await page.getByRole('checkbox', { name: `Select ${n(1)}` }).check();
    await page.getByRole('checkbox', { name: `Select ${n(4)}` }).check();
    await page
      .getByRole('region', { name: 'Bulk actions' })
      .getByRole('button', { name: /^Unassign/ })
      .click();
    await dialog.getByRole('button', { name: 'Unassign 2 numbers' }).click();
    // n(4) is only reserved: refused in plain words, and n(1) is unassigned.
    await dialog.getByText('Partly done').waitFor();
    expect(await dialog.locator(`tr[data-failed-number="${n(4)}"]`).textContent()).toContain(
      'is not assigned to anyone',
    );
    await dialog.getByRole('button', { name: 'Close' }).first().click();
    expect(await server(n(1))).toMatchObject({ status: 'active', assignment: null });
  });

  it('changes the emergency location only where the operator allows it (R-38)', async () => {
    await page.goto(`/numbers/${encodeURIComponent(n(2))}`);
    await page.getByRole('button', { name: 'Edit details' }).click();
    let dialog = page.getByRole('dialog');
    await dialog.getByRole('combobox', { name: 'Emergency civic address' }).click();
    await page.getByRole('option', { name: /Leeds office/ }).click();
    await dialog.getByRole('combobox', { name: 'Location' }).click();
    await page.getByRole('option', { name: /Floor 3/ }).click();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect((await server(n(2))).emergency).toMatchObject({
      civicAddressId: address.id,
      locationId: address.locations.find((l) => l.description === 'Floor 3')!.id,
      customerMayUpdate: true,
    });
    await expectAccessible(page, 'customer number detail');

    await page.goto(`/numbers/${encodeURIComponent(n(3))}`);
    await page.getByRole('button', { name: 'Edit details' }).click();
    dialog = page.getByRole('dialog');
    await dialog.getByText('has not allowed changes').waitFor();
    expect(await dialog.getByRole('combobox', { name: 'Emergency civic address' }).count()).toBe(0);
    await page.keyboard.press('Escape');
    expect((await server(n(3))).emergency.civicAddressId).toBeNull();
  });

  it("sees only its customer's audit events", async () => {
    await page.goto('/audit');
    await page.locator('[data-testid="audit-table"] tbody tr[data-action]').first().waitFor();
    const shown = await page.locator('[data-testid="audit-table"] tbody tr[data-action]').count();
    const api = await p.call(readerToken, 'GET', '/api/v1/audit-events?limit=50');
    expect(shown).toBe(api.json().items.length);
    expect(await page.getByTestId('audit-table').textContent()).not.toContain(n(6));
    await expectAccessible(page, 'customer audit');
  });

  it('dashboard history: its own holdings at a site over time, never the whole site', async () => {
    const w = (i: number) => `+44192449${String(i).padStart(4, '0')}`;
    const site = await p.site({ name: 'Wakefield', country: 'GB' });
    await p.range({ name: 'Wakefield 0192 449', start: w(0), count: 10, siteId: site.id });
    await p.admin('POST', '/api/v1/numbers/bulk/allocate', {
      numbers: [w(0), w(1), w(2)],
      holder: { type: 'customer', customerId: acme.id },
    });
    await p.admin('POST', '/api/v1/numbers/bulk/allocate', {
      numbers: [w(3), w(4)],
      holder: { type: 'customer', customerId: bravo.id },
    });
    await p.admin('POST', '/api/v1/numbers/bulk/activate', { numbers: [w(0)] });
    expect((await p.admin('POST', '/api/v1/utilisation/snapshots')).statusCode).toBe(201);
    await page.goto('/');
    const chart = page.locator(
      '[data-testid="history-chart"][aria-label^="Numbers of Acme Ltd at Wakefield: 1 day"]',
    );
    await chart.waitFor();
    // Acme's three numbers: not bravo's two, not the site's ten.
    expect(await chart.getAttribute('aria-label')).toContain('(3 of 3) on the first day');
    const api = await p.call(
      readerToken,
      'GET',
      `/api/v1/utilisation/history?siteId=${site.id}&days=1`,
    );
    expect(api.json().items).toEqual([
      {
        day: '2026-01-15',
        total: 3,
        available: 0,
        coolingOff: 0,
        reserved: 2,
        active: 1,
        assigned: 0,
      },
    ]);
    expect(await page.getByRole('button', { name: 'Take a snapshot now' }).count()).toBe(0);
    await page.getByRole('combobox', { name: 'Site', exact: true }).waitFor();
    await expectAccessible(page, 'customer dashboard with history');
  });

  it('adds a colleague, who gets its customer scope', async () => {
    await page.goto('/users');
    await page.getByRole('button', { name: 'Add a user' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('E-mail address').fill('dan@acme.example');
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Dan Acme');
    await dialog.getByRole('textbox', { name: 'Password' }).fill('another long password');
    await dialog.getByRole('checkbox', { name: 'write' }).check();
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('tr[data-user="dan@acme.example"]').waitFor();
    const row = await p.db
      .selectFrom('users')
      .select(['scope', 'permissions'])
      .where('email', '=', 'dan@acme.example')
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ scope: `customer:${acme.id}`, permissions: ['read', 'write'] });
    expect(await page.getByTestId('users-table').textContent()).not.toContain('Operator');
    await expectAccessible(page, 'customer users');
    await screenshot(page, 'customer-admin-users');
  });
});
