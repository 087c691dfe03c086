/**
 * Issue 7, OWASP API4 (unrestricted resource consumption), SPEC §4: rate
 * limits per principal (429 + Retry-After + RATE_LIMITED before any side
 * effect), page-size cap, request-body cap, import size caps, and export
 * concurrency caps (429 per principal, 503 for the instance), all configurable
 * (src/config.ts). The limiter's clock is the app's injected clock, so no
 * assertion depends on timing.
 */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { createTokensService } from '../../src/auth/tokens.service.js';
import { limitDefaults, loadConfig, type Limits } from '../../src/config.js';
import { createTestDb, type TestDb } from '../support/db.js';

interface LimitedApp extends TestDb {
  app: FastifyInstance;
  clock: { now: Date };
  admin: string;
  token: (permissions: string[]) => Promise<string>;
  call: (
    token: string | null,
    method: InjectOptions['method'],
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ) => Promise<LightMyRequestResponse>;
}

let shared: Promise<TestDb> | undefined;

/** A Numbat with the given limits; `extra` may add routes before it starts. */
async function limitedApp(
  limits: Partial<Limits>,
  extra?: (app: FastifyInstance) => void,
): Promise<LimitedApp> {
  // One database for the file: the apps differ only in their in-memory limits.
  shared ??= createTestDb();
  const tdb = await shared;
  const clock = { now: new Date('2026-03-01T10:00:00Z') };
  const app = await buildApp({
    db: tdb.db,
    pool: tdb.pool,
    config: { coolingOffDays: 90, coolingOffDaysByCountry: {}, logLevel: 'silent', ...limits },
    now: () => clock.now,
    logger: false,
  });
  extra?.(app);
  await app.ready();
  afterAll(() => app.close());
  const admin = (
    await createTokensService({ db: tdb.db }).create(null, {
      name: `admin-${Math.random()}`,
      permissions: ['admin'],
      scope: 'operator',
    })
  ).secret;
  const call: LimitedApp['call'] = (token, method, url, body, headers = {}) =>
    app.inject({
      method,
      url,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      ...(body !== undefined ? { payload: body as InjectOptions['payload'] } : {}),
    });
  const token = async (permissions: string[]) =>
    createTokensService({ db: tdb.db })
      .create(null, {
        name: `t-${Math.random()}`,
        permissions: permissions as never,
        scope: 'operator',
      })
      .then((r) => r.secret);
  return { ...tdb, app, clock, admin, call, token };
}

