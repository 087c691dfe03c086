/**
 * HTTP for connectors: JSON over fetch, bounded retries with exponential
 * backoff and full jitter, honouring `Retry-After` (SPEC §8).
 *
 * Retried: network errors, timeouts, 408, 429 and 5xx. Not retried: other 4xx
 * (the request itself is wrong; repeating it cannot help). The caller keeps
 * whatever makes a repeat safe (ACG's Repeatability-Request-ID) identical on
 * every attempt: `build` is called once per attempt only for headers that must
 * change (e.g. a refreshed token).
 */
import type { UpstreamError } from './connector.js';

/** Stable codes a connector failure carries (the outbox stores them on the job). */
export type SyncErrorCode =
  | 'UPSTREAM_THROTTLED'
  | 'UPSTREAM_UNAVAILABLE'
  | 'UPSTREAM_REJECTED'
  | 'UPSTREAM_AUTH_FAILED'
  | 'UPSTREAM_PRECONDITION_FAILED'
  | 'UPSTREAM_NOT_FOUND'
  | 'WEBEX_MAIN_NUMBER_NOT_REMOVABLE';

export class SyncError extends Error {
  override readonly name = 'SyncError';
  constructor(
    readonly code: SyncErrorCode,
    message: string,
    readonly status: number | null = null,
    readonly errors: UpstreamError[] = [],
  ) {
    super(message);
  }
}

export interface RetryPolicy {
  /** Attempts in all, the first included. Default 6. */
  maxAttempts: number;
  /** First backoff ceiling in ms; doubles per attempt. Default 200. */
  baseDelayMs: number;
  /** Largest wait between attempts, Retry-After included. Default 30,000. */
  maxDelayMs: number;
  /** Abort one attempt after this long. Default 30,000. */
  timeoutMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 200,
  maxDelayMs: 30_000,
  timeoutMs: 30_000,
};

export interface HttpDeps {
  fetch: typeof fetch;
  /** Waits between attempts; tests pass one that records the delays. */
  sleep: (ms: number) => Promise<void>;
  /** In [0, 1); the jitter source. */
  random: () => number;
  now: () => Date;
}

export const defaultHttpDeps: HttpDeps = {
  fetch: (input, init) => fetch(input, init),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
  now: () => new Date(),
};

export interface JsonRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  /** Fixed for all attempts. */
  headers?: Record<string, string>;
  /** Recomputed per attempt (authorization). */
  dynamicHeaders?: () => Promise<Record<string, string>>;
  body?: unknown;
  /** Sent as application/x-www-form-urlencoded instead of `body` (OAuth2 token requests). */
  form?: Record<string, string>;
}

export interface JsonResponse {
  status: number;
  headers: Headers;
  body: unknown;
  attempts: number;
}

/**
 * The wait before the next attempt: `Retry-After` (seconds or an HTTP date)
 * when the server sent one, else full jitter over `base × 2^(attempt-1)`;
 * both capped at `maxDelayMs`.
 */
export function backoffDelay(
  attempt: number,
  retryAfter: string | null,
  policy: RetryPolicy,
  random: () => number,
  now: Date,
): number {
  if (retryAfter !== null && retryAfter.trim() !== '') {
    const seconds = Number(retryAfter);
    const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(retryAfter) - now.getTime();
    if (Number.isFinite(ms)) return Math.min(Math.max(ms, 0), policy.maxDelayMs);
  }
  const ceiling = Math.min(policy.baseDelayMs * 2 ** (attempt - 1), policy.maxDelayMs);
  return Math.floor(random() * ceiling);
}

const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

/** Send one logical request, retrying transient failures within the policy. */
export async function requestJson(
  req: JsonRequest,
  policy: RetryPolicy,
  deps: HttpDeps,
  onUnauthorized?: () => void,
): Promise<JsonResponse> {
  let lastProblem = '';
  let lastStatus: number | null = null;
  let refreshedAuth = false;
  for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
    let retryAfter: string | null = null;
    try {
      const headers: Record<string, string> = {
        accept: 'application/json',
        ...(req.headers ?? {}),
        ...(req.dynamicHeaders ? await req.dynamicHeaders() : {}),
      };
      let payload: string | undefined;
      if (req.form) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        payload = new URLSearchParams(req.form).toString();
      } else if (req.body !== undefined) {
        headers['content-type'] = 'application/json';
        payload = JSON.stringify(req.body);
      }
      const res = await deps.fetch(req.url, {
        method: req.method,
        headers,
        body: payload,
        signal: AbortSignal.timeout(policy.timeoutMs),
      });
      const text = await res.text();
      let body: unknown = null;
      if (text) {
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
      }
      if (res.status === 401 && onUnauthorized && !refreshedAuth) {
        // A token may expire between fetching and use: fetch a new one once.
        refreshedAuth = true;
        onUnauthorized();
        attempt--;
        continue;
      }
      if (!retryable(res.status))
        return { status: res.status, headers: res.headers, body, attempts: attempt };
      lastStatus = res.status;
      lastProblem = `${req.method} ${req.url} answered ${res.status}`;
      retryAfter = res.headers.get('retry-after');
    } catch (err) {
      if (err instanceof SyncError) throw err;
      lastStatus = null;
      lastProblem = `${req.method} ${req.url} failed: ${(err as Error).message}`;
    }
    if (attempt < policy.maxAttempts) {
      await deps.sleep(backoffDelay(attempt, retryAfter, policy, deps.random, deps.now()));
    }
  }
  throw new SyncError(
    lastStatus === 429 ? 'UPSTREAM_THROTTLED' : 'UPSTREAM_UNAVAILABLE',
    `${lastProblem} (gave up after ${policy.maxAttempts} attempts)`,
    lastStatus,
  );
}
