/** Liveness, readiness and Prometheus metrics (SPEC §9). */
import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'kysely';
import client from 'prom-client';
import type { Db } from '../db/pool.js';

export const healthRoutes: FastifyPluginAsync<{ registry: client.Registry }> = async (
  app,
  { registry },
) => {
  app.get('/healthz', { config: { permission: 'public' }, schema: { hide: true } }, async () => ({
    status: 'ok',
  }));

  app.get(
    '/readyz',
    { config: { permission: 'public' }, schema: { hide: true } },
    async (_req, reply) => {
      try {
        await sql`SELECT 1`.execute(app.db);
        return { status: 'ready' };
      } catch {
        return reply.code(503).send({ status: 'database unavailable' });
      }
    },
  );

  app.get(
    '/metrics',
    { config: { permission: 'public' }, schema: { hide: true } },
    async (_req, reply) => {
      reply.header('content-type', registry.contentType);
      return registry.metrics();
    },
  );
};

/** How long a numbers-by-state count is served before it is recounted. */
export const NUMBERS_COUNT_TTL_MS = 60_000;

/**
 * Metrics (SPEC §9, issue 7; the list and the alerts to set are in
 * docs/operations.md "Monitoring"):
 * - `numbat_http_request_duration_seconds{method,route,status}`: `route` is the
 *   route pattern (`/api/v1/numbers/:e164`), never the raw URL, so neither
 *   numbers nor random 404 paths create series;
 * - `numbat_jobs{kind,status}`: queue depth, jobs `queued` or `running`;
 * - `numbat_jobs_oldest_seconds{kind,status}`: for `queued`, how long the
 *   oldest due job has waited to be claimed; for `running`, how long the
 *   longest-running job has run;
 * - `numbat_jobs_lease_expired{kind}`: running jobs whose worker stopped
 *   heartbeating (died); another worker should reclaim them within a poll;
 * - `numbat_jobs_failed_last_hour{kind}`;
 * - `numbat_numbers{status}`: numbers by stored lifecycle state.
 *
 * Job figures are read from PostgreSQL at every scrape (partial indexes on
 * `queued` / `running` keep that cheap) and use the database clock. Counting
 * numbers is a scan of the whole inventory (seconds at 100M), so it is served
 * from a cache for NUMBERS_COUNT_TTL_MS and recounted in the background: a
 * scrape never waits for it except the first one of a process.
 */
export function createMetrics(db: Db, opts: { numbersTtlMs?: number } = {}) {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const httpDuration = new client.Histogram({
    name: 'numbat_http_request_duration_seconds',
    help: 'HTTP request latency by route pattern',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });

  new client.Gauge({
    name: 'numbat_jobs',
    help: 'Jobs waiting (queued) or being worked on (running), by kind',
    labelNames: ['kind', 'status'],
    registers: [registry],
    async collect() {
      const r = await sql<{ kind: string; status: string; n: number }>`
        SELECT kind, status, count(*)::int AS n FROM jobs
        WHERE status IN ('queued', 'running') GROUP BY kind, status`.execute(db);
      this.reset();
      for (const row of r.rows) this.set({ kind: row.kind, status: row.status }, row.n);
    },
  });

  new client.Gauge({
    name: 'numbat_jobs_oldest_seconds',
    help: 'Queued: seconds the oldest due job has waited; running: seconds the longest-running job has run',
    labelNames: ['kind', 'status'],
    registers: [registry],
    async collect() {
      const r = await sql<{ kind: string; status: string; age: number }>`
        SELECT kind, 'queued' AS status,
               extract(epoch FROM now() - min(run_after))::float8 AS age
        FROM jobs WHERE status = 'queued' AND run_after <= now() GROUP BY kind
        UNION ALL
        SELECT kind, 'running', extract(epoch FROM now() - min(started_at))::float8
        FROM jobs WHERE status = 'running' GROUP BY kind`.execute(db);
      this.reset();
      for (const row of r.rows)
        this.set({ kind: row.kind, status: row.status }, Math.max(0, row.age ?? 0));
    },
  });

  new client.Gauge({
    name: 'numbat_jobs_lease_expired',
    help: 'Running jobs whose worker stopped renewing its lease (crashed); reclaimed at the next poll',
    labelNames: ['kind'],
    registers: [registry],
    async collect() {
      const r = await sql<{ kind: string; n: number }>`
        SELECT kind, count(*)::int AS n FROM jobs
        WHERE status = 'running' AND locked_until < now() GROUP BY kind`.execute(db);
      this.reset();
      for (const row of r.rows) this.set({ kind: row.kind }, row.n);
    },
  });

  new client.Gauge({
    name: 'numbat_jobs_failed_last_hour',
    help: 'Jobs that ended failed in the last hour, by kind',
    labelNames: ['kind'],
    registers: [registry],
    async collect() {
      const r = await sql<{ kind: string; n: number }>`
        SELECT kind, count(*)::int AS n FROM jobs
        WHERE status = 'failed' AND finished_at > now() - interval '1 hour'
        GROUP BY kind`.execute(db);
      this.reset();
      for (const row of r.rows) this.set({ kind: row.kind }, row.n);
    },
  });

  const ttl = opts.numbersTtlMs ?? NUMBERS_COUNT_TTL_MS;
  let counted: { at: number; rows: { status: string; n: number }[] } | null = null;
  let counting: Promise<void> | null = null;
  const recount = () =>
    (counting ??= sql<{ status: string; n: number }>`
      SELECT status, count(*)::int AS n FROM numbers GROUP BY status`
      .execute(db)
      .then((r) => {
        counted = { at: Date.now(), rows: r.rows };
      })
      .finally(() => {
        counting = null;
      }));
  new client.Gauge({
    name: 'numbat_numbers',
    help: `Numbers by stored lifecycle state (recounted at most every ${ttl / 1000} s)`,
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      if (!counted) await recount();
      else if (Date.now() - counted.at > ttl)
        // Stale: answer with the last count, recount for the next scrape.
        // A failed recount drops the stale figures, so the next scrape recounts
        // in the foreground and its error reaches the scraper (target down).
        void recount().catch(() => {
          counted = null;
        });
      this.reset();
      for (const row of counted?.rows ?? []) this.set({ status: row.status }, row.n);
    },
  });
  return { registry, httpDuration };
}
