/**
 * Range creation in bulk (R-4, issue #2): the span is counted on the primary
 * key before a plain INSERT, a bulk range defers its digit-grams index entries to the
 * index's pending list, the statistics are refreshed in the transaction, and
 * the reply's utilisation is the committed state.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { isNumberTaken } from '../../src/imports/imports.repository.js';
import { BULK_RANGE } from '../../src/ranges/ranges.repository.js';
import { createTestApp } from '../support/app.js';

const t = await createTestApp();

describe('POST /ranges in bulk (R-4)', () => {
  it('R-4: refuses a range over numbers already in the inventory outside any range, names how many, and creates nothing', async () => {
    const single = await t.admin('POST', '/api/v1/numbers', { number: '+442079461005' });
    expect(single.statusCode).toBe(201);
    const res = await t.admin('POST', '/api/v1/ranges', {
      name: 'over-single',
      start: '+442079461000',
      count: 10,
    });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'RANGE_OVERLAP', existing: 1 });
    const ranges = await t.admin('GET', '/api/v1/ranges');
    expect(ranges.json().items.map((r: { name: string }) => r.name)).not.toContain('over-single');
    expect(
      (await t.admin('GET', `/api/v1/numbers/${encodeURIComponent('+442079461004')}`)).statusCode,
    ).toBe(404);
  });

  it('R-4: a bulk range replies with its committed utilisation and fresh planner statistics, and search finds its numbers before and after the digit-grams pending list is merged', async () => {
    const start = '+442030700000';
    const res = await t.admin('POST', '/api/v1/ranges', {
      name: 'bulk',
      start,
      count: BULK_RANGE,
    });
    expect(res.statusCode).toBe(201);
    // The planner's statistics counted the new numbers before the reply.
    const stats = await sql<{
      n: number;
    }>`SELECT reltuples::int AS n FROM pg_class WHERE oid = 'numbers'::regclass`.execute(t.db);
    expect(stats.rows[0]!.n).toBeGreaterThanOrEqual(BULK_RANGE);
    // … and the share of each state (the small-sample ANALYZE still sees them).
    const states = await sql<{ mcv: string[] | null }>`
      SELECT most_common_vals::text::text[] AS mcv FROM pg_stats
      WHERE tablename = 'numbers' AND attname = 'status'`.execute(t.db);
    expect(states.rows[0]?.mcv).toContain('available');
    const created = res.json();
    const got = (await t.admin('GET', `/api/v1/ranges/${created.id}`)).json();
    expect(created.utilisation).toEqual(got.utilisation);
    expect(created.utilisation).toMatchObject({
      total: BULK_RANGE,
      available: BULK_RANGE,
      reserved: 0,
    });
    // A digit string found only through the digit-grams index (the pending list
    // may or may not have been merged yet), then again once it surely was.
    const search = async () =>
      (await t.admin('GET', '/api/v1/numbers?q=2030704321&limit=10'))
        .json()
        .items.map((n: { number?: string; e164?: string }) => n.e164 ?? n.number);
    expect(await search()).toEqual(['+442030704321']);
    await sql`SELECT gin_clean_pending_list('numbers_digit_grams'::regclass)`.execute(t.db);
    expect(await search()).toEqual(['+442030704321']);
  });

  it('a unique violation on a number is recognised as a lost race (import merge)', async () => {
    const err = await sql`INSERT INTO numbers (e164, country, kind, source)
      VALUES ('+442030700001', 'GB', 'fixedLine', 'api')`
      .execute(t.db)
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(isNumberTaken(err)).toBe(true);
    expect(isNumberTaken(new Error('other'))).toBe(false);
  });
});
