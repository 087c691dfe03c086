/**
 * Issue #6: the numbers page's sync-state tabs (GET /numbers?syncState=, SPEC
 * §3.3, §9) and the sync actions in the bulk buttons and the right-click menu,
 * in headless Chromium, confirmed in the action dialog and checked on the
 * server. Sync states are seeded in SQL on numbers of a (non-synced) service:
 * this is about the portal, not how the platform got them there.
 */
import { sql } from 'kysely';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  expectAccessible,
  numbersTableRows,
  startPortal,
  type Portal,
  type PortalUser,
} from './support.js';

let p: Portal;
let page: Page;
let operator: PortalUser;
const n = (i: number) => `+44113498${String(i).padStart(4, '0')}`;
const TENANT = '2c8e4d2f-6b5a-4f3e-9d0c-8b7a6f5e4d3c';

async function server(e164: string) {
  const res = await p.admin('GET', `/api/v1/numbers/${encodeURIComponent(e164)}`);
  expect(res.statusCode).toBe(200);
  return res.json();
}

beforeAll(async () => {
  p = await startPortal();
  const acme = await p.customer({ name: 'Acme Ltd', accountName: 'acme-s', teamsTenantId: TENANT });
  await p.range({ name: 'Leeds 0113 498', start: n(0), count: 10 });
  const held = [n(1), n(2), n(3), n(4), n(5)];
  expect(
    (
      await p.admin('POST', '/api/v1/numbers/bulk/allocate', {
        numbers: held,
        holder: { type: 'customer', customerId: acme.id },
      })
    ).json().summary.failed,
  ).toBe(0);
  expect(
    (await p.admin('POST', '/api/v1/numbers/bulk/activate', { numbers: held })).json().summary
      .failed,
  ).toBe(0);
  const service = (
    await p.admin('POST', `/api/v1/customers/${acme.id}/services`, {
      platform: 'teamsOperatorConnect',
    })
  ).json().service as { id: string };
  // Two statements: putting a number on a service resets its sync state (trigger, 0007).
  await sql`UPDATE numbers SET service_id = ${service.id}::uuid WHERE e164 = ANY(${held})`.execute(
    p.db,
  );
  await sql`UPDATE numbers SET sync_state = 'markedForRemoval' WHERE e164 = ANY(${[n(1), n(2), n(3)]})`.execute(
    p.db,
  );
  await sql`UPDATE numbers SET sync_state = 'failed' WHERE e164 = ${n(4)}`.execute(p.db);
  await sql`UPDATE numbers SET sync_state = 'active' WHERE e164 = ${n(5)}`.execute(p.db);
  operator = await p.addUser({ permissions: ['read', 'write'], name: 'Olive Operator' });
  page = await p.signIn(operator);
});

describe('numbers page: sync-state tabs and sync actions (issue #6)', () => {
  it('the Marked for removal tab lists what the server filter selects; bulk approve releases them', async () => {
    await page.goto('/numbers');
    await page
      .getByRole('radiogroup', { name: 'Sync state' })
      .getByText('Marked for removal')
      .click();
    await page.waitForURL(/syncState=markedForRemoval/);
    const rows = await numbersTableRows(page);
    const api = (await p.admin('GET', '/api/v1/numbers?syncState=markedForRemoval'))
      .json()
      .items.map((x: { e164: string }) => x.e164);
    expect(rows).toEqual([n(1), n(2), n(3)]);
    expect(rows).toEqual(api);
    await expectAccessible(page, 'numbers page, sync-state tab');

    await page.getByRole('checkbox', { name: 'Select all numbers on this page' }).check();
    const bulk = page.getByRole('region', { name: 'Bulk actions' });
    await bulk.getByText('3 numbers selected').waitFor();
    // Reactivate also applies to markedForRemoval; approve is the one we want.
    await bulk.getByRole('button', { name: 'Approve removal', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('The tenant deleted these numbers').waitFor();
    await expectAccessible(page, 'approve-removal dialog');
    await dialog.getByRole('button', { name: 'Approve removal of 3 numbers' }).click();
    await dialog.getByText('Done', { exact: true }).waitFor();
    await expectAccessible(page, 'approve-removal result');
    await dialog.getByRole('button', { name: 'Close' }).first().click();
    await dialog.waitFor({ state: 'detached' });

    for (const e of [n(1), n(2), n(3)]) {
      expect(await server(e)).toMatchObject({
        status: 'coolingOff',
        holder: null,
        serviceId: null,
        sync: null,
      });
    }
    // The others are untouched.
    expect(await server(n(4))).toMatchObject({ status: 'active', sync: { state: 'failed' } });
    expect(await server(n(5))).toMatchObject({ status: 'active', sync: { state: 'active' } });
    const audit = await p.db
      .selectFrom('audit_events')
      .select(['source', 'principal_id'])
      .where('object_id', '=', n(1))
      .where('action', '=', 'number.sync.approveRemoval')
      .executeTakeFirstOrThrow();
    expect(audit).toEqual({ source: 'ui', principal_id: `user:${operator.id}` });
    // The tab refreshes from the server: nothing is marked for removal any more.
    await page.getByText('No number matches these filters.').waitFor();
  });

  it('right-click in the Sync failed tab: reactivate is offered, approve is not; reactivate queues a push', async () => {
    await page.getByRole('radiogroup', { name: 'Sync state' }).getByText('Sync failed').click();
    await page.waitForURL(/syncState=failed/);
    expect(await numbersTableRows(page)).toEqual([n(4)]);
    await page.locator(`tr[data-number="${n(4)}"]`).click({ button: 'right' });
    const approve = page.getByRole('menuitem', { name: 'Approve removal', exact: true });
    expect(await approve.isDisabled()).toBe(true);
    await page.getByRole('menuitem', { name: 'Reactivate (push again)', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Reactivate 1 number' }).click();
    await dialog.getByText('Done', { exact: true }).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).first().click();
    await dialog.waitFor({ state: 'detached' });
    expect(await server(n(4))).toMatchObject({
      sync: { state: 'failed' },
      pendingOperation: { action: 'syncPush' },
    });
  });
});
