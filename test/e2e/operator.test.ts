/**
 * The portal as operator staff use it, in headless Chromium: every page and
 * every lifecycle action, each checked against the server's state afterwards,
 * plus an axe-core check and a screenshot per page.
 */
import { sql } from 'kysely';
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
let operator: PortalUser;
let acme: { id: string };
let bravo: { id: string };
let leeds: { id: string };
let range: { id: string };
const n = (i: number) => `+44113496${String(i).padStart(4, '0')}`;
const href = (e164: string) => `/numbers/${encodeURIComponent(e164)}`;

async function server(e164: string) {
  const res = await p.admin('GET', `/api/v1/numbers/${encodeURIComponent(e164)}`);
  expect(res.statusCode).toBe(200);
  return res.json();
}

/** Right-click a row, pick a menu item, confirm the dialog, wait for its report. */
async function viaMenu(
  e164: string,
  item: string,
  fill?: (dialog: ReturnType<Page['getByRole']>) => Promise<void>,
) {
  await page.locator(`tr[data-number="${e164}"]`).click({ button: 'right' });
  await page.getByRole('menuitem', { name: item, exact: true }).click();
  const dialog = page.getByRole('dialog');
  if (fill) await fill(dialog);
  await dialog
    .locator('button[type="button"]')
    .filter({ hasText: /1 number$/ })
    .click();
  await dialog.getByText('Done', { exact: true }).waitFor();
  await dialog.getByRole('button', { name: 'Close' }).first().click();
  await dialog.waitFor({ state: 'detached' });
}

beforeAll(async () => {
  p = await startPortal();
  acme = await p.customer({ name: 'Acme Ltd', accountName: 'acme' });
  bravo = await p.customer({ name: 'Bravo plc', accountName: 'bravo' });
  leeds = await p.site({
    name: 'Leeds, Wellington Place',
    country: 'GB',
    address: '1 Wellington Place, Leeds',
  });
  range = await p.range({ name: 'Leeds 0113 496', start: n(0), count: 40, siteId: leeds.id });
  await p.admin('POST', `/api/v1/numbers/${encodeURIComponent(n(5))}/lock`, {
    reason: 'voicemail access',
  });
  operator = await p.addUser({ permissions: ['admin'], name: 'Olive Operator' });
});

