/**
 * Webex Calling location numbers emulator (SPEC §8): add, activate/deactivate,
 * remove and list numbers of locations, in memory, every request validated
 * against `../shared/reference/webex-numbers-openapi.yml` plus the limits the
 * reference states in prose (delete ≤ 5, DEACTIVATE ≤ 500, mobile add ≤ 20).
 *
 * Like Webex it ignores numbers already in the location on add, refuses to
 * remove a location's main number (400, `BATCH-1017024`), and refuses to
 * deactivate an assigned number. API calls need `Authorization: Bearer <token>`
 * with the token it was started with.
 */
import { randomUUID } from 'node:crypto';
import { webexContract, type Contract } from './contract.js';
import {
  createEmulatorBase,
  describeEmulator,
  page,
  type EmulatorBase,
  type Handler,
  type Reply,
} from './base.js';

export const WEBEX_EMULATOR_TOKEN = 'webex-emulator-token';
const E164 = /^\+[1-9]\d{1,14}$/;

export interface WebexNumber {
  phoneNumber: string;
  state: 'ACTIVE' | 'INACTIVE';
  numberType: 'DID' | 'TOLLFREE' | 'MOBILE';
  usage: 'NONE' | 'SERVICE';
  owner: { id: string; type: string } | null;
}

export interface WebexLocation {
  id: string;
  name: string;
  mainNumber: string | null;
  numbers: Map<string, WebexNumber>;
}

export interface WebexEmulatorState {
  locations: Map<string, WebexLocation>;
}

export interface WebexEmulatorOptions {
  contract?: Contract;
  /** The bearer token API calls must carry. Default `webex-emulator-token`. */
  token?: string;
}