const countOf = async (
  db: TestDb['db'],
  table: 'customers' | 'audit_events' | 'jobs' | 'idempotency_keys',
) =>
  Number(
    (
      await db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('configuration', () => {
  it('reads every limit from the environment, with generous defaults, and refuses nonsense', () => {
    const c = loadConfig({});
    expect(c).toMatchObject(limitDefaults);
    expect(
      loadConfig({
        NUMBAT_RATE_LIMIT: '5',
        NUMBAT_RATE_LIMIT_BURST: '10',
        NUMBAT_EXPORTS_PER_PRINCIPAL: '1',
        NUMBAT_EXPORTS_GLOBAL: '3',
        NUMBAT_BODY_LIMIT: '65536',
        NUMBAT_IMPORT_MAX_BYTES: '1000000',
        NUMBAT_IMPORT_MAX_ROWS: '100',
        NUMBAT_HSTS: 'on',
      }),
    ).toMatchObject({
      rateLimitPerSecond: 5,
      rateLimitBurst: 10,
      exportsPerPrincipal: 1,
      exportsGlobal: 3,
      bodyLimit: 65536,
      importMaxBytes: 1_000_000,
      importMaxRows: 100,
      hsts: 'on',
    });
    expect(() => loadConfig({ NUMBAT_RATE_LIMIT: 'fast' })).toThrow(/NUMBAT_RATE_LIMIT/);
    expect(() => loadConfig({ NUMBAT_HSTS: 'maybe' })).toThrow(/NUMBAT_HSTS/);
    expect(() => loadConfig({ NUMBAT_BODY_LIMIT: '10' })).toThrow(/NUMBAT_BODY_LIMIT/);
  });
});

describe('rate limits per principal (SPEC §4)', () => {
  let a: LimitedApp;
  beforeAll(async () => {
    a = await limitedApp({ rateLimitPerSecond: 1, rateLimitBurst: 3 });
  });

  it('a burst is served, the next request is 429 with Retry-After; another principal is unaffected; time refills', async () => {
    const mine = await a.token(['read', 'write']);
    const other = await a.token(['read']);
    for (let i = 0; i < 3; i++)
      expect((await a.call(mine, 'GET', '/api/v1/customers')).statusCode).toBe(200);
    const refused = await a.call(mine, 'GET', '/api/v1/customers');
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.json()).toMatchObject({ code: 'RATE_LIMITED', status: 429, retryAfter: 1 });
    expect((await a.call(other, 'GET', '/api/v1/customers')).statusCode).toBe(200);
    a.clock.now = new Date(a.clock.now.getTime() + 1000);
    expect((await a.call(mine, 'GET', '/api/v1/customers')).statusCode).toBe(200);
    expect((await a.call(mine, 'GET', '/api/v1/customers')).statusCode).toBe(429);
  });

  it('a write over the limit changes nothing: no row, no audit event, no idempotency record', async () => {
    const mine = await a.token(['read', 'write']);
    for (let i = 0; i < 3; i++) await a.call(mine, 'GET', '/api/v1/customers');
    const before = await Promise.all(
      (['customers', 'audit_events', 'idempotency_keys'] as const).map((t) => countOf(a.db, t)),
    );
    const res = await a.call(
      mine,
      'POST',
      '/api/v1/customers',
      { name: 'Over the limit', accountName: 'over-the-limit' },
      { 'idempotency-key': 'rate-limited-once' },
    );
    expect(res.statusCode).toBe(429);
    expect(res.json().code).toBe('RATE_LIMITED');
    const after = await Promise.all(
      (['customers', 'audit_events', 'idempotency_keys'] as const).map((t) => countOf(a.db, t)),
    );
    expect(after).toEqual(before);
    // Once allowed again, the same request does what it says.
    a.clock.now = new Date(a.clock.now.getTime() + 5000);
    const ok = await a.call(
      mine,
      'POST',
      '/api/v1/customers',
      { name: 'Over the limit', accountName: 'over-the-limit' },
      { 'idempotency-key': 'rate-limited-once' },
    );
    expect(ok.statusCode).toBe(201);
  });

  it('unauthenticated requests are limited by client address (sign-in); probes never', async () => {
    const attempt = () =>
      a.call(null, 'POST', '/api/v1/auth/sign-in', {
        email: 'nobody@x.example',
        password: 'wrong',
      });
    a.clock.now = new Date(a.clock.now.getTime() + 60_000);
    for (let i = 0; i < 3; i++) expect((await attempt()).statusCode).toBe(401);
    const limited = await attempt();
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('RATE_LIMITED');
    for (let i = 0; i < 10; i++)
      expect((await a.call(null, 'GET', '/healthz')).statusCode).toBe(200);
  });

  it('`numbat serve` passes the configured limits: on by default', async () => {
    const served = await limitedApp(loadConfig({}));
    expect(served.app.limits).toEqual(limitDefaults);
    expect(served.app.limits.rateLimitPerSecond).toBeGreaterThan(0);
  });

  it('is off where no limit is configured (tests, bench, embedders)', async () => {
    const t = await limitedApp({});
    expect(t.app.limits.rateLimitPerSecond).toBe(0);
    for (let i = 0; i < 30; i++)
      expect((await t.call(t.admin, 'GET', '/api/v1/customers?limit=1')).statusCode).toBe(200);
  });
});

describe('caps', () => {
  let a: LimitedApp;
  let started: () => void;
  let holding: Promise<void>;
  let release: () => void;
  const hold = () => {
    holding = new Promise<void>((r) => (started = r));
    return new Promise<void>((r) => (release = r));
  };
  let gate: Promise<void> = Promise.resolve();

  beforeAll(async () => {
    a = await limitedApp(
      {
        bodyLimit: 1024,
        importMaxBytes: 4000,
        importMaxRows: 5,
        exportsPerPrincipal: 1,
        exportsGlobal: 2,
      },
      (app) =>
        // Holds an export slot until the test lets go (a slow client, deterministically).
        app.get(
          '/api/v1/test/held-export',
          { config: { permission: 'read', concurrency: 'export' } },
          async () => {
            started();
            await gate;
            return 'done';
          },
        ),
    );
  });

  it('page size: every list route refuses limit above 1000 (400) and takes 1000', async () => {
    const doc = a.app.swagger() as {
      paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
    };
    const lists = Object.entries(doc.paths).flatMap(([path, ops]) =>
      ops.get?.parameters?.some((p) => p.name === 'limit' && p.in === 'query') &&
      !path.includes('{')
        ? [path]
        : [],
    );
    expect(lists.length).toBeGreaterThan(8);
    for (const path of lists) {
      const over = await a.call(a.admin, 'GET', `${path}?limit=1001`);
      expect(over.statusCode, path).toBe(400);
      expect(over.json().code).toBe('VALIDATION_FAILED');
      const max = await a.call(a.admin, 'GET', `${path}?limit=1000`);
      expect(max.statusCode, `${path}: ${max.body}`).not.toBe(400);
    }
  });

  it('request body: over the limit → 413 PAYLOAD_TOO_LARGE, nothing created', async () => {
    const before = await countOf(a.db, 'customers');
    const res = await a.call(a.admin, 'POST', '/api/v1/customers', {
      name: 'x'.repeat(5000),
      accountName: 'too-big',
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413 });
    expect(res.json().detail).toContain('1024');
    expect(await countOf(a.db, 'customers')).toBe(before);
  });

  const csv = (rows: number, pad = 0) =>
    'number,country\n' +
    Array.from(
      { length: rows },
      (_, i) => `+44113499${String(i).padStart(4, '0')},GB${' '.repeat(pad)}`,
    ).join('\n') +
    '\n';

  it('imports: larger than the body limit is fine (streamed); over the import caps → 413, no job left', async () => {
    const jobs = await countOf(a.db, 'jobs');
    const small = await a.call(a.admin, 'POST', '/api/v1/imports', csv(5, 250), {
      'content-type': 'text/csv',
    });
    expect(small.statusCode, small.body).toBe(200);
    const afterSmall = await countOf(a.db, 'jobs');
    const rows = await a.call(a.admin, 'POST', '/api/v1/imports', csv(6), {
      'content-type': 'text/csv',
    });
    expect(rows.statusCode).toBe(413);
    expect(rows.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', maxRows: 5 });
    expect(csv(5, 250).length).toBeGreaterThan(1024);
    const bytes = await a.call(a.admin, 'POST', '/api/v1/imports', csv(3, 1500), {
      'content-type': 'text/csv',
    });
    expect(bytes.statusCode).toBe(413);
    expect(bytes.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', maxBytes: 4000 });
    expect(await countOf(a.db, 'jobs')).toBe(afterSmall);
    expect(afterSmall).toBeGreaterThanOrEqual(jobs);
  });

  it('exports: one at a time per principal (429), two per instance (503), both with Retry-After', async () => {
    const first = await a.token(['read']);
    const second = await a.token(['read']);
    const third = await a.token(['read']);
    gate = hold();
    const held1 = a.call(first, 'GET', '/api/v1/test/held-export');
    await holding;
    // The same principal, the real export route: refused while its first runs.
    const mine = await a.call(first, 'GET', '/api/v1/exports/numbers.csv');
    expect(mine.statusCode).toBe(429);
    expect(mine.headers['retry-after']).toBe('5');
    expect(mine.json().code).toBe('TOO_MANY_EXPORTS');
    holding = new Promise<void>((r) => (started = r));
    const held2 = a.call(second, 'GET', '/api/v1/test/held-export');
    await holding;
    const busy = await a.call(third, 'GET', '/api/v1/exports/numbers.csv');
    expect(busy.statusCode).toBe(503);
    expect(busy.headers['retry-after']).toBe('5');
    expect(busy.json().code).toBe('SERVER_BUSY');
    release();
    expect((await held1).statusCode).toBe(200);
    expect((await held2).statusCode).toBe(200);
    // Slots are given back when the answers are sent.
    const again = await a.call(third, 'GET', '/api/v1/exports/numbers.csv');
    expect(again.statusCode).toBe(200);
    expect(again.body.split('\n')[0]).toContain('number');
  });
});
