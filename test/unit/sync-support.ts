/**
 * Shared pieces of the sync tests: emulators on 127.0.0.1 with random ports,
 * connectors wired to them with a sleep that records delays instead of
 * waiting (so Retry-After can be asserted without slow tests), and the
 * contract check every test file runs over every request its connectors sent.
 */
import { expect } from 'vitest';
import type { ReceivedRequest } from '../../src/emulators/base.js';
import type { Contract } from '../../src/emulators/contract.js';
import { AcgConnector } from '../../src/sync/connectors/acg.connector.js';
import {
  defaultHttpDeps,
  type HttpDeps,
  type RetryPolicy,
} from '../../src/sync/connectors/http.js';
import { WebexConnector } from '../../src/sync/connectors/webex.connector.js';
import {
  ACG_EMULATOR_CLIENT_ID,
  ACG_EMULATOR_CLIENT_SECRET,
  createAcgEmulator,
} from '../../src/emulators/acg.js';
import { createWebexEmulator, WEBEX_EMULATOR_TOKEN } from '../../src/emulators/webex.js';

/** HTTP deps whose sleep records the wanted delay and returns at once. */
export function recordingDeps(): HttpDeps & { delays: number[] } {
  const delays: number[] = [];
  return {
    ...defaultHttpDeps,
    delays,
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
  };
}

const fastRetry: Partial<RetryPolicy> = { maxAttempts: 8, baseDelayMs: 10, timeoutMs: 5_000 };

export async function startAcg(retry: Partial<RetryPolicy> = {}) {
  const emulator = createAcgEmulator();
  const url = await emulator.listen(0);
  const deps = recordingDeps();
  const connector = new AcgConnector(
    {
      baseUrl: url,
      auth: {
        tokenUrl: `${url}/oauth2/v2.0/token`,
        clientId: ACG_EMULATOR_CLIENT_ID,
        clientSecret: ACG_EMULATOR_CLIENT_SECRET,
        scope: 'api://numbat-emulator/.default',
      },
      retry: { ...fastRetry, ...retry },
    },
    deps,
  );
  const control = (path: string, body: unknown) =>
    fetch(`${url}/_control/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then(async (r) => {
      expect(r.status, `control ${path}`).toBeLessThan(300);
      return r.json();
    });
  return { emulator, url, deps, connector, control };
}

export async function startWebex(retry: Partial<RetryPolicy> = {}) {
  const emulator = createWebexEmulator();
  const url = await emulator.listen(0);
  const deps = recordingDeps();
  const connector = new WebexConnector(
    { baseUrl: url, accessToken: WEBEX_EMULATOR_TOKEN, retry: { ...fastRetry, ...retry } },
    deps,
  );
  const control = (path: string, body: unknown) =>
    fetch(`${url}/_control/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then(async (r) => {
      expect(r.status, `control ${path}`).toBeLessThan(300);
      return r.json();
    });
  return { emulator, url, deps, connector, control };
}

/** `count` consecutive E.164 numbers from `first` (digits after the +). */
export function numbers(first: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `+${first + i}`);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Every request an emulator received from a connector conforms: the reference
 * schema (path, query, headers, body), plus our own header policy for ACG
 * (api-version, bearer token, x-ms-client-request-id on every call,
 * Repeatability-* on every mutation, the same Repeatability-Request-ID only for
 * the same body) and the batch limits. Returns how many requests it checked.
 */
export function expectAllConform(
  platform: 'acg' | 'webex',
  requests: readonly ReceivedRequest[],
  contract: Contract,
): number {
  const problems: string[] = [];
  const bodiesByRepeatId = new Map<string, string>();
  for (const r of requests) {
    const where = `${r.method} ${r.path}`;
    if (r.operationId === 'oauth2Token') {
      const b = r.body as Record<string, string>;
      if (b.grant_type !== 'client_credentials' || !b.client_id || !b.client_secret || !b.scope)
        problems.push(`${where}: token request is not a complete client_credentials grant`);
      if (!r.headers['content-type']?.startsWith('application/x-www-form-urlencoded'))
        problems.push(`${where}: token request is not form-encoded`);
      continue;
    }
    const result = contract.validate(r);
    if (!result.ok) problems.push(`${where}: ${result.errors.join('; ')}`);
    if (r.rejected) problems.push(`${where}: emulator rejected it: ${r.rejected.join('; ')}`);
    if (!/^Bearer \S+$/.test(r.headers.authorization ?? ''))
      problems.push(`${where}: no bearer token`);
    const body = r.body as { numbers?: unknown[]; phoneNumbers?: unknown[] } | undefined;
    if (platform === 'acg') {
      if (r.query['api-version'] !== '2024-02-29-preview')
        problems.push(`${where}: api-version ${r.query['api-version']}`);
      if (!UUID.test(r.headers['x-ms-client-request-id'] ?? ''))
        problems.push(`${where}: x-ms-client-request-id missing or not a uuid`);
      if (MUTATING.has(r.method)) {
        const id = r.headers['repeatability-request-id'];
        const sent = r.headers['repeatability-first-sent'];
        if (!id || !sent) problems.push(`${where}: mutation without Repeatability-* headers`);
        if (id) {
          const json = JSON.stringify(r.body ?? null);
          const seen = bodiesByRepeatId.get(id);
          if (seen !== undefined && seen !== json)
            problems.push(`${where}: Repeatability-Request-ID ${id} reused for another body`);
          bodiesByRepeatId.set(id, json);
        }
      }
      if ((body?.numbers?.length ?? 0) > 100)
        problems.push(`${where}: batch of ${body?.numbers?.length} numbers`);
    } else {
      const n = body?.phoneNumbers?.length ?? 0;
      if (r.operationId === 'RemovePhoneNumbersFromALocation' && n > 5)
        problems.push(`${where}: delete of ${n} numbers`);
      if (r.operationId === 'AddPhoneNumbersToALocation' && n > 100)
        problems.push(`${where}: add of ${n} numbers`);
    }
  }
  expect(problems).toEqual([]);
  return requests.length;
}
