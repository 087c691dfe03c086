/**
 * Makes the filters of figure B meaningful: five customers, 10,000 numbers
 * allocated to each through the API (bulk allocate, 1,000 a call), half of
 * them activated (bulk activate). The allocations start as soon as the range
 * was created, as an operator's would (whatever statistics the app leaves
 * then is part of the figure). Then VACUUM ANALYZE, as autovacuum would
 * eventually, so that every figure sees a settled table.
 */
import type pg from 'pg';
import type { Api } from './http.js';
import { explainAnalyze, type Plan } from './explain.js';
import { progress, timed } from './log.js';
import { pickQuery } from './same-sql.js';
import { latency, type Latency } from './stats.js';

export const CUSTOMERS = 5;
export const PER_CUSTOMER = 10_000;
const CALL = 1_000;

export interface Setup {
  customers: string[];
  allocateSeconds: number;
  /** Latency of each 1,000-number allocate call, the first right after the range was created. */
  allocateCalls: Latency;
  activateSeconds: number;
  /** The allocation pick of 1,000 numbers right after POST /ranges returned, and after VACUUM ANALYZE. */
  pickPlans: { beforeAnalyze: Plan; afterAnalyze: Plan };
  allocated: number;
  activated: number;
}

interface NumbersReply {
  items: { e164: string }[];
}

export async function setupHolders(api: Api, pool: pg.Pool): Promise<Setup> {
  const customers: string[] = [];
  for (let i = 1; i <= CUSTOMERS; i++) {
    const r = await api.ok<{ id: string }>(
      'POST',
      '/api/v1/customers',
      { name: `Bench customer ${i}`, accountName: `bench-${i}` },
      201,
    );
    customers.push(r.body.id);
  }

  const pick = await pickQuery({ count: CALL, now: new Date() });
  const beforeAnalyze = await explainAnalyze(pool, pick);
  progress(
    `setup: allocation pick of ${CALL} right after the range: ${beforeAnalyze.executionMs.toFixed(1)} ms (EXPLAIN ANALYZE)`,
  );

  progress(
    `setup: allocating ${CUSTOMERS} × ${PER_CUSTOMER} numbers through the API (${CALL} a call)`,
  );
  const held = new Map<string, string[]>(customers.map((c) => [c, []]));
  const callMs: number[] = [];
  const alloc = await timed(async () => {
    for (let i = 0; i < PER_CUSTOMER / CALL; i++) {
      for (const c of customers) {
        const r = await api.ok<NumbersReply>('POST', '/api/v1/numbers/allocate', {
          holder: { type: 'customer', customerId: c },
          count: CALL,
        });
        held.get(c)!.push(...r.body.items.map((n) => n.e164));
        callMs.push(r.ms);
      }
    }
  });
  const calls = latency(callMs);
  progress(
    `  ${alloc.seconds.toFixed(1)} s; per call p50 ${calls.p50.toFixed(0)} ms, max ${calls.max.toFixed(0)} ms, ` +
      `first ${callMs[0]!.toFixed(0)} ms, last ${callMs.at(-1)!.toFixed(0)} ms`,
  );

  progress('setup: activating half of each customer’s numbers (bulk activate, 1,000 a call)');
  let activated = 0;
  const act = await timed(async () => {
    for (const list of held.values()) {
      const half = list.filter((_, i) => i % 2 === 0);
      for (let i = 0; i < half.length; i += CALL) {
        const r = await api.ok<{ summary: { ok: number; failed: number } }>(
          'POST',
          '/api/v1/numbers/bulk/activate',
          { numbers: half.slice(i, i + CALL) },
        );
        if (r.body.summary.failed)
          throw new Error(`bulk activate: ${r.body.summary.failed} failed`);
        activated += r.body.summary.ok;
      }
    }
  });
  progress(`  ${act.seconds.toFixed(1)} s`);

  progress('setup: VACUUM ANALYZE numbers, audit_events');
  await pool.query('VACUUM (ANALYZE) numbers');
  await pool.query('VACUUM (ANALYZE) audit_events');
  const afterAnalyze = await explainAnalyze(pool, pick);
  progress(
    `setup: allocation pick of ${CALL} after ANALYZE: ${afterAnalyze.executionMs.toFixed(1)} ms (EXPLAIN ANALYZE)`,
  );
  return {
    customers,
    allocateSeconds: alloc.seconds,
    allocateCalls: calls,
    activateSeconds: act.seconds,
    pickPlans: { beforeAnalyze, afterAnalyze },
    allocated: CUSTOMERS * PER_CUSTOMER,
    activated,
  };
}
