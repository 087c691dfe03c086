/** EXPLAIN (ANALYZE, BUFFERS) of a query, in a transaction that is rolled back. */
import type pg from 'pg';
import type { PlainQuery } from './same-sql.js';

export interface Plan {
  text: string;
  /** "Execution Time" of the plan, ms. */
  executionMs: number;
}

export async function explainAnalyze(pool: pg.Pool, q: PlainQuery): Promise<Plan> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    for (const s of q.settings) await client.query(s);
    const r = await client.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN (ANALYZE, BUFFERS) ${q.text}`,
      q.values,
    );
    const text = r.rows.map((row) => row['QUERY PLAN']).join('\n');
    const m = /Execution Time: ([\d.]+) ms/.exec(text);
    return { text, executionMs: m ? Number(m[1]) : NaN };
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
  }
}
