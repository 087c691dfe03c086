/**
 * Issue #7 item 4: concurrent POST /numbers/allocate requests with the same
 * pool filter share ONE statement (group commit: src/numbers/
 * allocation-batcher.ts, numbers.repository allocateBatchInOneStatement).
 * Each request keeps its own outcome and its own audit events; a refused
 * request (R-12, too few numbers, an unusual number) changes nothing and
 * takes the general path alone; no number is ever given twice.
 */
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/actor.js';
import { systemPrincipal } from '../../src/auth/principal.js';
import { createDb, createPool } from '../../src/db/pool.js';
import { createAllocationBatcher } from '../../src/numbers/allocation-batcher.js';
import { allocateBatchInOneStatement } from '../../src/numbers/numbers.repository.js';
import { createTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
let base: string;
let site: { id: string };
/** Manchester drama range (Ofcom: 0161 496 0000–0999). */
const n = (i: number) => `+44161496${String(i).padStart(4, '0')}`;
const enc = encodeURIComponent;

const actor = (ticketId: string): Actor => ({
  principal: systemPrincipal,
  source: 'system',
  requestId: `req-${ticketId}`,
  ticketId,
});

async function http(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${t.adminToken}`,
      'content-type': 'application/json',
      ...headers,
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function allocateEvents(e164s: readonly string[]) {
  return t.db
    .selectFrom('audit_events')
    .select(['object_id', 'customer_id', 'changes', 'ticket_id', 'request_id', 'source'])
    .where('action', '=', 'number.allocate')
    .where('object_id', 'in', [...e164s])
    .orderBy('id')
    .execute();
}

beforeAll(async () => {
  t = await createTestApp();
  base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  site = await t.site({ country: 'GB' });
});

describe('allocateBatchInOneStatement (R-10..R-13 group commit)', () => {
  it('hands out numbers in request order, each request all or nothing with its own holder and audit (R-12 refusal, too few left)', async () => {
    const r = await t.range({ start: n(0), count: 6, siteId: site.id });
    const [c1, c2, c3] = [await t.customer(), await t.customer(), await t.customer()];
    await t.admin('PATCH', `/api/v1/customers/${c2.id}`, { status: 'suspended' });
    const cust = (id: string) => ({ type: 'customer' as const, customerId: id });
    const slots = await allocateBatchInOneStatement(
      t.db,
      [
        { actor: actor('T0'), holder: cust(c1.id), count: 1 },
        { actor: actor('T1'), holder: cust(c2.id), count: 1 }, // suspended
        { actor: actor('T2'), holder: cust(c1.id), count: 2 },
        { actor: actor('T3'), holder: { type: 'operator' }, count: 1 },
        { actor: actor('T4'), holder: cust(c3.id), count: 3 }, // only 2 left
        { actor: actor('T5'), holder: cust(c3.id), count: 1 }, // after T4's share: declined
      ],
      { rangeId: r.id, now: t.clock.now },
    );
    expect(slots.map((s) => s?.map((x) => [x.e164, x.holder_type, x.customer_id]) ?? null)).toEqual(
      [
        [[n(0), 'customer', c1.id]],
        null,
        [
          [n(1), 'customer', c1.id],
          [n(2), 'customer', c1.id],
        ],
        [[n(3), 'operator', null]],
        null,
        null,
      ],
    );
    expect(slots[0]![0]).toMatchObject({ status: 'reserved', version: 2 });
    // Declined requests changed nothing.
    const rest = await t.db
      .selectFrom('numbers')
      .select(['e164', 'status', 'version'])
      .where('e164', 'in', [n(4), n(5)])
      .orderBy('e164')
      .execute();
    expect(rest).toEqual([
      { e164: n(4), status: 'available', version: 1 },
      { e164: n(5), status: 'available', version: 1 },
    ]);
    // One event per number, with its own request's actor and holder.
    const ev = await allocateEvents([n(0), n(1), n(2), n(3), n(4), n(5)]);
    expect(ev.map((e) => [e.object_id, e.ticket_id, e.request_id, e.customer_id])).toEqual([
      [n(0), 'T0', 'req-T0', c1.id],
      [n(1), 'T2', 'req-T2', c1.id],
      [n(2), 'T2', 'req-T2', c1.id],
      [n(3), 'T3', 'req-T3', null],
    ]);
    expect(ev[3]!.changes).toEqual({
      status: ['available', 'reserved'],
      holder: [null, { type: 'operator' }],
    });
    // All in one transaction.
    const xmins = await sql<{ n: number }>`
      SELECT count(DISTINCT xmin::text)::int AS n FROM numbers
      WHERE e164 IN (${n(0)}, ${n(1)}, ${n(2)}, ${n(3)})`.execute(t.db);
    expect(xmins.rows[0]!.n).toBe(1);
  });

  it('R-21 a request whose share holds a nominated main number is declined; the next one is served', async () => {
    const r = await t.range({ start: n(10), count: 3, siteId: site.id });
    expect((await t.admin('POST', `/api/v1/numbers/${enc(n(10))}/setMain`)).statusCode).toBe(200);
    const slots = await allocateBatchInOneStatement(
      t.db,
      [
        { actor: actor('M0'), holder: { type: 'operator' }, count: 1 },
        { actor: actor('M1'), holder: { type: 'operator' }, count: 1 },
      ],
      { rangeId: r.id, now: t.clock.now },
    );
    expect(slots.map((s) => s?.map((x) => x.e164) ?? null)).toEqual([null, [n(11)]]);
    expect(await allocateEvents([n(10)])).toEqual([]);
  });
});

describe('the allocation batcher (leader/follower)', () => {
  it('sends a request to an idle lane at once, alone, and coalesces those arriving meanwhile into the next statement', async () => {
    const r = await t.range({ start: n(20), count: 12, siteId: site.id });
    const c = await t.customer();
    const batcher = createAllocationBatcher(t.db, () => t.clock.now);
    const holder = { type: 'customer' as const, customerId: c.id };
    // Ten requests in one tick: the first finds the lane idle, the other nine
    // wait for its statement and then share one.
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        batcher.allocate(
          { actor: actor(`B${i}`), holder, count: i === 3 ? 2 : 1 },
          { rangeId: r.id },
        ),
      ),
    );
    const e164s = results.map((x) => x!.map((row) => row.e164));
    expect(e164s.flat()).toEqual(Array.from({ length: 11 }, (_, i) => n(20 + i)));
    expect(e164s[3]).toEqual([n(23), n(24)]);
    const tx = await sql<{ xmin: string; n: number }>`
      SELECT xmin::text AS xmin, count(*)::int AS n FROM numbers
      WHERE e164 IN (${sql.join(e164s.flat())}) GROUP BY xmin ORDER BY n`.execute(t.db);
    expect(tx.rows.map((x) => x.n)).toEqual([1, 10]);
    // Each request's events carry its own actor.
    const ev = await allocateEvents([n(23), n(24), n(29)]);
    expect(ev.map((e) => [e.object_id, e.ticket_id])).toEqual([
      [n(23), 'B3'],
      [n(24), 'B3'],
      [n(29), 'B8'],
    ]);
  });

  it('a failing statement answers null to every request of its batch (each then takes the general path alone)', async () => {
    const batcher = createAllocationBatcher(t.db, () => t.clock.now);
    const results = await Promise.all(
      Array.from({ length: 3 }, (_, i) =>
        batcher.allocate(
          { actor: actor(`F${i}`), holder: { type: 'operator' }, count: 1 },
          { siteId: 'not-a-uuid' },
        ),
      ),
    );
    expect(results).toEqual([null, null, null]);
  });

  it('a statement whose outcome is unknown (no answer from the server) fails its requests, never retried', async () => {
    const pool = createPool(t.url, 1);
    const db = createDb(pool);
    await pool.end();
    const batcher = createAllocationBatcher(db, () => t.clock.now);
    const results = await Promise.allSettled(
      Array.from({ length: 2 }, (_, i) =>
        batcher.allocate({ actor: actor(`U${i}`), holder: { type: 'operator' }, count: 1 }, {}),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});

describe('50 concurrent POST /numbers/allocate over HTTP (group commit)', () => {
  it('mixed holders, criteria and counts, a pool running dry: own answers, no doubles, one event per number', async () => {
    const siteB = await t.site({ country: 'GB' });
    const rangeA = await t.range({ start: n(100), count: 40, siteId: site.id });
    await t.range({ start: n(200), count: 25, siteId: siteB.id });
    const active = await Promise.all(Array.from({ length: 8 }, () => t.customer()));
    const suspended = await Promise.all(Array.from({ length: 2 }, () => t.customer()));
    for (const c of suspended)
      await t.admin('PATCH', `/api/v1/customers/${c.id}`, { status: 'suspended' });

    // 50 requests: 25 on range A (20 active asking for 1 or 2: 30 of 40
    // numbers), 25 on site B + kind (20 active asking for 1 or 3: 32 of 25),
    // 10 of them (5 on each) for a suspended customer.
    type Req = {
      body: Record<string, unknown>;
      holderId: string;
      pool: 'A' | 'B';
      refused: boolean;
    };
    const reqs: Req[] = Array.from({ length: 50 }, (_, i) => {
      const inA = i % 2 === 0;
      const refused = i % 5 === 4;
      const c = refused ? suspended[i % 2]! : active[i % 8]!;
      const count = inA ? (i % 4 === 0 ? 2 : 1) : i % 3 === 0 ? 3 : 1;
      return {
        body: {
          holder: { type: 'customer', customerId: c.id },
          count,
          ...(inA ? { rangeId: rangeA.id } : { siteId: siteB.id, kind: 'fixedLine' }),
        },
        holderId: c.id,
        pool: inA ? 'A' : 'B',
        refused,
      };
    });
    const answers = await Promise.all(reqs.map((r) => http('/api/v1/numbers/allocate', r.body)));

    const got: { e164: string; holderId: string; pool: string }[] = [];
    const unexpected: string[] = [];
    let emptyB = 0;
    answers.forEach((a, i) => {
      const r = reqs[i]!;
      if (r.refused) {
        // unless site B had already run dry: the general path checks
        // availability first (as before the group commit).
        const dry = r.pool === 'B' && a.body.code === 'NOT_ENOUGH_NUMBERS';
        if (
          a.status !== 409 ||
          !(dry || (a.body.code === 'HOLDER_NOT_ACTIVE' && a.body.rule === 'R-12'))
        )
          unexpected.push(`${i}: ${a.status} ${JSON.stringify(a.body)}`);
      } else if (a.status === 200) {
        const items = a.body.items as { e164: string; holder: { customerId: string } }[];
        if (items.length !== r.body.count) unexpected.push(`${i}: ${items.length} items`);
        for (const it of items) {
          if (it.holder.customerId !== r.holderId) unexpected.push(`${i}: wrong holder`);
          got.push({ e164: it.e164, holderId: r.holderId, pool: r.pool });
        }
      } else if (r.pool === 'B' && a.status === 409 && a.body.code === 'NOT_ENOUGH_NUMBERS') {
        emptyB++;
      } else unexpected.push(`${i}: ${a.status} ${JSON.stringify(a.body)}`);
    });
    expect(unexpected).toEqual([]);
    // Range A had enough for every active request; site B ran dry.
    const wantedA = reqs
      .filter((r) => r.pool === 'A' && !r.refused)
      .reduce((s, r) => s + (r.body.count as number), 0);
    expect(got.filter((g) => g.pool === 'A')).toHaveLength(wantedA);
    expect(emptyB).toBeGreaterThan(0);
    const fromB = got.filter((g) => g.pool === 'B');
    expect(fromB.every((g) => g.e164 >= n(200) && g.e164 <= n(224))).toBe(true);

    // No number given twice; the stored holder is the one answered.
    expect(new Set(got.map((g) => g.e164)).size).toBe(got.length);
    const rows = await t.db
      .selectFrom('numbers')
      .select(['e164', 'status', 'customer_id'])
      .where(
        'e164',
        'in',
        got.map((g) => g.e164),
      )
      .execute();
    const byE164 = new Map(rows.map((r) => [r.e164, r]));
    for (const g of got)
      expect(byE164.get(g.e164)).toMatchObject({ status: 'reserved', customer_id: g.holderId });
    // Site B: what was not handed out is still available (nothing lost, nothing half-done).
    const leftB = await t.db
      .selectFrom('numbers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('site_id', '=', siteB.id)
      .where('status', '=', 'available')
      .executeTakeFirstOrThrow();
    expect(Number(leftB.n) + fromB.length).toBe(25);

    // History: exactly one allocate event per allocated number, for its holder;
    // none for numbers nobody got.
    const ev = await sql<{ object_id: string; customer_id: string; n: number }>`
      SELECT object_id, min(customer_id::text) AS customer_id, count(*)::int AS n
      FROM audit_events
      WHERE action = 'number.allocate' AND object_type = 'number'
        AND object_id BETWEEN ${n(100)} AND ${n(224)}
      GROUP BY object_id`.execute(t.db);
    expect(ev.rows.length).toBe(got.length);
    for (const e of ev.rows) {
      expect(e.n).toBe(1);
      expect(e.customer_id).toBe(got.find((g) => g.e164 === e.object_id)!.holderId);
    }
  });

  it('SPEC §9 batched requests keep their Idempotency-Key: a replay answers the same numbers, no second effect', async () => {
    const r = await t.range({ start: n(300), count: 20, siteId: site.id });
    const c = await t.customer();
    const body = { holder: { type: 'customer', customerId: c.id }, count: 1, rangeId: r.id };
    const first = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        http('/api/v1/numbers/allocate', body, { 'idempotency-key': `k-${i}` }),
      ),
    );
    const again = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        http('/api/v1/numbers/allocate', body, { 'idempotency-key': `k-${i}` }),
      ),
    );
    expect(first.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(again.map((a) => a.body)).toEqual(first.map((a) => a.body));
    const e164s = first.map((a) => (a.body.items as { e164: string }[])[0]!.e164);
    expect(new Set(e164s).size).toBe(10);
    expect(await allocateEvents(e164s)).toHaveLength(10);
    const held = await t.db
      .selectFrom('numbers')
      .select('e164')
      .where('customer_id', '=', c.id)
      .execute();
    expect(held).toHaveLength(10);
  });
});