export interface WebexEmulator extends EmulatorBase {
  state: WebexEmulatorState;
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

export const WEBEX_CONTROL_ENDPOINTS = [
  '/_control/locations  {locationId, name?, mainNumber?}  create a location / set its main number',
  '/_control/tenant-delete  {phoneNumber}  an admin removes a number in Control Hub',
  '/_control/assignment  {phoneNumber, ownerId|null, ownerType?}  an assignment changes',
  '/_control/throttle  {count, retryAfterSeconds}  429 + Retry-After for the next N requests',
  '/_control/outage  {count, status, afterExecute}  5xx for the next N requests',
  '/_control/slow  {count, delayMs}  slow answers',
  '/_control/state  (GET) counts; /_control/requests (GET) every request received',
];

export function createWebexEmulator(opts: WebexEmulatorOptions = {}): WebexEmulator {
  const contract = opts.contract ?? webexContract();
  const token = opts.token ?? WEBEX_EMULATOR_TOKEN;
  const state: WebexEmulatorState = { locations: new Map() };

  const error = (
    status: number,
    message: string,
    errors: { description: string; errorCode?: string }[] = [],
  ): Reply => ({
    status,
    body: {
      message,
      errors: errors.length ? errors : [{ description: message }],
      trackingId: `EMU_${randomUUID()}`,
    },
  });

  const location = (id: string): WebexLocation => {
    let l = state.locations.get(id);
    if (!l) {
      l = { id, name: `Location ${id}`, mainNumber: null, numbers: new Map() };
      state.locations.set(id, l);
    }
    return l;
  };
  const phoneNumbersOf = (ctx: Parameters<Handler>[0]) =>
    (ctx.req.body as { phoneNumbers: string[] }).phoneNumbers;
  const invalid = (numbers: string[]) => numbers.filter((n) => !E164.test(n));

  const handlers: Record<string, Handler> = {
    AddPhoneNumbersToALocation: (ctx) => {
      const body = ctx.req.body as {
        phoneNumbers: string[];
        numberType?: WebexNumber['numberType'];
        numberUsageType?: WebexNumber['usage'];
        state?: WebexNumber['state'];
      };
      const bad = invalid(body.phoneNumbers);
      if (bad.length) return error(400, `not E.164: ${bad.join(', ')}`);
      const loc = location(ctx.match.pathParams.locationId!);
      const elsewhere = body.phoneNumbers.filter((n) =>
        [...state.locations.values()].some((l) => l !== loc && l.numbers.has(n)),
      );
      if (elsewhere.length)
        return error(409, `already in another location: ${elsewhere.join(', ')}`);
      const numberType = body.numberType ?? 'DID';
      for (const n of body.phoneNumbers) {
        if (loc.numbers.has(n)) continue; // "already exist in the location will simply be ignored"
        loc.numbers.set(n, {
          phoneNumber: n,
          numberType,
          usage: body.numberUsageType ?? 'NONE',
          state: numberType === 'MOBILE' ? 'INACTIVE' : (body.state ?? 'ACTIVE'),
          owner: null,
        });
      }
      return { status: 201 };
    },
    ManageNumberStateInALocation: (ctx) => {
      const loc = location(ctx.match.pathParams.locationId!);
      const action = (ctx.req.body as { action?: string }).action ?? 'ACTIVATE';
      const numbers = phoneNumbersOf(ctx);
      const missing = numbers.filter((n) => !loc.numbers.has(n));
      if (missing.length) return error(400, `not in location ${loc.id}: ${missing.join(', ')}`);
      if (action === 'DEACTIVATE') {
        const assigned = numbers.filter((n) => loc.numbers.get(n)!.owner !== null);
        if (assigned.length)
          return error(400, `assigned numbers cannot be deactivated: ${assigned.join(', ')}`);
      }
      for (const n of numbers) {
        const num = loc.numbers.get(n)!;
        if (num.numberType !== 'MOBILE')
          num.state = action === 'DEACTIVATE' ? 'INACTIVE' : 'ACTIVE';
      }
      return { status: 204 };
    },
    RemovePhoneNumbersFromALocation: (ctx) => {
      const loc = location(ctx.match.pathParams.locationId!);
      const numbers = phoneNumbersOf(ctx);
      // "A location's main number cannot be removed." The whole request is refused.
      if (loc.mainNumber && numbers.includes(loc.mainNumber)) {
        return error(400, 'Failed because it is a main number.', [
          {
            errorCode: 'BATCH-1017024',
            description: `${loc.mainNumber}: Failed because it is a main number.`,
          },
        ]);
      }
      for (const n of numbers) loc.numbers.delete(n);
      return { status: 204 };
    },
    GetPhoneNumbersForAnOrganizationWithGivenCriteria: (ctx) => {
      const q = ctx.req.query;
      const all = [...state.locations.values()]
        .filter((l) => !q.locationId || l.id === q.locationId)
        .flatMap((l) => [...l.numbers.values()].map((n) => ({ l, n })))
        .filter(({ n }) => !q.phoneNumber || n.phoneNumber === q.phoneNumber)
        .filter(({ n }) => !q.state || q.state === 'Default' || n.state === q.state)
        .sort((a, b) => a.n.phoneNumber.localeCompare(b.n.phoneNumber));
      const p = page(all, Number(q.start ?? 0), Number(q.max ?? 2000));
      return {
        status: 200,
        body: {
          phoneNumbers: p.items.map(({ l, n }) => ({
            phoneNumber: n.phoneNumber,
            state: n.state,
            phoneNumberType: 'PRIMARY',
            mainNumber: l.mainNumber === n.phoneNumber,
            includedTelephonyTypes: 'PSTN_NUMBER',
            tollFreeNumber: n.numberType === 'TOLLFREE',
            isServiceNumber: n.usage === 'SERVICE',
            isReservedNumber: false,
            location: { id: l.id, name: l.name },
            ...(n.owner ? { owner: n.owner } : {}),
          })),
        },
      };
    },
  };

  const base = createEmulatorBase({
    contract,
    handlers,
    authorize: (req) =>
      req.headers.authorization === `Bearer ${token}`
        ? null
        : error(401, 'Authentication credentials were missing or incorrect.'),
    errorBody: (status, _code, message, details) =>
      error(
        status,
        message,
        details.map((d) => ({ description: d })),
      ).body,
  });
  const { app } = base;

  app.post(
    '/_control/locations',
    {
      schema: {
        body: {
          type: 'object',
          required: ['locationId'],
          properties: {
            locationId: { type: 'string', minLength: 1 },
            name: { type: 'string' },
            mainNumber: { type: 'string', pattern: '^\\+[1-9]\\d{1,14}$' },
          },
          additionalProperties: false,
        },
      },
    },
    async (req) => {
      const b = req.body as { locationId: string; name?: string; mainNumber?: string };
      const loc = location(b.locationId);
      if (b.name) loc.name = b.name;
      if (b.mainNumber) {
        if (!loc.numbers.has(b.mainNumber))
          loc.numbers.set(b.mainNumber, {
            phoneNumber: b.mainNumber,
            state: 'ACTIVE',
            numberType: 'DID',
            usage: 'NONE',
            owner: null,
          });
        loc.mainNumber = b.mainNumber;
      }
      return { id: loc.id, name: loc.name, mainNumber: loc.mainNumber, numbers: loc.numbers.size };
    },
  );
  app.post(
    '/_control/tenant-delete',
    {
      schema: {
        body: {
          type: 'object',
          required: ['phoneNumber'],
          properties: { phoneNumber: { type: 'string' } },
          additionalProperties: false,
        },
      },
    },
    async (req, reply) => {
      const n = String((req.body as { phoneNumber: string }).phoneNumber);
      for (const l of state.locations.values()) if (l.numbers.delete(n)) return { deleted: n };
      return reply.code(404).send({ error: `${n} not found` });
    },
  );
  app.post(
    '/_control/assignment',
    {
      schema: {
        body: {
          type: 'object',
          required: ['phoneNumber', 'ownerId'],
          properties: {
            phoneNumber: { type: 'string' },
            ownerId: { type: ['string', 'null'] },
            ownerType: { type: 'string' },
          },
          additionalProperties: false,
        },
      },
    },
    async (req, reply) => {
      const b = req.body as { phoneNumber: string; ownerId: string | null; ownerType?: string };
      for (const l of state.locations.values()) {
        const n = l.numbers.get(b.phoneNumber);
        if (!n) continue;
        n.owner = b.ownerId ? { id: b.ownerId, type: b.ownerType ?? 'PEOPLE' } : null;
        return n;
      }
      return reply.code(404).send({ error: `${b.phoneNumber} not found` });
    },
  );
  app.get('/_control/state', async () => ({
    locations: [...state.locations.values()].map((l) => ({
      id: l.id,
      mainNumber: l.mainNumber,
      numbers: l.numbers.size,
    })),
    requests: base.requests.length,
  }));

  return {
    ...base,
    state,
    async listen(port = 0, host = '127.0.0.1') {
      await app.listen({ port, host });
      const addr = app.server.address();
      return `http://${host}:${typeof addr === 'object' && addr ? addr.port : port}`;
    },
    close: () => app.close(),
  };
}

export function describeWebexEmulator(baseUrl: string): string {
  return describeEmulator('Webex', baseUrl, WEBEX_CONTROL_ENDPOINTS);
}
