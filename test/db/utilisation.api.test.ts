/** Issue 6: utilisation over time — daily snapshots (job and on demand) and the history API. */
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { createWorker } from '../../src/jobs/worker.js';
import {
  ensureSnapshotScheduled,
  UTILISATION_SNAPSHOT_JOB,
  utilisationSnapshotHandler,
} from '../../src/utilisation/utilisation.job.js';
import { createTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
let leeds: { id: string };
let york: { id: string };
let range: { id: string };
let acme: { id: string };
let bravo: { id: string };
let acmeToken: string;
const n = (i: number) => `+44113496${String(i).padStart(4, '0')}`;
const enc = encodeURIComponent;

const history = (q: string, token = t.adminToken) =>
  t.call(token, 'GET', `/api/v1/utilisation/history?${q}`);

beforeAll(async () => {
  t = await createTestApp();
  leeds = await t.site({ name: 'Leeds' });
  york = await t.site({ name: 'York' });
  range = await t.range({ name: 'Leeds 496', start: n(0), count: 20, siteId: leeds.id });
  acme = await t.customer({ name: 'Acme' });
  bravo = await t.customer({ name: 'Bravo' });
  acmeToken = await t.token(['read', 'write'], `customer:${acme.id}`);
  await t.admin('POST', '/api/v1/numbers/bulk/allocate', {
    numbers: [n(0), n(1), n(2)],
    holder: { type: 'customer', customerId: acme.id },
  });
  await t.admin('POST', '/api/v1/numbers/bulk/activate', { numbers: [n(0), n(1)] });
  await t.admin('POST', '/api/v1/numbers/bulk/allocate', {
    numbers: [n(3)],
    holder: { type: 'customer', customerId: bravo.id },
  });
});

describe('utilisation snapshots and history', () => {
  it('a snapshot counts every site and range by state; the history returns it', async () => {
    const res = await t.admin('POST', '/api/v1/utilisation/snapshots');
    expect(res.statusCode).toBe(201);
    // leeds, york, the range; acme and bravo at leeds and in the range.
    expect(res.json()).toEqual({ day: '2026-01-15', rows: 7 });

    const site = await history(`siteId=${leeds.id}&from=2026-01-01&to=2026-01-31`);
    expect(site.statusCode).toBe(200);
    expect(site.json()).toEqual({
      scope: { type: 'site', id: leeds.id, name: 'Leeds' },
      customerId: null,
      from: '2026-01-01',
      to: '2026-01-31',
      items: [
        {
          day: '2026-01-15',
          total: 20,
          available: 16,
          coolingOff: 0,
          reserved: 2,
          active: 2,
          assigned: 0,
        },
      ],
    });
    const r = (await history(`rangeId=${range.id}&from=2026-01-15&to=2026-01-15`)).json();
    expect(r.scope).toEqual({ type: 'range', id: range.id, name: 'Leeds 496' });
    expect(r.items).toHaveLength(1);
    expect(r.items[0]).toMatchObject({ total: 20, available: 16 });
    // A site without numbers still has its (empty) day.
    const empty = (await history(`siteId=${york.id}&from=2026-01-15&to=2026-01-15`)).json();
    expect(empty.items).toEqual([
      {
        day: '2026-01-15',
        total: 0,
        available: 0,
        coolingOff: 0,
        reserved: 0,
        active: 0,
        assigned: 0,
      },
    ]);
    const audit = await t.db
      .selectFrom('audit_events')
      .select(['object_id', 'principal_id'])
      .where('action', '=', 'utilisation.snapshot')
      .execute();
    expect(audit).toEqual([{ object_id: '2026-01-15', principal_id: expect.any(String) }]);
  });

  it('again on the same day replaces the day (one row per scope); a later day adds one', async () => {
    await t.admin('POST', `/api/v1/numbers/${enc(n(2))}/deallocate`);
    await t.admin('POST', `/api/v1/numbers/${enc(n(0))}/release`, {});
    await t.admin('POST', '/api/v1/utilisation/snapshots');
    let items = (await history(`siteId=${leeds.id}&from=2026-01-01&to=2026-01-31`)).json().items;
    expect(items).toEqual([
      {
        day: '2026-01-15',
        total: 20,
        available: 17,
        coolingOff: 1,
        reserved: 1,
        active: 1,
        assigned: 0,
      },
    ]);
    const rows = await t.db
      .selectFrom('utilisation_snapshots')
      .select(({ fn }) => fn.countAll<string>().as('c'))
      .where('scope_id', '=', leeds.id)
      .executeTakeFirstOrThrow();
    // The whole site, acme's and bravo's holdings: one row each, not two.
    expect(Number(rows.c)).toBe(3);

    t.clock.now = new Date('2026-01-16T09:00:00Z');
    try {
      await t.admin('POST', '/api/v1/utilisation/snapshots');
      items = (await history(`siteId=${leeds.id}&to=2026-01-16`)).json().items;
      expect(items.map((i: { day: string }) => i.day)).toEqual(['2026-01-15', '2026-01-16']);
      // The window: only days between from and to.
      items = (await history(`siteId=${leeds.id}&from=2026-01-16&to=2026-01-20`)).json().items;
      expect(items.map((i: { day: string }) => i.day)).toEqual(['2026-01-16']);
      // days instead of from, up to the server's today.
      const last = (await history(`siteId=${leeds.id}&days=1`)).json();
      expect(last).toMatchObject({ from: '2026-01-16', to: '2026-01-16' });
      expect(last.items.map((i: { day: string }) => i.day)).toEqual(['2026-01-16']);
    } finally {
      t.clock.now = new Date('2026-01-15T12:00:00Z');
    }
  });

  it("a customer admin sees only its own holdings at a site, and no range's history", async () => {
    const own = await history(`siteId=${leeds.id}&from=2026-01-15&to=2026-01-15`, acmeToken);
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({
      customerId: acme.id,
      items: [{ day: '2026-01-15', total: 1, reserved: 0, active: 1, available: 0 }],
    });
    expect((await history(`rangeId=${range.id}`, acmeToken)).statusCode).toBe(404);
    // A site where it holds nothing: an empty history, never the site's whole numbers.
    const york2 = await history(`siteId=${york.id}&from=2026-01-15&to=2026-01-15`, acmeToken);
    expect(york2.json().items).toEqual([]);
    expect((await t.call(acmeToken, 'POST', '/api/v1/utilisation/snapshots')).statusCode).toBe(403);
  });

  it('refuses unclear questions with a clear error', async () => {
    const cases: [string, number, string][] = [
      ['', 400, 'exactly one of siteId and rangeId'],
      [`siteId=${leeds.id}&rangeId=${range.id}`, 400, 'exactly one of siteId and rangeId'],
      [`siteId=${leeds.id}&from=2026-02-30`, 400, 'calendar day'],
      [`siteId=${leeds.id}&from=2026-01-20&to=2026-01-10`, 400, 'from is after to'],
      [`siteId=${leeds.id}&from=2020-01-01&to=2026-01-10`, 400, 'days per request'],
      [`siteId=${leeds.id}&from=2026-01-01&days=3`, 400, 'from or days, not both'],
      [`siteId=00000000-0000-4000-8000-000000000000`, 404, 'not found'],
    ];
    for (const [q, status, detail] of cases) {
      const res = await history(q);
      expect(res.statusCode, q).toBe(status);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().detail, q).toContain(detail);
    }
  });

  it('the recurring job: queued once at worker start, takes the day, then queues the next run', async () => {
    await t.db.deleteFrom('utilisation_snapshots').execute();
    const now = () => t.clock.now;
    const worker = createWorker({
      db: t.db,
      handlers: { [UTILISATION_SNAPSHOT_JOB]: utilisationSnapshotHandler({ db: t.db, now }) },
    });
    // Two workers starting at once queue one job between them.
    const [a, b] = await Promise.all([
      ensureSnapshotScheduled(t.db, now),
      ensureSnapshotScheduled(t.db, now),
    ]);
    expect([a.scheduled, b.scheduled].sort()).toEqual([false, true]);
    expect(await worker.drain()).toBe(1);
    const items = (await history(`siteId=${leeds.id}&from=2026-01-15&to=2026-01-15`)).json().items;
    expect(items).toHaveLength(1);
    expect(items[0].total).toBe(20);

    const jobs = await t.db
      .selectFrom('jobs')
      .select(['status', 'source', sql<boolean>`run_after > now()`.as('later')])
      .where('kind', '=', UTILISATION_SNAPSHOT_JOB)
      .orderBy('created_at')
      .execute();
    expect(jobs).toEqual([
      { status: 'succeeded', source: 'system', later: false },
      { status: 'queued', source: 'system', later: true },
    ]);
    // Today is taken and the next run is queued: starting again adds nothing, runs nothing.
    expect((await ensureSnapshotScheduled(t.db, now)).scheduled).toBe(false);
    expect(await worker.drain()).toBe(0);
  });
});