describe('operator', () => {
  it('sign-in refuses a wrong password in plain words, then opens the dashboard', async () => {
    const { newPage } = await import('./support.js');
    const first = await newPage(p.browser, p.url);
    await first.goto('/');
    await first.getByLabel('E-mail address').fill(operator.email);
    await first.getByRole('textbox', { name: 'Password' }).fill('not the password');
    await first.getByRole('button', { name: 'Sign in' }).click();
    await first
      .getByRole('alert')
      .getByText('The e-mail address or the password is wrong.')
      .waitFor();
    await expectAccessible(first, 'sign-in');
    await first.getByRole('textbox', { name: 'Password' }).fill('');
    await screenshot(first, 'sign-in');
    await first.context().close();

    page = await p.signIn(operator);
    await page.getByTestId('kpi-Numbers').getByText('40').waitFor();
    expect(await page.getByTestId('kpi-Available').textContent()).toBe('40');
    const sessions = await p.db.selectFrom('user_sessions').select('user_id').execute();
    expect(sessions.map((s) => s.user_id)).toContain(operator.id);
    await expectAccessible(page, 'dashboard');
  });

  it('numbers: server-side cursor pages, partial search and status tabs', async () => {
    await page.goto('/numbers?limit=25');
    let rows = await numbersTableRows(page);
    expect(rows).toHaveLength(25);
    expect(rows[0]).toBe(n(0));
    await page.getByTestId('page-range').getByText('1–25 of 40').waitFor();
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByTestId('page-range').getByText('26–40 of 40').waitFor();
    rows = await numbersTableRows(page);
    expect(rows).toEqual(Array.from({ length: 15 }, (_, i) => n(25 + i)));
    await page.getByRole('button', { name: 'Previous page' }).click();
    await page.getByTestId('page-range').getByText('1–25 of 40').waitFor();

    await page.getByLabel('Search').fill('496001');
    await page.waitForURL(/q=496001/);
    await page.getByTestId('page-range').getByText('1–10 of 10').waitFor();
    rows = await numbersTableRows(page);
    const api = (await p.admin('GET', '/api/v1/numbers?q=496001'))
      .json()
      .items.map((x: { e164: string }) => x.e164);
    expect(rows).toEqual(api);
    await page.getByLabel('Search').fill('');
    await page.waitForURL((u) => !u.search.includes('q='));

    await page.getByRole('checkbox', { name: 'Locked only' }).check();
    await page.getByTestId('page-range').getByText('1–1 of 1').waitFor();
    expect(await numbersTableRows(page)).toEqual([n(5)]);
    await page.getByRole('checkbox', { name: 'Locked only' }).uncheck();
  });

  it('bulk allocate reports each refused number in plain words; the others are reserved', async () => {
    await page.goto('/numbers');
    for (const e of [n(3), n(4), n(5)])
      await page.getByRole('checkbox', { name: `Select ${e}` }).check();
    const bulk = page.getByRole('region', { name: 'Bulk actions' });
    await bulk.getByText('3 numbers selected').waitFor();
    await bulk.getByRole('button', { name: /^Allocate/ }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Reserves the numbers for a customer').waitFor();
    await dialog.getByRole('combobox', { name: 'Customer' }).click();
    await page.getByRole('option', { name: 'Acme Ltd (acme)' }).click();
    await dialog.getByLabel('Ticket id (optional)').fill('CHG-1001');
    await expectAccessible(page, 'allocate dialog');
    await dialog.getByRole('button', { name: 'Allocate 3 numbers' }).click();
    await dialog.getByText('Partly done').waitFor();
    const failed = dialog.locator(`tr[data-failed-number="${n(5)}"]`);
    expect(await failed.textContent()).toContain('is locked; unlock it first');
    await screenshot(page, 'numbers-bulk-result');
    await expectAccessible(page, 'bulk result');
    await dialog.getByRole('button', { name: 'Close' }).first().click();

    for (const e of [n(3), n(4)]) {
      expect(await server(e)).toMatchObject({
        status: 'reserved',
        holder: { type: 'customer', customerId: acme.id },
      });
    }
    expect(await server(n(5))).toMatchObject({ status: 'available', holder: null, locked: true });
    const audit = await p.db
      .selectFrom('audit_events')
      .select(['source', 'ticket_id', 'principal_id'])
      .where('object_id', '=', n(3))
      .where('action', '=', 'number.allocate')
      .executeTakeFirstOrThrow();
    expect(audit).toEqual({
      source: 'ui',
      ticket_id: 'CHG-1001',
      principal_id: `user:${operator.id}`,
    });
    // The refused number stays selected, ready to be dealt with.
    await page
      .getByRole('region', { name: 'Bulk actions' })
      .getByText('1 number selected')
      .waitFor();
  });

  it('right-click menu: every lifecycle action, each confirmed and applied on the server', async () => {
    await page.goto('/numbers');
    await numbersTableRows(page);
    await page.locator(`tr[data-number="${n(3)}"]`).click({ button: 'right' });
    await page.getByRole('menuitem', { name: 'Activate', exact: true }).waitFor();
    await screenshot(page, 'numbers-context-menu');
    await expectAccessible(page, 'context menu');
    await page.keyboard.press('Escape');

    await viaMenu(n(3), 'Activate');
    expect((await server(n(3))).status).toBe('active');

    await viaMenu(n(3), 'Assign…', async (d) => {
      await d.getByLabel('User or target id').fill('alice@acme.example');
      await d.getByLabel('Display name (optional)').fill('Alice Adams');
    });
    expect(await server(n(3))).toMatchObject({
      status: 'assigned',
      assignment: { type: 'user', targetId: 'alice@acme.example', targetName: 'Alice Adams' },
    });

    await viaMenu(n(3), 'Unassign');
    expect(await server(n(3))).toMatchObject({ status: 'active', assignment: null });
    await viaMenu(n(3), 'Deactivate');
    expect(await server(n(3))).toMatchObject({ status: 'reserved', holder: { type: 'customer' } });
    await viaMenu(n(3), 'Release');
    expect(await server(n(3))).toMatchObject({ status: 'coolingOff', holder: null });

    await viaMenu(n(4), 'Nominate as main number');
    expect((await server(n(4))).mainNumber).toBe(true);
    await viaMenu(n(4), 'Remove main-number nomination');
    expect((await server(n(4))).mainNumber).toBe(false);
    await viaMenu(n(4), 'Deallocate');
    expect(await server(n(4))).toMatchObject({ status: 'available', holder: null });

    await viaMenu(n(6), 'Lock…', async (d) => {
      await d.getByLabel('Reason for the lock').fill('reception line');
    });
    expect(await server(n(6))).toMatchObject({ locked: true, lockReason: 'reception line' });

    // Keyboard: focus the row, Shift+F10 opens the same menu.
    await page.locator(`tr[data-number="${n(6)}"]`).focus();
    await page.keyboard.press('Shift+F10');
    await page.getByRole('menuitem', { name: 'Unlock', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Unlock 1 number' }).click();
    await dialog.getByText('Done', { exact: true }).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).first().click();
    expect((await server(n(6))).locked).toBe(false);
    // Ten confirmed dialogs in a row: more than the default minute on a busy 2-core machine.
  }, 180_000);

  it('status tabs and the emergency tab show what the server holds', async () => {
    await page.goto('/numbers');
    await page.getByRole('radiogroup', { name: 'Status' }).getByText('Released').click();
    await page.waitForURL(/status=coolingOff/);
    expect(await numbersTableRows(page)).toEqual([n(3)]);
    await page.getByRole('radiogroup', { name: 'Status' }).getByText('Reserved').click();
    await page.waitForURL(/status=reserved/);
    const reserved = (await p.admin('GET', '/api/v1/numbers?status=reserved')).json().items;
    expect(await numbersTableRows(page)).toEqual(reserved.map((x: { e164: string }) => x.e164));
    await page.getByRole('radiogroup', { name: 'Status' }).getByText('Emergency addresses').click();
    await page.getByRole('columnheader', { name: 'Civic address' }).waitFor();
    await expectAccessible(page, 'emergency tab');
  });

  it('number detail: fields, history timeline, and an edit honouring If-Match', async () => {
    await page.goto(href(n(3)));
    const history = page.getByTestId('history');
    await history.getByText('Release', { exact: true }).waitFor();
    for (const step of [
      'Allocate',
      'Activate',
      'Assign',
      'Unassign',
      'Deactivate',
      'Created with range',
    ]) {
      await history.getByText(step, { exact: true }).waitFor();
    }
    await expectAccessible(page, 'number detail');
    await screenshot(page, 'number-detail');
    await page.getByRole('button', { name: 'Edit details' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Extension').fill('2001');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect((await server(n(3))).extension).toBe('2001');
  });

  it('ranges: utilisation bars, and adding a range creates its numbers', async () => {
    await page.goto('/ranges');
    const bar = page.locator(`tr[data-range="Leeds 0113 496"] [role="img"]`);
    expect(await bar.getAttribute('aria-label')).toMatch(/^Leeds 0113 496: .*% in use: .* of 40$/);
    await expectAccessible(page, 'ranges');
    await page.getByRole('button', { name: 'Add a range' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Leeds 0113 497');
    await dialog.getByLabel('First number').fill('0113 497 0000');
    await dialog.getByLabel('How many numbers').fill('20');
    await dialog.getByLabel('Country (optional)').fill('GB');
    await dialog.getByRole('button', { name: 'Create range' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('tr[data-range="Leeds 0113 497"]').waitFor();
    const ranges = (await p.admin('GET', '/api/v1/ranges')).json().items;
    expect(ranges.find((r: { name: string }) => r.name === 'Leeds 0113 497')).toMatchObject({
      start: '+441134970000',
      end: '+441134970019',
      utilisation: { total: 20, available: 20 },
    });
    await screenshot(page, 'ranges');
  });

  it('sites: adding a site; a site telephony list with its allocation filter', async () => {
    await page.goto('/sites');
    await page.getByRole('button', { name: 'Add a site' }).click();
    const dialog = page.getByRole('dialog');
    await dialog
      .getByRole('textbox', { name: 'Name', exact: true })
      .fill('Manchester, Spinningfields');
    await dialog.getByLabel('Country').fill('GB');
    await dialog.getByRole('button', { name: 'Create site' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('link', { name: 'Manchester, Spinningfields' }).waitFor();
    const sites = (await p.admin('GET', '/api/v1/sites')).json().items;
    expect(sites.map((s: { name: string }) => s.name)).toContain('Manchester, Spinningfields');
    await expectAccessible(page, 'sites');
    await screenshot(page, 'sites');

    // Some variety for the telephony list.
    await p.admin('POST', '/api/v1/numbers/bulk/allocate', {
      numbers: [n(10), n(11), n(12)],
      holder: { type: 'customer', customerId: bravo.id },
    });
    await p.admin('POST', '/api/v1/numbers/bulk/activate', { numbers: [n(10), n(11)] });
    await p.admin('POST', `/api/v1/numbers/${encodeURIComponent(n(12))}/setMain`, {});
    await page.getByRole('link', { name: 'Leeds, Wellington Place' }).click();
    await page.getByRole('heading', { name: 'Leeds, Wellington Place · Telephony' }).waitFor();
    await page.getByRole('columnheader', { name: 'Allocated to' }).waitFor();
    expect(await numbersTableRows(page)).toHaveLength(40);
    await page.getByRole('combobox', { name: 'Allocation' }).click();
    await page.getByRole('option', { name: 'Customers' }).click();
    await page.waitForURL(/holder=customer/);
    expect(await numbersTableRows(page)).toEqual([n(10), n(11), n(12)]);
    expect(await page.locator(`tr[data-number="${n(12)}"]`).textContent()).toContain('Main number');
    await expectAccessible(page, 'site telephony');
    await screenshot(page, 'site-telephony');
  });

  it('customers: adding one; upload numbers as single, range and CSV (with counts)', async () => {
    await page.goto('/customers');
    await page.getByRole('button', { name: 'Add a customer' }).click();
    let dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Charlie Co');
    await dialog.getByLabel('Account name').fill('charlie');
    await dialog.getByRole('button', { name: 'Create customer' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('link', { name: 'Charlie Co' }).waitFor();
    const all = (await p.admin('GET', '/api/v1/customers')).json().items;
    expect(all.find((c: { accountName: string }) => c.accountName === 'charlie')).toMatchObject({
      name: 'Charlie Co',
      status: 'active',
    });
    await expectAccessible(page, 'customers');
    await screenshot(page, 'customers');

    await page.getByRole('link', { name: 'Acme Ltd' }).click();
    await page.getByRole('heading', { name: 'Acme Ltd' }).waitFor();
    const upload = async () => {
      await page.getByRole('button', { name: 'Upload numbers' }).click();
      dialog = page.getByRole('dialog');
      await dialog.getByText('Upload numbers for Acme Ltd').waitFor();
    };
    const confirm = async (count: string) => {
      await dialog.getByRole('button', { name: /^Next: allocate/ }).click();
      await dialog.getByText('To:').waitFor();
      await dialog.getByRole('button', { name: `Allocate ${count}` }).click();
      await dialog.getByText('Done', { exact: true }).waitFor();
      await dialog.getByRole('button', { name: 'Close' }).first().click();
      await dialog.waitFor({ state: 'detached' });
    };
    await upload();
    await dialog.getByRole('textbox', { name: 'Number', exact: true }).fill('+44 113 496 0020');
    await confirm('1 number');
    expect(await server(n(20))).toMatchObject({
      status: 'reserved',
      holder: { customerId: acme.id },
    });

    await upload();
    await dialog.getByText('Range', { exact: true }).click();
    await dialog.getByLabel('First number').fill(n(21));
    await dialog.getByLabel('Last number').fill(n(23));
    await dialog.getByText('3 numbers', { exact: true }).waitFor();
    await confirm('3 numbers');
    for (const i of [21, 22, 23]) expect((await server(n(i))).holder?.customerId).toBe(acme.id);

    await upload();
    await dialog.getByText('CSV file', { exact: true }).click();
    await dialog.locator('input[type="file"]').setInputFiles({
      name: 'numbers.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(`Number\r\n${n(24)}\r\n4.42079E+11\r\nnot a number\r\n${n(24)}\r\n`),
    });
    await dialog.getByTestId('csv-counts').getByText('1 valid number, 3 invalid rows').waitFor();
    await expectAccessible(page, 'upload dialog');
    await screenshot(page, 'customer-upload-inventory');
    await confirm('1 number');
    expect((await server(n(24))).holder?.customerId).toBe(acme.id);
  });

  it('audit log: the portal’s changes with source ui and their ticket id', async () => {
    await page.goto('/audit');
    await page.getByLabel('Action').fill('number.allocate');
    await page
      .locator(`[data-testid="audit-table"] tr[data-action="number.allocate"]`)
      .first()
      .waitFor();
    const text = await page.getByTestId('audit-table').textContent();
    expect(text).toContain('CHG-1001');
    expect(text).toContain(operator.email);
    await page.getByLabel('Action').fill('');
    await page
      .locator(`[data-testid="audit-table"] tr[data-action="number.lock"]`)
      .first()
      .waitFor();
    await expectAccessible(page, 'audit');
    await screenshot(page, 'audit');
  });

  it('users: an admin adds a customer admin and disables a user', async () => {
    await page.goto('/users');
    await page.getByRole('button', { name: 'Add a user' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('E-mail address').fill('ada@acme.example');
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Ada Acme');
    await dialog.getByRole('textbox', { name: 'Password' }).fill('a long enough password');
    await dialog.getByRole('checkbox', { name: 'admin' }).check();
    await dialog.getByRole('combobox', { name: 'Scope' }).click();
    await page.getByRole('option', { name: /^A customer/ }).click();
    await dialog.getByRole('combobox', { name: 'Customer' }).click();
    await page.getByRole('option', { name: 'Acme Ltd' }).click();
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await dialog.waitFor({ state: 'detached' });
    const row = page.locator('tr[data-user="ada@acme.example"]');
    await row.waitFor();
    const created = await p.db
      .selectFrom('users')
      .select(['id', 'permissions', 'scope', 'disabled'])
      .where('email', '=', 'ada@acme.example')
      .executeTakeFirstOrThrow();
    expect(created).toMatchObject({
      permissions: ['read', 'write', 'delete', 'admin'],
      scope: `customer:${acme.id}`,
      disabled: false,
    });
    await row.getByRole('button', { name: 'Disable' }).click();
    await row.getByRole('button', { name: 'Enable' }).waitFor();
    await row.getByText('Disabled', { exact: true }).waitFor();
    const after = await p.db
      .selectFrom('users')
      .select('disabled')
      .where('id', '=', created.id)
      .executeTakeFirstOrThrow();
    expect(after.disabled).toBe(true);
    await expectAccessible(page, 'users');
    await screenshot(page, 'users');
  });

  it('API tokens: the secret is shown once and works; revoking stops it', async () => {
    await page.goto('/tokens');
    await page.getByRole('button', { name: 'Create a token' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('What is it for?').fill('BSS integration');
    await dialog.getByRole('checkbox', { name: 'write' }).check();
    await dialog.getByRole('button', { name: 'Create token' }).click();
    const secret = (await dialog.getByTestId('token-secret').textContent())!.trim();
    expect(secret).toMatch(/^nbt_/);
    expect((await p.call(secret, 'GET', '/api/v1/numbers?limit=1')).statusCode).toBe(200);
    await dialog.getByRole('button', { name: 'Done' }).click();
    await page
      .getByRole('row', { name: /BSS integration/ })
      .getByRole('button', { name: 'Revoke' })
      .click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke token' }).click();
    await page
      .getByRole('row', { name: /BSS integration/ })
      .getByText('Revoked')
      .waitFor();
    const row = await p.db
      .selectFrom('api_tokens')
      .select('revoked_at')
      .where('name', '=', 'BSS integration')
      .executeTakeFirstOrThrow();
    expect(row.revoked_at).not.toBeNull();
    await expectAccessible(page, 'tokens');
    await screenshot(page, 'tokens');
  });

  it('the numbers page and the dashboard, as they look with a busy inventory', async () => {
    await p.admin('POST', '/api/v1/numbers/bulk/allocate', {
      numbers: [n(30), n(31), n(32), n(33)],
      holder: { type: 'customer', customerId: acme.id },
    });
    await p.admin('POST', '/api/v1/numbers/bulk/activate', { numbers: [n(30), n(31), n(32)] });
    await p.admin('POST', '/api/v1/numbers/bulk/assign', {
      numbers: [n(30), n(31)],
      assignment: { type: 'user', targetId: 'bob', targetName: 'Bob Brown' },
    });
    await page.goto(`/numbers?rangeId=${range.id}&sort=-e164&limit=25`);
    await numbersTableRows(page);
    await page.getByRole('checkbox', { name: `Select ${n(33)}` }).check();
    await page.getByRole('checkbox', { name: `Select ${n(32)}` }).check();
    await page.evaluate('window.scrollTo(0, 0)');
    await expectAccessible(page, 'numbers');
    await screenshot(page, 'numbers');
    await page.goto('/');
    await page.getByTestId('kpi-Numbers').getByText('60').waitFor();
  });

  it('dashboard: utilisation over time per site and range, from the daily snapshots', async () => {
    const day = async (iso: string) => {
      p.clock.now = new Date(`${iso}T09:00:00Z`);
      expect((await p.admin('POST', '/api/v1/utilisation/snapshots')).statusCode).toBe(201);
    };
    try {
      await day('2026-01-12');
      await p.admin('POST', '/api/v1/numbers/bulk/allocate', {
        numbers: [n(34), n(35), n(36)],
        holder: { type: 'customer', customerId: bravo.id },
      });
      await day('2026-01-13');
      await p.admin('POST', '/api/v1/numbers/bulk/activate', { numbers: [n(34), n(35)] });
      await day('2026-01-14');
    } finally {
      p.clock.now = new Date('2026-01-15T12:00:00Z');
    }
    await page.goto('/');
    await page.getByTestId('kpi-Numbers').getByText('60').waitFor();
    // Today has no snapshot yet; the button takes it and the chart gains the day.
    await page.getByRole('button', { name: 'Take a snapshot now' }).click();
    await page.getByRole('status').getByText('Snapshot of 15 Jan 2026 taken.').waitFor();
    const today = await p.db
      .selectFrom('utilisation_snapshots')
      .select(['total', 'available'])
      .where('scope_id', '=', leeds.id)
      .where('customer_id', 'is', null)
      .where('day', '=', sql<Date>`'2026-01-15'::date`)
      .executeTakeFirstOrThrow();
    expect(today.total).toBe(40);
    const chart = page.getByTestId('history-chart');
    await page
      .locator(
        '[data-testid="history-chart"][aria-label*="4 days from 12 Jan 2026 to 15 Jan 2026"]',
      )
      .waitFor();
    const used = today.total - today.available;
    const label = (await chart.getAttribute('aria-label'))!;
    expect(label).toMatch(
      /^Utilisation of Leeds, Wellington Place: 4 days from 12 Jan 2026 to 15 Jan 2026;/,
    );
    // 12 Jan: before bravo's three numbers; 15 Jan: what the server holds today.
    expect(label).toContain(
      `in use ${((100 * (used - 3)) / 40).toFixed(1)}% (${used - 3} of 40) on the first day`,
    );
    expect(label).toContain(`${((100 * used) / 40).toFixed(1)}% (${used} of 40) on the last`);
    expect(await chart.locator('g[data-day]').count()).toBe(4);

    await page.getByRole('combobox', { name: 'Site or range' }).click();
    await page.getByRole('option', { name: 'Leeds 0113 496' }).click();
    const r = (await p.admin('GET', `/api/v1/ranges/${range.id}`)).json().utilisation;
    const rUsed = r.total - r.available;
    await page
      .locator(
        `[data-testid="history-chart"][aria-label^="Utilisation of Leeds 0113 496: 4 days"][aria-label*="(${rUsed} of ${r.total}) on the last"]`,
      )
      .waitFor();
    await expectAccessible(page, 'dashboard with history');
    await page.getByRole('combobox', { name: 'Site or range' }).click();
    await page.getByRole('option', { name: 'Leeds, Wellington Place' }).click();
    await page
      .locator('[data-testid="history-chart"][aria-label^="Utilisation of Leeds, W"]')
      .waitFor();
    await screenshot(page, 'dashboard');
    await chart.scrollIntoViewIfNeeded();
    await screenshot(page, 'dashboard-history');
  });

  it('signing out ends the session on the server', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    const left = await p.db
      .selectFrom('user_sessions')
      .select('user_id')
      .where('user_id', '=', operator.id)
      .execute();
    expect(left).toHaveLength(0);
    await page.context().close();
  });

  it('a read-only user sees the numbers but no action', async () => {
    const reader = await p.addUser({ permissions: ['read'] });
    const rp = await p.signIn(reader);
    await rp.goto('/numbers');
    await numbersTableRows(rp);
    expect(await rp.getByRole('region', { name: 'Bulk actions' }).count()).toBe(0);
    expect(await rp.getByRole('checkbox', { name: `Select ${n(1)}` }).count()).toBe(0);
    expect(await rp.getByRole('link', { name: 'Users' }).count()).toBe(0);
    await rp.context().close();
  });
});
