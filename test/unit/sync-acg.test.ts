/**
 * The ACG connector against the ACG emulator over real HTTP on 127.0.0.1
 * (SPEC §8; sync states of §3.3 come from serviceProvisioningStatus).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acgContract } from '../../src/emulators/contract.js';
import { SyncError } from '../../src/sync/connectors/http.js';
import { AcgConnector } from '../../src/sync/connectors/acg.connector.js';
import { expectAllConform, numbers, startAcg } from './sync-support.js';

let env: Awaited<ReturnType<typeof startAcg>>;
const target = { id: 'contoso' };
const tenantId = 'a7f4bd5c-cc01-40f4-8baa-2b6bdb272b8a';

beforeAll(async () => {
  env = await startAcg();
  await env.connector.upsertAccount({
    name: 'contoso',
    serviceDetails: {
      teamsTenantId: tenantId,
      teamsOperatorConnect: { enabled: true, syncEnabled: true },
    },
  });
});

afterAll(async () => {
  // The contract holds for every request this file's connectors sent.
  expect(expectAllConform('acg', env.emulator.requests, acgContract())).toBeGreaterThan(30);
  await env.emulator.close();
});

const batchRequests = () =>
  env.emulator.requests.filter((r) => r.operationId === 'Accounts_CreateOrUpdateNumbers');

describe('ACG connector', () => {
  it('pushes 1,000 numbers in batches of ≤ 100 through 429s and 5xx: each number upstream exactly once, synced', async () => {
    const all = numbers(4420_7000_0000, 1000);
    const before = env.emulator.requests.length;
    await env.control('throttle', { count: 3, retryAfterSeconds: 2 });
    const first = await env.connector.pushNumbers(
      target,
      all
        .slice(0, 500)
        .map((e164) => ({ e164, civicAddressId: 'addr-1', customSipHeader: 'contoso' })),
    );
    // The next answers are lost after the gateway executed the batch: the retry
    // carries the same Repeatability-Request-ID and must not write twice.
    await env.control('outage', { count: 3, status: 500, afterExecute: true });
    const second = await env.connector.pushNumbers(
      target,
      all.slice(500).map((e164) => ({ e164 })),
    );
    await env.control('outage', { count: 2, status: 503 });
    const listed = await env.connector.listNumbers(target);

    expect([...first.numbers, ...second.numbers].map((n) => n.status)).toEqual(
      all.map(() => 'synced'),
    );
    expect(listed.map((n) => n.e164).sort()).toEqual([...all].sort());
    expect(new Set(listed.map((n) => n.e164)).size).toBe(1000);
    expect(all.filter((n) => env.emulator.state.writes.get(n) !== 1)).toEqual([]);
    expect(listed.find((n) => n.e164 === all[0])).toMatchObject({
      civicAddressId: 'addr-1',
      customSipHeader: 'contoso',
      assigned: false,
      active: true,
    });

    const sent = env.emulator.requests
      .slice(before)
      .filter((r) => r.operationId === 'Accounts_CreateOrUpdateNumbers');
    const sizes = sent.map((r) => (r.body as { numbers: unknown[] }).numbers.length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(100);
    expect(sent.filter((r) => r.status === 429)).toHaveLength(3);
    expect(sent.filter((r) => r.status === 500)).toHaveLength(3);
    // Retry-After: 2 was honoured (the recorded waits are at least 2 s).
    expect(env.deps.delays.filter((d) => d >= 2000).length).toBeGreaterThanOrEqual(3);
    // 10 batches, each answered 200 exactly once (replays included).
    expect(
      new Set(
        sent.filter((r) => r.status === 200).map((r) => r.headers['repeatability-request-id']),
      ).size,
    ).toBe(10);
  });

  it('a second push of the same numbers updates them in place (still once each)', async () => {
    const some = numbers(4420_7000_0000, 50);
    const result = await env.connector.pushNumbers(
      target,
      some.map((e164) => ({ e164, usage: 'ConferenceAssignment' })),
    );
    expect(result.numbers.every((n) => n.status === 'synced')).toBe(true);
    const listed = await env.connector.listNumbers(target);
    expect(listed).toHaveLength(1000);
    expect(listed.filter((n) => n.usage === 'ConferenceAssignment')).toHaveLength(50);
  });

  it('deletes numbers in batches of ≤ 100 and they are gone upstream', async () => {
    const gone = numbers(4420_7000_0000 + 900, 100).concat(numbers(4420_7000_0000 + 100, 150));
    const result = await env.connector.deleteNumbers(target, gone);
    expect(result.deleted).toHaveLength(250);
    expect(result.refused).toEqual([]);
    const listed = new Set((await env.connector.listNumbers(target)).map((n) => n.e164));
    expect(listed.size).toBe(750);
    expect(gone.filter((n) => listed.has(n))).toEqual([]);
    const sizes = env.emulator.requests
      .filter((r) => r.operationId === 'Accounts_DeleteNumbers')
      .map((r) => (r.body as { numbers: unknown[] }).numbers.length);
    expect(sizes).toEqual([100, 100, 50]);
  });

  it('lists consents that arrived on the platform and the tenant’s civic addresses', async () => {
    expect(await env.connector.listConsents()).toEqual([]);
    await env.control('consents', {
      tenantId,
      accountName: 'contoso',
      consentedCountries: ['GB', 'US'],
      contacts: [{ fullName: 'Ada Admin', email: 'ada@contoso.example' }],
    });
    const consents = await env.connector.listConsents();
    expect(consents).toHaveLength(1);
    expect(consents[0]).toMatchObject({
      tenantId,
      accountName: 'contoso',
      status: 'active',
      consentedCountries: ['GB', 'US'],
      contacts: [{ fullName: 'Ada Admin', email: 'ada@contoso.example' }],
    });

    await env.control('civic-addresses', {
      accountName: 'contoso',
      address: {
        id: 'addr-1',
        country: 'GB',
        cityOrTown: 'London',
        validationStatus: 'validated',
        locations: [{ id: 'loc-1', civicAddressId: 'addr-1', isDefault: true, description: 'HQ' }],
      },
    });
    const addresses = await env.connector.listCivicAddresses(target);
    expect(addresses).toEqual([
      expect.objectContaining({
        id: 'addr-1',
        country: 'GB',
        cityOrTown: 'London',
        validated: true,
        locations: [
          { id: 'loc-1', description: 'HQ', additionalInfo: null, isDefault: true, elin: null },
        ],
      }),
    ]);
  });

  it('reports serviceProvisioningStatus failed with the platform’s errors for the numbers it refused', async () => {
    const [bad, good] = numbers(4420_7111_0000, 2) as [string, string];
    await env.control('provisioning-failures', {
      numbers: [bad],
      code: 'InvalidCivicAddress',
      message: 'civic address not validated',
    });
    const result = await env.connector.pushNumbers(target, [{ e164: bad }, { e164: good }]);
    expect(result.numbers).toEqual([
      {
        e164: bad,
        status: 'failed',
        errors: [{ code: 'InvalidCivicAddress', message: 'civic address not validated' }],
      },
      { e164: good, status: 'synced', errors: [] },
    ]);
  });

  it('sees a tenant admin’s deletion and an assignment change on the platform side', async () => {
    const [deleted, assigned] = numbers(4420_7000_0000 + 300, 2) as [string, string];
    await env.control('tenant-delete', { telephoneNumber: deleted });
    await env.control('assignment', { telephoneNumber: assigned, assignmentStatus: 'assigned' });
    const listed = await env.connector.listNumbers(target);
    expect(listed.some((n) => n.e164 === deleted)).toBe(false);
    expect(listed.find((n) => n.e164 === assigned)?.assigned).toBe(true);
  });

  it('writes accounts with ETags: create with If-None-Match: *, update with If-Match of the current ETag', async () => {
    const created = await env.connector.upsertAccount({ name: 'fabrikam', correlationId: 'c-1' });
    const updated = await env.connector.upsertAccount({ name: 'fabrikam', correlationId: 'c-2' });
    const puts = env.emulator.requests.filter(
      (r) => r.operationId === 'Accounts_CreateOrReplace' && r.path === '/accounts/fabrikam',
    );
    expect(
      puts.map((r) => [
        r.status,
        r.headers['if-none-match'] ?? null,
        r.headers['if-match'] ?? null,
      ]),
    ).toEqual([
      [201, '*', null],
      [200, null, created.etag],
    ]);
    expect(updated.etag).not.toBe(created.etag);
    expect(updated.account.correlationId).toBe('c-2');
    expect((await env.connector.getAccount('fabrikam'))?.etag).toBe(updated.etag);
  });

  it('fetches a new token after the old one was revoked (401) and carries on', async () => {
    await env.control('expire-tokens', {});
    const tokensBefore = env.emulator.requests.filter(
      (r) => r.operationId === 'oauth2Token',
    ).length;
    expect((await env.connector.listNumbers(target)).length).toBeGreaterThan(700);
    expect(env.emulator.requests.filter((r) => r.operationId === 'oauth2Token').length).toBe(
      tokensBefore + 1,
    );
  });

  it('retries a slow answer after its timeout', async () => {
    const slow = await startAcg({ timeoutMs: 150 });
    try {
      await slow.connector.upsertAccount({ name: 'slowco' });
      await slow.control('slow', { count: 1, delayMs: 600 });
      const result = await slow.connector.pushNumbers({ id: 'slowco' }, [
        { e164: '+441134960000' },
      ]);
      expect(result.numbers[0]?.status).toBe('synced');
      expect(slow.emulator.state.writes.get('+441134960000')).toBe(1);
    } finally {
      await slow.emulator.close();
    }
  });

  it('gives up after the bounded number of attempts with a clear error', async () => {
    const down = await startAcg({ maxAttempts: 4 });
    try {
      await down.connector.upsertAccount({ name: 'downco' });
      await down.control('outage', { count: 100, status: 503 });
      const before = down.emulator.requests.length;
      const err = await down.connector
        .pushNumbers({ id: 'downco' }, [{ e164: '+441134960001' }])
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SyncError);
      expect((err as SyncError).code).toBe('UPSTREAM_UNAVAILABLE');
      expect((err as SyncError).message).toMatch(/503.*gave up after 4 attempts/);
      expect(down.emulator.requests.length - before).toBe(4);

      await down.control('outage', { count: 0 });
      await down.control('throttle', { count: 100, retryAfterSeconds: 1 });
      const throttled = await down.connector.listNumbers({ id: 'downco' }).catch((e: unknown) => e);
      expect((throttled as SyncError).code).toBe('UPSTREAM_THROTTLED');
      expect(down.deps.delays.slice(-3)).toEqual([1000, 1000, 1000]);
    } finally {
      await down.emulator.close();
    }
  });

  it('maps a refusal to UPSTREAM_REJECTED / NOT_FOUND / AUTH_FAILED with the platform’s reason', async () => {
    const err = await env.connector
      .pushNumbers({ id: 'nobody' }, [{ e164: '+441134960002' }])
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'UPSTREAM_NOT_FOUND', status: 404 });
    expect((err as Error).message).toMatch(/account nobody not found/);

    const wrongSecret = new AcgConnector(
      {
        baseUrl: env.url,
        auth: {
          tokenUrl: `${env.url}/oauth2/v2.0/token`,
          clientId: 'numbat-emulator',
          clientSecret: 'wrong',
        },
      },
      env.deps,
    );
    const denied = await wrongSecret.listConsents().catch((e: unknown) => e);
    expect(denied).toMatchObject({ code: 'UPSTREAM_AUTH_FAILED' });
  });

  it('sends batches of at most 100 numbers however many it is given', () => {
    expect(
      batchRequests().every((r) => (r.body as { numbers: unknown[] }).numbers.length <= 100),
    ).toBe(true);
    expect(
      () =>
        new AcgConnector({
          baseUrl: env.url,
          auth: { tokenUrl: '', clientId: '', clientSecret: '' },
          batchSize: 101,
        }),
    ).toThrow(/batch size must be 1..100/);
  });
});
