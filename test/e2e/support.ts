/**
 * The portal under test: an in-process Numbat (createTestApp: a cloned test
 * database, factories, a settable clock) listening on a random port, with
 * portal users, and headless Debian Chromium driven by playwright-core.
 */
import axe from 'axe-core';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, expect } from 'vitest';
import { createUsersService } from '../../src/users/users.service.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { launchBrowser, newPage } from './browser.js';

export { launchBrowser, newPage };

export interface PortalUser {
  id: string;
  email: string;
  password: string;
}

export interface Portal extends TestApp {
  url: string;
  browser: Browser;
  addUser: (fields: {
    permissions: ('read' | 'write' | 'delete' | 'admin')[];
    scope?: string;
    name?: string;
  }) => Promise<PortalUser>;
  /** A new browser context (own cookies), signed in through the sign-in page. */
  signIn: (user: PortalUser) => Promise<Page>;
}

let seq = 0;

export async function startPortal(): Promise<Portal> {
  const t = await createTestApp();
  const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  const browser = await launchBrowser();
  afterAll(async () => {
    await browser.close();
  });
  const users = createUsersService({ db: t.db, now: () => t.clock.now });
  const addUser: Portal['addUser'] = async ({ permissions, scope = 'operator', name }) => {
    const email = `user${++seq}.${process.pid}@numbat.test`;
    const password = `password-${seq}-long-enough`;
    const row = await users.create(null, {
      email,
      name: name ?? `User ${seq}`,
      password,
      permissions,
      scope,
    });
    return { id: row.id, email, password };
  };
  const signIn: Portal['signIn'] = async (user) => {
    const page = await newPage(browser, url);
    await page.goto('/');
    await page.getByLabel('E-mail address').fill(user.email);
    await page.getByRole('textbox', { name: 'Password' }).fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    return page;
  };
  return { ...t, url, browser, addUser, signIn };
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** axe-core in the page: no serious or critical violation of WCAG 2.1 A/AA. */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  // Once per document: the portal navigates without reloading, so axe stays loaded.
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(axe.source);
  // A string, not a function: the root tsconfig has no DOM types.
  const violations = await page.evaluate<AxeViolation[]>(`(async () => {
    const r = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      resultTypes: ['violations'],
    });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
    }));
  })()`);
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad, `${what}: ${JSON.stringify(bad, null, 2)}`).toEqual([]);
}

const SHOTS = path.resolve(import.meta.dirname, '..', '..', 'docs', 'screenshots');

/**
 * docs/screenshots/<name>.png, written only with UPDATE_SCREENSHOTS=1 so an
 * ordinary test run leaves the committed images alone.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (!process.env.UPDATE_SCREENSHOTS) return;
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: false });
}

/** Wait until no query is in flight and the table shows `rows` rows. */
export async function numbersTableRows(page: Page): Promise<string[]> {
  await page.locator('[data-testid="numbers-table"][aria-busy="false"]').waitFor();
  return page
    .locator('[data-testid="numbers-table"] tbody tr[data-number]')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-number') ?? ''));
}
