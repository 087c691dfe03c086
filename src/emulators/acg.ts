/**
 * Azure Communications Gateway Provisioning API emulator (SPEC §8): accounts,
 * numbers (single and batches of ≤ 100), requests for information (consents)
 * and Teams civic addresses, in memory, every request validated against
 * `../shared/reference/acg-provisioning-2024-02-29-preview.swagger.json`.
 *
 * Behaviour worth knowing:
 * - An OAuth2 client-credentials token endpoint at `/oauth2/v2.0/token`; API
 *   calls need `Authorization: Bearer <a token it issued>`.
 * - `Repeatability-Request-ID`: a repeated id is not executed again; the first
 *   answer is replayed with `Repeatability-Result: accepted`.
 * - `ETag` on accounts and numbers; `If-Match` / `If-None-Match: *` answer 412
 *   when they do not hold.
 * - `writes` counts how often each number was really written, so a test can
 *   prove retries did not execute a batch twice.
 */
import { randomUUID } from 'node:crypto';
import { acgContract, type Contract } from './contract.js';
import {
  createEmulatorBase,
  describeEmulator,
  page,
  type Handler,
  type Reply,
  type EmulatorBase,
} from './base.js';

type Json = Record<string, unknown>;

export interface AcgEmulatorOptions {
  contract?: Contract;
  /** Accepted client id / secret at the token endpoint. */
  clientId?: string;
  clientSecret?: string;
  /** Default page size of list operations (ACG pages; so do we). Default 100. */
  pageSize?: number;
}

export const ACG_EMULATOR_CLIENT_ID = 'numbat-emulator';
export const ACG_EMULATOR_CLIENT_SECRET = 'numbat-emulator-secret';

export interface AcgEmulatorState {
  accounts: Map<string, { resource: Json; etag: string }>;
  numbers: Map<string, { resource: Json; etag: string }>;
  consents: Map<string, Json>;
  civicAddresses: Map<string, Json[]>;
  /** Real executions of a write per telephone number. */
  writes: Map<string, number>;
  /** Numbers the next write marks `failed` with these errors. */
  failures: Map<string, { code: string; message: string }[]>;
  tokens: Set<string>;
  repeatability: Map<string, Reply>;
}

