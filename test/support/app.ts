/**
 * An in-process Numbat on a fresh database, with a settable clock and
 * factories that build valid objects through the API (STYLE.md "Tests").
 */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll } from 'vitest';
import { buildApp } from '../../src/app.js';
import { createTokensService } from '../../src/auth/tokens.service.js';
import { createTestDb, type TestDb } from './db.js';

export interface TestApp extends TestDb {
  app: FastifyInstance;
  adminToken: string;
  clock: { now: Date };
  call: (
    token: string,
    method: InjectOptions['method'],
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ) => Promise<LightMyRequestResponse>;
  admin: (
    method: InjectOptions['method'],
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
  ) => Promise<LightMyRequestResponse>;
  token: (permissions: string[], scope?: string) => Promise<string>;
  site: (fields?: Record<string, unknown>) => Promise<{ id: string; country: string }>;
  customer: (fields?: Record<string, unknown>) => Promise<{ id: string; accountName: string }>;
  range: (fields: Record<string, unknown>) => Promise<{ id: string; start: string; end: string }>;
}

let seq = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++seq}`;

export async function createTestApp(
  opts: { coolingOffDays?: number; coolingOffDaysByCountry?: Record<string, number> } = {},
): Promise<TestApp> {
  const tdb = await createTestDb();
  const clock = { now: new Date('2026-01-15T12:00:00Z') };
  const app = await buildApp({
    db: tdb.db,
    pool: tdb.pool,
    config: {
      coolingOffDays: opts.coolingOffDays ?? 90,
      coolingOffDaysByCountry: opts.coolingOffDaysByCountry ?? {},
      logLevel: 'silent',
    },
    now: () => clock.now,
    logger: false,
  });
  await app.ready();
  afterAll(() => app.close());
  const boot = await createTokensService({ db: tdb.db }).bootstrap(null);
  const adminToken = boot!.secret;

  const call: TestApp['call'] = (token, method, url, body, headers = {}) =>
    app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}`, ...headers },
      ...(body !== undefined ? { payload: body as InjectOptions['payload'] } : {}),
    });
  const admin: TestApp['admin'] = (method, url, body, headers) =>
    call(adminToken, method, url, body, headers);

  async function created<T>(res: LightMyRequestResponse): Promise<T> {
    if (res.statusCode !== 201) throw new Error(`expected 201, got ${res.statusCode}: ${res.body}`);
    return res.json<T>();
  }

  return {
    ...tdb,
    app,
    adminToken,
    clock,
    call,
    admin,
    token: async (permissions, scope = 'operator') =>
      (
        await created<{ token: string }>(
          await admin('POST', '/api/v1/tokens', { name: unique('t'), permissions, scope }),
        )
      ).token,
    site: async (fields = {}) =>
      created(
        await admin('POST', '/api/v1/sites', { name: unique('site'), country: 'GB', ...fields }),
      ),
    customer: async (fields = {}) =>
      created(
        await admin('POST', '/api/v1/customers', {
          name: 'Customer',
          accountName: unique('acct'),
          ...fields,
        }),
      ),
    range: async (fields) =>
      created(await admin('POST', '/api/v1/ranges', { name: unique('range'), ...fields })),
  };
}
