/**
 * Issue 7 / SPEC §4: rate limits per principal, and a cap on concurrent
 * exports. Both refuse in an onRequest hook that runs after authentication
 * (src/http/auth.ts registers first) and before body parsing, validation and
 * the handler, so a refused request has no side effect at all.
 *
 * - Token bucket per principal (`token:<id>` or `user:<id>`), or per client
 *   IP for unauthenticated requests (sign-in, the portal's files): `burst`
 *   requests at once, refilled at `perSecond`. Over it: 429 RATE_LIMITED with
 *   Retry-After (whole seconds until one request is allowed again).
 * - Exports (routes with `config.concurrency: 'export'`): at most
 *   `exportsPerPrincipal` running per principal (429 TOO_MANY_EXPORTS) and
 *   `exportsGlobal` in the process (503 SERVER_BUSY), both with Retry-After.
 *   A slot is held until the response has been sent or the client went away.
 *
 * State is in memory, per instance (docs/decisions.md): with n instances
 * behind a balancer a principal gets up to n × the limit. Health probes and
 * metrics are never limited.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Routes that hold a slot of a concurrency cap while they stream. */
    concurrency?: 'export';
  }
}

export interface RateLimitOptions {
  /** Sustained requests per second per principal; 0 = no rate limit. */
  perSecond: number;
  /** Requests a principal may send at once (bucket size). */
  burst: number;
  /** Concurrent exports per principal; 0 = no cap. */
  exportsPerPrincipal: number;
  /** Concurrent exports in this process; 0 = no cap. */
  exportsGlobal: number;
  /** Seconds a refused export is told to wait. */
  exportRetryAfter: number;
  /** Clock in milliseconds (tests). */
  nowMs?: () => number;
}

/** Paths never limited: probes must answer under any load. */
const EXEMPT = new Set(['/healthz', '/readyz', '/metrics']);
/** Buckets idle for this long are full again and are forgotten. */
const SWEEP_MS = 60_000;

interface Bucket {
  tokens: number;
  at: number;
}

/** The key a request is limited by: its principal, else its client address. */
export const limitKey = (req: FastifyRequest) => req.principal?.id ?? `ip:${req.ip}`;

export function tokenBucket(perSecond: number, burst: number, nowMs: () => number) {
  const buckets = new Map<string, Bucket>();
  let swept = nowMs();
  return {
    /** Takes one token; returns 0 when allowed, else the seconds to wait. */
    take(key: string): number {
      const now = nowMs();
      if (now - swept > SWEEP_MS) {
        const idle = Math.max(SWEEP_MS, (burst / perSecond) * 1000);
        for (const [k, b] of buckets) if (now - b.at > idle) buckets.delete(k);
        swept = now;
      }
      const b = buckets.get(key) ?? { tokens: burst, at: now };
      b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * perSecond);
      b.at = now;
      buckets.set(key, b);
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return 0;
      }
      return Math.max(1, Math.ceil((1 - b.tokens) / perSecond));
    },
    size: () => buckets.size,
  };
}

function refuse(reply: FastifyReply, seconds: number, err: AppError): never {
  void reply.header('retry-after', String(seconds));
  throw err;
}

export default fp(async function rateLimit(app: FastifyInstance, opts: RateLimitOptions) {
  const nowMs = opts.nowMs ?? Date.now;
  const bucket = opts.perSecond > 0 ? tokenBucket(opts.perSecond, opts.burst, nowMs) : null;
  const running = new Map<string, number>();
  let runningTotal = 0;

  app.addHook('onRequest', async (req, reply) => {
    if (bucket && !EXEMPT.has(req.url.split('?')[0]!)) {
      const wait = bucket.take(limitKey(req));
      if (wait > 0) {
        refuse(
          reply,
          wait,
          new AppError(
            'RATE_LIMITED',
            `too many requests; try again in ${wait} s (limit ${opts.perSecond}/s, burst ${opts.burst})`,
            { retryAfter: wait },
          ),
        );
      }
    }
    if (req.routeOptions.config?.concurrency !== 'export') return;
    const key = limitKey(req);
    const mine = running.get(key) ?? 0;
    if (opts.exportsPerPrincipal > 0 && mine >= opts.exportsPerPrincipal) {
      refuse(
        reply,
        opts.exportRetryAfter,
        new AppError(
          'TOO_MANY_EXPORTS',
          `you already run ${mine} export(s), the most allowed at once; wait for one to finish`,
          { retryAfter: opts.exportRetryAfter },
        ),
      );
    }
    if (opts.exportsGlobal > 0 && runningTotal >= opts.exportsGlobal) {
      refuse(
        reply,
        opts.exportRetryAfter,
        new AppError('SERVER_BUSY', 'the server runs as many exports as it may; try again soon', {
          retryAfter: opts.exportRetryAfter,
        }),
      );
    }
    running.set(key, mine + 1);
    runningTotal++;
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      runningTotal--;
      const left = (running.get(key) ?? 1) - 1;
      if (left > 0) running.set(key, left);
      else running.delete(key);
    };
    // Whichever comes first: the response is sent, or the connection closes.
    reply.raw.once('finish', release);
    reply.raw.once('close', release);
  });
});
