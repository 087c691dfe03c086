/**
 * What both platform emulators share: a Fastify app whose platform API is one
 * catch-all route that records the request, plays injected faults (throttling,
 * outages, slow answers), validates the request against the reference
 * (400 + the reasons when it does not conform) and dispatches by operationId;
 * and `/_control/*` endpoints that play the platform's side for tests and demos.
 */
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Contract, OperationMatch, RecordedRequest } from './contract.js';

/** A request the emulator received, with how it answered. */
export interface ReceivedRequest extends RecordedRequest {
  /** The reference operation, `oauth2Token` for the token endpoint, null when none matched. */
  operationId: string | null;
  status: number;
  /** Why the emulator rejected it as non-conforming (400), else null. */
  rejected: string[] | null;
  at: string;
}

export interface Faults {
  /** The next `count` API requests get 429 with `Retry-After: retryAfterSeconds`. */
  throttle: { count: number; retryAfterSeconds: number };
  /**
   * The next `count` API requests get `status`. With `afterExecute` the request is
   * carried out first and only the answer is lost (what repeatability is for).
   */
  outage: { count: number; status: number; afterExecute: boolean };
  /** The next `count` API requests are answered after `delayMs`. */
  slow: { count: number; delayMs: number };
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface OperationContext {
  req: RecordedRequest;
  match: OperationMatch;
  /** `http://host:port` as the client addressed us (for `nextLink`). */
  origin: string;
}

export type Handler = (ctx: OperationContext) => Reply;

export interface EmulatorBaseOptions {
  contract: Contract;
  handlers: Record<string, Handler>;
  /** Null when the request may proceed, else the 401 reply. */
  authorize: (req: RecordedRequest) => Reply | null;
  /** The platform's error body for a rejected request. */
  errorBody: (status: number, code: string, message: string, details: string[]) => unknown;
}

export interface EmulatorBase {
  app: FastifyInstance;
  requests: ReceivedRequest[];
  faults: Faults;
  record: (req: FastifyRequest, operationId: string | null) => ReceivedRequest;
}

const noFaults = (): Faults => ({
  throttle: { count: 0, retryAfterSeconds: 1 },
  outage: { count: 0, status: 503, afterExecute: false },
  slow: { count: 0, delayMs: 0 },
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function toRecorded(req: FastifyRequest): RecordedRequest {
  const [path = '/', qs = ''] = req.url.split('?', 2);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return {
    method: req.method,
    path: decodeURI(path),
    query: Object.fromEntries(new URLSearchParams(qs)),
    headers,
    body: req.body,
  };
}

export function createEmulatorBase(opts: EmulatorBaseOptions): EmulatorBase {
  // Control bodies are checked strictly: an unknown field is an error, not dropped.
  const app = Fastify({
    logger: false,
    bodyLimit: 10 * 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
  });
  const requests: ReceivedRequest[] = [];
  const faults = noFaults();

  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );

  const record = (req: FastifyRequest, operationId: string | null): ReceivedRequest => {
    const entry: ReceivedRequest = {
      ...toRecorded(req),
      operationId,
      status: 0,
      rejected: null,
      at: new Date().toISOString(),
    };
    requests.push(entry);
    return entry;
  };

  // ---- fault injection and the request log ----
  app.post(
    '/_control/throttle',
    {
      schema: {
        body: {
          type: 'object',
          properties: {
            count: { type: 'integer', minimum: 0 },
            retryAfterSeconds: { type: 'integer', minimum: 0 },
          },
          additionalProperties: false,
        },
      },
    },
    async (req) => {
      const b = (req.body ?? {}) as { count?: number; retryAfterSeconds?: number };
      faults.throttle = { count: b.count ?? 1, retryAfterSeconds: b.retryAfterSeconds ?? 1 };
      return faults.throttle;
    },
  );
  app.post(
    '/_control/outage',
    {
      schema: {
        body: {
          type: 'object',
          properties: {
            count: { type: 'integer', minimum: 0 },
            status: { type: 'integer', minimum: 500, maximum: 599 },
            afterExecute: { type: 'boolean' },
          },
          additionalProperties: false,
        },
      },
    },
    async (req) => {
      const b = (req.body ?? {}) as { count?: number; status?: number; afterExecute?: boolean };
      faults.outage = {
        count: b.count ?? 1,
        status: b.status ?? 503,
        afterExecute: b.afterExecute ?? false,
      };
      return faults.outage;
    },
  );
  app.post(
    '/_control/slow',
    {
      schema: {
        body: {
          type: 'object',
          properties: {
            count: { type: 'integer', minimum: 0 },
            delayMs: { type: 'integer', minimum: 0, maximum: 600000 },
          },
          additionalProperties: false,
        },
      },
    },
    async (req) => {
      const b = (req.body ?? {}) as { count?: number; delayMs?: number };
      faults.slow = { count: b.count ?? 1, delayMs: b.delayMs ?? 1000 };
      return faults.slow;
    },
  );
  app.get('/_control/requests', async () => requests);
  app.delete('/_control/requests', async (_req, reply) => {
    requests.length = 0;
    return reply.code(204).send();
  });

  // ---- the platform API ----
  app.all('/*', async (req, reply) => {
    const recorded = toRecorded(req);
    const match = opts.contract.match(recorded.method, recorded.path);
    const entry = record(req, match?.operationId ?? null);
    const send = (r: Reply) => {
      entry.status = r.status;
      void reply.code(r.status).headers(r.headers ?? {});
      return r.body === undefined ? reply.send() : reply.send(r.body);
    };
    if (faults.slow.count > 0) {
      faults.slow.count--;
      await sleep(faults.slow.delayMs);
    }
    if (faults.throttle.count > 0) {
      faults.throttle.count--;
      return send({
        status: 429,
        headers: { 'retry-after': String(faults.throttle.retryAfterSeconds) },
        body: opts.errorBody(429, 'TooManyRequests', 'Too many requests (emulated throttling)', []),
      });
    }
    const outage = faults.outage.count > 0 ? { ...faults.outage } : null;
    if (outage) faults.outage.count--;
    if (outage && !outage.afterExecute) {
      return send({
        status: outage.status,
        body: opts.errorBody(outage.status, 'ServiceUnavailable', 'Emulated outage', []),
      });
    }
    const denied = opts.authorize(recorded);
    if (denied) return send(denied);
    const result = opts.contract.validate(recorded);
    if (!result.ok) {
      entry.rejected = result.errors;
      const status = result.match ? 400 : 404;
      const message = result.match
        ? `request does not conform to the ${opts.contract.name} reference: ${result.errors.join('; ')}`
        : result.errors.join('; ');
      return send({
        status,
        body: opts.errorBody(
          status,
          result.match ? 'InvalidRequest' : 'NotFound',
          message,
          result.errors,
        ),
      });
    }
    const handler = opts.handlers[result.match.operationId];
    if (!handler) {
      return send({
        status: 501,
        body: opts.errorBody(
          501,
          'NotImplemented',
          `${result.match.operationId} is in the reference but not emulated`,
          [],
        ),
      });
    }
    const origin = `${req.protocol}://${req.headers.host ?? 'localhost'}`;
    const answer = handler({ req: recorded, match: result.match, origin });
    if (outage) {
      // The work is done; only the answer is lost.
      return send({
        status: outage.status,
        body: opts.errorBody(outage.status, 'ServiceUnavailable', 'Emulated outage', []),
      });
    }
    return send(answer);
  });

  return { app, requests, faults, record };
}

/** Page a list the way both APIs do (`skip`/`top` or `start`/`max`). */
export function page<T>(items: T[], skip: number, size: number): { items: T[]; more: boolean } {
  const s = Math.max(0, skip);
  return { items: items.slice(s, s + size), more: s + size < items.length };
}

/** The base URL and control endpoints of a running emulator, for people. */
export function describeEmulator(name: string, base: string, control: string[]): string {
  return [
    `${name} emulator listening on ${base}`,
    'control endpoints (POST JSON unless noted):',
    ...control.map((c) => `  ${base}${c}`),
  ].join('\n');
}
