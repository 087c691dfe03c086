/**
 * POST /numbers/allocate takes its common case in one SQL statement (pick,
 * R-12 check, update, audit): numbers.repository allocateInOneStatement for
 * more than 50 numbers, the group commit's allocateBatchInOneStatement for up
 * to 50 (test/db/allocate-batch.api.test.ts), and falls back to the general
 * path for everything else. These tests pin that
 * both paths leave the same state and the same audit events, and that every
 * rule (R-10..R-13, R-21) still answers as before.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { systemPrincipal } from '../../src/auth/principal.js';
import { allocateInOneStatement } from '../../src/numbers/numbers.repository.js';
import { createTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
let site: { id: string };
const n = (i: number) => `+44207946${String(i).padStart(4, '0')}`;
const enc = encodeURIComponent;

/** A range of `count` numbers from n(start), at the test site. */
const rangeAt = (start: number, count: number) =>
  t.range({ start: n(start), count, siteId: site.id });

const allocate = (body: Record<string, unknown>, headers?: Record<string, string>) =>
  t.admin('POST', '/api/v1/numbers/allocate', body, headers);

async function events(e164: string) {
  return t.db
    .selectFrom('audit_events')
    .select(['action', 'customer_id', 'changes', 'source', 'ticket_id', 'principal_name'])
    .where('object_type', '=', 'number')
    .where('object_id', '=', e164)
    .orderBy('id')
    .execute();
}

async function row(e164: string) {
  return t.db.selectFrom('numbers').selectAll().where('e164', '=', e164).executeTakeFirstOrThrow();
}

beforeAll(async () => {
  t = await createTestApp({ coolingOffDaysByCountry: { GB: 30 } });
  site = await t.site({ country: 'GB' });
});

