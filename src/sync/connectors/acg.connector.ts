/**
 * Azure Communications Gateway Provisioning API connector (Teams Operator
 * Connect / Teams Phone Mobile), per
 * `../shared/reference/acg-provisioning-2024-02-29-preview.swagger.json`.
 *
 * - Numbers go in batches of ≤ 100 (`BatchNumbers.numbers.maxItems`) through
 *   `POST /accounts/{a}:createOrUpdateNumbers` and `:deleteNumbers`.
 * - Every mutating call carries `Repeatability-Request-ID` and
 *   `Repeatability-First-Sent`, kept identical across retries, so a retry after
 *   a lost answer is executed at most once by the gateway; every call carries
 *   `x-ms-client-request-id` (a uuid) for support cases.
 * - Accounts are written with `If-None-Match: *` (create) or `If-Match: <ETag>`
 *   (update); a 412 re-reads and tries once more.
 * - `serviceProvisioningStatus` / `serviceProvisioningErrors` of each number are
 *   returned as `status` / `errors` (SPEC §3.3: synced → active, pending →
 *   pendingFirstSync, failed → failed with the platform's errors).
 * - OAuth2 client credentials; the token is cached until a minute before expiry
 *   and fetched again after a 401.
 */
import { randomUUID } from 'node:crypto';
import {
  chunk,
  type Connector,
  type ConnectorCapabilities,
  type DeleteResult,
  type NumberOutcome,
  type PushResult,
  type UpstreamCivicAddress,
  type UpstreamConsent,
  type UpstreamError,
  type UpstreamNumber,
  type UpstreamNumberState,
  type UpstreamStatus,
  type UpstreamTarget,
} from './connector.js';
import {
  defaultHttpDeps,
  defaultRetryPolicy,
  requestJson,
  SyncError,
  type HttpDeps,
  type JsonRequest,
  type JsonResponse,
  type RetryPolicy,
} from './http.js';

export const ACG_API_VERSION = '2024-02-29-preview';
/** `BatchNumbers.numbers.maxItems` / `BatchNumbersDelete.numbers.maxItems`. */
export const ACG_MAX_BATCH = 100;

export interface AcgOAuthConfig {
  /** e.g. `https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token`. */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** Default: the swagger's `https://func-voiceservice-rp-prod-eastuseuap.azurewebsites.net/.default`. */
  scope?: string;
}

export interface AcgConnectorConfig {
  /** The gateway's provisioning API base URL, without a trailing slash. */
  baseUrl: string;
  auth: AcgOAuthConfig;
  /** Default `2024-02-29-preview`. */
  apiVersion?: string;
  /** Numbers per batch request; default and maximum 100. */
  batchSize?: number;
  retry?: Partial<RetryPolicy>;
}

export const ACG_DEFAULT_SCOPE =
  'https://func-voiceservice-rp-prod-eastuseuap.azurewebsites.net/.default';

/** An ACG account (an enterprise's group of numbers). */
export interface AcgAccount {
  name: string;
  correlationId?: string;
  serviceDetails?: {
    teamsTenantId?: string;
    teamsOperatorConnect?: { enabled: boolean; syncEnabled: boolean };
    teamsPhoneMobile?: { enabled: boolean; syncEnabled: boolean };
  };
}

export interface AcgAccountState {
  account: AcgAccount & {
    serviceProvisioningStatus?: UpstreamStatus;
    serviceProvisioningErrors?: UpstreamError[];
  };
  etag: string | null;
}

interface WireNumber {
  telephoneNumber: string;
  accountName?: string;
  serviceProvisioningStatus?: UpstreamStatus;
  serviceProvisioningErrors?: UpstreamError[];
  configuration?: { customSipHeader?: string };
  serviceDetails?: Record<
    string,
    | {
        enabled?: boolean;
        assignmentStatus?: 'assigned' | 'unassigned';
        configuration?: {
          usage?: string;
          civicAddressId?: string;
          locationId?: string;
          choosableCapabilities?: string[];
        };
      }
    | undefined
  >;
}

