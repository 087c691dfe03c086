/**
 * Makes the filters of figure B meaningful: five customers, 10,000 numbers
 * allocated to each through the API (bulk allocate, 1,000 a call), half of
 * them activated (bulk activate). The allocations start right after the range
 * was created, before any ANALYZE, as an operator's would. Then VACUUM
 * ANALYZE, as autovacuum would eventually, so every figure sees a settled table.
 */
import type pg from 'pg';
import type { Api } from './http.js';
import { progress, timed } from './log.js';
import { latency, type Latency } from './stats.js';

export const CUSTOMERS = 5;
export const PER_CUSTOMER = 10_000;
const CALL = 1_000;

export interface Setup {
  customers: string[];
  allocateSeconds: number;
  /** Latency of each 1,000-number allocate call (the first ones run before any ANALYZE). */
  allocateCalls: Latency;
  activateSeconds: number;
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
  return {
    customers,
    allocateSeconds: alloc.seconds,
    allocateCalls: calls,
    activateSeconds: act.seconds,
    allocated: CUSTOMERS * PER_CUSTOMER,
    activated,
  };
}