describe('POST /numbers/allocate in one statement', () => {
  it('leaves the same number and audit event as the single-number action (R-12 active holder)', async () => {
    const c = await t.customer();
    const holder = { type: 'customer', customerId: c.id };
    const a = await rangeAt(0, 3);
    const b = await rangeAt(10, 3);
    const single = await t.admin(
      'POST',
      `/api/v1/numbers/${enc(n(0))}/allocate`,
      { holder },
      {
        'x-ticket-id': 'CHG-1',
      },
    );
    expect(single.statusCode).toBe(200);
    const pool = await allocate({ holder, count: 2, rangeId: b.id }, { 'x-ticket-id': 'CHG-1' });
    expect(pool.statusCode).toBe(200);
    const items = pool.json().items as Record<string, unknown>[];
    expect(items.map((i) => i.e164)).toEqual([n(10), n(11)]);

    const strip = (x: Record<string, unknown>) => {
      const { e164: _e, rangeId: _r, createdAt: _c, updatedAt: _u, ...rest } = x;
      return rest;
    };
    expect(strip(items[0]!)).toEqual(strip(single.json()));
    expect(items[0]).toMatchObject({ status: 'reserved', holder, rangeId: b.id });

    const [viaAction] = await events(n(0));
    const [viaPool] = await events(n(10));
    expect(viaPool).toEqual(viaAction);
    expect(viaPool).toMatchObject({
      action: 'number.allocate',
      customer_id: c.id,
      source: 'api',
      ticket_id: 'CHG-1',
      changes: { status: ['available', 'reserved'], holder: [null, holder] },
    });
    const [before, after] = [await row(n(12)), await row(n(10))];
    expect(before).toMatchObject({ status: 'available', version: 1, customer_id: null });
    expect(after).toMatchObject({ status: 'reserved', version: 2, customer_id: c.id });
    expect(after.acquired_at?.toISOString()).toBe(t.clock.now.toISOString());
    expect(a.id).not.toBe(b.id);
  });

  it('R-10 skips a number still cooling off, takes it once the date passed and audits the cleared date', async () => {
    const c = await t.customer();
    const holder = { type: 'customer', customerId: c.id };
    const r = await rangeAt(20, 2);
    await t.admin('POST', `/api/v1/numbers/${enc(n(20))}/allocate`, { holder });
    const released = await t.admin('POST', `/api/v1/numbers/${enc(n(20))}/release`);
    expect(released.json().coolingOffUntil).toBe('2026-02-14T12:00:00.000Z');

    const first = await allocate({ holder, count: 1, rangeId: r.id });
    expect(first.json().items.map((i: { e164: string }) => i.e164)).toEqual([n(21)]);
    const none = await allocate({ holder, count: 1, rangeId: r.id });
    expect(none.statusCode).toBe(409);
    expect(none.json()).toMatchObject({ code: 'NOT_ENOUGH_NUMBERS', needed: 1, available: 0 });

    const saved = t.clock.now;
    t.clock.now = new Date('2026-02-14T12:00:01Z');
    try {
      const later = await allocate({ holder, count: 1, rangeId: r.id });
      expect(later.statusCode).toBe(200);
      expect(later.json().items[0]).toMatchObject({ e164: n(20), coolingOffUntil: null });
    } finally {
      t.clock.now = saved;
    }
    const last = (await events(n(20))).at(-1)!;
    expect(last.changes).toEqual({
      status: ['available', 'reserved'],
      holder: [null, holder],
      coolingOffUntil: ['2026-02-14T12:00:00.000Z', null],
    });
  });

  it('R-11 and R-13: locked numbers and numbers with a pending operation are never picked', async () => {
    const r = await rangeAt(30, 3);
    await t.admin('POST', `/api/v1/numbers/${enc(n(30))}/lock`, { reason: 'porting' });
    await t.db
      .updateTable('numbers')
      .set({ pending_job_id: '00000000-0000-4000-8000-000000000001', pending_action: 'push' })
      .where('e164', '=', n(31))
      .execute();
    const res = await allocate({ holder: { type: 'operator' }, count: 1, rangeId: r.id });
    expect(res.json().items.map((i: { e164: string }) => i.e164)).toEqual([n(32)]);
    expect(res.json().items[0].holder).toEqual({ type: 'operator' });
    expect((await events(n(32))).at(-1)).toMatchObject({
      customer_id: null,
      changes: { holder: [null, { type: 'operator' }] },
    });
  });

  it('R-12 a suspended customer gets nothing: 409, no number changed, no audit event', async () => {
    const c = await t.customer();
    await t.admin('PATCH', `/api/v1/customers/${c.id}`, { status: 'suspended' });
    const r = await rangeAt(40, 2);
    const res = await allocate({
      holder: { type: 'customer', customerId: c.id },
      count: 2,
      rangeId: r.id,
    });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'HOLDER_NOT_ACTIVE', rule: 'R-12' });
    expect(await row(n(40))).toMatchObject({ status: 'available', version: 1 });
    expect(await events(n(40))).toEqual([]);
  });

  it('too few numbers: NOT_ENOUGH_NUMBERS and nothing changes (all or nothing)', async () => {
    const c = await t.customer();
    const r = await rangeAt(50, 2);
    const res = await allocate({
      holder: { type: 'customer', customerId: c.id },
      count: 3,
      rangeId: r.id,
    });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'NOT_ENOUGH_NUMBERS', needed: 3, available: 2 });
    expect(await row(n(50))).toMatchObject({ status: 'available', customer_id: null });
    expect(await events(n(51))).toEqual([]);
  });

  it('R-21 a nominated main number in the pool goes through the general path: kept main, or refused when the holder has one', async () => {
    const c = await t.customer();
    const holder = { type: 'customer', customerId: c.id };
    const r = await rangeAt(60, 2);
    expect((await t.admin('POST', `/api/v1/numbers/${enc(n(60))}/setMain`)).json().mainNumber).toBe(
      true,
    );
    const ok = await allocate({ holder, count: 2, rangeId: r.id });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().items).toMatchObject([
      { e164: n(60), mainNumber: true, holder },
      { e164: n(61), mainNumber: false, holder },
    ]);

    const r2 = await rangeAt(70, 1);
    await t.admin('POST', `/api/v1/numbers/${enc(n(70))}/setMain`);
    const refused = await allocate({ holder, count: 1, rangeId: r2.id });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'MAIN_NUMBER_EXISTS', rule: 'R-21' });
    expect(await row(n(70))).toMatchObject({ status: 'available', customer_id: null });
  });

  it('site, country and kind filters pick only matching numbers, lowest first', async () => {
    const other = await t.site({ country: 'GB' });
    await t.range({ start: n(90), count: 2, siteId: other.id });
    const c = await t.customer();
    const holder = { type: 'customer', customerId: c.id };
    const res = await allocate({
      holder,
      count: 2,
      siteId: other.id,
      country: 'GB',
      kind: 'fixedLine',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().items.map((i: { e164: string }) => i.e164)).toEqual([n(90), n(91)]);
    const none = await allocate({ holder, count: 1, siteId: other.id, kind: 'mobile' });
    expect(none.json()).toMatchObject({ code: 'NOT_ENOUGH_NUMBERS', available: 0 });
  });

  it('the one statement itself answers the plain case and declines (changing nothing) otherwise', async () => {
    const actor = {
      principal: systemPrincipal,
      source: 'system' as const,
      requestId: null,
      ticketId: null,
    };
    const c = await t.customer();
    const r = await rangeAt(80, 2);
    const f = { count: 1, rangeId: r.id, now: t.clock.now };
    const rows = await allocateInOneStatement(
      t.db,
      actor,
      { type: 'customer', customerId: c.id },
      f,
    );
    expect(rows?.map((x) => [x.e164, x.status, x.customer_id])).toEqual([
      [n(80), 'reserved', c.id],
    ]);
    expect(
      await allocateInOneStatement(t.db, actor, { type: 'operator' }, { ...f, count: 2 }),
    ).toBeNull();
    await t.admin('PATCH', `/api/v1/customers/${c.id}`, { status: 'suspended' });
    expect(
      await allocateInOneStatement(t.db, actor, { type: 'customer', customerId: c.id }, f),
    ).toBeNull();
    expect(await row(n(81))).toMatchObject({ status: 'available', version: 1 });
    expect(await events(n(81))).toEqual([]);
  });
});
