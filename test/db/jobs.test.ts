/**
 * Jobs (issue 3): the worker loop over the `jobs` table (SKIP LOCKED, lease,
 * retries, reclaiming a dead worker's job), the /jobs API (progress, errors
 * CSV, cancel, retry, customer scope) and bulk actions run as jobs (SPEC §4).
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { Actor } from '../../src/actor.js';
import { createServices } from '../../src/app.js';
import { systemPrincipal } from '../../src/auth/principal.js';
import { createJobHandlers } from '../../src/jobs/handlers.js';
import { insertJob } from '../../src/jobs/jobs.repository.js';
import {
  createWorker,
  PermanentJobError,
  type JobHandler,
  type WorkerOptions,
} from '../../src/jobs/worker.js';
import { createTestApp } from '../support/app.js';

const t = await createTestApp();

const actor: Actor = {
  principal: { ...systemPrincipal, id: 'test', name: 'test runner' },
  source: 'api',
  requestId: 'req-1',
  ticketId: 'TCK-1',
};

function worker(handlers: Record<string, JobHandler>, opts: Partial<WorkerOptions> = {}) {
  return createWorker({ db: t.db, handlers, backoffMs: 0, leaseMs: 30_000, ...opts });
}

async function job(id: string) {
  const res = await t.admin('GET', `/api/v1/jobs/${id}`);
  expect(res.statusCode).toBe(200);
  return res.json<{
    status: string;
    progress: { total: number | null; done: number; failed: number };
    attempts: number;
    error: string | null;
    result: Record<string, unknown> | null;
    createdBy: { name: string };
    ticketId: string | null;
  }>();
}

describe('worker loop', () => {
  it('runs a queued job: progress, per-item errors (CSV, R-51), result, who started it', async () => {
    const j = await insertJob(t.db, actor, { kind: 'test.items', total: 3 });
    const w = worker({
      'test.items': async (ctx) => {
        await ctx.progress({ done: 2, failed: 1 });
        await ctx.itemErrors([{ item: '=HYPERLINK("x")', code: 'BAD', message: 'item, "quoted"' }]);
        await ctx.progress({ done: 3, failed: 1 });
        return { status: 'partiallySucceeded', result: { ok: 2 } };
      },
    });
    expect(await w.drain()).toBe(1);
    expect(await job(j.id)).toMatchObject({
      status: 'partiallySucceeded',
      progress: { total: 3, done: 3, failed: 1 },
      result: { ok: 2 },
      createdBy: { name: 'test runner' },
      ticketId: 'TCK-1',
      attempts: 1,
    });
    const csv = await t.admin('GET', `/api/v1/jobs/${j.id}/errors.csv`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body).toBe('item,code,message\r\n"\'=HYPERLINK(""x"")",BAD,"item, ""quoted"""\r\n');
  });

  it('retries a failing job up to max_attempts, then ends failed with the error visible', async () => {
    const j = await insertJob(t.db, actor, { kind: 'test.flaky', maxAttempts: 3 });
    let calls = 0;
    const w = worker({
      'test.flaky': async () => {
        calls++;
        throw new Error(`upstream said no (${calls})`);
      },
    });
    expect(await w.drain()).toBe(3);
    expect(calls).toBe(3);
    expect(await job(j.id)).toMatchObject({
      status: 'failed',
      attempts: 3,
      error: 'upstream said no (3)',
    });
  });

  it('a permanent error fails at once; a later attempt can succeed after a transient one', async () => {
    const bad = await insertJob(t.db, actor, { kind: 'test.permanent' });
    const ok = await insertJob(t.db, actor, { kind: 'test.second-time' });
    let n = 0;
    const w = worker({
      'test.permanent': async () => {
        throw new PermanentJobError('the file is not CSV');
      },
      'test.second-time': async () => {
        if (++n === 1) throw new Error('blip');
        return { status: 'succeeded' };
      },
    });
    await w.drain();
    expect(await job(bad.id)).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: 'the file is not CSV',
    });
    expect(await job(ok.id)).toMatchObject({ status: 'succeeded', attempts: 2 });
  });

  it('reclaims the job of a dead worker when its lease ran out, and fails it visibly once attempts are used up', async () => {
    const resumed = await insertJob(t.db, actor, { kind: 'test.resume', maxAttempts: 3 });
    const abandoned = await insertJob(t.db, actor, { kind: 'test.resume', maxAttempts: 2 });
    // Both were claimed by a worker that died: running, lease expired.
    await t.db
      .updateTable('jobs')
      .set({
        status: 'running',
        locked_by: 'dead-worker',
        locked_until: new Date(Date.now() - 1000),
        started_at: new Date(),
      })
      .where('id', 'in', [resumed.id, abandoned.id])
      .execute();
    await t.db.updateTable('jobs').set({ attempts: 1 }).where('id', '=', resumed.id).execute();
    await t.db.updateTable('jobs').set({ attempts: 2 }).where('id', '=', abandoned.id).execute();
    // A job still under a live lease is not touched.
    const live = await insertJob(t.db, actor, { kind: 'test.resume' });
    await t.db
      .updateTable('jobs')
      .set({ status: 'running', locked_by: 'alive', locked_until: new Date(Date.now() + 60_000) })
      .where('id', '=', live.id)
      .execute();
    const ran: string[] = [];
    const w = worker({
      'test.resume': async (ctx) => {
        ran.push(ctx.job.id);
        return { status: 'succeeded' };
      },
    });
    await w.drain();
    expect(ran).toEqual([resumed.id]);
    expect(await job(resumed.id)).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect((await job(abandoned.id)).status).toBe('failed');
    expect((await job(abandoned.id)).error).toMatch(/abandoned/);
    expect((await job(live.id)).status).toBe('running');
  });

  it('two workers draining at once run every job exactly once (SKIP LOCKED)', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) ids.add((await insertJob(t.db, actor, { kind: 'test.once' })).id);
    const runs: string[] = [];
    const handler: JobHandler = async (ctx) => {
      runs.push(ctx.job.id);
      await new Promise((r) => setTimeout(r, 5));
      return { status: 'succeeded' };
    };
    const [a, b] = await Promise.all([
      worker({ 'test.once': handler }).drain(),
      worker({ 'test.once': handler }).drain(),
    ]);
    expect(a + b).toBe(20);
    expect(runs.length).toBe(20);
    expect(new Set(runs)).toEqual(ids);
  });
});

describe('/jobs API', () => {
  it('cancel: a queued job ends cancelled at once; a running job stops at its next check', async () => {
    const queued = await insertJob(t.db, actor, { kind: 'test.never' });
    const res = await t.admin('POST', `/api/v1/jobs/${queued.id}/cancel`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'cancelled' });
    expect((await t.admin('POST', `/api/v1/jobs/${queued.id}/cancel`)).json()).toMatchObject({
      code: 'CONFLICT',
    });

    const running = await insertJob(t.db, actor, { kind: 'test.long' });
    let started!: () => void;
    const isStarted = new Promise<void>((r) => (started = r));
    const w = worker(
      {
        'test.long': async (ctx) => {
          started();
          for (let i = 0; i < 200; i++) {
            ctx.checkCancelled();
            await new Promise((r) => setTimeout(r, 20));
          }
          return { status: 'succeeded' };
        },
      },
      { leaseMs: 300 },
    );
    const drained = w.drain();
    await isStarted;
    expect((await t.admin('POST', `/api/v1/jobs/${running.id}/cancel`)).json()).toMatchObject({
      status: 'running',
      cancelRequested: true,
    });
    await drained;
    expect((await job(running.id)).status).toBe('cancelled');
  });

  it('retry: a failed job goes back to the queue with its errors cleared, and can then succeed', async () => {
    const j = await insertJob(t.db, actor, { kind: 'test.retry', maxAttempts: 1 });
    let fail = true;
    const w = worker({
      'test.retry': async (ctx) => {
        await ctx.itemErrors([{ item: 'x', code: 'E', message: 'm' }]);
        if (fail) throw new Error('first run fails');
        return { status: 'succeeded' };
      },
    });
    await w.drain();
    expect((await job(j.id)).status).toBe('failed');
    expect((await t.admin('POST', `/api/v1/jobs/${j.id}/retry`)).statusCode).toBe(202);
    expect((await job(j.id)).status).toBe('queued');
    fail = false;
    await w.drain();
    expect(await job(j.id)).toMatchObject({ status: 'succeeded', attempts: 1 });
    const csv = await t.admin('GET', `/api/v1/jobs/${j.id}/errors.csv`);
    expect(csv.body.trim().split('\r\n')).toHaveLength(2); // header + this run's one error
    expect((await t.admin('POST', `/api/v1/jobs/${j.id}/retry`)).statusCode).toBe(409);
  });

  it('customer-scoped callers see only their customer’s jobs (404, never 403)', async () => {
    const mine = await t.customer();
    const other = await t.customer();
    const own = await insertJob(t.db, actor, { kind: 'test.scope', customerId: mine.id });
    const theirs = await insertJob(t.db, actor, { kind: 'test.scope', customerId: other.id });
    const operators = await insertJob(t.db, actor, { kind: 'test.scope' });
    const token = await t.token(['read', 'write'], `customer:${mine.id}`);
    expect((await t.call(token, 'GET', `/api/v1/jobs/${own.id}`)).statusCode).toBe(200);
    for (const id of [theirs.id, operators.id]) {
      expect((await t.call(token, 'GET', `/api/v1/jobs/${id}`)).statusCode).toBe(404);
      expect((await t.call(token, 'GET', `/api/v1/jobs/${id}/errors.csv`)).statusCode).toBe(404);
      expect((await t.call(token, 'POST', `/api/v1/jobs/${id}/cancel`)).statusCode).toBe(404);
    }
    const list = await t.call(token, 'GET', '/api/v1/jobs?kind=test.scope');
    expect(list.json<{ items: { id: string }[] }>().items.map((i) => i.id)).toEqual([own.id]);
    const all = await t.admin('GET', '/api/v1/jobs?kind=test.scope&limit=2');
    const page1 = all.json<{ items: { id: string }[]; nextCursor: string }>();
    expect(page1.items).toHaveLength(2);
    const page2 = await t.admin(
      'GET',
      `/api/v1/jobs?kind=test.scope&limit=2&cursor=${page1.nextCursor}`,
    );
    const ids = [...page1.items, ...page2.json<{ items: { id: string }[] }>().items].map(
      (i) => i.id,
    );
    expect(new Set(ids)).toEqual(new Set([own.id, theirs.id, operators.id]));
  });
});

describe('bulk actions as jobs (SPEC §4: more than 1,000 numbers, or a filter)', () => {
  const services = createServices(
    t.db,
    { coolingOffDays: 90, coolingOffDaysByCountry: {}, logLevel: 'silent' },
    () => t.clock.now,
  );
  const handlers = createJobHandlers({
    db: t.db,
    pool: t.pool,
    numbers: services.numbers,
    now: () => t.clock.now,
  });

  it('a filter selects the numbers: 202 + Location, then every number is changed with its audit event', async () => {
    const range = await t.range({ start: '+442030100000', count: 1500, country: 'GB' });
    const res = await t.admin(
      'POST',
      '/api/v1/numbers/bulk/lock',
      { filter: { rangeId: range.id }, reason: 'regulator hold' },
      { 'x-ticket-id': 'REG-7' },
    );
    expect(res.statusCode).toBe(202);
    const id = res.json<{ id: string }>().id;
    expect(res.headers.location).toBe(`/api/v1/jobs/${id}`);
    await createWorker({ db: t.db, handlers }).drain();
    expect(await job(id)).toMatchObject({
      status: 'succeeded',
      progress: { total: 1500, done: 1500, failed: 0 },
      result: { action: 'lock', ok: 1500, failed: 0 },
      ticketId: 'REG-7',
    });
    const locked = await t.db
      .selectFrom('numbers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('range_id', '=', range.id)
      .where('locked', '=', true)
      .where('lock_reason', '=', 'regulator hold')
      .executeTakeFirstOrThrow();
    expect(Number(locked.n)).toBe(1500);
    const events = await t.db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('action', '=', 'number.lock')
      .where('ticket_id', '=', 'REG-7')
      .executeTakeFirstOrThrow();
    expect(Number(events.n)).toBe(1500);
  });

  it('a list of more than 1,000 numbers: per-number errors in errors.csv, partially succeeded', async () => {
    const range = await t.range({ start: '+442030200000', count: 1200, country: 'GB' });
    const list = Array.from({ length: 1200 }, (_, i) => `+442030${String(200000 + i)}`);
    list.push('+442030299999'); // not in the inventory
    const res = await t.admin('POST', '/api/v1/numbers/bulk/lock', { numbers: list, reason: 'x' });
    expect(res.statusCode).toBe(202);
    const id = res.json<{ id: string }>().id;
    await createWorker({ db: t.db, handlers }).drain();
    expect(await job(id)).toMatchObject({
      status: 'partiallySucceeded',
      progress: { total: 1201, done: 1201, failed: 1 },
    });
    const csv = await t.admin('GET', `/api/v1/jobs/${id}/errors.csv`);
    expect(csv.body).toBe(
      'item,code,message\r\n+442030299999,NOT_FOUND,number +442030299999 not found\r\n',
    );
    expect(range.id).toBeTruthy();
  });

  it('refuses a body with both or neither of numbers and filter', async () => {
    for (const body of [{ reason: 'x' }, { numbers: ['+441632960001'], filter: {}, reason: 'x' }]) {
      const res = await t.admin('POST', '/api/v1/numbers/bulk/lock', body);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
  });
});

describe('`numbat worker`', () => {
  it('runs queued jobs on its own and stops cleanly on SIGTERM', async () => {
    const range = await t.range({ start: '+442030300000', count: 20, country: 'GB' });
    const res = await t.admin('POST', '/api/v1/numbers/bulk/lock', {
      filter: { rangeId: range.id },
      reason: 'worker test',
    });
    const id = res.json<{ id: string }>().id;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'worker'], {
      env: { ...process.env, DATABASE_URL: t.url },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    try {
      const deadline = Date.now() + 30_000;
      let status = 'queued';
      while (Date.now() < deadline && status !== 'succeeded') {
        await new Promise((r) => setTimeout(r, 100));
        status = (await job(id)).status;
      }
      expect(status).toBe('succeeded');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    const locked = await t.db
      .selectFrom('numbers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('range_id', '=', range.id)
      .where('locked', '=', true)
      .executeTakeFirstOrThrow();
    expect(Number(locked.n)).toBe(20);
  });
});
