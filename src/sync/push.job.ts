/**
 * The `sync.push` job (SPEC §3.3, §8): delivers one transaction's outbox rows
 * for one service to its platform.
 *
 * - Batches to the platform's limits (ACG ≤ 100 per request; Webex adds ≤ 100,
 *   deletes ≤ 5), lowest numbers first; each confirmed batch commits its
 *   numbers' sync state and removes its outbox rows in one transaction, so a
 *   crash repeats at most the batch in flight (at least once; pushes are
 *   create-or-update and deletes of absent numbers succeed, so a repeat is
 *   harmless — handlers are idempotent).
 * - Transient failures are retried per request by the connector (exponential
 *   backoff, full jitter, Retry-After honoured), then per job by the worker.
 *   The last attempt marks every undelivered number `failed` with the error
 *   and ends the job `failed`; retrying the job (POST /jobs/{id}/retry)
 *   delivers the outbox rows that are still there.
 * - R-13: numbers carry the job as their pending operation until their batch
 *   is confirmed.
 */
import { sql } from 'kysely';
import type { Db } from '../db/pool.js';
import type { SyncErrorJson, SyncState } from '../db/schema.js';
import type { NumbersService } from '../numbers/numbers.service.js';
import { PermanentJobError, type JobHandler } from '../jobs/worker.js';
import { AcgConnector } from './connectors/acg.connector.js';
import type { Connector, UpstreamNumber, UpstreamTarget } from './connectors/connector.js';
import { SyncError } from './connectors/http.js';
import type { Connectors } from './sync.config.js';
import * as repo from './sync.repository.js';

export const SYNC_PUSH_JOB = 'sync.push';

const acgUsage: Record<string, string> = {
  user: 'CallingUserAssignment',
  application: 'FirstPartyAppAssignment',
  conference: 'ConferenceAssignment',
  contactCenter: 'ThirdPartyAppAssignment',
};
const acgCapability: Record<string, string> = {
  inboundCalling: 'InboundCalling',
  outboundCalling: 'OutboundCalling',
  inboundSms: 'InboundA2PSms',
  outboundSms: 'OutboundA2PSms',
  mobile: 'Mobile',
};

export function upstreamTarget(t: repo.SyncTargetRow): UpstreamTarget {
  // ACG: the customer's account. Webex: the service's location — the site's id
  // when the service has one, else the service's own id (documented in README).
  if (t.platform === 'webexCloudConnect')
    return { id: t.site_id ?? t.service_id, ...(t.webex_org_id ? { orgId: t.webex_org_id } : {}) };
  return { id: t.account_name };
}

type PushRow = Awaited<ReturnType<typeof repo.numbersToPush>>[number];

export function toUpstream(platform: repo.SyncTargetRow['platform'], n: PushRow): UpstreamNumber {
  const active = n.status === 'active' || n.status === 'assigned';
  if (platform === 'webexCloudConnect') {
    return {
      e164: n.e164,
      active,
      numberType: n.kind === 'tollFree' ? 'TOLLFREE' : n.kind === 'mobile' ? 'MOBILE' : 'DID',
      ...(n.usage === 'application' ? { usage: 'SERVICE' } : {}),
    };
  }
  return {
    e164: n.e164,
    service: platform === 'teamsPhoneMobile' ? 'teamsPhoneMobile' : 'teamsOperatorConnect',
    usage: acgUsage[n.usage ?? 'user'] ?? 'CallingUserAssignment',
    capabilities: n.capabilities.map((c) => acgCapability[c] ?? c),
    ...(n.civic_address_ref ? { civicAddressId: n.civic_address_ref } : {}),
    ...(n.location_ref ? { locationId: n.location_ref } : {}),
    customerMayUpdate: n.customer_may_update,
    ...(n.custom_sip_header ? { customSipHeader: n.custom_sip_header } : {}),
  };
}

/** The ACG account must exist before numbers go into it (idempotent, ETag-guarded). */
export async function ensureUpstreamAccount(c: Connector, t: repo.SyncTargetRow): Promise<void> {
  if (!(c instanceof AcgConnector)) return;
  const current = await c.getAccount(t.account_name);
  const svc = t.platform === 'teamsPhoneMobile' ? 'teamsPhoneMobile' : 'teamsOperatorConnect';
  if (current?.account.serviceDetails?.[svc]?.enabled) return;
  await c.upsertAccount({
    name: t.account_name,
    serviceDetails: {
      ...(current?.account.serviceDetails ?? {}),
      ...(t.teams_tenant_id ? { teamsTenantId: t.teams_tenant_id } : {}),
      [svc]: { enabled: true, syncEnabled: true },
    },
  });
}

const errorsOf = (err: unknown): SyncErrorJson[] =>
  err instanceof SyncError
    ? [{ code: err.code, message: err.message }, ...err.errors.map((e) => ({ ...e }))]
    : [{ code: 'SYNC_FAILED', message: err instanceof Error ? err.message : String(err) }];