interface Paged<T> {
  value: T[];
  nextLink?: string;
}

export class AcgConnector implements Connector {
  private readonly apiVersion: string;
  private readonly batchSize: number;
  private readonly policy: RetryPolicy;
  private token: { value: string; expiresAt: number } | null = null;

  constructor(
    private readonly config: AcgConnectorConfig,
    private readonly deps: HttpDeps = defaultHttpDeps,
  ) {
    this.apiVersion = config.apiVersion ?? ACG_API_VERSION;
    this.batchSize = config.batchSize ?? ACG_MAX_BATCH;
    if (this.batchSize < 1 || this.batchSize > ACG_MAX_BATCH) {
      throw new RangeError(`ACG batch size must be 1..${ACG_MAX_BATCH}, got ${this.batchSize}`);
    }
    this.policy = { ...defaultRetryPolicy, ...config.retry };
  }

  capabilities(): ConnectorCapabilities {
    return {
      platform: 'acg',
      maxPushBatch: this.batchSize,
      maxDeleteBatch: this.batchSize,
      supportsConsents: true,
      supportsCivicAddresses: true,
    };
  }

  /** Read an account and its ETag; null when it does not exist. */
  async getAccount(name: string): Promise<AcgAccountState | null> {
    const res = await this.call({ method: 'GET', url: this.url(`/accounts/${enc(name)}`) });
    if (res.status === 404) return null;
    this.expectOk(res, `read account ${name}`);
    return { account: res.body as AcgAccountState['account'], etag: res.headers.get('etag') };
  }

  /**
   * Create the account or bring it to `account`, guarded by its ETag: a
   * concurrent change (412) is re-read and retried once.
   */
  async upsertAccount(account: AcgAccount): Promise<AcgAccountState> {
    for (let round = 0; round < 2; round++) {
      const current = await this.getAccount(account.name);
      const res = await this.call({
        method: 'PUT',
        url: this.url(`/accounts/${enc(account.name)}`),
        headers: {
          ...this.repeatability(),
          ...(current?.etag
            ? { 'If-Match': current.etag }
            : current
              ? {}
              : { 'If-None-Match': '*' }),
        },
        body: account,
      });
      if (res.status === 412 && round === 0) continue;
      this.expectOk(res, `write account ${account.name}`);
      return { account: res.body as AcgAccountState['account'], etag: res.headers.get('etag') };
    }
    throw new SyncError(
      'UPSTREAM_PRECONDITION_FAILED',
      `account ${account.name} kept changing while it was written`,
      412,
    );
  }

  async pushNumbers(target: UpstreamTarget, numbers: UpstreamNumber[]): Promise<PushResult> {
    const outcomes = new Map<string, NumberOutcome>();
    let requests = 0;
    for (const batch of chunk(numbers, this.batchSize)) {
      const res = await this.call({
        method: 'POST',
        url: this.url(`/accounts/${enc(target.id)}:createOrUpdateNumbers`),
        headers: this.repeatability(),
        body: { numbers: batch.map((n) => toWire(target.id, n)) },
      });
      requests += res.attempts;
      this.expectOk(res, `push ${batch.length} numbers to account ${target.id}`);
      for (const w of (res.body as { numbers?: WireNumber[] } | null)?.numbers ?? []) {
        outcomes.set(w.telephoneNumber, {
          e164: w.telephoneNumber,
          status: w.serviceProvisioningStatus ?? 'pending',
          errors: w.serviceProvisioningErrors ?? [],
        });
      }
    }
    return {
      numbers: numbers.map(
        (n) => outcomes.get(n.e164) ?? { e164: n.e164, status: 'pending', errors: [] },
      ),
      requests,
    };
  }

