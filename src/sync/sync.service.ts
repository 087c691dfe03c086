/**
 * Platform sync decisions the operator takes (SPEC §3.3, §8): approve a
 * tenant's deletion, reactivate a number, start a refresh, apply differences.
 * Every change writes its audit event in its transaction; pushes go through
 * the outbox (a job committed with the change).
 */
import type { Transaction } from 'kysely';
import type { Actor } from '../actor.js';
import { canSee, customerScope, type Principal } from '../auth/principal.js';
import { writeAudit, type AuditInput } from '../audit/audit.repository.js';
import type { Db } from '../db/pool.js';
import type { DB, SyncState } from '../db/schema.js';
import { normalizeNumber } from '../domain/e164.js';
import { DomainError } from '../domain/errors.js';
import { AppError, errorSummary, notFound } from '../http/errors.js';
import { insertJob, type JobRow } from '../jobs/jobs.repository.js';
import { lockNumbers, type NumberRow } from '../numbers/numbers.repository.js';
import type { NumbersService } from '../numbers/numbers.service.js';
import { SYNC_REFRESH_JOB } from './refresh.job.js';
import * as repo from './sync.repository.js';

export interface SyncDeps {
  db: Db;
  numbers: NumbersService;
  now: () => Date;
}

export type SyncBulkResult =
  | { e164: string; ok: true; row: NumberRow }
  | { e164: string; ok: false; code: string; message: string; rule?: string };

export type ApplyResult =
  | { id: string; ok: true; kind: string; e164: string; outcome: string }
  | { id: string; ok: false; code: string; message: string };

function operatorOnly(principal: Principal, what: string) {
  if (customerScope(principal) !== null)
    throw new AppError('FORBIDDEN', `a customer-scoped principal cannot ${what}`);
}

function assertNotPending(row: NumberRow) {
  if (row.pending_job_id)
    throw new DomainError(
      'PENDING_OPERATION',
      `${row.e164}: operation "${row.pending_action}" is pending in job ${row.pending_job_id}; wait for it to finish`,
      'R-13',
      { e164: row.e164, jobId: row.pending_job_id, action: row.pending_action },
    );
}

function assertSyncState(row: NumberRow, allowed: readonly SyncState[], what: string) {
  if (!row.sync_state || !allowed.includes(row.sync_state))
    throw new DomainError(
      'SYNC_STATE',
      `${row.e164}: cannot ${what} while its sync state is ${row.sync_state ?? 'none (not on a synced service)'}; ` +
        `allowed from ${allowed.join(', ')}`,
      undefined,
      { syncState: row.sync_state },
    );
}

/** A refused number of a bulk request; anything but a refusal is a real error. */
function refusal(e164: string, e: unknown): SyncBulkResult {
  if (e instanceof DomainError)
    return {
      e164,
      ok: false,
      code: e.code,
      message: e.message,
      ...(e.rule ? { rule: e.rule } : {}),
    };
  if (e instanceof AppError) return { e164, ok: false, code: e.code, message: e.message };
  throw e;
}

/** Thrown inside approveMany's transaction to roll it back and take the per-number path. */
class FallBack extends Error {}

