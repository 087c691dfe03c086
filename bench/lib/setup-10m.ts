/**
 * Grows the inventory from figure A's 1M numbers to 10M for the second pass
 * of figure B: 9 more ranges of 1,000,000 numbers right after A's range,
 * written by SQL (`INSERT … SELECT generate_series`, one statement a range,
 * into the real table with all its indexes, triggers and checks; this is set-
 * up, not a figure), then VACUUM ANALYZE. Every new number is available, so
 * the reserved / active numbers of the five bench customers stay where they
 * are and the pages of B1 stay the same; B2's cursor and B3's search now range
 * over 10M numbers.
 */
import type pg from 'pg';
import { progress, timed } from './log.js';

export const TEN_MILLION = 10_000_000;
const PER_RANGE = 1_000_000;

export interface Grown {
  start: string;
  count: number;
  seconds: number;
  /** Size of the numbers table with its indexes, after the growth. */
  totalBytes: number;
}

export async function growTo10M(
  pool: pg.Pool,
  a: { start: string; count: number },
): Promise<Grown> {
  const base = BigInt(a.start.slice(1));
  const have = (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM numbers`)).rows[0]!
    .n;
  const ranges = Math.ceil((TEN_MILLION - have) / PER_RANGE);
  progress(`10M: adding ${ranges} × 1,000,000 numbers by SQL (${have} there)`);
  const t = await timed(async () => {
    for (let i = 0; i < ranges; i++) {
      const first = base + BigInt(a.count) + BigInt(i * PER_RANGE);
      const start = `+${first.toString()}`;
      const end = `+${(first + BigInt(PER_RANGE - 1)).toString()}`;
      const one = await timed(() =>
        pool.query(
          `WITH r AS (
             INSERT INTO ranges (name, start_e164, end_e164, country)
             VALUES ($1, $2, $3, 'GB') RETURNING id)
           INSERT INTO numbers (e164, country, kind, range_id, source)
           SELECT '+' || ($4::bigint + g)::text, 'GB', 'fixedLine', r.id, 'api'
           FROM r, generate_series(0, ${PER_RANGE - 1}) AS g`,
          [`bench 10M part ${i + 2}`, start, end, first.toString()],
        ),
      );
      progress(`  ${start}–${end}: ${one.seconds.toFixed(1)} s`);
    }
    progress('10M: VACUUM ANALYZE numbers');
    await pool.query('VACUUM (ANALYZE) numbers');
  });
  const size = await pool.query<{ b: string }>(
    `SELECT pg_total_relation_size('numbers')::text AS b`,
  );
  return {
    start: a.start,
    count: have + ranges * PER_RANGE,
    seconds: t.seconds,
    totalBytes: Number(size.rows[0]!.b),
  };
}
