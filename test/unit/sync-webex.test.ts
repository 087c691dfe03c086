/**
 * The Webex connector against the Webex emulator over real HTTP on 127.0.0.1
 * (SPEC §8, integrated webexCloudConnect services push to their location).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webexContract } from '../../src/emulators/contract.js';
import { SyncError } from '../../src/sync/connectors/http.js';
import { expectAllConform, numbers, startWebex } from './sync-support.js';

let env: Awaited<ReturnType<typeof startWebex>>;
const target = { id: 'LOC-LONDON' };
const MAIN = '+442079460000';

beforeAll(async () => {
  env = await startWebex();
  await env.control('locations', { locationId: target.id, name: 'London', mainNumber: MAIN });
});

afterAll(async () => {
  expect(expectAllConform('webex', env.emulator.requests, webexContract())).toBeGreaterThan(20);
  await env.emulator.close();
});

describe('Webex connector', () => {
  it('pushes 1,000 numbers in requests of ≤ 100 through 429s and 5xx: each once in the location, active', async () => {
    const all = numbers(4420_7946_1000, 1000);
    await env.control('throttle', { count: 2, retryAfterSeconds: 3 });
    const first = await env.connector.pushNumbers(
      target,
      all.slice(0, 500).map((e164) => ({ e164 })),
    );
    await env.control('outage', { count: 3, status: 502, afterExecute: true });
    const second = await env.connector.pushNumbers(
      target,
      all.slice(500).map((e164) => ({ e164 })),
    );
    await env.control('outage', { count: 2, status: 503 });
    const listed = await env.connector.listNumbers(target);

    expect([...first.numbers, ...second.numbers].every((n) => n.status === 'synced')).toBe(true);
    const pushed = listed.filter((n) => n.e164 !== MAIN);
    expect(pushed.map((n) => n.e164).sort()).toEqual([...all].sort());
    expect(new Set(listed.map((n) => n.e164)).size).toBe(listed.length);
    expect(pushed.every((n) => n.active && !n.mainNumber)).toBe(true);
    expect(listed.find((n) => n.e164 === MAIN)?.mainNumber).toBe(true);

    const adds = env.emulator.requests.filter(
      (r) => r.operationId === 'AddPhoneNumbersToALocation',
    );
    expect(
      Math.max(...adds.map((r) => (r.body as { phoneNumbers: unknown[] }).phoneNumbers.length)),
    ).toBe(100);
    expect(adds.filter((r) => r.status === 429)).toHaveLength(2);
    expect(env.deps.delays.filter((d) => d >= 3000)).toHaveLength(2);
    expect(env.emulator.requests.filter((r) => r.status === 502)).toHaveLength(3);
  });

  it('adds numbers inactive, then activates and deactivates them', async () => {
    const some = numbers(4420_7946_5000, 7);
    await env.connector.pushNumbers(
      target,
      some.map((e164) => ({ e164, active: false, usage: 'SERVICE' })),
    );
    const state = async () =>
      (await env.connector.listNumbers(target))
        .filter((n) => some.includes(n.e164))
        .map((n) => n.active);
    expect(await state()).toEqual(some.map(() => false));
    await env.connector.setNumbersActive(target, some, true);
    expect(await state()).toEqual(some.map(() => true));
    await env.connector.setNumbersActive(target, some.slice(0, 3), false);
    expect(await state()).toEqual([false, false, false, true, true, true, true]);
  });

  it('deletes in requests of at most 5 numbers', async () => {
    const gone = numbers(4420_7946_1000, 12);
    const before = env.emulator.requests.length;
    const result = await env.connector.deleteNumbers(target, gone);
    expect(result.deleted).toEqual(gone);
    expect(result.refused).toEqual([]);
    const deletes = env.emulator.requests
      .slice(before)
      .filter((r) => r.operationId === 'RemovePhoneNumbersFromALocation')
      .map((r) => (r.body as { phoneNumbers: unknown[] }).phoneNumbers.length);
    expect(deletes).toEqual([5, 5, 2]);
    const listed = new Set((await env.connector.listNumbers(target)).map((n) => n.e164));
    expect(gone.filter((n) => listed.has(n))).toEqual([]);
  });

  it('surfaces Webex’s refusal to delete the location’s main number and deletes the rest of the batch', async () => {
    const [a, b] = numbers(4420_7946_1100, 2) as [string, string];
    const result = await env.connector.deleteNumbers(target, [a, MAIN, b]);
    expect(result.deleted).toEqual([a, b]);
    expect(result.refused).toHaveLength(1);
    expect(result.refused[0]?.e164).toBe(MAIN);
    expect(result.refused[0]?.errors[0]?.code).toBe('WEBEX_MAIN_NUMBER_NOT_REMOVABLE');
    expect(result.refused[0]?.errors[0]?.message).toMatch(
      /\+442079460000 is the main number of Webex location LOC-LONDON/,
    );
    const listed = new Set((await env.connector.listNumbers(target)).map((n) => n.e164));
    expect(listed.has(MAIN)).toBe(true);
    expect(listed.has(a) || listed.has(b)).toBe(false);
  });

  it('sees an admin’s removal and an assignment on the platform side; refuses to deactivate an assigned number', async () => {
    const [removed, assigned] = numbers(4420_7946_1200, 2) as [string, string];
    await env.control('tenant-delete', { phoneNumber: removed });
    await env.control('assignment', { phoneNumber: assigned, ownerId: 'person-1' });
    const listed = await env.connector.listNumbers(target);
    expect(listed.some((n) => n.e164 === removed)).toBe(false);
    expect(listed.find((n) => n.e164 === assigned)?.assigned).toBe(true);

    const err = await env.connector
      .setNumbersActive(target, [assigned], false)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SyncError);
    expect(err).toMatchObject({ code: 'UPSTREAM_REJECTED', status: 400 });
    expect((err as Error).message).toMatch(/assigned numbers cannot be deactivated/);
  });

  it('has no consents or civic addresses and says so in its capabilities', async () => {
    expect(env.connector.capabilities()).toEqual({
      platform: 'webex',
      maxPushBatch: 100,
      maxDeleteBatch: 5,
      supportsConsents: false,
      supportsCivicAddresses: false,
    });
    expect(await env.connector.listConsents()).toEqual([]);
  });
});
