/**
 * Issue 7 reliability, over real HTTP on loopback (app.listen on port 0, many
 * sockets at once — not app.inject, which would serialise nothing):
 * - 50 concurrent allocators churning one small pool; afterwards the audit
 *   history of every number is walked: no number was ever held by two
 *   holders, every change starts from the state the previous one left (no
 *   lost update), and the counts add up;
 * - 50 concurrent replays of one Idempotency-Key: one effect, 50 identical
 *   answers; the same key with another body is 422 (SPEC §9);
 * - two PATCHes with one ETag at once: one 200, one 412 (SPEC §9 If-Match).
 */
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
let base: string;
let site: { id: string };
/** Bristol drama range (Ofcom: 0117 496 0000–0999). */
const n = (i: number) => `+44117496${String(i).padStart(4, '0')}`;

interface HttpAnswer {
  status: number;
  body: string;
  headers: Headers;
}

/**
 * One request over a real socket. A 429 (rate limit, refused before any side
 * effect) is retried after Retry-After, as a well-behaved client would, so the
 * test measures correctness, not the limiter's configuration.
 */
async function http(
  token: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (res.status === 429 && attempt < 20) {
      const wait = Number(res.headers.get('retry-after') ?? '1');
      await new Promise((r) => setTimeout(r, Math.min(5, Math.max(wait, 0.05)) * 1000));
      continue;
    }
    return { status: res.status, body: text, headers: res.headers };
  }
}

beforeAll(async () => {
  t = await createTestApp();
  base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  site = await t.site({ country: 'GB' });
});

type Holder = { type: string; customerId?: string } | null;
const holderKey = (h: Holder) =>
  h === null ? 'none' : h.type === 'operator' ? 'op' : h.customerId!;