export function createSyncService(deps: SyncDeps) {
  const { db } = deps;

  async function lockVisible(trx: Transaction<DB>, principal: Principal, e164: string) {
    const [row] = await lockNumbers(trx, [e164]);
    if (!row || !canSee(principal, row.customer_id)) throw notFound(`number ${e164}`);
    return row;
  }

  /**
   * markedForRemoval → readyForRemoval → released (cooling off) for rows that
   * passed the checks: the platform already removed them. One UPDATE, one
   * audit batch, one unassign, one release. `refused`: the first refusal of the
   * unassign or release; the caller rolls back.
   */
  async function approveRows(
    trx: Transaction<DB>,
    actor: Actor,
    rows: readonly NumberRow[],
  ): Promise<{ updated: Map<string, NumberRow>; refused?: unknown }> {
    const list = rows.map((r) => r.e164);
    await trx
      .updateTable('numbers')
      .set({ sync_state: 'readyForRemoval' })
      .where('e164', 'in', list)
      .execute();
    await writeAudit(
      trx,
      actor,
      rows.map((row) => ({
        action: 'number.sync.approveRemoval',
        objectType: 'number',
        objectId: row.e164,
        customerId: row.customer_id,
        changes: { syncState: [row.sync_state, 'readyForRemoval'] },
      })),
    );
    // Nobody uses them on the platform any more: assignments go with them (R-17).
    const assigned = rows.filter((r) => r.status === 'assigned').map((r) => r.e164);
    if (assigned.length) {
      const u = await deps.numbers.applyInTransaction(trx, actor, assigned, { type: 'unassign' });
      if (u.refusals.size) return { updated: new Map(), refused: u.refusals.values().next().value };
    }
    const r = await deps.numbers.applyInTransaction(trx, actor, list, { type: 'release' });
    if (r.refusals.size) return { updated: new Map(), refused: r.refusals.values().next().value };
    return { updated: r.updated };
  }

  async function reactivateInTransaction(trx: Transaction<DB>, actor: Actor, row: NumberRow) {
    await repo.enqueuePush(trx, row.service_id!, [row.e164], 'push');
    await writeAudit(trx, actor, [
      {
        action: 'number.sync.reactivate',
        objectType: 'number',
        objectId: row.e164,
        customerId: row.customer_id,
        changes: { syncState: [row.sync_state, row.sync_state], push: [null, 'queued'] },
      },
    ]);
  }

  /**
   * SPEC §3.3 approve for many numbers in one transaction: the checks of the
   * single route per number, then one UPDATE, one audit batch, one unassign
   * and one release over all that passed (1,000 numbers: one round of
   * statements instead of 1,000 transactions). null: the release refused a
   * number (e.g. one not held any more); nothing was changed, take the per-number path.
   */
  async function approveMany(
    actor: Actor,
    e164s: readonly string[],
  ): Promise<SyncBulkResult[] | null> {
    if (e164s.length === 0) return [];
    try {
      return await db.transaction().execute(async (trx) => {
        const rows = new Map((await lockNumbers(trx, e164s)).map((r) => [r.e164, r]));
        const out = new Map<string, SyncBulkResult>();
        const go: NumberRow[] = [];
        for (const e164 of e164s) {
          const row = rows.get(e164);
          try {
            if (!row || !canSee(actor.principal, row.customer_id)) throw notFound(`number ${e164}`);
            operatorOnly(actor.principal, 'approve a removal');
            assertNotPending(row);
            assertSyncState(row, ['markedForRemoval'], 'approve the removal');
            go.push(row);
          } catch (e) {
            out.set(e164, refusal(e164, e));
          }
        }
        if (go.length) {
          const r = await approveRows(trx, actor, go);
          if ('refused' in r) throw new FallBack();
          for (const row of go)
            out.set(row.e164, { e164: row.e164, ok: true, row: r.updated.get(row.e164)! });
        }
        return e164s.map((e) => out.get(e)!);
      });
    } catch (e) {
      if (e instanceof FallBack) return null;
      throw e;
    }
  }

  const service = {
    /** SPEC §3.3: the operator accepts the tenant's deletion. */
    async approveRemoval(actor: Actor, e164: string): Promise<NumberRow> {
      return db.transaction().execute(async (trx) => {
        const row = await lockVisible(trx, actor.principal, e164);
        operatorOnly(actor.principal, 'approve a removal');
        assertNotPending(row);
        assertSyncState(row, ['markedForRemoval'], 'approve the removal');
        const r = await approveRows(trx, actor, [row]);
        if ('refused' in r) throw r.refused;
        return r.updated.get(e164)!;
      });
    },

    /** SPEC §3.3: push the number again (→ active once the platform confirms); also retries `failed`. */
    async reactivate(actor: Actor, e164: string): Promise<NumberRow> {
      return db.transaction().execute(async (trx) => {
        const row = await lockVisible(trx, actor.principal, e164);
        operatorOnly(actor.principal, 'reactivate a number');
        assertNotPending(row);
        assertSyncState(row, ['markedForRemoval', 'failed'], 'reactivate');
        await reactivateInTransaction(trx, actor, row);
        const [after] = await lockNumbers(trx, [e164]);
        return after!;
      });
    },

    /**
     * Approve removals or reactivate many numbers (issue #6 bulk buttons):
     * per-number results, exactly what the single-number route would answer
     * for each (another customer's number NOT_FOUND (R-1), a customer-scoped
     * caller's own FORBIDDEN, SYNC_STATE, PENDING_OPERATION R-13); a refused
     * number is untouched, the others applied with their audit events.
     * Approving goes set-based in one transaction (approveMany); if the
     * release refuses any number there, everything rolls back and each number
     * runs on its own through the single-number path (its own transaction),
     * which gives the precise per-number answer.
     */
    async bulk(
      actor: Actor,
      action: 'approve-removal' | 'reactivate',
      e164s: readonly string[],
    ): Promise<SyncBulkResult[]> {
      const results = new Map<string, SyncBulkResult>();
      const valid = new Set<string>();
      for (const raw of e164s) {
        const e164 = raw.startsWith('+') ? raw : `+${raw.trim()}`;
        if (results.has(raw) || valid.has(e164)) continue;
        if (/^\+[1-9][0-9]{0,14}$/.test(e164)) valid.add(e164);
        else results.set(raw, refusal(raw, notFound(`number ${raw}`)));
      }
      const fast = action === 'approve-removal' ? await approveMany(actor, [...valid]) : null;
      if (fast) for (const r of fast) results.set(r.e164, r);
      else {
        for (const e164 of valid) {
          try {
            const row =
              action === 'approve-removal'
                ? await service.approveRemoval(actor, e164)
                : await service.reactivate(actor, e164);
            results.set(e164, { e164, ok: true, row });
          } catch (e) {
            results.set(e164, refusal(e164, e));
          }
        }
      }
      // In the order asked, each number once.
      const seen = new Set<string>();
      return e164s.flatMap((raw) => {
        const key = results.has(raw) ? raw : raw.startsWith('+') ? raw : `+${raw.trim()}`;
        if (seen.has(key)) return [];
        seen.add(key);
        return [results.get(key)!];
      });
    },

    /** Queue a refresh of one service, one customer, or all synced services. */
    async startRefresh(
      actor: Actor,
      scope: {
        customerId?: string | undefined;
        serviceId?: string | undefined;
        /** Repeat every N minutes (a schedule): each run queues the next. */
        repeatEveryMinutes?: number | undefined;
      },
    ): Promise<JobRow> {
      const own = customerScope(actor.principal);
      if (own && scope.customerId && scope.customerId !== own)
        throw notFound(`customer ${scope.customerId}`);
      const customerId = own ?? scope.customerId;
      if (scope.serviceId) {
        const svc = await db
          .selectFrom('services')
          .select(['id', 'customer_id'])
          .where('id', '=', scope.serviceId)
          .executeTakeFirst();
        if (!svc || (customerId && svc.customer_id !== customerId))
          throw notFound(`service ${scope.serviceId}`);
      }
      return db.transaction().execute(async (trx) => {
        const params = {
          ...(customerId ? { customerId } : {}),
          ...(scope.serviceId ? { serviceId: scope.serviceId } : {}),
          ...(scope.repeatEveryMinutes ? { repeatMinutes: scope.repeatEveryMinutes } : {}),
        };
        const job = await insertJob(trx, actor, {
          kind: SYNC_REFRESH_JOB,
          params,
          customerId: customerId ?? null,
        });
        await writeAudit(trx, actor, [
          {
            action: 'job.create',
            objectType: 'job',
            objectId: job.id,
            customerId: customerId ?? null,
            changes: { kind: [null, SYNC_REFRESH_JOB], scope: [null, params] },
          },
        ]);
        return job;
      });
    },

    listDifferences(principal: Principal, f: repo.DifferenceFilter) {
      const own = customerScope(principal);
      if (own && f.customerId && f.customerId !== own) return Promise.resolve([]);
      return repo.listDifferences(db, { ...f, customerId: own ?? f.customerId });
    },

    /**
     * Apply reviewed differences: each one on its own (a refusal is reported,
     * the others proceed), all in one transaction with their audit events.
     */
    async applyDifferences(actor: Actor, ids: readonly string[]): Promise<ApplyResult[]> {
      const unique = [...new Set(ids)];
      return db.transaction().execute(async (trx) => {
        const diffs = new Map(
          (await repo.lockDifferences(trx, unique)).map((d) => [d.id, d] as const),
        );
        const own = customerScope(actor.principal);
        const results: ApplyResult[] = [];
        const applied: string[] = [];
        const events: AuditInput[] = [];
        for (const id of unique) {
          const d = diffs.get(id);
          if (!d || (own !== null && d.customer_id !== own)) {
            results.push({
              id,
              ok: false,
              code: 'NOT_FOUND',
              message: `difference ${id} not found`,
            });
            continue;
          }
          if (own !== null) {
            results.push({
              id,
              ok: false,
              code: 'FORBIDDEN',
              message: 'a customer-scoped principal cannot apply differences',
            });
            continue;
          }
          if (d.status !== 'open') {
            results.push({
              id,
              ok: false,
              code: 'CONFLICT',
              message: `difference ${id} is ${d.status}, not open`,
            });
            continue;
          }
          try {
            // applyOne refuses before it writes, so a refusal leaves nothing behind.
            const done = await applyOne(trx, actor, d);
            applied.push(id);
            events.push({
              action: 'sync.difference.apply',
              objectType: 'syncDifference',
              objectId: id,
              customerId: d.customer_id,
              changes: { status: ['open', 'applied'], kind: d.kind, e164: d.e164, outcome: done },
            });
            results.push({ id, ok: true, kind: d.kind, e164: d.e164, outcome: done });
          } catch (err) {
            const s = errorSummary(err);
            if (!s) throw err;
            results.push({ id, ok: false, code: s.code, message: s.message });
          }
        }
        await repo.markApplied(trx, applied, deps.now());
        await writeAudit(trx, actor, events);
        return results;
      });
    },
  };
  return service;

  /**
   * One difference; checks everything before writing, so a refusal (thrown)
   * leaves nothing behind.
   */
  async function applyOne(
    trx: Transaction<DB>,
    actor: Actor,
    d: repo.DifferenceRow,
  ): Promise<string> {
    const [row] = await lockNumbers(trx, [d.e164]);
    if (d.kind === 'missingHere') {
      if (row) {
        if (row.service_id === d.service_id) return 'already here';
        throw new AppError(
          'CONFLICT',
          `${d.e164} exists in Numbat (${row.status}${row.customer_id ? `, customer ${row.customer_id}` : ''}); resolve it by hand`,
        );
      }
      const v = normalizeNumber(d.e164);
      if (!v.ok) throw new DomainError('INVALID_NUMBER', `${d.e164}: ${v.message}`, 'R-2');
      const now = deps.now();
      // Adopted from the platform: source `sync`, so it stays out of the SBC export (R-35).
      await trx
        .insertInto('numbers')
        .values({
          e164: v.value.e164,
          country: v.value.country,
          kind: v.value.kind,
          status: 'active',
          holder_type: 'customer',
          customer_id: d.customer_id,
          service_id: d.service_id,
          source: 'sync',
          acquired_at: now,
          sync_state: 'active',
          last_synced_at: now,
        })
        .execute();
      await writeAudit(trx, actor, [
        {
          action: 'number.create',
          objectType: 'number',
          objectId: d.e164,
          customerId: d.customer_id,
          changes: {
            status: [null, 'active'],
            source: [null, 'sync'],
            serviceId: [null, d.service_id],
          },
        },
      ]);
      return 'adopted';
    }
    if (!row || row.service_id !== d.service_id)
      throw new AppError(
        'CONFLICT',
        `${d.e164} is no longer on service ${d.service_id}; refresh again`,
      );
    assertNotPending(row);
    switch (d.kind) {
      case 'tenantDeleted': {
        assertSyncState(row, ['active'], 'mark it for removal');
        await trx
          .updateTable('numbers')
          .set((eb) => ({
            sync_state: 'markedForRemoval',
            updated_at: new Date(),
            version: eb('version', '+', 1),
          }))
          .where('e164', '=', d.e164)
          .execute();
        await writeAudit(trx, actor, [
          {
            action: 'number.sync.markedForRemoval',
            objectType: 'number',
            objectId: d.e164,
            customerId: row.customer_id,
            changes: { syncState: [row.sync_state, 'markedForRemoval'] },
          },
        ]);
        return 'markedForRemoval';
      }
      case 'missingUpstream':
      case 'fieldDrift':
        await repo.enqueuePush(trx, d.service_id, [d.e164], 'push');
        return 'pushQueued';
      case 'assignment': {
        const platformAssigned = (d.details as { platformAssigned?: boolean }).platformAssigned;
        const action =
          platformAssigned && row.status === 'active'
            ? ({
                type: 'assign',
                assignment: {
                  type: 'user',
                  targetId: 'platform',
                  targetName: 'assigned on the platform',
                },
              } as const)
            : !platformAssigned && row.status === 'assigned'
              ? ({ type: 'unassign' } as const)
              : null;
        if (!action) return 'unchanged';
        const r = await deps.numbers.applyInTransaction(trx, actor, [d.e164], action);
        for (const err of r.refusals.values()) throw err;
        return action.type === 'assign' ? 'assigned' : 'unassigned';
      }
    }
  }
}

export type SyncService = ReturnType<typeof createSyncService>;
