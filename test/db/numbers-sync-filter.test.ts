/**
 * SPEC §9 list filters, platform sync state (§3.3): GET /numbers?syncState=,
 * the CSV export and a bulk selection by filter select the same numbers; the
 * list uses the partial index of 0007 (numbers_sync_state). Sync states are
 * set in SQL: this file is about selecting, not about how states are reached.
 */
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
let c1: { id: string };
let c2: { id: string };
const n = (i: number) => `+44113496${String(i).padStart(4, '0')}`;
type Page = {
  items: { e164: string; sync: { state: string } | null }[];
  nextCursor: string | null;
  total?: number;
};

async function setSync(e164s: string[], state: string | null) {
  await sql`UPDATE numbers SET sync_state = ${state} WHERE e164 = ANY(${e164s})`.execute(t.db);
}

beforeAll(async () => {
  t = await createTestApp();
  const site = await t.site({ country: 'GB' });
  c1 = await t.customer();
  c2 = await t.customer();
  await t.range({ start: n(0), count: 20, siteId: site.id });
  for (const [c, list] of [
    [c1, [n(1), n(2), n(3), n(4), n(5)]],
    [c2, [n(6), n(7)]],
  ] as const) {
    const res = await t.admin('POST', '/api/v1/numbers/bulk/allocate', {
      numbers: list,
      holder: { type: 'customer', customerId: c.id },
    });
    expect(res.json().summary.failed).toBe(0);
  }
  await setSync([n(1), n(2), n(6)], 'markedForRemoval');
  await setSync([n(3)], 'failed');
  await setSync([n(4)], 'active');
});

const list = async (query: string, token?: string) => {
  const res = token
    ? await t.call(token, 'GET', `/api/v1/numbers${query}`)
    : await t.admin('GET', `/api/v1/numbers${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Page>();
};

describe('GET /numbers?syncState= (SPEC §9, §3.3)', () => {
  it('selects the numbers in the given sync state, in e164 order, with the total', async () => {
    const page = await list('?syncState=markedForRemoval&total=true');
    expect(page.items.map((i) => [i.e164, i.sync?.state])).toEqual([
      [n(1), 'markedForRemoval'],
      [n(2), 'markedForRemoval'],
      [n(6), 'markedForRemoval'],
    ]);
    expect(page.total).toBe(3);
  });

  it('takes several states, comma-separated, and combines with the other filters', async () => {
    const both = await list('?syncState=failed,markedForRemoval');
    expect(both.items.map((i) => i.e164)).toEqual([n(1), n(2), n(3), n(6)]);
    const ofC1 = await list(`?syncState=failed,markedForRemoval&customerId=${c1.id}`);
    expect(ofC1.items.map((i) => i.e164)).toEqual([n(1), n(2), n(3)]);
    // Unsynced numbers (sync state null) never match a sync-state filter.
    const none = await list('?syncState=pendingFirstSync');
    expect(none.items).toEqual([]);
  });

  it('keyset pages through a sync state', async () => {
    const first = await list('?syncState=markedForRemoval&limit=2');
    expect(first.items.map((i) => i.e164)).toEqual([n(1), n(2)]);
    expect(first.nextCursor).toBeTruthy();
    const second = await list(`?syncState=markedForRemoval&limit=2&cursor=${first.nextCursor}`);
    expect(second.items.map((i) => i.e164)).toEqual([n(6)]);
  });

  it('refuses an unknown sync state with VALIDATION_FAILED naming the field', async () => {
    const res = await t.admin('GET', '/api/v1/numbers?syncState=active,deleted');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'syncState' }],
    });
  });

  it("a customer-scoped caller sees only its own customer's numbers in a sync state (R-1)", async () => {
    const token = await t.token(['read'], `customer:${c2.id}`);
    const page = await list('?syncState=markedForRemoval', token);
    expect(page.items.map((i) => i.e164)).toEqual([n(6)]);
  });

  it('uses the partial index numbers_sync_state (0007)', async () => {
    await sql`ANALYZE numbers`.execute(t.db);
    const plan = await t.db.transaction().execute(async (trx) => {
      await sql`SET LOCAL enable_seqscan = off`.execute(trx);
      const r = await sql<{ 'QUERY PLAN': string }>`
        EXPLAIN SELECT * FROM numbers WHERE sync_state IN ('markedForRemoval') ORDER BY e164 LIMIT 101`.execute(
        trx,
      );
      return r.rows.map((x) => x['QUERY PLAN']).join('\n');
    });
    expect(plan).toContain('numbers_sync_state');
  });
});

describe('the export and bulk-by-filter share the sync-state filter', () => {
  it('GET /exports/numbers.csv?syncState= exports exactly the listed numbers', async () => {
    const res = await t.admin('GET', '/api/v1/exports/numbers.csv?syncState=markedForRemoval');
    expect(res.statusCode, res.body).toBe(200);
    for (const e of [n(1), n(2), n(6)]) expect(res.body).toContain(e);
    for (const e of [n(3), n(4), n(5), n(7)]) expect(res.body).not.toContain(e);
    const bad = await t.admin('GET', '/api/v1/exports/numbers.csv?syncState=gone');
    expect(bad.statusCode).toBe(400);
  });

  it('POST /numbers/bulk/{action} accepts filter.syncState and stores it on the job', async () => {
    const res = await t.admin('POST', '/api/v1/numbers/bulk/lock', {
      filter: { syncState: ['failed'] },
      reason: 'sync failed: check',
    });
    expect(res.statusCode, res.body).toBe(202);
    const job = await t.db
      .selectFrom('jobs')
      .select('params')
      .where('id', '=', res.json<{ id: string }>().id)
      .executeTakeFirstOrThrow();
    expect(job.params).toMatchObject({ filter: { syncState: ['failed'] } });
    const bad = await t.admin('POST', '/api/v1/numbers/bulk/lock', {
      filter: { syncState: ['gone'] },
      reason: 'x',
    });
    expect(bad.statusCode).toBe(400);
  });
});
