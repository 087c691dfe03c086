/**
 * The portal's remaining operator actions, in headless Chromium, each
 * confirmed in a dialog and checked on the server afterwards: customer
 * suspend, reactivate and close; a service's consent and its removal (with a
 * refused number reported in plain words); job cancel and retry; user edit
 * and delete; the R-35 SBC dial plan download.
 */
import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  expectAccessible,
  screenshot,
  startPortal,
  type Portal,
  type PortalUser,
} from './support.js';

let p: Portal;
let page: Page;
let operator: PortalUser;
let acme: { id: string };
let range: { id: string };
const n = (i: number) => `+44113497${String(i).padStart(4, '0')}`;
const enc = encodeURIComponent;
const TENANT = '0b7d3c1e-5a4f-4e2d-8c9b-7a6f5e4d3c2b';

async function server(e164: string) {
  return (await p.admin('GET', `/api/v1/numbers/${enc(e164)}`)).json();
}

/** Confirm the open dialog with `button`, and wait until it has closed. */
async function confirm(button: string) {
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('button', { name: button, exact: true }).click();
  await dialog.waitFor({ state: 'detached' });
}

beforeAll(async () => {
  p = await startPortal();
  acme = await p.customer({ name: 'Acme Ltd', accountName: 'acme-a', teamsTenantId: TENANT });
  range = await p.range({ name: 'Leeds 0113 497', start: n(0), count: 30 });
  operator = await p.addUser({ permissions: ['admin'], name: 'Olive Operator' });
  page = await p.signIn(operator);
});