  async deleteNumbers(target: UpstreamTarget, e164s: string[]): Promise<DeleteResult> {
    let requests = 0;
    for (const batch of chunk(e164s, this.batchSize)) {
      const res = await this.call({
        method: 'POST',
        url: this.url(`/accounts/${enc(target.id)}:deleteNumbers`),
        headers: this.repeatability(),
        body: { numbers: batch.map((telephoneNumber) => ({ telephoneNumber })) },
      });
      requests += res.attempts;
      this.expectOk(res, `delete ${batch.length} numbers from account ${target.id}`);
    }
    return { deleted: [...e164s], refused: [], requests };
  }

  async listNumbers(target: UpstreamTarget): Promise<UpstreamNumberState[]> {
    const rows = await this.listAll<WireNumber>(`/accounts/${enc(target.id)}/numbers`);
    return rows.map(fromWire);
  }

  async listConsents(): Promise<UpstreamConsent[]> {
    const rows = await this.listAll<Record<string, unknown>>('/teamsRequestsForInformation');
    return rows.map((r) => ({
      id: typeof r.id === 'string' ? r.id : '',
      tenantId: typeof r.tenantId === 'string' ? r.tenantId : '',
      accountName: (r.accountName as string | undefined) ?? null,
      status: (r.status as UpstreamConsent['status'] | undefined) ?? 'active',
      consentedCountries: (r.consentedCountries as string[] | undefined) ?? [],
      consentedOn: (r.consentedOn as string | undefined) ?? null,
      lastModifiedOn: (r.lastModifiedOn as string | undefined) ?? null,
      contacts: (r.contacts as UpstreamConsent['contacts'] | undefined) ?? [],
      customerRelationship: r.customerRelationship
        ? {
            status: (r.customerRelationship as { status?: string }).status ?? null,
            comment: (r.customerRelationship as { comment?: string }).comment ?? null,
          }
        : null,
    }));
  }

  async listCivicAddresses(target: UpstreamTarget): Promise<UpstreamCivicAddress[]> {
    const rows = await this.listAll<Record<string, unknown>>(
      `/accounts/${enc(target.id)}/teamsCivicAddresses`,
    );
    const s = (v: unknown) => (typeof v === 'string' ? v : null);
    return rows.map((r) => ({
      id: s(r.id) ?? '',
      country: s(r.country),
      description: s(r.description),
      companyName: s(r.companyName),
      houseNumber: s(r.houseNumber),
      streetName: s(r.streetName),
      cityOrTown: s(r.cityOrTown),
      stateOrProvince: s(r.stateOrProvince),
      postalOrZipCode: s(r.postalOrZipCode),
      validated: r.validationStatus === 'validated',
      locations: ((r.locations as Record<string, unknown>[] | undefined) ?? []).map((l) => ({
        id: s(l.id) ?? '',
        description: s(l.description),
        additionalInfo: s(l.additionalInfo),
        isDefault: l.isDefault === true,
        elin: s(l.elin),
      })),
    }));
  }

  // ---- plumbing ----

  private url(path: string, query: Record<string, string> = {}): string {
    const q = new URLSearchParams({ 'api-version': this.apiVersion, ...query });
    return `${this.config.baseUrl}${path}?${q.toString()}`;
  }

  /** Fresh repeatability headers for one logical mutation (kept across its retries). */
  private repeatability(): Record<string, string> {
    return {
      'Repeatability-Request-ID': randomUUID(),
      // The swagger types this header `format: date-time` (RFC 3339), not IMF-fixdate.
      'Repeatability-First-Sent': this.deps.now().toISOString(),
    };
  }

  private async call(req: JsonRequest): Promise<JsonResponse> {
    return requestJson(
      {
        ...req,
        headers: { 'x-ms-client-request-id': randomUUID(), ...(req.headers ?? {}) },
        dynamicHeaders: async () => ({ authorization: `Bearer ${await this.accessToken()}` }),
      },
      this.policy,
      this.deps,
      () => (this.token = null),
    );
  }

