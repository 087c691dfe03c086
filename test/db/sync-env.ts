/**
 * Shared by the sync db tests: a Numbat test app, both emulators on loopback,
 * an in-process worker wired to them, and small helpers.
 */
import { sql } from 'kysely';
import { afterAll, expect } from 'vitest';
import { createServices } from '../../src/app.js';
import {
  ACG_EMULATOR_CLIENT_ID,
  ACG_EMULATOR_CLIENT_SECRET,
  createAcgEmulator,
} from '../../src/emulators/acg.js';
import { createWebexEmulator, WEBEX_EMULATOR_TOKEN } from '../../src/emulators/webex.js';
import { createJobHandlers } from '../../src/jobs/handlers.js';
import { createWorker, type Worker } from '../../src/jobs/worker.js';
import { createConnectors, type SyncConfig } from '../../src/sync/sync.config.js';
import { createTestApp } from '../support/app.js';

export async function createSyncEnv() {
  const t = await createTestApp();
  const acg = createAcgEmulator();
  const acgUrl = await acg.listen(0);
  const webex = createWebexEmulator();
  const webexUrl = await webex.listen(0);
  afterAll(async () => {
    await acg.close();
    await webex.close();
  });
  const syncConfig: SyncConfig = {
    acg: {
      baseUrl: acgUrl,
      auth: {
        tokenUrl: `${acgUrl}/oauth2/v2.0/token`,
        clientId: ACG_EMULATOR_CLIENT_ID,
        clientSecret: ACG_EMULATOR_CLIENT_SECRET,
      },
      retry: { maxAttempts: 8, baseDelayMs: 20 },
    },
    webex: {
      baseUrl: webexUrl,
      accessToken: WEBEX_EMULATOR_TOKEN,
      retry: { maxAttempts: 8, baseDelayMs: 20 },
    },
  };
  const services = createServices(
    t.db,
    { coolingOffDays: 90, coolingOffDaysByCountry: {}, logLevel: 'silent' },
    () => t.clock.now,
  );
  const makeWorker = (config: SyncConfig) =>
    createWorker({
      db: t.db,
      handlers: createJobHandlers({
        db: t.db,
        pool: t.pool,
        numbers: services.numbers,
        now: () => t.clock.now,
        connectors: createConnectors(config),
      }),
      backoffMs: 50,
      leaseMs: 10_000,
    });
  const worker = makeWorker(syncConfig);

  /** Run `w` until no sync job is queued or running (job-level retries included). */
  async function drainSync(w: Worker = worker): Promise<void> {
    for (;;) {
      await w.drain();
      const open = await t.db
        .selectFrom('jobs')
        .select('id')
        .where('kind', 'like', 'sync.%')
        .where(
          sql<boolean>`status = 'running' OR (status = 'queued' AND run_after <= now() + interval '2 seconds')`,
        )
        .execute();
      if (!open.length) return;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async function syncedService(platform: string, extra: Record<string, unknown> = {}) {
    const c = await t.customer();
    const res = await t.admin('POST', `/api/v1/customers/${c.id}/services`, {
      platform,
      syncEnabled: true,
      ...extra,
    });
    expect(res.statusCode, res.body).toBe(201);
    const s = res.json<{ service: { id: string; status: string } }>().service;
    if (s.status === 'pendingConsent')
      expect(
        (await t.admin('POST', `/api/v1/customers/${c.id}/services/${s.id}/consent`)).statusCode,
      ).toBe(200);
    return { customer: c, serviceId: s.id };
  }

  async function upload(customerId: string, serviceId: string, body: Record<string, unknown>) {
    const res = await t.admin(
      'POST',
      `/api/v1/customers/${customerId}/services/${serviceId}/numbers`,
      body,
    );
    expect(res.statusCode, res.body).toBeLessThan(300);
  }

  /**
   * `count` held, active numbers put on a service by one UPDATE: the outbox
   * trigger is the same for every path (upload, PATCH, allocation).
   */
  async function putOnService(
    customerId: string,
    serviceId: string,
    prefix: string,
    count: number,
  ) {
    await sql`
      INSERT INTO numbers (e164, country, kind, status, holder_type, customer_id, source, customer_may_update)
      SELECT ${prefix} || lpad(i::text, ${13 - prefix.length}, '0'), 'GB', 'fixedLine', 'active',
             'customer', ${customerId}::uuid, 'api', true
      FROM generate_series(0, ${count - 1}) AS i`.execute(t.db);
    await sql`UPDATE numbers SET service_id = ${serviceId}::uuid WHERE e164 LIKE ${`${prefix}%`}`.execute(
      t.db,
    );
  }

  async function syncCounts(prefix: string) {
    const r = await sql<{ state: string | null; pending: number; n: number }>`
      SELECT sync_state AS state, count(*) FILTER (WHERE pending_job_id IS NOT NULL)::int AS pending,
             count(*)::int AS n
      FROM numbers WHERE e164 LIKE ${`${prefix}%`} GROUP BY 1 ORDER BY 1`.execute(t.db);
    return Object.fromEntries(
      r.rows.map((x) => [x.state ?? 'none', { n: x.n, pending: x.pending }]),
    );
  }

  const control = (base: string, path: string, body: unknown) =>
    fetch(`${base}/_control/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then(async (r) => {
      expect(r.status, `control ${path}`).toBeLessThan(300);
      return r.json();
    });

  return {
    t,
    acg,
    acgUrl,
    webex,
    webexUrl,
    syncConfig,
    services,
    worker,
    makeWorker,
    drainSync,
    syncedService,
    upload,
    putOnService,
    syncCounts,
    control,
  };
}
