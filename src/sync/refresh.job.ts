/**
 * The `sync.refresh` job (SPEC §8 "Refresh"): reads each synced service's
 * numbers from its platform, compares them with Numbat's and stores the
 * differences as reviewable rows. It changes no number: the operator applies
 * differences (POST /sync/differences/apply), which is when anything changes.
 *
 * Kinds (SPEC §3.3):
 * - `tenantDeleted`: Numbat had it `active` upstream, the platform no longer
 *   has it (e.g. a Teams admin removed it) → applying marks it `markedForRemoval`.
 * - `missingUpstream`: on a synced service here, never confirmed there → re-push.
 * - `missingHere`: the platform has a number this service does not → adopt it
 *   (source `sync`, R-35: it stays out of the SBC routing export).
 * - `fieldDrift`: both have it, fields differ → re-push Numbat's values.
 * - `assignment`: the platform's assignment differs → take the platform's.
 * Numbers with an operation in flight (R-13) are skipped: they are about to change.
 */
import { sql } from 'kysely';
import type { Actor } from '../actor.js';
import type { PlatformConsent } from '../consents/consents.service.js';
import type { Db } from '../db/pool.js';
import { insertJob, type JobRow } from '../jobs/jobs.repository.js';
import { jobActor, type JobHandler } from '../jobs/worker.js';
import type { UpstreamNumberState } from './connectors/connector.js';
import { ensureUpstreamAccount, upstreamTarget } from './push.job.js';
import type { Connectors } from './sync.config.js';
import * as repo from './sync.repository.js';

export const SYNC_REFRESH_JOB = 'sync.refresh';

const acgUsageOf: Record<string, string> = {
  CallingUserAssignment: 'user',
  FirstPartyAppAssignment: 'application',
  ConferenceAssignment: 'conference',
  ThirdPartyAppAssignment: 'contactCenter',
};

type Here = Awaited<ReturnType<typeof repo.serviceNumbers>>[number];
type NewDifference = Parameters<typeof repo.insertDifferences>[1][number];

/** Pure comparison of one service's numbers: what a refresh reports. */
export function compareNumbers(
  platform: repo.SyncTargetRow['platform'],
  here: readonly Here[],
  there: readonly UpstreamNumberState[],
): { e164: string; kind: NewDifference['kind']; details: Record<string, unknown> }[] {
  const out: { e164: string; kind: NewDifference['kind']; details: Record<string, unknown> }[] = [];
  const upstream = new Map(there.map((u) => [u.e164, u]));
  const mine = new Set(here.map((h) => h.e164));
  for (const h of here) {
    if (h.pending_job_id || h.sync_state === null) continue;
    const u = upstream.get(h.e164);
    if (!u) {
      if (h.sync_state === 'active')
        out.push({ e164: h.e164, kind: 'tenantDeleted', details: { syncState: h.sync_state } });
      else if (h.sync_state === 'pendingFirstSync' || h.sync_state === 'failed')
        out.push({ e164: h.e164, kind: 'missingUpstream', details: { syncState: h.sync_state } });
      continue;
    }
    if (h.sync_state === 'markedForRemoval') continue;
    const drift: Record<string, { numbat: unknown; platform: unknown }> = {};
    const active = h.status === 'active' || h.status === 'assigned';
    if (platform === 'webexCloudConnect') {
      if (u.active !== active) drift.active = { numbat: active, platform: u.active };
    } else {
      const usage = u.usage ? (acgUsageOf[u.usage] ?? u.usage) : null;
      if (usage !== (h.usage ?? 'user')) drift.usage = { numbat: h.usage, platform: usage };
      if ((u.customSipHeader ?? null) !== (h.custom_sip_header ?? null))
        drift.customSipHeader = { numbat: h.custom_sip_header, platform: u.customSipHeader };
    }
    if (u.status === 'failed') drift.provisioning = { numbat: h.sync_state, platform: u.errors };
    if (Object.keys(drift).length) out.push({ e164: h.e164, kind: 'fieldDrift', details: drift });
    if (u.assigned !== null && u.assigned !== (h.status === 'assigned'))
      out.push({
        e164: h.e164,
        kind: 'assignment',
        details: { numbat: h.status, platformAssigned: u.assigned },
      });
  }
  for (const u of there) {
    if (!mine.has(u.e164))
      out.push({
        e164: u.e164,
        kind: 'missingHere',
        details: { active: u.active, usage: u.usage, assigned: u.assigned, status: u.status },
      });
  }
  return out;
}

/** Records consents the platform reports (consents.service upsertFromPlatform). */
export type ConsentSink = (actor: Actor, consent: PlatformConsent) => Promise<unknown>;

/**
 * SPEC §5: consents (ACG requests for information) are the platform's to
 * report; an all-customers refresh records them as they are (source `sync`),
 * never touching the operator's relationship fields.
 */