describe('operator actions with confirmation', () => {
  it('customers: suspend and reactivate, each confirmed; the server holds the status', async () => {
    await page.goto(`/customers/${acme.id}`);
    await page.getByRole('heading', { name: 'Acme Ltd' }).waitFor();
    await page.getByRole('button', { name: 'Suspend', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('While suspended, Acme Ltd gets no new numbers').waitFor();
    await expectAccessible(page, 'suspend dialog');
    // Cancel changes nothing.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect((await p.admin('GET', `/api/v1/customers/${acme.id}`)).json().status).toBe('active');

    await page.getByRole('button', { name: 'Suspend', exact: true }).click();
    await confirm('Suspend Acme Ltd');
    await page.getByRole('button', { name: 'Reactivate' }).waitFor();
    expect((await p.admin('GET', `/api/v1/customers/${acme.id}`)).json().status).toBe('suspended');
    const audit = await p.db
      .selectFrom('audit_events')
      .select(['source', 'principal_id'])
      .where('object_id', '=', acme.id)
      .where('action', 'like', 'customer.%')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(audit).toEqual({ source: 'ui', principal_id: `user:${operator.id}` });

    await page.getByRole('button', { name: 'Reactivate' }).click();
    await confirm('Reactivate Acme Ltd');
    await page.getByRole('button', { name: 'Suspend', exact: true }).waitFor();
    expect((await p.admin('GET', `/api/v1/customers/${acme.id}`)).json().status).toBe('active');
  });

  it('services: consent recorded after confirmation; removal reports a refused number, then completes', async () => {
    const service = (
      await p.admin('POST', `/api/v1/customers/${acme.id}/services`, {
        platform: 'teamsOperatorConnect',
        sipConnection: 'sbc-lds-1',
      })
    ).json().service;
    expect(service.status).toBe('pendingConsent');
    await page.goto(`/customers/${acme.id}`);
    const row = page.locator('tr[data-service="teamsOperatorConnect"]');
    await row.getByText('Pending consent').waitFor();
    await row.getByRole('button', { name: 'Record consent' }).click();
    await page
      .getByRole('dialog')
      .getByText('Records that Acme Ltd has given its consent')
      .waitFor();
    await confirm('Record consent');
    await row.getByText('Pending provisioning').waitFor();
    const after = (
      await p.admin('GET', `/api/v1/customers/${acme.id}/services/${service.id}`)
    ).json();
    expect(after.status).toBe('pendingProvisioning');
    expect(after.consentedAt).toBe(p.clock.now.toISOString());

    for (const i of [1, 2]) {
      const up = await p.admin(
        'POST',
        `/api/v1/customers/${acme.id}/services/${service.id}/numbers`,
        {
          number: n(i),
          usage: 'conference',
        },
      );
      expect(up.statusCode).toBeLessThan(300);
    }
    // n(2) has an upstream change in flight, so it cannot be released yet.
    const upstream = await p.db
      .insertInto('jobs')
      .values({
        kind: 'test.upstream',
        created_by_id: 'system',
        created_by_name: 'system',
        status: 'running',
        started_at: new Date(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await p.db
      .updateTable('numbers')
      .set({ pending_job_id: upstream.id, pending_action: 'push' })
      .where('e164', '=', n(2))
      .execute();

    await row.getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('dialog').getByText('Releases every number of this service').waitFor();
    await expectAccessible(page, 'remove service dialog');
    await screenshot(page, 'confirm-remove-service');
    await confirm('Remove the service');
    // Per-number failure, in plain words; the service waits in "removing".
    const alert = page.getByRole('alert').filter({ hasText: '1 number released; 1 number not' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain(n(2));
    await row.getByText('Removing').waitFor();
    expect(await server(n(1))).toMatchObject({ status: 'coolingOff', holder: null });
    expect(await server(n(2))).toMatchObject({ status: 'active', holder: { customerId: acme.id } });

    await p.db
      .updateTable('numbers')
      .set({ pending_job_id: null, pending_action: null })
      .where('e164', '=', n(2))
      .execute();
    await row.getByRole('button', { name: 'Continue removal' }).click();
    await confirm('Remove the service');
    await page.getByText('No services yet.').waitFor();
    expect(
      (await p.admin('GET', `/api/v1/customers/${acme.id}/services/${service.id}`)).statusCode,
    ).toBe(404);
    expect(await server(n(2))).toMatchObject({ status: 'coolingOff', holder: null });
  });

  it('jobs: a queued job is cancelled, then retried, each after confirmation', async () => {
    // No worker runs in this file: the job stays queued until the portal acts on it.
    const queued = await p.admin('POST', '/api/v1/numbers/bulk/lock', {
      filter: { rangeId: range.id, status: ['available'] },
      reason: 'audit hold',
    });
    expect(queued.statusCode).toBe(202);
    const job = queued.json();
    await page.goto('/jobs');
    const row = page.locator(`tr[data-job="${job.id}"]`);
    await row.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('dialog').getByText('The job stops at its next checkpoint').waitFor();
    await confirm('Cancel the job');
    await page.locator(`tr[data-job="${job.id}"][data-status="cancelled"]`).waitFor();
    expect((await p.admin('GET', `/api/v1/jobs/${job.id}`)).json().status).toBe('cancelled');

    await row.getByRole('button', { name: 'Retry' }).click();
    await confirm('Retry the job');
    await page.locator(`tr[data-job="${job.id}"][data-status="queued"]`).waitFor();
    const retried = (await p.admin('GET', `/api/v1/jobs/${job.id}`)).json();
    expect(retried).toMatchObject({ status: 'queued', finishedAt: null });
    await expectAccessible(page, 'jobs with actions');
    // Leave nothing queued behind.
    await p.admin('POST', `/api/v1/jobs/${job.id}/cancel`);
  });

  it('users: an admin edits a user (name, rights, password) and deletes one', async () => {
    const bob = await p.addUser({ permissions: ['read'], name: 'Bob Reader' });
    const bobPage = await p.signIn(bob);
    await page.goto('/users');
    const row = page.locator(`tr[data-user="${bob.email}"]`);
    await row.getByRole('button', { name: 'Edit' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Bob Writer');
    await dialog.getByRole('checkbox', { name: 'write' }).check();
    await dialog.getByLabel('New password (leave empty to keep)').fill('a brand new password');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    await row.getByText('Bob Writer').waitFor();
    const edited = await p.db
      .selectFrom('users')
      .select(['name', 'permissions'])
      .where('id', '=', bob.id)
      .executeTakeFirstOrThrow();
    expect(edited).toEqual({ name: 'Bob Writer', permissions: ['read', 'write'] });
    // The new password works; the old one no longer does.
    const signIn = (password: string) =>
      p.app.inject({
        method: 'POST',
        url: '/api/v1/auth/sign-in',
        payload: { email: bob.email, password },
      });
    expect((await signIn('a brand new password')).statusCode).toBe(200);
    expect((await signIn(bob.password)).statusCode).toBe(401);

    await row.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByText('will no longer be able to sign in').waitFor();
    await confirm('Delete user');
    await row.waitFor({ state: 'detached' });
    const left = await p.db.selectFrom('users').select('id').where('id', '=', bob.id).execute();
    expect(left).toEqual([]);
    const sessions = await p.db
      .selectFrom('user_sessions')
      .select('user_id')
      .where('user_id', '=', bob.id)
      .execute();
    expect(sessions).toEqual([]);
    // Bob's open page is signed out at its next request.
    await bobPage.reload();
    await bobPage.getByRole('button', { name: 'Sign in' }).waitFor();
    await bobPage.context().close();
  });

  it('R-35 the SBC dial plan downloads as the CSV the API serves', async () => {
    await page.goto('/numbers');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'SBC dial plan' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^sbc-dial-plan-\d{8}T\d{6}\.csv$/);
    const file = fs.readFileSync(await download.path(), 'utf8');
    const api = (await p.admin('GET', '/api/v1/routing/sbc')).body;
    expect(file).toBe(api);
    // n(1), n(2) were released with the service; nothing active is left to route.
    expect(file.trim().split(/\r?\n/)).toHaveLength(1);
  });

  it('site telephony list: lock icon, pending-change indicator, cooling-off date; the dashboard flags the site as running low', async () => {
    const b = (i: number) => `+44127449${String(i).padStart(4, '0')}`;
    const site = await p.site({ name: 'Bradford', country: 'GB' });
    await p.range({ name: 'Bradford 0127 449', start: b(0), count: 10, siteId: site.id });
    const all = Array.from({ length: 10 }, (_, i) => b(i));
    await p.admin('POST', '/api/v1/numbers/bulk/allocate', {
      numbers: all,
      holder: { type: 'customer', customerId: acme.id },
    });
    await p.admin('POST', `/api/v1/numbers/${enc(b(9))}/release`, {});
    await p.admin('POST', `/api/v1/numbers/${enc(b(1))}/lock`, { reason: 'porting out' });
    const upstream = await p.db
      .insertInto('jobs')
      .values({ kind: 'test.upstream', created_by_id: 'system', created_by_name: 'system' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await p.db
      .updateTable('numbers')
      .set({ pending_job_id: upstream.id, pending_action: 'push' })
      .where('e164', '=', b(2))
      .execute();
    try {
      await page.goto(`/sites/${site.id}`);
      await page.getByRole('heading', { name: 'Bradford · Telephony' }).waitFor();
      const { numbersTableRows } = await import('./support.js');
      expect(await numbersTableRows(page)).toEqual(all);
      await page
        .locator(`tr[data-number="${b(1)}"]`)
        .getByRole('img', { name: 'Locked: porting out' })
        .waitFor();
      await page
        .locator(`tr[data-number="${b(2)}"]`)
        .getByRole('img', { name: 'Change in progress' })
        .waitFor();
      const until = (await server(b(9))).coolingOffUntil as string;
      expect(until.slice(0, 10)).toBe('2026-04-15');
      expect(await page.locator(`tr[data-number="${b(9)}"]`).textContent()).toContain(
        '15 Apr 2026',
      );
      await expectAccessible(page, 'site telephony with indicators');
      await screenshot(page, 'site-telephony-indicators');

      await page.goto('/');
      const low = page.getByRole('table', { name: 'Sites running low' });
      const row = low.getByRole('row').filter({ hasText: 'Bradford' });
      await row.waitFor();
      expect((await row.textContent())?.replace(/\s+/g, '')).toBe('Bradford010');
      // Numbers by state: the chart's figures are the server's counts.
      const counts: Record<string, number> = {};
      for (const st of ['available', 'coolingOff', 'reserved', 'active', 'assigned']) {
        counts[st] = (
          await p.admin('GET', `/api/v1/numbers?status=${st}&limit=1&total=true`)
        ).json().total;
      }
      await page
        .locator(
          `svg[aria-label^="Numbers by state: Available ${counts.available}, Cooling off ${counts.coolingOff}, Reserved ${counts.reserved}"]`,
        )
        .waitFor();
    } finally {
      await p.db
        .updateTable('numbers')
        .set({ pending_job_id: null, pending_action: null })
        .where('e164', '=', b(2))
        .execute();
    }
  });

  it('upload dialog: the CSV template downloads with the expected column', async () => {
    await page.goto(`/customers/${acme.id}`);
    await page.getByRole('button', { name: 'Upload numbers' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('CSV file', { exact: true }).click();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      dialog.getByRole('button', { name: 'Download template' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('numbers-template.csv');
    const text = fs.readFileSync(await download.path(), 'utf8');
    expect(text.split('\r\n')[0]).toBe('number');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  it('sync differences: reviewed, applied after confirmation; each reported as applied or refused', async () => {
    const delta = await p.customer({
      name: 'Delta Ltd',
      accountName: 'delta-a',
      teamsTenantId: '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
    });
    const service = (
      await p.admin('POST', `/api/v1/customers/${delta.id}/services`, {
        platform: 'teamsOperatorConnect',
      })
    ).json().service;
    await p.admin('POST', `/api/v1/customers/${delta.id}/services/${service.id}/consent`);
    // A finished refresh that found two numbers only on the platform.
    const refresh = await p.db
      .insertInto('jobs')
      .values({
        kind: 'sync.refresh',
        status: 'succeeded',
        created_by_id: 'system',
        created_by_name: 'system',
        started_at: new Date(),
        finished_at: new Date(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const adopt = '+441134979000';
    await p.db
      .insertInto('sync_differences')
      .values(
        [adopt, n(20)].map((e164) => ({
          refresh_job_id: refresh.id,
          service_id: service.id,
          customer_id: delta.id,
          e164,
          kind: 'missingHere' as const,
          details: JSON.stringify({}),
        })),
      )
      .execute();

    await page.getByRole('navigation').getByRole('link', { name: 'Sync differences' }).click();
    await page.locator(`tr[data-difference="${adopt}"]`).getByText('Delta Ltd').waitFor();
    await page
      .locator(`tr[data-difference="${n(20)}"]`)
      .getByText('Only on the platform')
      .waitFor();
    await expectAccessible(page, 'sync differences');
    await screenshot(page, 'sync-differences');
    for (const e of [adopt, n(20)])
      await page.getByRole('checkbox', { name: `Select the difference for ${e}` }).check();
    await page.getByRole('button', { name: 'Apply 2 differences' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('adopts the number into Numbat').first().waitFor();
    await dialog.getByRole('button', { name: 'Apply 2 differences' }).click();
    await dialog.getByText('Partly done').waitFor();
    expect(await dialog.locator(`tr[data-result="${adopt}"]`).textContent()).toContain(
      'adopted into Numbat',
    );
    expect(await dialog.locator(`tr[data-result="${n(20)}"]`).textContent()).toContain(
      'resolve it by hand',
    );
    await expectAccessible(page, 'sync apply results');
    await dialog.getByRole('button', { name: 'Close' }).first().click();
    await dialog.waitFor({ state: 'detached' });

    expect(await server(adopt)).toMatchObject({
      status: 'active',
      holder: { type: 'customer', customerId: delta.id },
      serviceId: service.id,
      source: 'sync',
    });
    expect(await server(n(20))).toMatchObject({ status: 'available', holder: null });
    const diffs = (await p.admin('GET', '/api/v1/sync/differences')).json().items;
    expect(
      Object.fromEntries(diffs.map((d: { e164: string; status: string }) => [d.e164, d.status])),
    ).toEqual({ [adopt]: 'applied', [n(20)]: 'open' });
    // The open tab now lists only the refused one.
    await page.locator(`tr[data-difference="${adopt}"]`).waitFor({ state: 'detached' });
    await page.locator(`tr[data-difference="${n(20)}"][data-status="open"]`).waitFor();

    // The tenant deletes the adopted number on its platform: applying marks it for
    // removal, and the operator approves the removal on the number's page.
    await p.db
      .insertInto('sync_differences')
      .values({
        refresh_job_id: refresh.id,
        service_id: service.id,
        customer_id: delta.id,
        e164: adopt,
        kind: 'tenantDeleted',
        details: JSON.stringify({}),
      })
      .execute();
    await page.reload();
    await page.getByRole('checkbox', { name: `Select the difference for ${adopt}` }).check();
    await page.getByRole('button', { name: 'Apply 1 difference' }).click();
    await dialog.getByRole('button', { name: 'Apply 1 difference' }).click();
    await dialog.locator(`tr[data-result="${adopt}"]`).getByText('marked for removal').waitFor();
    await dialog.getByRole('button', { name: 'Close' }).first().click();
    expect((await server(adopt)).sync.state).toBe('markedForRemoval');

    await page.locator(`tr[data-difference="${n(20)}"]`).waitFor();
    await page.goto(`/numbers/${enc(adopt)}`);
    const card = page.getByTestId('sync-card');
    await card.getByText('Marked for removal (the tenant deleted it)').waitFor();
    await expectAccessible(page, 'number with sync state');
    await card.getByRole('button', { name: 'Approve removal' }).click();
    await page.getByRole('dialog').getByText('The tenant already removed it').waitFor();
    await confirm('Approve removal');
    // Released: it cools off and leaves its service (and with it the sync card).
    await page.getByText('Cooling off', { exact: true }).first().waitFor();
    await card.waitFor({ state: 'detached' });
    expect(await server(adopt)).toMatchObject({ status: 'coolingOff', holder: null });
    const approved = await p.db
      .selectFrom('audit_events')
      .select(['source', 'principal_id'])
      .where('object_id', '=', adopt)
      .where('action', '=', 'number.sync.approveRemoval')
      .execute();
    expect(approved).toEqual([{ source: 'ui', principal_id: `user:${operator.id}` }]);
  });

  it('customers: closing one releases its numbers (they cool off) after confirmation', async () => {
    await p.admin('POST', '/api/v1/numbers/bulk/allocate', {
      numbers: [n(10), n(11)],
      holder: { type: 'customer', customerId: acme.id },
    });
    await page.goto(`/customers/${acme.id}`);
    await page.getByRole('button', { name: 'Close customer' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Close Acme Ltd' }).click();
    // Holding numbers: refused in plain words unless they are released too.
    await dialog.getByRole('alert').getByText('The customer was not closed').waitFor();
    expect((await p.admin('GET', `/api/v1/customers/${acme.id}`)).json().status).toBe('active');
    await dialog.getByRole('checkbox', { name: 'Release all its numbers' }).check();
    await dialog.getByRole('button', { name: 'Close Acme Ltd' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByText('Closed', { exact: true }).first().waitFor();
    await expectAccessible(page, 'closed customer');
    expect((await p.admin('GET', `/api/v1/customers/${acme.id}`)).json().status).toBe('closed');
    for (const e of [n(10), n(11)])
      expect(await server(e)).toMatchObject({ status: 'coolingOff', holder: null });
    expect(await page.getByRole('button', { name: 'Upload numbers' }).count()).toBe(0);
  });
});
