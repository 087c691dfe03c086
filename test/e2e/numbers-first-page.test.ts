/**
 * Issue #6 (the numbers page shows its first page in ≤ 1 s with 1,000,000
 * numbers): opened directly, the page asks for its first page, and the name
 * look-ups, while the session check (/auth/me) is still under way instead of
 * after it; the page then uses those answers (one list request, not two); the
 * total (a count over the whole inventory) is asked for only after the first
 * page has arrived. Signed out, the early request is refused and the page
 * still works after signing in. The timings are in bench/portal.ts.
 */
import type { Page, Request } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { newPage, numbersTableRows, startPortal, type Portal, type PortalUser } from './support.js';

let p: Portal;
let operator: PortalUser;
const n = (i: number) => `+44113497${String(i).padStart(4, '0')}`;

beforeAll(async () => {
  p = await startPortal();
  await p.range({ name: 'Leeds 0113 497', start: n(0), count: 5 });
  operator = await p.addUser({ permissions: ['write'] });
});

/** Every API event of the page, in the order the browser reported them. */
function recordApi(page: Page): string[] {
  const events: string[] = [];
  const name = (r: Request) => {
    const u = new URL(r.url());
    return `${u.pathname}${u.search}`;
  };
  page.on('request', (r) => {
    if (new URL(r.url()).pathname.startsWith('/api/')) events.push(`request ${name(r)}`);
  });
  page.on('requestfinished', (r) => {
    if (new URL(r.url()).pathname.startsWith('/api/')) events.push(`finished ${name(r)}`);
  });
  return events;
}

describe('numbers page: the first page travels with the session check (issue #6)', () => {
  it('opened directly: the list is requested before /auth/me has answered, once, and the total after it', async () => {
    const page = await p.signIn(operator);
    const events = recordApi(page);
    await page.goto('/numbers');
    expect(await numbersTableRows(page)).toEqual([n(0), n(1), n(2), n(3), n(4)]);
    await page.getByTestId('page-range').getByText('1–5 of 5').waitFor();
    await page.waitForLoadState('networkidle');

    const at = (e: string) => events.indexOf(e);
    const list = '/api/v1/numbers?limit=100';
    const total = '/api/v1/numbers?limit=1&total=true';
    expect(at('finished /api/v1/auth/me')).toBeGreaterThanOrEqual(0);
    expect(at(`request ${list}`)).toBeGreaterThanOrEqual(0);
    expect(at(`request ${list}`)).toBeLessThan(at('finished /api/v1/auth/me'));
    expect(at('request /api/v1/customers?limit=1000')).toBeLessThan(at('finished /api/v1/auth/me'));
    // One session check and one list request: the page used the early ones.
    expect(events.filter((e) => e === 'request /api/v1/auth/me')).toHaveLength(1);
    expect(events.filter((e) => e === `request ${list}`)).toHaveLength(1);
    expect(at(`request ${total}`)).toBeGreaterThan(at(`finished ${list}`));
    await page.context().close();
  });

  it('signed out: the early request is refused, the sign-in page shows, and after signing in the numbers do', async () => {
    const page = await newPage(p.browser, p.url);
    const refused: string[] = [];
    page.on('response', (r) => {
      if (r.status() === 401) refused.push(new URL(r.url()).pathname);
    });
    await page.goto('/numbers');
    await page.getByLabel('E-mail address').fill(operator.email);
    expect(refused).toContain('/api/v1/numbers');
    await page.getByRole('textbox', { name: 'Password' }).fill(operator.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    expect(await numbersTableRows(page)).toEqual([n(0), n(1), n(2), n(3), n(4)]);
    await page.context().close();
  });
});