export function syncPushJobHandler(deps: {
  db: Db;
  numbers: NumbersService;
  connectors: Connectors;
  now: () => Date;
}): JobHandler {
  const { db } = deps;
  return async (ctx) => {
    const jobId = ctx.job.id;
    const serviceId = typeof ctx.job.params.serviceId === 'string' ? ctx.job.params.serviceId : '';
    const target = await repo.serviceTarget(db, serviceId);
    // The service is gone: its outbox rows went with it (ON DELETE CASCADE).
    if (!target) return { status: 'succeeded', result: { pushed: 0, deleted: 0, failed: 0 } };
    const total = await repo.outboxCount(db, jobId);
    await ctx.progress({ total, done: 0, failed: 0 });
    // A retried job (POST /jobs/{id}/retry) holds its numbers again while in flight.
    await repo.markPending(db, jobId);
    const connector = deps.connectors.forPlatform(target.platform);
    let done = 0;
    let failed = 0;
    let pushed = 0;
    let deleted = 0;
    try {
      if (!connector)
        throw new PermanentJobError(
          `SYNC_NOT_CONFIGURED: no connector for ${target.platform} (see README "Platform sync")`,
        );
      const caps = connector.capabilities();
      const upstream = upstreamTarget(target);
      await ensureUpstreamAccount(connector, target);

      // 1. pushes (create or update)
      for (;;) {
        ctx.checkCancelled();
        const batch = await repo.nextOutbox(db, jobId, 'push', caps.maxPushBatch);
        if (!batch.length) break;
        const e164s = batch.map((b) => b.e164);
        const rows = (await repo.numbersToPush(db, e164s)).filter(
          // Moved to another service since: nothing to push here (its delete is queued).
          (r) => r.service_id === serviceId,
        );
        const result = rows.length
          ? await connector.pushNumbers(
              upstream,
              rows.map((r) => toUpstream(target.platform, r)),
            )
          : { numbers: [], requests: 0 };
        const updates: repo.StateUpdate[] = result.numbers.map((o) => ({
          e164: o.e164,
          state: (o.status === 'synced'
            ? 'active'
            : o.status === 'failed'
              ? 'failed'
              : 'pendingFirstSync') satisfies SyncState,
          errors: o.errors,
        }));
        const bad = result.numbers.filter((o) => o.status === 'failed');
        await db.transaction().execute(async (trx) => {
          await repo.applySyncStates(trx, jobId, updates, deps.now());
          await repo.clearPending(trx, jobId, e164s);
          await repo.deleteOutbox(trx, jobId, e164s);
        });
        if (bad.length)
          await ctx.itemErrors(
            bad.map((o) => ({
              item: o.e164,
              code: o.errors[0]?.code ?? 'UPSTREAM_FAILED',
              message:
                o.errors.map((e) => e.message).join('; ') || 'the platform refused the number',
            })),
          );
        pushed += result.numbers.length - bad.length;
        failed += bad.length;
        done += batch.length;
        await ctx.progress({ done, failed });
      }

      // 2. deletes (the number left the service) and releases (operator release, SPEC §3.2)
      for (const op of ['delete', 'release'] as const) {
        for (;;) {
          ctx.checkCancelled();
          const batch = await repo.nextOutbox(db, jobId, op, caps.maxDeleteBatch);
          if (!batch.length) break;
          const e164s = batch.map((b) => b.e164);
          const result = await connector.deleteNumbers(upstream, e164s);
          const refused = new Map(result.refused.map((r) => [r.e164, r.errors]));
          const gone = e164s.filter((e) => !refused.has(e));
          await db.transaction().execute(async (trx) => {
            if (op === 'release') {
              // The platform confirmed: now the number leaves the customer (cooling off).
              await repo.clearPending(trx, jobId, gone);
              const { refusals } = await deps.numbers.applyInTransaction(trx, ctx.actor, gone, {
                type: 'release',
              });
              for (const [e164, err] of refusals)
                refused.set(e164, [
                  {
                    code: 'RELEASE_REFUSED',
                    message: err instanceof Error ? err.message : String(err),
                  },
                ]);
            } else {
              await repo.clearPending(trx, jobId, gone);
            }
            await repo.applySyncStates(
              trx,
              jobId,
              [...refused].map(([e164, errors]) => ({ e164, state: 'failed', errors })),
              deps.now(),
            );
            await repo.clearPending(trx, jobId, e164s);
            await repo.deleteOutbox(trx, jobId, e164s);
          });
          if (refused.size)
            await ctx.itemErrors(
              [...refused].map(([item, errors]) => ({
                item,
                code: errors[0]?.code ?? 'UPSTREAM_REFUSED',
                message: errors.map((e) => e.message).join('; '),
              })),
            );
          deleted += gone.length - [...refused.keys()].filter((e) => gone.includes(e)).length;
          failed += refused.size;
          done += batch.length;
          await ctx.progress({ done, failed });
        }
      }
    } catch (err) {
      const last =
        err instanceof PermanentJobError ||
        (err instanceof SyncError && err.code === 'UPSTREAM_REJECTED') ||
        ctx.job.attempts >= ctx.job.max_attempts;
      if (last) {
        // Give up visibly: the numbers say why; the outbox rows stay for a retry.
        const errors = errorsOf(err);
        await db.transaction().execute((trx) => repo.failRemaining(trx, jobId, errors));
        throw err instanceof PermanentJobError
          ? err
          : new PermanentJobError(errors.map((e) => `${e.code}: ${e.message}`).join('; '));
      }
      throw err;
    }
    return {
      status: failed ? (done > failed ? 'partiallySucceeded' : 'failed') : 'succeeded',
      result: { pushed, deleted, failed },
      ...(failed
        ? { error: `${failed} number(s) failed on the platform; see the item errors` }
        : {}),
    };
  };
}

/** Outbox rows still undelivered (diagnostics and tests). */
export async function pendingOutbox(db: Db): Promise<number> {
  const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM sync_outbox`.execute(db);
  return r.rows[0]!.n;
}