  private async accessToken(): Promise<string> {
    const now = this.deps.now().getTime();
    if (this.token && this.token.expiresAt > now) return this.token.value;
    const { auth } = this.config;
    const res = await requestJson(
      {
        method: 'POST',
        url: auth.tokenUrl,
        form: {
          grant_type: 'client_credentials',
          client_id: auth.clientId,
          client_secret: auth.clientSecret,
          scope: auth.scope ?? ACG_DEFAULT_SCOPE,
        },
      },
      this.policy,
      this.deps,
    );
    const body = res.body as { access_token?: string; expires_in?: number } | null;
    if (res.status !== 200 || !body?.access_token) {
      throw new SyncError(
        'UPSTREAM_AUTH_FAILED',
        `token endpoint ${auth.tokenUrl} refused client ${auth.clientId} (${res.status})`,
        res.status,
      );
    }
    // Renew a minute early so a token never expires in flight.
    const lifetime = Math.max((body.expires_in ?? 3600) - 60, 1) * 1000;
    this.token = { value: body.access_token, expiresAt: now + lifetime };
    return body.access_token;
  }

  private async listAll<T>(path: string): Promise<T[]> {
    const out: T[] = [];
    let url: string | null = this.url(path);
    while (url) {
      const res = await this.call({ method: 'GET', url });
      this.expectOk(res, `list ${path}`);
      const page = res.body as Paged<T>;
      out.push(...page.value);
      url = page.nextLink ?? null;
    }
    return out;
  }

  private expectOk(res: JsonResponse, what: string): void {
    if (res.status >= 200 && res.status < 300) return;
    const err = (res.body as { error?: UpstreamError & { details?: UpstreamError[] } } | null)
      ?.error;
    const errors = err ? [err, ...(err.details ?? [])] : [];
    const reason = err ? `${err.code}: ${err.message}` : `status ${res.status}`;
    const code =
      res.status === 401 || res.status === 403
        ? 'UPSTREAM_AUTH_FAILED'
        : res.status === 404
          ? 'UPSTREAM_NOT_FOUND'
          : res.status === 412
            ? 'UPSTREAM_PRECONDITION_FAILED'
            : 'UPSTREAM_REJECTED';
    throw new SyncError(code, `ACG refused to ${what}: ${reason}`, res.status, errors);
  }
}

const enc = encodeURIComponent;

function toWire(accountName: string, n: UpstreamNumber): WireNumber {
  const service = n.service ?? 'teamsOperatorConnect';
  const configuration = {
    usage: n.usage ?? 'CallingUserAssignment',
    choosableCapabilities: n.capabilities ?? ['InboundCalling', 'OutboundCalling'],
    ...(n.civicAddressId ? { civicAddressId: n.civicAddressId } : {}),
    ...(n.locationId ? { locationId: n.locationId } : {}),
    ...(n.customerMayUpdate !== undefined ? { allowTenantAddressUpdate: n.customerMayUpdate } : {}),
  };
  return {
    telephoneNumber: n.e164,
    accountName,
    serviceDetails: { [service]: { enabled: n.active ?? true, configuration } },
    // no custom SIP header on Teams Phone Mobile numbers.
    ...(n.customSipHeader && service !== 'teamsPhoneMobile'
      ? { configuration: { customSipHeader: n.customSipHeader } }
      : {}),
  };
}

function fromWire(w: WireNumber): UpstreamNumberState {
  const svc = w.serviceDetails?.teamsOperatorConnect ?? w.serviceDetails?.teamsPhoneMobile;
  return {
    e164: w.telephoneNumber,
    status: w.serviceProvisioningStatus ?? 'pending',
    errors: w.serviceProvisioningErrors ?? [],
    assigned: svc?.assignmentStatus ? svc.assignmentStatus === 'assigned' : null,
    usage: svc?.configuration?.usage ?? null,
    civicAddressId: svc?.configuration?.civicAddressId ?? null,
    locationId: svc?.configuration?.locationId ?? null,
    customSipHeader: w.configuration?.customSipHeader ?? null,
    active: svc?.enabled ?? false,
    mainNumber: false,
  };
}
