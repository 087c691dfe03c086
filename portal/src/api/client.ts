/**
 * The typed API client: openapi-fetch over the generated `paths`
 * (schema.ts). Cookie-authenticated changes carry the session's CSRF token
 * (X-CSRF-Token), learnt at sign-in and from /auth/me.
 */
import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema';

let csrfToken: string | null = null;
export const setCsrfToken = (token: string | null) => {
  csrfToken = token;
};
/** Headers for a change sent with plain fetch (file uploads). */
export const csrfHeaders = (): Record<string, string> =>
  csrfToken ? { 'x-csrf-token': csrfToken } : {};

/** Called when any request answers 401: the session has ended. */
let onUnauthenticated: () => void = () => {};
export const setOnUnauthenticated = (fn: () => void) => {
  onUnauthenticated = fn;
};

const middleware: Middleware = {
  onRequest({ request }) {
    if (request.method !== 'GET' && request.method !== 'HEAD' && csrfToken) {
      request.headers.set('x-csrf-token', csrfToken);
    }
    return request;
  },
  onResponse({ response, request }) {
    if (response.status === 401 && !request.url.endsWith('/api/v1/auth/sign-in')) {
      onUnauthenticated();
    }
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: '/', credentials: 'same-origin' });
api.use(middleware);

/** An RFC 9457 problem answer. */
export interface Problem {
  status: number;
  code: string;
  title?: string;
  detail?: string;
  rule?: string;
  requestId?: string;
  errors?: { field: string; message: string }[];
  [extra: string]: unknown;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
  }
}

/** The data of a successful answer, or an ApiError carrying the problem. */
export async function ok<T>(
  p: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const r = await p;
  if (!r.response.ok || r.error !== undefined) {
    const body = (r.error ?? {}) as Partial<Problem>;
    throw new ApiError(r.response.status, {
      ...body,
      status: r.response.status,
      code: body.code ?? `HTTP_${r.response.status}`,
    });
  }
  return r.data as T;
}

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
export type Answer<
  P extends keyof paths,
  M extends keyof paths[P],
  S extends number = 200,
> = paths[P][M] extends { responses: infer R } ? (S extends keyof R ? Json<R[S]> : never) : never;

export type NumberDto = Answer<'/api/v1/numbers/{e164}', 'get'>;
export type NumberList = Answer<'/api/v1/numbers', 'get'>;
export type RangeDto = Answer<'/api/v1/ranges/{id}', 'get'>;
export type SiteDto = Answer<'/api/v1/sites/{id}', 'get'>;
export type CustomerDto = Answer<'/api/v1/customers/{id}', 'get'>;
export type AuditEventDto = Answer<'/api/v1/audit-events', 'get'>['items'][number];
export type MeDto = Answer<'/api/v1/auth/me', 'get'>;
export type UserDto = Answer<'/api/v1/users/{id}', 'get'>;
export type TokenDto = Answer<'/api/v1/tokens', 'get'>['items'][number];
export type BulkAnswer = Answer<'/api/v1/numbers/bulk/{action}', 'post'>;
export type BulkResult = BulkAnswer['results'][number];
export type ActionName =
  paths['/api/v1/numbers/bulk/{action}']['post']['parameters']['path']['action'];
export type BulkBody = NonNullable<
  paths['/api/v1/numbers/bulk/{action}']['post']['requestBody']
>['content']['application/json'];
export type Holder = NonNullable<BulkBody['holder']>;
export type NumberQuery = NonNullable<paths['/api/v1/numbers']['get']['parameters']['query']>;
export type Status = NumberDto['status'];
export type AddressDto = Answer<'/api/v1/civic-addresses/{id}', 'get'>;
export type ConsentDto = Answer<'/api/v1/consents/{tenantId}', 'get'>;
export type ServiceDto = Answer<'/api/v1/customers/{id}/services/{serviceId}', 'get'>;
export type JobDto = Answer<'/api/v1/jobs/{id}', 'get'>;
export type ImportReport = Answer<'/api/v1/imports', 'post'>;
export type UploadAnswer = Answer<'/api/v1/customers/{id}/services/{serviceId}/numbers', 'post'>;
export type UtilisationHistoryDto = Answer<'/api/v1/utilisation/history', 'get'>;
export type SyncDifferenceDto = Answer<'/api/v1/sync/differences', 'get'>['items'][number];
export type ApplyAnswer = Answer<'/api/v1/sync/differences/apply', 'post'>;
