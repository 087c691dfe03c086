/**
 * Utilisation history (issue 6): daily snapshots of every site's and range's
 * numbers by state, taken by the recurring job and on demand, and read back
 * per site or range for the dashboard's chart.
 */
import type { Actor } from '../actor.js';
import { customerScope, systemPrincipal, type Principal } from '../auth/principal.js';
import { writeAudit } from '../audit/audit.repository.js';
import type { Db } from '../db/pool.js';
import { insertJob } from '../jobs/jobs.repository.js';
import { AppError, notFound } from '../http/errors.js';
import * as repo from './utilisation.repository.js';

export const UTILISATION_SNAPSHOT_JOB = 'utilisation.snapshot';

/** Longest history one request may ask for. */
export const MAX_DAYS = 1096;
/** Default span when `from` is left out. */
export const DEFAULT_DAYS = 90;

const DAY_MS = 86_400_000;

/** The UTC calendar day of an instant, YYYY-MM-DD. */
export const dayOf = (d: Date): string => d.toISOString().slice(0, 10);

function parseDay(field: string, text: string): number {
  const ms = Date.parse(`${text}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || Number.isNaN(ms) || dayOf(new Date(ms)) !== text) {
    throw new AppError('VALIDATION_FAILED', `${field} must be a calendar day, YYYY-MM-DD`, {}, [
      { field: `querystring.${field}`, message: `"${text}" is not a calendar day (YYYY-MM-DD)` },
    ]);
  }
  return ms;
}

export const systemActor: Actor = {
  principal: systemPrincipal,
  source: 'system',
  requestId: null,
  ticketId: null,
};

export interface HistoryQuery {
  siteId?: string | undefined;
  rangeId?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  /** Instead of from: this many days up to `to` (the portal leaves `to` to the server's clock). */
  days?: number | undefined;
}

export function createUtilisationService({ db, now }: { db: Db; now: () => Date }) {
  return {
    /**
     * Takes today's snapshot (UTC day of the clock); again on the same day
     * replaces that day's rows. Audited like any change.
     */
    async snapshot(actor: Actor): Promise<{ day: string; rows: number }> {
      const at = now();
      const day = dayOf(at);
      return db.transaction().execute(async (trx) => {
        const rows = await repo.writeSnapshot(trx, day, at);
        await writeAudit(trx, actor, [
          {
            action: 'utilisation.snapshot',
            objectType: 'utilisation',
            objectId: day,
            customerId: null,
            changes: { rows: [null, rows] },
          },
        ]);
        return { day, rows };
      });
    },

    /**
     * One site's or range's daily counts. A customer-scoped caller gets only
     * its own holdings at a site, and 'not found' for ranges (which only the
     * operator sees) — never another customer's numbers.
     */
    async history(principal: Principal, q: HistoryQuery) {
      if ((q.siteId === undefined) === (q.rangeId === undefined)) {
        throw new AppError('VALIDATION_FAILED', 'give exactly one of siteId and rangeId', {}, [
          { field: 'querystring', message: 'exactly one of siteId and rangeId is required' },
        ]);
      }
      const toMs = q.to !== undefined ? parseDay('to', q.to) : Date.parse(dayOf(now()));
      if (q.from !== undefined && q.days !== undefined) {
        throw new AppError('VALIDATION_FAILED', 'give from or days, not both', {}, [
          { field: 'querystring.days', message: 'not allowed together with from' },
        ]);
      }
      const fromMs =
        q.from !== undefined
          ? parseDay('from', q.from)
          : toMs - ((q.days ?? DEFAULT_DAYS) - 1) * DAY_MS;
      if (fromMs > toMs) {
        throw new AppError('VALIDATION_FAILED', 'from is after to', {}, [
          { field: 'querystring.from', message: 'must not be after to' },
        ]);
      }
      if ((toMs - fromMs) / DAY_MS + 1 > MAX_DAYS) {
        throw new AppError('VALIDATION_FAILED', `at most ${MAX_DAYS} days per request`, {}, [
          {
            field: 'querystring.from',
            message: `from and to are more than ${MAX_DAYS} days apart`,
          },
        ]);
      }
      const own = customerScope(principal);
      const scopeType: 'site' | 'range' = q.siteId !== undefined ? 'site' : 'range';
      const scopeId = (q.siteId ?? q.rangeId)!;
      // Ranges are the operator's: a customer-scoped caller gets 'not found', as for the range itself.
      const scope =
        scopeType === 'range' && own !== null
          ? undefined
          : await repo.findScope(db, scopeType, scopeId);
      if (!scope) throw notFound(`${scopeType} ${scopeId}`);
      const from = dayOf(new Date(fromMs));
      const to = dayOf(new Date(toMs));
      const items = await repo.history(db, { scopeType, scopeId, customerId: own, from, to });
      return {
        scope: { type: scopeType, id: scope.id, name: scope.name },
        customerId: own,
        from,
        to,
        items,
      };
    },
  };
}

export type UtilisationService = ReturnType<typeof createUtilisationService>;

/**
 * Makes sure the recurring snapshot job is queued: due now when today has no
 * snapshot yet, else at the next UTC midnight. Does nothing when one is queued
 * already (any number of workers may call it). Times are the database's clock,
 * the clock the worker's claim compares `run_after` with.
 */
export async function scheduleSnapshotJob(
  db: Db,
  opts: { today: string; next: boolean },
): Promise<{ scheduled: boolean }> {
  return db.transaction().execute(async (trx) => {
    await repo.lockScheduling(trx);
    if (await repo.hasQueuedJob(trx, UTILISATION_SNAPSHOT_JOB)) return { scheduled: false };
    const tomorrow = opts.next || (await repo.hasSnapshot(trx, opts.today));
    const job = await insertJob(trx, systemActor, {
      kind: UTILISATION_SNAPSHOT_JOB,
      params: {},
      maxAttempts: 3,
    });
    if (tomorrow) await repo.runAtNextUtcMidnight(trx, job.id);
    return { scheduled: true };
  });
}
