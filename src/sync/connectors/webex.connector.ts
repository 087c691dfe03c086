/**
 * Webex Calling location numbers connector, per
 * `../shared/reference/webex-numbers-openapi.yml` (integrated `webexCloudConnect`
 * services push numbers to their Webex location; SPEC §5).
 *
 * - Push = `POST /telephony/config/locations/{id}/numbers` (numbers already in
 *   the location are ignored by Webex, so a repeat is harmless), then
 *   `PUT …/numbers` with `ACTIVATE` / `DEACTIVATE` so numbers that were there
 *   already end in the wanted state too.
 * - Per-request limits from the reference's prose: delete ≤ 5, DEACTIVATE ≤ 500,
 *   mobile adds ≤ 20. Adds of DID/toll-free numbers have no stated limit; we use
 *   100 (the same as ACG) to keep requests small and retries cheap.
 * - Webex refuses to remove a location's main number ("A location's main number
 *   cannot be removed."): the refused number is reported in `refused` with
 *   `WEBEX_MAIN_NUMBER_NOT_REMOVABLE`, and the rest of its batch is deleted.
 */
import {
  chunk,
  type Connector,
  type ConnectorCapabilities,
  type DeleteResult,
  type PushResult,
  type UpstreamCivicAddress,
  type UpstreamConsent,
  type UpstreamError,
  type UpstreamNumber,
  type UpstreamNumberState,
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

export const WEBEX_ADD_BATCH = 100;
export const WEBEX_MOBILE_ADD_BATCH = 20;
export const WEBEX_DELETE_BATCH = 5;
export const WEBEX_DEACTIVATE_BATCH = 500;
/** Page size for listing (the reference's default `max` is 2000). */
const LIST_PAGE = 1000;
/** Webex's error code for "Failed because it is a main number." */
export const WEBEX_MAIN_NUMBER_ERROR = 'BATCH-1017024';

export interface WebexConnectorConfig {
  /** Default `https://webexapis.com/v1`. */
  baseUrl?: string;
  /** A bearer token with `spark-admin:telephony_config_write` (or a provider of one). */
  accessToken: string | (() => Promise<string>);
  retry?: Partial<RetryPolicy>;
}

interface WireNumber {
  phoneNumber?: string;
  state: string;
  mainNumber: boolean;
  numberUsageType?: string;
  owner?: { id?: string; type?: string };
  location?: { id: string; name: string };
}

export class WebexConnector implements Connector {
  private readonly baseUrl: string;
  private readonly policy: RetryPolicy;

  constructor(
    private readonly config: WebexConnectorConfig,
    private readonly deps: HttpDeps = defaultHttpDeps,
  ) {
    this.baseUrl = config.baseUrl ?? 'https://webexapis.com/v1';
    this.policy = { ...defaultRetryPolicy, ...config.retry };
  }

  capabilities(): ConnectorCapabilities {
    return {
      platform: 'webex',
      maxPushBatch: WEBEX_ADD_BATCH,
      maxDeleteBatch: WEBEX_DELETE_BATCH,
      supportsConsents: false,
      supportsCivicAddresses: false,
    };
  }

  async pushNumbers(target: UpstreamTarget, numbers: UpstreamNumber[]): Promise<PushResult> {
    let requests = 0;
    // One add request per (type, usage, state) group: those are per-request fields.
    const groups = new Map<string, UpstreamNumber[]>();
    for (const n of numbers) {
      const key = `${n.numberType ?? 'DID'}|${n.usage === 'SERVICE' ? 'SERVICE' : 'NONE'}|${n.active === false ? 'INACTIVE' : 'ACTIVE'}`;
      groups.set(key, [...(groups.get(key) ?? []), n]);
    }
    for (const [key, group] of groups) {
      const [numberType, numberUsageType, state] = key.split('|') as [string, string, string];
      const size = numberType === 'MOBILE' ? WEBEX_MOBILE_ADD_BATCH : WEBEX_ADD_BATCH;
      for (const batch of chunk(group, size)) {
        const phoneNumbers = batch.map((n) => n.e164);
        const add = await this.call({
          method: 'POST',
          url: this.url(target),
          body: {
            phoneNumbers,
            numberType,
            numberUsageType,
            // Mobile numbers are activated on assignment; the API takes no state for them.
            ...(numberType === 'MOBILE' ? {} : { state }),
          },
        });
        requests += add.attempts;
        this.expectOk(add, `add ${phoneNumbers.length} numbers to location ${target.id}`);
        if (numberType === 'MOBILE') continue;
        // Numbers that were in the location already kept their state: set it.
        const action = state === 'ACTIVE' ? 'ACTIVATE' : 'DEACTIVATE';
        const set = await this.call({
          method: 'PUT',
          url: this.url(target),
          body: { phoneNumbers, action },
        });
        requests += set.attempts;
        this.expectOk(set, `${action} ${phoneNumbers.length} numbers in location ${target.id}`);
      }
    }
    return {
      numbers: numbers.map((n) => ({ e164: n.e164, status: 'synced', errors: [] })),
      requests,
    };
  }

  /** Activate or deactivate numbers already in the location. */
  async setNumbersActive(target: UpstreamTarget, e164s: string[], active: boolean): Promise<void> {
    const action = active ? 'ACTIVATE' : 'DEACTIVATE';
    for (const batch of chunk(e164s, WEBEX_DEACTIVATE_BATCH)) {
      const res = await this.call({
        method: 'PUT',
        url: this.url(target),
        body: { phoneNumbers: batch, action },
      });
      this.expectOk(res, `${action} ${batch.length} numbers in location ${target.id}`);
    }
  }

  async deleteNumbers(target: UpstreamTarget, e164s: string[]): Promise<DeleteResult> {
    const deleted: string[] = [];
    const refused: DeleteResult['refused'] = [];
    let requests = 0;
    for (const first of chunk(e164s, WEBEX_DELETE_BATCH)) {
      let batch = first;
      // At most one round per number in the batch: each refusal removes one or more.
      while (batch.length > 0) {
        const res = await this.call({
          method: 'DELETE',
          url: this.url(target),
          body: { phoneNumbers: batch },
        });
        requests += res.attempts;
        if (res.status >= 200 && res.status < 300) {
          deleted.push(...batch);
          break;
        }
        const mains = mainNumberRefusals(res, batch);
        if (mains.length === 0) this.expectOk(res, `delete numbers from location ${target.id}`);
        for (const e164 of mains) {
          refused.push({
            e164,
            errors: [
              {
                code: 'WEBEX_MAIN_NUMBER_NOT_REMOVABLE',
                message:
                  `${e164} is the main number of Webex location ${target.id}; Webex refuses to ` +
                  `remove a location's main number — make another number the main number first`,
                target: e164,
              },
            ],
          });
        }
        batch = batch.filter((n) => !mains.includes(n));
      }
    }
    return { deleted, refused, requests };
  }

  async listNumbers(target: UpstreamTarget): Promise<UpstreamNumberState[]> {
    const out: UpstreamNumberState[] = [];
    for (let start = 0; ; start += LIST_PAGE) {
      const query = new URLSearchParams({
        locationId: target.id,
        max: String(LIST_PAGE),
        start: String(start),
        ...(target.orgId ? { orgId: target.orgId } : {}),
      });
      const res = await this.call({
        method: 'GET',
        url: `${this.baseUrl}/telephony/config/numbers?${query.toString()}`,
      });
      this.expectOk(res, `list numbers of location ${target.id}`);
      const page = (res.body as { phoneNumbers: WireNumber[] }).phoneNumbers;
      for (const w of page) {
        if (!w.phoneNumber) continue; // extension-only entries
        out.push({
          e164: w.phoneNumber,
          status: 'synced',
          errors: [],
          assigned: w.owner?.id ? true : false,
          usage: null,
          civicAddressId: null,
          locationId: w.location?.id ?? null,
          customSipHeader: null,
          active: w.state === 'ACTIVE',
          mainNumber: w.mainNumber,
        });
      }
      if (page.length < LIST_PAGE) return out;
    }
  }

  /** Webex has no consents (Teams only). */
  listConsents(): Promise<UpstreamConsent[]> {
    return Promise.resolve([]);
  }

  /** Not part of the Webex numbers API. */
  listCivicAddresses(): Promise<UpstreamCivicAddress[]> {
    return Promise.resolve([]);
  }

  private url(target: UpstreamTarget): string {
    const q = target.orgId ? `?orgId=${encodeURIComponent(target.orgId)}` : '';
    return `${this.baseUrl}/telephony/config/locations/${encodeURIComponent(target.id)}/numbers${q}`;
  }

  private async call(req: JsonRequest): Promise<JsonResponse> {
    const token = this.config.accessToken;
    return requestJson(
      {
        ...req,
        dynamicHeaders: async () => ({
          authorization: `Bearer ${typeof token === 'string' ? token : await token()}`,
        }),
      },
      this.policy,
      this.deps,
    );
  }

  private expectOk(res: JsonResponse, what: string): void {
    if (res.status >= 200 && res.status < 300) return;
    const body = res.body as {
      message?: string;
      errors?: { description?: string; errorCode?: string }[];
    } | null;
    const errors: UpstreamError[] = (body?.errors ?? []).map((e) => ({
      code: String(e.errorCode ?? res.status),
      message: e.description ?? '',
    }));
    const reason = body?.message ?? errors[0]?.message ?? `status ${res.status}`;
    throw new SyncError(
      res.status === 401 || res.status === 403
        ? 'UPSTREAM_AUTH_FAILED'
        : res.status === 404
          ? 'UPSTREAM_NOT_FOUND'
          : 'UPSTREAM_REJECTED',
      `Webex refused to ${what}: ${reason}`,
      res.status,
      errors,
    );
  }
}

/** The numbers of `batch` that a 400 names as the location's main number. */
function mainNumberRefusals(res: JsonResponse, batch: string[]): string[] {
  if (res.status !== 400) return [];
  const body = res.body as {
    errors?: { errorCode?: string; description?: string; item?: string }[];
  } | null;
  const named = (body?.errors ?? [])
    .filter(
      (e) => e.errorCode === WEBEX_MAIN_NUMBER_ERROR || /main number/i.test(e.description ?? ''),
    )
    .map((e) => e.item ?? batch.find((n) => (e.description ?? '').includes(n)))
    .filter((n): n is string => typeof n === 'string' && batch.includes(n));
  return [...new Set(named)];
}