describe('50 concurrent allocators over HTTP', () => {
  it('never give one number to two holders; every change follows the last; counts add up', async () => {
    const POOL = 60;
    const CLIENTS = 50;
    const ROUNDS = 4;
    const range = await t.range({ start: n(0), count: POOL, siteId: site.id });
    const customers = await Promise.all(Array.from({ length: CLIENTS }, () => t.customer()));
    // One token per allocator: 50 principals, as 50 integrations would be.
    const tokens = await Promise.all(
      Array.from({ length: CLIENTS }, () => t.token(['read', 'write'])),
    );

    const allocated = new Map<string, number>(); // customer id → successful allocations
    const deallocated = new Map<string, number>();
    const unexpected: string[] = [];
    let refusedEmpty = 0;

    // Each client: allocate 2 from the pool, hand one back, repeat. 50 × 2
    // wanted against 60 numbers: the pool runs dry and numbers change hands.
    await Promise.all(
      customers.map(async (c, i) => {
        const token = tokens[i]!;
        for (let r = 0; r < ROUNDS; r++) {
          const res = await http(token, 'POST', '/api/v1/numbers/allocate', {
            holder: { type: 'customer', customerId: c.id },
            count: 2,
            rangeId: range.id,
          });
          if (res.status === 409 && JSON.parse(res.body).code === 'NOT_ENOUGH_NUMBERS') {
            refusedEmpty++;
            continue;
          }
          if (res.status !== 200) {
            unexpected.push(`allocate ${res.status} ${res.body}`);
            continue;
          }
          const items = JSON.parse(res.body).items as { e164: string; holder: Holder }[];
          expect(items).toHaveLength(2);
          for (const it of items) expect(holderKey(it.holder)).toBe(c.id);
          allocated.set(c.id, (allocated.get(c.id) ?? 0) + items.length);
          const back = items[r % 2]!.e164;
          const d = await http(
            token,
            'POST',
            `/api/v1/numbers/${encodeURIComponent(back)}/deallocate`,
          );
          if (d.status !== 200) unexpected.push(`deallocate ${d.status} ${d.body}`);
          else deallocated.set(c.id, (deallocated.get(c.id) ?? 0) + 1);
        }
      }),
    );
    expect(unexpected).toEqual([]);
    const totalAllocated = [...allocated.values()].reduce((a, b) => a + b, 0);
    const totalDeallocated = [...deallocated.values()].reduce((a, b) => a + b, 0);
    // The test only proves something if the pool really was contended.
    expect(totalAllocated).toBeGreaterThan(POOL);
    expect(refusedEmpty + totalAllocated / 2).toBe(CLIENTS * ROUNDS);

    // Walk every number's audit history in order.
    const events = await sql<{
      object_id: string;
      action: string;
      changes: { status?: [string, string]; holder?: [Holder, Holder] };
    }>`
      SELECT object_id, action, changes FROM audit_events
      WHERE object_type = 'number' AND object_id BETWEEN ${n(0)} AND ${n(POOL - 1)}
        AND action IN ('number.allocate', 'number.deallocate')
      ORDER BY id`.execute(t.db);
    const holderNow = new Map<string, Holder>();
    const violations: string[] = [];
    const allocEvents = new Map<string, number>();
    const deallocEvents = new Map<string, number>();
    for (const e of events.rows) {
      const [before, after] = e.changes.holder ?? [undefined, undefined];
      const prev = holderNow.get(e.object_id) ?? null;
      if (before === undefined) {
        violations.push(`${e.object_id}: ${e.action} without a holder change`);
        continue;
      }
      // Every change starts from the state the previous change left.
      if (holderKey(before) !== holderKey(prev))
        violations.push(
          `${e.object_id}: ${e.action} from ${holderKey(before)}, was ${holderKey(prev)}`,
        );
      if (e.action === 'number.allocate') {
        // No allocate without a deallocate in between: never two holders.
        if (prev !== null)
          violations.push(`${e.object_id}: allocated while held by ${holderKey(prev)}`);
        allocEvents.set(holderKey(after), (allocEvents.get(holderKey(after)) ?? 0) + 1);
      } else {
        deallocEvents.set(holderKey(before), (deallocEvents.get(holderKey(before)) ?? 0) + 1);
      }
      holderNow.set(e.object_id, after);
    }
    expect(violations).toEqual([]);
    // The same rule as one SQL query: no allocate directly after an allocate.
    const doubled = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM (
        SELECT action, lag(action) OVER (PARTITION BY object_id ORDER BY id) AS prev
        FROM audit_events
        WHERE object_type = 'number' AND object_id BETWEEN ${n(0)} AND ${n(POOL - 1)}
          AND action IN ('number.allocate', 'number.deallocate')) e
      WHERE action = 'number.allocate' AND prev = 'number.allocate'`.execute(t.db);
    expect(doubled.rows[0]!.n).toBe(0);
    expect(events.rows.length).toBe(totalAllocated + totalDeallocated);
    for (const c of customers) {
      expect(allocEvents.get(c.id) ?? 0).toBe(allocated.get(c.id) ?? 0);
      expect(deallocEvents.get(c.id) ?? 0).toBe(deallocated.get(c.id) ?? 0);
    }

    // The stored state agrees with the end of each history and with the counts.
    const rows = await t.db
      .selectFrom('numbers')
      .select(['e164', 'status', 'customer_id'])
      .where('range_id', '=', range.id)
      .execute();
    expect(rows).toHaveLength(POOL);
    for (const row of rows) {
      expect(row.customer_id ?? 'none').toBe(holderKey(holderNow.get(row.e164) ?? null));
      expect(row.status).toBe(row.customer_id ? 'reserved' : 'available');
    }
    for (const c of customers) {
      const held = rows.filter((r) => r.customer_id === c.id).length;
      expect(held).toBe((allocated.get(c.id) ?? 0) - (deallocated.get(c.id) ?? 0));
    }
  });
});

describe('50 concurrent replays of one Idempotency-Key', () => {
  it('have one effect and 50 identical answers; the key with another body is 422', async () => {
    const range = await t.range({ start: n(200), count: 10, siteId: site.id });
    const c = await t.customer();
    const body = { holder: { type: 'customer', customerId: c.id }, count: 3, rangeId: range.id };
    const key = `alloc-${Date.now()}`;
    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        http(t.adminToken, 'POST', '/api/v1/numbers/allocate', body, { 'idempotency-key': key }),
      ),
    );
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([200]));
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
    const replayed = answers.filter((a) => a.headers.get('idempotent-replayed') === 'true');
    expect(replayed).toHaveLength(49);
    const items = JSON.parse(answers[0]!.body).items as { e164: string }[];
    expect(items.map((i) => i.e164)).toEqual([n(200), n(201), n(202)]);

    // One effect: three numbers held, three audit events, nothing else moved.
    const held = await t.db
      .selectFrom('numbers')
      .select('e164')
      .where('range_id', '=', range.id)
      .where('customer_id', '=', c.id)
      .execute();
    expect(held).toHaveLength(3);
    const events = await t.db
      .selectFrom('audit_events')
      .select('object_id')
      .where('action', '=', 'number.allocate')
      .where('customer_id', '=', c.id)
      .execute();
    expect(events.map((e) => e.object_id).sort()).toEqual([n(200), n(201), n(202)]);

    // Same key, different body: refused, and nothing changes.
    const other = await http(
      t.adminToken,
      'POST',
      '/api/v1/numbers/allocate',
      { ...body, count: 1 },
      { 'idempotency-key': key },
    );
    expect(other.status).toBe(422);
    expect(JSON.parse(other.body).code).toBe('IDEMPOTENCY_KEY_REUSED');
    const after = await t.db
      .selectFrom('numbers')
      .select('e164')
      .where('range_id', '=', range.id)
      .where('customer_id', 'is not', null)
      .execute();
    expect(after).toHaveLength(3);
  });
});

describe('two PATCHes with one ETag', () => {
  it('one wins (200), the other gets 412, and the stored number is the winner’s', async () => {
    await t.range({ start: n(300), count: 5, siteId: site.id });
    const url = `/api/v1/numbers/${encodeURIComponent(n(300))}`;
    for (let round = 0; round < 5; round++) {
      const got = await http(t.adminToken, 'GET', url);
      expect(got.status).toBe(200);
      const etag = got.headers.get('etag')!;
      const [a, b] = await Promise.all(
        ['A', 'B'].map((who) =>
          http(
            t.adminToken,
            'PATCH',
            url,
            { sipConnection: `${who}-${round}` },
            { 'if-match': etag },
          ),
        ),
      );
      const statuses = [a!.status, b!.status].sort();
      expect(statuses).toEqual([200, 412]);
      const loser = a!.status === 412 ? a! : b!;
      expect(JSON.parse(loser.body).code).toBe('PRECONDITION_FAILED');
      const winner = a!.status === 200 ? 'A' : 'B';
      const now = await http(t.adminToken, 'GET', url);
      expect(JSON.parse(now.body).sipConnection).toBe(`${winner}-${round}`);
      expect(now.headers.get('etag')).not.toBe(etag);
      // Exactly one update event for the round.
      const updates = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM audit_events
        WHERE action = 'number.update' AND object_id = ${n(300)}
          AND changes->'sipConnection'->>1 LIKE ${`%-${round}`}`.execute(t.db);
      expect(updates.rows[0]!.n).toBe(1);
    }
  });
});