export interface AcgEmulator extends EmulatorBase {
  state: AcgEmulatorState;
  /** Start on 127.0.0.1 (port 0 = random); resolves to the base URL. */
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

const API = ''; // the provisioning API is served at the root

export const ACG_CONTROL_ENDPOINTS = [
  '/oauth2/v2.0/token  (token endpoint: client_credentials)',
  '/_control/consents  {tenantId, accountName?, status?, consentedCountries?, contacts?}  a consent arrives',
  '/_control/tenant-delete  {telephoneNumber}  a tenant admin deletes a number',
  '/_control/assignment  {telephoneNumber, assignmentStatus}  an assignment changes',
  '/_control/civic-addresses  {accountName, address}  a tenant adds a civic address',
  '/_control/provisioning-failures  {numbers[], code, message}  the next write of these fails',
  '/_control/throttle  {count, retryAfterSeconds}  429 + Retry-After for the next N requests',
  '/_control/outage  {count, status, afterExecute}  5xx for the next N requests',
  '/_control/slow  {count, delayMs}  slow answers',
  '/_control/expire-tokens  revoke every issued token',
  '/_control/state  (GET) counts; /_control/requests (GET) every request received',
];

export function createAcgEmulator(opts: AcgEmulatorOptions = {}): AcgEmulator {
  const contract = opts.contract ?? acgContract();
  const clientId = opts.clientId ?? ACG_EMULATOR_CLIENT_ID;
  const clientSecret = opts.clientSecret ?? ACG_EMULATOR_CLIENT_SECRET;
  const pageSize = opts.pageSize ?? 100;
  const state: AcgEmulatorState = {
    accounts: new Map(),
    numbers: new Map(),
    consents: new Map(),
    civicAddresses: new Map(),
    writes: new Map(),
    failures: new Map(),
    tokens: new Set(),
    repeatability: new Map(),
  };

  const error = (status: number, code: string, message: string, details: string[] = []): Reply => ({
    status,
    headers: { 'x-ms-error-code': code },
    body: {
      error: {
        code,
        message,
        ...(details.length ? { details: details.map((d) => ({ code, message: d })) } : {}),
      },
    },
  });

  const list = (items: Json[], ctx: Parameters<Handler>[0]): Reply => {
    const q = ctx.req.query;
    const skip = Number(q.skip ?? 0);
    const size = Math.min(Number(q.maxpagesize ?? q.top ?? pageSize), pageSize);
    const p = page(items, skip, size);
    const next = new URLSearchParams({ ...q, skip: String(skip + size) });
    return {
      status: 200,
      headers: q.countRecords === 'true' ? { 'x-ms-record-count': String(items.length) } : {},
      body: {
        value: p.items,
        ...(p.more ? { nextLink: `${ctx.origin}${ctx.req.path}?${next.toString()}` } : {}),
      },
    };
  };

  /** Repeatability (Azure REST guidelines): run a mutation at most once per request id. */
  const once =
    (h: Handler): Handler =>
    (ctx) => {
      const id = ctx.req.headers['repeatability-request-id'];
      if (id) {
        const seen = state.repeatability.get(id);
        if (seen) {
          return { ...seen, headers: { ...seen.headers, 'repeatability-result': 'accepted' } };
        }
      }
      const reply = h(ctx);
      if (id && reply.status < 500) {
        reply.headers = { ...reply.headers, 'repeatability-result': 'accepted' };
        state.repeatability.set(id, reply);
      }
      return reply;
    };

  const withClientId = (ctx: Parameters<Handler>[0], reply: Reply): Reply => {
    const cid = ctx.req.headers['x-ms-client-request-id'];
    return cid ? { ...reply, headers: { ...reply.headers, 'x-ms-client-request-id': cid } } : reply;
  };

  /** If-Match / If-None-Match against the current ETag (null = absent). */
  const preconditionFails = (ctx: Parameters<Handler>[0], etag: string | null): boolean => {
    const ifMatch = ctx.req.headers['if-match'];
    const ifNoneMatch = ctx.req.headers['if-none-match'];
    if (ifMatch !== undefined && (etag === null || (ifMatch !== '*' && ifMatch !== etag)))
      return true;
    if (ifNoneMatch !== undefined && etag !== null && (ifNoneMatch === '*' || ifNoneMatch === etag))
      return true;
    return false;
  };

  const writeNumber = (resource: Json): Json => {
    const e164 = String(resource.telephoneNumber);
    state.writes.set(e164, (state.writes.get(e164) ?? 0) + 1);
    const failed = state.failures.get(e164);
    state.failures.delete(e164);
    const previous = state.numbers.get(e164)?.resource;
    const stored: Json = {
      ...resource,
      serviceDetails: keepAssignment(
        resource.serviceDetails as Json,
        previous?.serviceDetails as Json,
      ),
      serviceProvisioningStatus: failed ? 'failed' : 'synced',
      serviceProvisioningErrors: failed ?? [],
    };
    state.numbers.set(e164, { resource: stored, etag: `"${randomUUID()}"` });
    return stored;
  };

  const accountOf = (ctx: Parameters<Handler>[0]) => ctx.match.pathParams.accountName!;
  const numbersOf = (account: string) =>
    [...state.numbers.values()]
      .map((n) => n.resource)
      .filter((r) => r.accountName === account)
      .sort((a, b) => String(a.telephoneNumber).localeCompare(String(b.telephoneNumber)));

  const handlers: Record<string, Handler> = {
    Accounts_List: (ctx) =>
      list(
        [...state.accounts.values()].map((a) => a.resource),
        ctx,
      ),
    Accounts_Get: (ctx) => {
      const a = state.accounts.get(accountOf(ctx));
      if (!a) return error(404, 'NotFound', `account ${accountOf(ctx)} not found`);
      return { status: 200, headers: { etag: a.etag }, body: a.resource };
    },
    Accounts_CreateOrReplace: once((ctx) => {
      const name = accountOf(ctx);
      const current = state.accounts.get(name) ?? null;
      if (preconditionFails(ctx, current?.etag ?? null))
        return error(412, 'PreconditionFailed', `account ${name}: ETag precondition failed`);
      const body = ctx.req.body as Json;
      if (body.name !== name)
        return error(
          400,
          'InvalidRequest',
          `body name ${String(body.name)} differs from path ${name}`,
        );
      const resource = {
        ...body,
        serviceProvisioningStatus: 'synced',
        serviceProvisioningErrors: [],
      };
      const etag = `"${randomUUID()}"`;
      state.accounts.set(name, { resource, etag });
      return withClientId(ctx, { status: current ? 200 : 201, headers: { etag }, body: resource });
    }),
    Accounts_Delete: once((ctx) => {
      const name = accountOf(ctx);
      state.accounts.delete(name);
      if (ctx.req.query.deleteNumbers === 'true')
        for (const n of numbersOf(name)) state.numbers.delete(String(n.telephoneNumber));
      return { status: 204 };
    }),
    Accounts_CreateOrUpdateNumbers: once((ctx) => {
      const name = accountOf(ctx);
      if (!state.accounts.has(name)) return error(404, 'NotFound', `account ${name} not found`);
      const numbers = (ctx.req.body as { numbers: Json[] }).numbers;
      const wrong = numbers.filter((n) => n.accountName !== name);
      if (wrong.length)
        return error(400, 'InvalidRequest', `numbers name another account than ${name}`, [
          ...wrong.map((n) => String(n.telephoneNumber)),
        ]);
      const stored = numbers.map(writeNumber);
      return withClientId(ctx, { status: 200, body: { numbers: stored } });
    }),
    Accounts_DeleteNumbers: once((ctx) => {
      const name = accountOf(ctx);
      for (const n of (ctx.req.body as { numbers: { telephoneNumber: string }[] }).numbers) {
        if (state.numbers.get(n.telephoneNumber)?.resource.accountName === name)
          state.numbers.delete(n.telephoneNumber);
      }
      return withClientId(ctx, { status: 204 });
    }),
    Accounts_ListNumbers: (ctx) => list(numbersOf(accountOf(ctx)), ctx),
    ListNumbers: (ctx) =>
      list(
        [...state.numbers.values()].map((n) => n.resource),
        ctx,
      ),
    Accounts_GetNumber: (ctx) => {
      const n = state.numbers.get(ctx.match.pathParams.telephoneNumber!);
      if (!n || n.resource.accountName !== accountOf(ctx))
        return error(404, 'NotFound', 'number not found');
      return { status: 200, headers: { etag: n.etag }, body: n.resource };
    },
    Accounts_CreateOrReplaceNumber: once((ctx) => {
      const e164 = ctx.match.pathParams.telephoneNumber!;
      const current = state.numbers.get(e164) ?? null;
      if (preconditionFails(ctx, current?.etag ?? null))
        return error(412, 'PreconditionFailed', `${e164}: ETag precondition failed`);
      if (!state.accounts.has(accountOf(ctx)))
        return error(404, 'NotFound', `account ${accountOf(ctx)} not found`);
      const stored = writeNumber({ ...(ctx.req.body as Json), telephoneNumber: e164 });
      return {
        status: current ? 200 : 201,
        headers: { etag: state.numbers.get(e164)!.etag },
        body: stored,
      };
    }),
    Accounts_DeleteNumber: once((ctx) => {
      state.numbers.delete(ctx.match.pathParams.telephoneNumber!);
      return { status: 204 };
    }),
    Accounts_ListTeamsCivicAddresses: (ctx) =>
      list(state.civicAddresses.get(accountOf(ctx)) ?? [], ctx),
    Accounts_GetTeamsCivicAddress: (ctx) => {
      const a = (state.civicAddresses.get(accountOf(ctx)) ?? []).find(
        (x) => x.id === ctx.match.pathParams.civicAddressId,
      );
      return a ? { status: 200, body: a } : error(404, 'NotFound', 'civic address not found');
    },
    TeamsRequestsForInformation_List: (ctx) => list([...state.consents.values()], ctx),
    TeamsRequestsForInformation_GetRequestForInformation: (ctx) => {
      const c = state.consents.get(ctx.match.pathParams.tenantId!);
      return c
        ? { status: 200, body: c }
        : error(404, 'NotFound', 'request for information not found');
    },
    TeamsRequestsForInformation_CreateOrUpdateRequestForInformation: once((ctx) => {
      const c = state.consents.get(ctx.match.pathParams.tenantId!);
      if (!c) return error(404, 'NotFound', 'request for information not found');
      const rel = (ctx.req.body as Json).customerRelationship as Json | undefined;
      const now = new Date().toISOString();
      if (rel) c.customerRelationship = { ...rel, lastModifiedOn: now };
      c.lastModifiedOn = now;
      return { status: 200, body: c };
    }),
  };

  const base = createEmulatorBase({
    contract,
    handlers,
    authorize: (req) => {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      return token && state.tokens.has(token)
        ? null
        : error(401, 'Unauthorized', 'missing or unknown bearer token');
    },
    errorBody: (_status, code, message, details) => error(_status, code, message, details).body,
  });
  const { app } = base;

  // OAuth2 client-credentials token endpoint (Microsoft identity platform shape).
  app.post('/oauth2/v2.0/token', async (req, reply) => {
    const entry = base.record(req, 'oauth2Token');
    const b = (req.body ?? {}) as Record<string, string>;
    if (
      b.grant_type !== 'client_credentials' ||
      b.client_id !== clientId ||
      b.client_secret !== clientSecret
    ) {
      entry.status = 401;
      return reply
        .code(401)
        .send({ error: 'invalid_client', error_description: 'unknown client or secret' });
    }
    const token = `acg-emu-${randomUUID()}`;
    state.tokens.add(token);
    entry.status = 200;
    return { token_type: 'Bearer', expires_in: 3600, access_token: token };
  });

  // ---- the platform's side ----
  app.post(
    '/_control/consents',
    {
      schema: {
        body: {
          type: 'object',
          required: ['tenantId'],
          properties: {
            tenantId: { type: 'string', format: 'uuid' },
            accountName: { type: 'string' },
            status: { enum: ['active', 'suspended', 'removed'] },
            consentedCountries: { type: 'array', items: { type: 'string' } },
            contacts: { type: 'array', items: { type: 'object' } },
          },
          additionalProperties: false,
        },
      },
    },
    async (req) => {
      const b = req.body as Json;
      const now = new Date().toISOString();
      const consent: Json = {
        id: randomUUID(),
        tenantId: b.tenantId,
        accountName: b.accountName,
        productContext: 'teams',
        operatorId: randomUUID(),
        status: b.status ?? 'active',
        consentedOn: now,
        lastModifiedOn: now,
        consentedCountries: b.consentedCountries ?? [],
        contacts: b.contacts ?? [],
        serviceProvisioningStatus: 'synced',
        serviceProvisioningErrors: [],
      };
      state.consents.set(String(b.tenantId), consent);
      return consent;
    },
  );
  app.post(
    '/_control/tenant-delete',
    {
      schema: {
        body: {
          type: 'object',
          required: ['telephoneNumber'],
          properties: { telephoneNumber: { type: 'string' } },
          additionalProperties: false,
        },
      },
    },
    async (req, reply) => {
      const e164 = String((req.body as Json).telephoneNumber);
      const existed = state.numbers.delete(e164);
      return existed ? { deleted: e164 } : reply.code(404).send({ error: `${e164} not found` });
    },
  );
  app.post(
    '/_control/assignment',
    {
      schema: {
        body: {
          type: 'object',
          required: ['telephoneNumber', 'assignmentStatus'],
          properties: {
            telephoneNumber: { type: 'string' },
            assignmentStatus: { enum: ['assigned', 'unassigned'] },
          },
          additionalProperties: false,
        },
      },
    },
    async (req, reply) => {
      const b = req.body as {
        telephoneNumber: string;
        assignmentStatus: 'assigned' | 'unassigned';
      };
      const n = state.numbers.get(b.telephoneNumber);
      if (!n) return reply.code(404).send({ error: `${b.telephoneNumber} not found` });
      for (const svc of Object.values((n.resource.serviceDetails ?? {}) as Record<string, Json>))
        svc.assignmentStatus = b.assignmentStatus;
      n.etag = `"${randomUUID()}"`;
      return n.resource;
    },
  );
  app.post(
    '/_control/civic-addresses',
    {
      schema: {
        body: {
          type: 'object',
          required: ['accountName', 'address'],
          properties: {
            accountName: { type: 'string' },
            address: { type: 'object', properties: { id: { type: 'string' } } },
          },
          additionalProperties: false,
        },
      },
    },
    async (req) => {
      const b = req.body as { accountName: string; address: Json & { id?: string } };
      const id = b.address.id ?? randomUUID();
      const address = { defaultLocationId: `${id}-loc`, ...b.address, id };
      state.civicAddresses.set(b.accountName, [
        ...(state.civicAddresses.get(b.accountName) ?? []),
        address,
      ]);
      return address;
    },
  );
  app.post(
    '/_control/provisioning-failures',
    {
      schema: {
        body: {
          type: 'object',
          required: ['numbers'],
          properties: {
            numbers: { type: 'array', items: { type: 'string' } },
            code: { type: 'string' },
            message: { type: 'string' },
          },
          additionalProperties: false,
        },
      },
    },
    async (req) => {
      const b = req.body as { numbers: string[]; code?: string; message?: string };
      for (const n of b.numbers)
        state.failures.set(n, [
          {
            code: b.code ?? 'ProvisioningFailed',
            message: b.message ?? 'Teams refused the number',
          },
        ]);
      return { failing: b.numbers.length };
    },
  );
  app.post('/_control/expire-tokens', async () => {
    const n = state.tokens.size;
    state.tokens.clear();
    return { revoked: n };
  });
  app.get('/_control/state', async () => ({
    accounts: state.accounts.size,
    numbers: state.numbers.size,
    consents: state.consents.size,
    requests: base.requests.length,
  }));

  return {
    ...base,
    state,
    async listen(port = 0, host = '127.0.0.1') {
      await app.listen({ port, host });
      const addr = app.server.address();
      const p = typeof addr === 'object' && addr ? addr.port : port;
      return `http://${host}:${p}${API}`;
    },
    close: () => app.close(),
  };
}

/** Keep the platform-owned assignment status when the operator re-pushes a number. */
function keepAssignment(next: Json | undefined, previous: Json | undefined): Json {
  const out: Json = { ...(next ?? {}) };
  for (const [svc, details] of Object.entries(out)) {
    const prev = (previous?.[svc] as Json | undefined)?.assignmentStatus;
    const d = details as Json;
    out[svc] = { ...d, assignmentStatus: d.assignmentStatus ?? prev ?? 'unassigned' };
  }
  return out;
}

export function describeAcgEmulator(baseUrl: string): string {
  return describeEmulator(
    'ACG',
    baseUrl,
    ACG_CONTROL_ENDPOINTS.map((c) => c),
  );
}
