/**
 * The bearer-token cache of src/http/auth.ts (TOKEN_CACHE_MS = 5 s) keeps the
 * token look-up off the hot path of every request. A revocation through this
 * process's API clears it at once (auth.api.test.ts); one made elsewhere
 * (another Numbat process, the CLI, SQL) is honoured once the cached entry is
 * older than 5 s. The clock is moved with fake Date only, no waiting.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});

afterEach(() => {
  vi.useRealTimers();
});

async function revokeElsewhere(token: string) {
  const rows = await t.db.selectFrom('api_tokens').select(['id', 'prefix']).execute();
  const id = rows.find((r) => token.startsWith(r.prefix) && r.prefix.length > 4)!.id;
  await t.db
    .updateTable('api_tokens')
    .set({ revoked_at: new Date() })
    .where('id', '=', id)
    .execute();
}

describe('token look-up cache', () => {
  it('a token revoked by another process is refused once the 5 s cache entry expired', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-03-01T10:00:00Z') });
    const token = await t.token(['read']);
    expect((await t.call(token, 'GET', '/api/v1/customers')).statusCode).toBe(200); // cached now
    await revokeElsewhere(token);

    vi.setSystemTime(new Date('2026-03-01T10:00:04.900Z'));
    // Still inside the documented window: the cached principal answers.
    expect((await t.call(token, 'GET', '/api/v1/customers')).statusCode).toBe(200);

    vi.setSystemTime(new Date('2026-03-01T10:00:05.001Z'));
    const res = await t.call(token, 'GET', '/api/v1/customers');
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('UNAUTHENTICATED');
  });

  it('an unknown token is not cached as valid: it stays refused and a new token works at once', async () => {
    const bogus = 'nbt_this-token-does-not-exist-0000000000';
    expect((await t.call(bogus, 'GET', '/api/v1/customers')).statusCode).toBe(401);
    expect((await t.call(bogus, 'GET', '/api/v1/customers')).statusCode).toBe(401);
    const token = await t.token(['read']);
    expect((await t.call(token, 'GET', '/api/v1/customers')).statusCode).toBe(200);
  });
});
