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

/** Metrics: request latency, and numbers by state read at scrape time (cached 15 s). */
export function createMetrics(db: Db) {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const httpDuration = new client.Histogram({
    name: 'numbat_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  let cached: { at: number; rows: { status: string; n: number }[] } | null = null;
  new client.Gauge({
    name: 'numbat_numbers',
    help: 'Numbers by stored lifecycle state',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      if (!cached || Date.now() - cached.at > 15_000) {
        const r = await sql<{ status: string; n: number }>`
          SELECT status, count(*)::int AS n FROM numbers GROUP BY status`.execute(db);
        cached = { at: Date.now(), rows: r.rows };
      }
      this.reset();
      for (const row of cached.rows) this.set({ status: row.status }, row.n);
    },
  });
  return { registry, httpDuration };
}