async function pullConsents(
  connectors: Connectors,
  sink: ConsentSink,
  actor: Actor,
): Promise<number> {
  const acg = connectors.forPlatform('teamsOperatorConnect');
  if (!acg?.capabilities().supportsConsents) return 0;
  let n = 0;
  for (const c of await acg.listConsents()) {
    if (!c.tenantId) continue;
    await sink(
      { ...actor, source: 'sync' },
      {
        tenantId: c.tenantId,
        externalId: c.id || null,
        status: c.status,
        consentedAt: c.consentedOn,
        lastModifiedAt: c.lastModifiedOn,
        consentedCountries: c.consentedCountries,
        contacts: c.contacts.flatMap((x) =>
          x.fullName && x.email
            ? [
                {
                  fullName: x.fullName,
                  email: x.email,
                  ...(x.telephoneNumber ? { telephoneNumber: x.telephoneNumber } : {}),
                  ...(x.companyName ? { companyName: x.companyName } : {}),
                  ...(x.companySize ? { companySize: x.companySize } : {}),
                },
              ]
            : [],
        ),
      },
    );
    n++;
  }
  return n;
}

export function syncRefreshJobHandler(deps: {
  db: Db;
  connectors: Connectors;
  consents?: ConsentSink;
}): JobHandler {
  return async (ctx) => {
    const p = ctx.job.params as { customerId?: string; serviceId?: string; repeatMinutes?: number };
    // A scheduled refresh queues its successor first, so a crash or a failure
    // never ends the schedule; cancelling the queued job does.
    const nextJobId =
      typeof p.repeatMinutes === 'number' && p.repeatMinutes > 0
        ? await scheduleNext(deps.db, ctx.job, p.repeatMinutes)
        : null;
    let consents = 0;
    if (deps.consents && !p.customerId && !p.serviceId) {
      try {
        consents = await pullConsents(deps.connectors, deps.consents, ctx.actor);
      } catch (err) {
        await ctx.itemErrors([
          {
            item: 'consents',
            code: 'REFRESH_FAILED',
            message: err instanceof Error ? err.message : String(err),
          },
        ]);
      }
    }
    const services = await repo.syncedServices(deps.db, p);
    await ctx.progress({ total: services.length, done: 0 });
    let differences = 0;
    let failed = 0;
    let done = 0;
    for (const svc of services) {
      ctx.checkCancelled();
      const connector = deps.connectors.forPlatform(svc.platform);
      try {
        if (!connector) throw new Error(`SYNC_NOT_CONFIGURED: no connector for ${svc.platform}`);
        await ensureUpstreamAccount(connector, svc);
        const there = await connector.listNumbers(upstreamTarget(svc));
        const here = await repo.serviceNumbers(deps.db, svc.service_id);
        const found = compareNumbers(svc.platform, here, there);
        await deps.db.transaction().execute((trx) =>
          repo.insertDifferences(
            trx,
            found.map((d) => ({
              ...d,
              refresh_job_id: ctx.job.id,
              service_id: svc.service_id,
              customer_id: svc.customer_id,
            })),
          ),
        );
        differences += found.length;
      } catch (err) {
        failed++;
        await ctx.itemErrors([
          {
            item: svc.service_id,
            code: 'REFRESH_FAILED',
            message: err instanceof Error ? err.message : String(err),
          },
        ]);
      }
      done++;
      await ctx.progress({ done, failed });
    }
    return {
      status: failed ? (failed === services.length ? 'failed' : 'partiallySucceeded') : 'succeeded',
      result: {
        consents,
        services: services.length,
        differences,
        failed,
        ...(nextJobId ? { nextJobId } : {}),
      },
      ...(failed
        ? { error: `${failed} service(s) could not be refreshed; see the item errors` }
        : {}),
    };
  };
}

/** Queue the next run of a scheduled refresh (once per run: a retried attempt does not add another). */
async function scheduleNext(db: Db, job: JobRow, minutes: number): Promise<string> {
  return db.transaction().execute(async (trx) => {
    const locked = await sql<{ next: string | null }>`
      SELECT result->>'nextJobId' AS next FROM jobs WHERE id = ${job.id} FOR UPDATE`.execute(trx);
    const already = locked.rows[0]?.next;
    if (already) return already;
    const next = await insertJob(trx, jobActor(job), {
      kind: SYNC_REFRESH_JOB,
      params: job.params,
      customerId: job.customer_id,
    });
    await sql`UPDATE jobs SET run_after = now() + ${`${minutes} minutes`}::interval WHERE id = ${next.id}`.execute(
      trx,
    );
    await sql`UPDATE jobs SET result = coalesce(result, '{}'::jsonb) || jsonb_build_object('nextJobId', ${next.id}::text)
      WHERE id = ${job.id}`.execute(trx);
    return next.id;
  });
}
