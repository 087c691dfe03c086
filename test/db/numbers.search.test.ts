/**
 * Partial-number search (SPEC §9 `q`, issue #7): the digit-grams index of
 * migration 0012 and the primary-key walk must both answer exactly "every
 * number containing the digits, no other", for any length of q, any length
 * of number, with cursor pagination and customer scoping.
 */
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  applyFilter,
  gramAlignments,
  preferIndex,
  searchDigits,
  type SearchMode,
} from '../../src/numbers/numbers.list.js';
import { createTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
let all: string[] = [];
let customer: { id: string };
const held: string[] = [];
type Item = { e164: string };

/** Numbers of every length E.164 allows, with repeated and overlapping digits. */
const odd = [
  '+1',
  '+12',
  '+123',
  '+1234',
  '+41234',
  '+441234',
  '+4412344123',
  '+441111111111',
  '+441111111112',
  '+449999900000',
  '+12345678901234',
  '+123456789012345',
  '+999999999999999',
  '+100000000000000',
  '+440000000000',
  '+44000000000',
  '+4400000000',
];

/** What the rule says: digits anywhere, or the start of the number after '+'. */
function expected(q: string): string[] {
  const d = searchDigits(q);
  if (!d) return [...all].sort();
  return all
    .filter((e) => (q.trim().startsWith('+') ? e.startsWith(`+${d}`) : e.includes(d)))
    .sort();
}

async function viaFilter(q: string, mode: SearchMode): Promise<string[]> {
  const rows = await applyFilter(
    t.db.selectFrom('numbers').selectAll(),
    { q, now: new Date() },
    mode,
  )
    .orderBy('e164')
    .execute();
  return rows.map((r) => r.e164);
}

beforeAll(async () => {
  t = await createTestApp();
  // 1,000 consecutive GB numbers (so the planner's row estimate is realistic)
  // plus numbers of every length, inserted as the bench does (by SQL).
  await t.range({ start: '+441134960000', count: 1000 });
  await sql`INSERT INTO numbers (e164, country, kind, source)
    SELECT e, 'GB', 'fixedLine', 'api' FROM unnest(${odd}::text[]) AS e`.execute(t.db);
  customer = await t.customer();
  for (const e of ['+441134960042', '+441134960045', '+441134960500']) held.push(e);
  const res = await t.admin('POST', '/api/v1/numbers/bulk/allocate', {
    numbers: held,
    holder: { type: 'customer', customerId: customer.id },
  });
  expect(res.statusCode).toBeLessThan(300);
  await sql`ANALYZE numbers`.execute(t.db);
  all = (await t.db.selectFrom('numbers').select('e164').execute()).map((r) => r.e164);
});

describe('partial-number search (SPEC §9 q, issue #7)', () => {
  const queries = [
    '1', // 1–3 digits: shorter than the index's windows
    '12',
    '123',
    '000',
    '1234', // exactly one window
    '4411', // the country code and the first digits of most numbers
    '44', // the country code alone
    '0000',
    '12344', // overlapping windows
    '11111', // repeated digits: every alignment matches
    '111111111112',
    '496004', // the end of a 12-digit number
    '1134960', // longer than the window
    '123456789012345', // a whole 15-digit number
    '23456789012345',
    '1234567890123456', // longer than any E.164 number
    '99999',
    '9000',
    '44 1134 9600', // spaces are ignored
    '+4411349600', // the start of the number
    '+1',
    '+4412344123',
  ];

  for (const mode of ['index', 'scan'] as const) {
    it(`finds exactly the numbers containing q through ${mode === 'index' ? 'the digit-grams index' : 'the primary-key walk'}`, async () => {
      for (const q of queries) {
        expect({ q, found: await viaFilter(q, mode) }).toEqual({ q, found: expected(q) });
      }
      // Not vacuous: the set has matches for the long and the short strings.
      expect(expected('11111').length).toBeGreaterThan(1);
      expect(expected('123456789012345')).toEqual(['+123456789012345']);
      expect(expected('1234567890123456')).toEqual([]);
    });
  }

  it('keys one alignment per position of q, each covering all of q', () => {
    // q = 544114: windows 5441 and 4114 (the first and the last), alignments 0 … 9.
    const a = gramAlignments('544114');
    expect(a).toHaveLength(10);
    expect(a[0]).toEqual([20_000 + 5441, 4114]);
    expect(a[9]).toEqual([110_000 + 5441, 90_000 + 4114]);
    expect(gramAlignments('123')).toEqual([]);
    expect(gramAlignments('1234567890123456')).toEqual([]);
    expect(gramAlignments('123456789012345')).toEqual([
      [110_000 + 1234, 70_000 + 5678, 30_000 + 9012, 2345],
    ]);
  });

  it('the index stores the windows of each number (0012) and the planner uses it', async () => {
    const keys = await sql<{
      k: number[];
    }>`SELECT number_digit_grams('+441134960123') AS k`.execute(t.db);
    expect(keys.rows[0]!.k).toEqual([123, 16012, 29601, 34960, 43496, 51349, 61134, 74113, 84411]);
    const short = await sql<{
      k: number[];
    }>`SELECT number_digit_grams('+123') AS k, number_digit_grams('+1234') AS k4`.execute(t.db);
    expect(short.rows[0]).toEqual({ k: [], k4: [1234] });
    // The list's own steering for a 6-digit q: bitmap scans of numbers_digit_grams.
    expect(await preferIndex(t.db, { q: '960123', now: new Date() }, 100)).toBe(true);
    expect(await preferIndex(t.db, { q: '960', now: new Date() }, 100)).toBe(false);
    const compiled = applyFilter(
      t.db.selectFrom('numbers').selectAll(),
      { q: '960123', now: new Date() },
      'index',
    )
      .orderBy('e164')
      .limit(101)
      .compile();
    const plan = await t.db.transaction().execute(async (trx) => {
      await sql`SET LOCAL enable_indexscan = off`.execute(trx);
      await sql`SET LOCAL enable_seqscan = off`.execute(trx);
      const r = await trx.executeQuery<{ 'QUERY PLAN': string }>({
        ...compiled,
        sql: `EXPLAIN ${compiled.sql}`,
      });
      return r.rows.map((x) => x['QUERY PLAN']).join('\n');
    });
    expect(plan).toContain('numbers_digit_grams');
  });

  it('pages through a search with the cursor, in both directions, through the API', async () => {
    for (const q of ['0042', '11', '4960']) {
      for (const sort of ['e164', '-e164']) {
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const url: string = `/api/v1/numbers?q=${q}&limit=7&sort=${sort}${cursor ? `&cursor=${cursor}` : ''}`;
          const res = await t.admin('GET', url);
          expect(res.statusCode).toBe(200);
          const page = res.json();
          seen.push(...page.items.map((i: Item) => i.e164));
          cursor = page.nextCursor;
        } while (cursor);
        const want = expected(q);
        expect(seen).toEqual(sort === 'e164' ? want : [...want].reverse());
      }
    }
    expect(expected('4960').length).toBeGreaterThan(7);
  });

  it('counts the same numbers it lists (total=true)', async () => {
    for (const q of ['0042', '44', '123456789012345', '1234567890123456']) {
      const body = (await t.admin('GET', `/api/v1/numbers?q=${q}&limit=1000&total=true`)).json();
      expect(body.total).toBe(expected(q).length);
      expect(body.items.map((i: Item) => i.e164)).toEqual(expected(q).slice(0, 1000));
    }
  });

  it('a customer-scoped principal finds only its own numbers', async () => {
    const token = await t.token(['read'], `customer:${customer.id}`);
    const body = (await t.call(token, 'GET', '/api/v1/numbers?q=96004&total=true')).json();
    expect(expected('96004')).toHaveLength(10);
    expect(body.items.map((i: Item) => i.e164)).toEqual(['+441134960042', '+441134960045']);
    expect(body.total).toBe(2);
  });
});
