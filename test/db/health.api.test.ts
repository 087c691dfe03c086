/**
 * Issue 7 observability (SPEC §9 "Health"): /healthz, /readyz, /metrics — the
 * request latency histogram by route pattern, job queue depth, age, expired
 * leases and failures, numbers by state — and request ids in the response,
 * the problem body, the structured log and the audit trail (SPEC §11).
 */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../src/app.js';
import type { DB } from '../../src/db/schema.js';
import { NUMBERS_COUNT_TTL_MS } from '../../src/health/health.routes.js';
import { createTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
let site: { id: string };
/** Cardiff drama range (Ofcom: 029 2018 0000–0999). */
const n = (i: number) => `+442920180${String(i).padStart(3, '0')}`;

beforeAll(async () => {
  t = await createTestApp();
  site = await t.site({ country: 'GB' });
  await t.range({ start: n(0), count: 50, siteId: site.id });
});

async function scrape(): Promise<string> {
  const res = await t.app.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toContain('text/plain');
  return res.body;
}

/** The value of one sample, or undefined when the series is absent. */
function sample(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('/healthz and /readyz', () => {
  it('answer 200 without a token while the database is up', async () => {
    const h = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect([h.statusCode, h.json()]).toEqual([200, { status: 'ok' }]);
    const r = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect([r.statusCode, r.json()]).toEqual([200, { status: 'ready' }]);
  });

  it('/readyz is 503 when the database cannot be reached; /healthz stays 200', async () => {
    // Port 1 on loopback: nothing listens, connections are refused at once.
    const pool = new pg.Pool({ connectionString: 'postgres://x:y@127.0.0.1:1/none', max: 1 });
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    const app = await buildApp({
      db,
      config: { coolingOffDays: 90, coolingOffDaysByCountry: {}, logLevel: 'silent' },
      logger: false,
    });
    try {
      const r = await app.inject({ method: 'GET', url: '/readyz' });
      expect(r.statusCode).toBe(503);
      expect(r.json()).toEqual({ status: 'database unavailable' });
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await app.close();
      await db.destroy();
    }
  });
});

describe('/metrics', () => {
  it('request latency is labelled with the route pattern, never the raw URL', async () => {
    const route = '/api/v1/numbers/:e164';
    const labels = { method: 'GET', route, status: '200' };
    const before =
      sample(await scrape(), 'numbat_http_request_duration_seconds_count', labels) ?? 0;
    for (let i = 0; i < 3; i++) {
      const res = await t.admin('GET', `/api/v1/numbers/${encodeURIComponent(n(i))}`);
      expect(res.statusCode).toBe(200);
    }
    // A random path: no new series per URL (a scanner cannot blow up the metrics).
    await t.admin('GET', '/api/v1/no-such-thing/7f3a9c');
    const text = await scrape();
    expect(sample(text, 'numbat_http_request_duration_seconds_count', labels)).toBe(before + 3);
    expect(
      sample(text, 'numbat_http_request_duration_seconds_bucket', { ...labels, le: '+Inf' }),
    ).toBe(before + 3);
    expect(text).not.toContain(n(0).slice(1));
    expect(text).not.toContain('7f3a9c');
    expect(
      sample(text, 'numbat_http_request_duration_seconds_count', {
        route: 'unmatched',
        status: '404',
      }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('job queue depth, age, expired leases and failures move with the jobs table', async () => {
    const kind = { kind: 'numbers.bulk' };
    const before = await scrape();
    expect(sample(before, 'numbat_jobs', { ...kind, status: 'queued' })).toBeUndefined();

    const res = await t.admin('POST', '/api/v1/numbers/bulk/lock', {
      filter: { siteId: site.id },
      reason: 'metrics test',
    });
    expect(res.statusCode).toBe(202);
    const jobId = String(res.json().id);
    let text = await scrape();
    expect(sample(text, 'numbat_jobs', { ...kind, status: 'queued' })).toBe(1);
    expect(sample(text, 'numbat_jobs_oldest_seconds', { ...kind, status: 'queued' })).toBeLessThan(
      60,
    );

    // It has waited 10 minutes: the age says so (database clock).
    await t.db
      .updateTable('jobs')
      .set({ run_after: new Date(Date.now() - 600_000) })
      .where('id', '=', jobId)
      .execute();
    text = await scrape();
    expect(
      sample(text, 'numbat_jobs_oldest_seconds', { ...kind, status: 'queued' }),
    ).toBeGreaterThanOrEqual(599);

    // A worker claims it and dies: running, lease expired.
    await t.db
      .updateTable('jobs')
      .set({
        status: 'running',
        locked_by: 'gone',
        started_at: new Date(Date.now() - 120_000),
        locked_until: new Date(Date.now() - 1_000),
      })
      .where('id', '=', jobId)
      .execute();
    text = await scrape();
    expect(sample(text, 'numbat_jobs', { ...kind, status: 'queued' })).toBeUndefined();
    expect(sample(text, 'numbat_jobs', { ...kind, status: 'running' })).toBe(1);
    expect(
      sample(text, 'numbat_jobs_oldest_seconds', { ...kind, status: 'running' }),
    ).toBeGreaterThanOrEqual(119);
    expect(sample(text, 'numbat_jobs_lease_expired', kind)).toBe(1);
    expect(sample(text, 'numbat_jobs_failed_last_hour', kind)).toBeUndefined();

    await t.db
      .updateTable('jobs')
      .set({ status: 'failed', finished_at: new Date(), error: 'test' })
      .where('id', '=', jobId)
      .execute();
    text = await scrape();
    expect(sample(text, 'numbat_jobs', { ...kind, status: 'running' })).toBeUndefined();
    expect(sample(text, 'numbat_jobs_lease_expired', kind)).toBeUndefined();
    expect(sample(text, 'numbat_jobs_failed_last_hour', kind)).toBe(1);
  });

  it('numbers by state: counted, then recounted in the background once the count is stale', async () => {
    let text = await scrape();
    const available = sample(text, 'numbat_numbers', { status: 'available' })!;
    const reserved = sample(text, 'numbat_numbers', { status: 'reserved' }) ?? 0;
    expect(available).toBeGreaterThanOrEqual(50);
    const c = await t.customer();
    const res = await t.admin('POST', '/api/v1/numbers/allocate', {
      holder: { type: 'customer', customerId: c.id },
      count: 4,
      siteId: site.id,
    });
    expect(res.statusCode).toBe(200);
    // Within the TTL the cached count is served.
    text = await scrape();
    expect(sample(text, 'numbat_numbers', { status: 'reserved' }) ?? 0).toBe(reserved);
    // Past it, a scrape starts a recount; a later scrape shows the new figures.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + NUMBERS_COUNT_TTL_MS + 1_000);
      let seen = reserved;
      for (let i = 0; i < 50 && seen === reserved; i++) {
        text = await scrape();
        seen = sample(text, 'numbat_numbers', { status: 'reserved' }) ?? 0;
        if (seen === reserved) await new Promise((r) => setImmediate(r));
      }
      expect(seen).toBe(reserved + 4);
      expect(sample(text, 'numbat_numbers', { status: 'available' })).toBe(available - 4);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('request ids (structured logs, problems, audit)', () => {
  const lines: Record<string, unknown>[] = [];
  let logged: Awaited<ReturnType<typeof buildApp>>;
  beforeAll(async () => {
    logged = await buildApp({
      db: t.db,
      pool: t.pool,
      config: { coolingOffDays: 90, coolingOffDaysByCountry: {}, logLevel: 'info' },
      logStream: { write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) },
    });
    await logged.ready();
    return () => logged.close();
  });
  const get = (url: string, headers: Record<string, string> = {}) =>
    logged.inject({
      method: 'GET',
      url,
      headers: { authorization: `Bearer ${t.adminToken}`, ...headers },
    });

  it('a sane x-request-id is used: echoed, in every log line of the request, in problems', async () => {
    const id = `rq-${Date.now()}.a_b`;
    const res = await get('/api/v1/numbers/%2B449999', { 'x-request-id': id });
    expect(res.statusCode).toBe(404);
    expect(res.headers['x-request-id']).toBe(id);
    expect(res.json().requestId).toBe(id);
    const mine = lines.filter((l) => l.reqId === id);
    // "incoming request" and "request completed", as JSON with level and time.
    expect(mine.map((l) => l.msg)).toEqual(['incoming request', 'request completed']);
    for (const l of mine) {
      expect(typeof l.time).toBe('number');
      expect(l.level).toBe(30);
    }
    expect(mine[1]).toMatchObject({ res: { statusCode: 404 } });
    // The token never reaches the log.
    expect(JSON.stringify(lines)).not.toContain(t.adminToken);
  });

  it('an insane or missing x-request-id is replaced by a fresh UUID', async () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    const ids = new Set<string>();
    for (const bad of ['has space', 'a'.repeat(101), 'x"y', '{"$ne":1}', '']) {
      const res = await get('/healthz', { 'x-request-id': bad });
      const id = String(res.headers['x-request-id']);
      expect(id).toMatch(uuid);
      ids.add(id);
    }
    const res = await get('/healthz');
    ids.add(String(res.headers['x-request-id']));
    expect(ids.size).toBe(6);
  });

  it('the request id of a change is stored on its audit event (SPEC §11)', async () => {
    const id = `audit-${Date.now()}`;
    const res = await logged.inject({
      method: 'POST',
      url: '/api/v1/sites',
      headers: { authorization: `Bearer ${t.adminToken}`, 'x-request-id': id },
      payload: { name: `site-${id}`, country: 'GB' },
    });
    expect(res.statusCode).toBe(201);
    const events = await t.db
      .selectFrom('audit_events')
      .select(['action', 'object_id'])
      .where('request_id', '=', id)
      .execute();
    expect(events).toEqual([{ action: 'site.create', object_id: res.json().id }]);
  });
});
