/**
 * Numbers: decides (through the pure domain), opens the transaction, writes the
 * audit event in it. Knows nothing of HTTP.
 */
import type { Transaction } from 'kysely';
import type { Actor } from '../actor.js';
import { canSee, customerScope, type Principal } from '../auth/principal.js';
import { writeAudit, type AuditInput } from '../audit/audit.repository.js';
import type { Db } from '../db/pool.js';
import type { DB } from '../db/schema.js';
import { DomainError } from '../domain/errors.js';
import { normalizeNumber, assertCountry, type ValidNumber } from '../domain/e164.js';
import {
  applyAction,
  type Action,
  type Holder,
  type LifecycleContext,
  type NumberState,
} from '../domain/lifecycle.js';
import { AppError, errorSummary, notFound, type FieldError } from '../http/errors.js';
import { checkNumberPatch } from '../services/number-platform.js';
import * as repo from './numbers.repository.js';
import { createAllocationBatcher, MAX_BATCHED_COUNT } from './allocation-batcher.js';
import { needsUpstreamRelease, requestUpstreamRelease } from '../sync/upstream-release.js';
import type { NumberRow } from './numbers.repository.js';

export interface NumbersDeps {
  db: Db;
  now: () => Date;
  coolingOffDays: (country: string) => number;
}

/** Customer-scoped principals may only change who uses their numbers (SPEC §1). */
const customerActions = new Set<Action['type']>(['assign', 'unassign']);

export const BULK_LIMIT = 1000;

export type BulkResult =
  | { e164: string; ok: true; status: string; etag: string }
  | { e164: string; ok: false; code: string; message: string; rule?: string };

export interface NewNumber {
  number: string;
  country?: string | undefined;
  siteId?: string | undefined;
  rangeId?: string | undefined;
  extension?: string | undefined;
  usage?: NumberRow['usage'] | undefined;
  capabilities?: string[] | undefined;
  serviceInfo?: string | undefined;
}

/** Attributes a PATCH may change (never status, holder or etag: those are actions). */
export interface NumberPatch {
  extension?: string | null;
  usage?: NumberRow['usage'];
  capabilities?: string[];
  emergency?: {
    civicAddressId?: string | null;
    locationId?: string | null;
    customerMayUpdate?: boolean;
  };
  customSipHeader?: string | null;
  sipConnection?: string | null;
  callingProfileId?: string | null;
  cacLimit?: number | null;
  serviceInfo?: string | null;
  siteId?: string | null;
  rangeId?: string | null;
  /** The customer service (platform) the number is on; its platform's field rules apply. */
  serviceId?: string | null;
}

/** API field -> column, for PATCH writes and their audit diff. */
const patchColumns = {
  extension: 'extension',
  usage: 'usage',
  capabilities: 'capabilities',
  customSipHeader: 'custom_sip_header',
  sipConnection: 'sip_connection',
  callingProfileId: 'calling_profile_id',
  cacLimit: 'cac_limit',
  serviceInfo: 'service_info',
  siteId: 'site_id',
  rangeId: 'range_id',
  civicAddressId: 'civic_address_id',
  locationId: 'location_id',
  customerMayUpdate: 'customer_may_update',
  serviceId: 'service_id',
} as const;

export const etagOf = (row: Pick<NumberRow, 'version'>) => `"${row.version}"`;

const holderJson = (h: Holder | null) => h;

/** Fields of a lifecycle change as `{ field: [before, after] }`. */
function diff(before: NumberState, after: NumberState): Record<string, [unknown, unknown]> {
  const out: Record<string, [unknown, unknown]> = {};
  const pairs: [string, unknown, unknown][] = [
    ['status', before.status, after.status],
    ['holder', holderJson(before.holder), holderJson(after.holder)],
    ['mainNumber', before.mainNumber, after.mainNumber],
    ['locked', before.locked, after.locked],
    ['lockReason', before.lockReason, after.lockReason],
    [
      'coolingOffUntil',
      before.coolingOffUntil?.toISOString() ?? null,
      after.coolingOffUntil?.toISOString() ?? null,
    ],
    ['assignment', before.assignment, after.assignment],
  ];
  for (const [k, a, b] of pairs) if (JSON.stringify(a) !== JSON.stringify(b)) out[k] = [a, b];
  return out;
}

const customerOf = (s: NumberState) => (s.holder?.type === 'customer' ? s.holder.customerId : null);

export function createNumbersService(deps: NumbersDeps) {
  const { db } = deps;
  /** Group commit of concurrent pool allocations (allocateFromPool). */
  const batcher = createAllocationBatcher(db, deps.now);

  /** The context the lifecycle rules need, loaded once for a whole batch. */
  async function loadContext(
    trx: Transaction<DB>,
    states: readonly NumberState[],
    action: Action,
    now: Date,
  ): Promise<LifecycleContext & { recordMain: (before: NumberState, after: NumberState) => void }> {
    const customerIds = new Set<string>();
    if (action.type === 'allocate' && action.holder.type === 'customer')
      customerIds.add(action.holder.customerId);
    const statuses = await repo.customerStatuses(trx, [...customerIds]);
    const siteIds = [
      ...new Set(states.map((s) => s.siteId).filter((s): s is string => s !== null)),
    ];
    const mains = new Map<string, string>(); // holderKey|site -> e164
    for (const m of await repo.mainsAtSites(trx, siteIds))
      mains.set(`${m.holderKey}|${m.siteId}`, m.e164);
    const key = (h: Holder, site: string) =>
      `${repo.holderKey(h.type, h.type === 'customer' ? h.customerId : null)}|${site}`;
    return {
      now,
      coolingOffDays: deps.coolingOffDays,
      holderIsActive: (h) => h.type === 'operator' || statuses.get(h.customerId) === 'active',
      holderHasMainAtSite: (h, site, except) => {
        const e = mains.get(key(h, site));
        return e !== undefined && e !== except;
      },
      // Keep the map true while a batch proceeds, so two numbers of one batch
      // cannot both become the same holder's main number at one site.
      recordMain: (before, after) => {
        if (before.mainNumber && before.holder && before.siteId)
          mains.delete(key(before.holder, before.siteId));
        if (after.mainNumber && after.holder && after.siteId)
          mains.set(key(after.holder, after.siteId), after.e164);
      },
    };
  }

  /**
   * Applies `action` to each locked row; refused numbers are reported and left
   * untouched, the others are written in one statement with their audit events.
   */
  async function applyToRows(
    trx: Transaction<DB>,
    actor: Actor,
    rows: readonly NumberRow[],
    action: Action,
  ): Promise<{
    results: Map<string, BulkResult>;
    updated: Map<string, NumberRow>;
    refusals: Map<string, unknown>;
  }> {
    const now = deps.now();
    const states = rows.map(repo.rowToState);
    const ctx = await loadContext(trx, states, action, now);
    const results = new Map<string, BulkResult>();
    const updates: repo.LifecycleUpdate[] = [];
    const events: AuditInput[] = [];
    const refusals = new Map<string, unknown>();
    const upstreamReleases: NumberRow[] = [];
    rows.forEach((row, i) => {
      const before = states[i]!;
      try {
        const after = applyAction(before, action, ctx);
        // SPEC §3.3: a synced number is released only once its platform confirmed.
        if (action.type === 'release' && needsUpstreamRelease(row))
          return void upstreamReleases.push(row);
        ctx.recordMain(before, after);
        const acquired = action.type === 'allocate' ? now : after.holder ? row.acquired_at : null;
        updates.push(repo.stateToUpdate(after, acquired));
        events.push({
          action: `number.${action.type}`,
          objectType: 'number',
          objectId: row.e164,
          customerId: customerOf(after) ?? customerOf(before),
          changes: diff(before, after),
        });
      } catch (err) {
        const summary = errorSummary(err);
        if (!summary) throw err;
        refusals.set(row.e164, err);
        results.set(row.e164, { e164: row.e164, ok: false, ...summary });
      }
    });
    const written = [
      ...(await repo.applyUpdates(trx, updates)),
      ...(await requestUpstreamRelease(trx, actor, upstreamReleases)),
    ];
    await writeAudit(trx, actor, events);
    const updated = new Map(written.map((r) => [r.e164, r]));
    for (const r of written)
      results.set(r.e164, { e164: r.e164, ok: true, status: r.status, etag: etagOf(r) });
    return { results, updated, refusals };
  }

  function assertActionAllowed(principal: Principal, action: Action) {
    if (customerScope(principal) !== null && !customerActions.has(action.type)) {
      throw new AppError('FORBIDDEN', `a customer-scoped principal cannot ${action.type} numbers`);
    }
  }

  /** Unique violations of the R-21 index become the domain refusal, not a 500. */
  async function inTransaction<T>(fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    try {
      return await db.transaction().execute(fn);
    } catch (err) {
      if ((err as { constraint?: string }).constraint === 'numbers_one_main_per_holder_site') {
        throw new DomainError(
          'MAIN_NUMBER_EXISTS',
          'the holder already has a main number at this site',
          'R-21',
        );
      }
      throw err;
    }
  }

  async function lockOne(
    trx: Transaction<DB>,
    principal: Principal,
    e164: string,
    ifMatch?: string,
  ) {
    const [row] = await repo.lockNumbers(trx, [e164]);
    if (!row || !canSee(principal, row.customer_id)) throw notFound(`number ${e164}`);
    if (ifMatch !== undefined && ifMatch !== etagOf(row)) {
      throw new AppError('PRECONDITION_FAILED', `number ${e164} changed since ETag ${ifMatch}`, {
        etag: etagOf(row),
      });
    }
    if (row.pending_job_id) {
      throw new DomainError(
        'PENDING_OPERATION',
        `${e164}: operation "${row.pending_action}" is pending in job ${row.pending_job_id}; wait for it to finish`,
        'R-13',
        { e164, jobId: row.pending_job_id, action: row.pending_action },
      );
    }
    return row;
  }

  return {
    /**
     * One lifecycle action on many numbers inside the caller's transaction, so
     * other features (automatic allocation, service uploads) compose bigger
     * all-or-nothing changes from the same rules. Locks the rows; refusals are
     * returned, not thrown — the caller decides whether one refusal aborts all.
     */
    async applyInTransaction(
      trx: Transaction<DB>,
      actor: Actor,
      e164s: readonly string[],
      action: Action,
    ): Promise<{ updated: Map<string, NumberRow>; refusals: Map<string, unknown> }> {
      const rows = await repo.lockNumbers(trx, [...new Set(e164s)]);
      const { updated, refusals } = await applyToRows(trx, actor, rows, action);
      return { updated, refusals };
    },

    async get(principal: Principal, e164: string): Promise<NumberRow> {
      const row = await repo.getNumber(db, e164);
      if (!row || !canSee(principal, row.customer_id)) throw notFound(`number ${e164}`);
      return row;
    },

    /** One lifecycle action on one number; `ifMatch` is the ETag the caller last saw. */
    async act(actor: Actor, e164: string, action: Action, ifMatch?: string): Promise<NumberRow> {
      assertActionAllowed(actor.principal, action);
      return inTransaction(async (trx) => {
        const row = await lockOne(trx, actor.principal, e164, ifMatch);
        const { updated, refusals } = await applyToRows(trx, actor, [row], action);
        if (refusals.has(e164)) throw refusals.get(e164);
        return updated.get(e164)!;
      });
    },

    /** Change a number's attributes; lifecycle fields change only through actions. */
    async patch(
      actor: Actor,
      e164: string,
      patch: NumberPatch,
      ifMatch?: string,
    ): Promise<NumberRow> {
      const customer = customerScope(actor.principal);
      const flat: Record<string, unknown> = { ...patch, ...patch.emergency };
      delete flat.emergency;
      if (customer !== null) {
        // a customer admin may change only the emergency location, and only where allowed.
        const allowed = new Set(['civicAddressId', 'locationId']);
        const other = Object.keys(flat).filter((k) => !allowed.has(k));
        if (other.length) {
          throw new AppError(
            'FORBIDDEN',
            `a customer-scoped principal cannot change ${other.join(', ')}`,
          );
        }
      }
      return inTransaction(async (trx) => {
        const row = await lockOne(trx, actor.principal, e164, ifMatch);
        if (customer !== null && !row.customer_may_update) {
          throw new AppError(
            'FORBIDDEN',
            `${e164}: the operator does not let the customer change its emergency location (R-38)`,
          );
        }
        const usage = patch.usage !== undefined ? patch.usage : row.usage;
        if (row.main_number && usage === 'application') {
          throw new DomainError(
            'MAIN_NUMBER_USAGE',
            `${e164} is a main number; application numbers cannot be main (R-22)`,
            'R-22',
          );
        }
        if (patch.siteId !== undefined && patch.siteId !== row.site_id) {
          if (row.main_number) {
            throw new DomainError(
              'MAIN_NUMBER_STATE',
              `${e164} is a main number; remove the nomination before moving it`,
              'R-23',
            );
          }
          if (patch.siteId !== null) {
            const site = await trx
              .selectFrom('sites')
              .select('country')
              .where('id', '=', patch.siteId)
              .executeTakeFirst();
            if (!site)
              throw new AppError('VALIDATION_FAILED', `site ${patch.siteId} not found`, {}, [
                { field: 'siteId', message: 'not found' },
              ]);
            if (site.country !== row.country) {
              throw new DomainError(
                'COUNTRY_MISMATCH',
                `${e164} is a ${row.country} number; the site is in ${site.country} (R-3)`,
                'R-3',
              );
            }
          }
        }
        if (patch.rangeId) {
          const range = await trx
            .selectFrom('ranges')
            .select('id')
            .where('id', '=', patch.rangeId)
            .executeTakeFirst();
          if (!range)
            throw new AppError('VALIDATION_FAILED', `range ${patch.rangeId} not found`, {}, [
              { field: 'rangeId', message: 'not found' },
            ]);
        }
        // SPEC §5/§6: address and location of the holder, service of the holder,
        // platform fields valid for the service (R-30..R-33, R-37, R-38).
        Object.assign(flat, await checkNumberPatch(trx, actor, row, patch));
        const set: Record<string, unknown> = {};
        const changes: Record<string, [unknown, unknown]> = {};
        for (const [field, value] of Object.entries(flat)) {
          if (value === undefined) continue;
          const column = patchColumns[field as keyof typeof patchColumns];
          const before = row[column];
          if (JSON.stringify(before) === JSON.stringify(value)) continue;
          set[column] = value;
          changes[field] = [before, value];
        }
        if (Object.keys(set).length === 0) return row;
        const updated = await trx
          .updateTable('numbers')
          .set({ ...set, updated_at: new Date(), version: row.version + 1 })
          .where('e164', '=', e164)
          .returningAll()
          .executeTakeFirstOrThrow();
        await writeAudit(trx, actor, [
          {
            action: 'number.update',
            objectType: 'number',
            objectId: e164,
            customerId: row.customer_id,
            changes,
          },
        ]);
        return updated;
      });
    },

    /** Remove a number from the inventory: only while available and not a main number. */
    async remove(actor: Actor, e164: string, ifMatch?: string): Promise<void> {
      if (customerScope(actor.principal) !== null) {
        throw new AppError('FORBIDDEN', 'a customer-scoped principal cannot delete numbers');
      }
      await inTransaction(async (trx) => {
        const row = await lockOne(trx, actor.principal, e164, ifMatch);
        if (row.status !== 'available') {
          throw new DomainError(
            'NOT_AVAILABLE',
            `${e164} is ${row.status}; only available numbers can be deleted`,
          );
        }
        if (row.main_number) {
          throw new DomainError(
            'MAIN_NUMBER_STATE',
            `${e164} is a main number; remove the nomination first (R-23)`,
            'R-23',
          );
        }
        await trx.deleteFrom('numbers').where('e164', '=', e164).execute();
        await writeAudit(trx, actor, [
          {
            action: 'number.delete',
            objectType: 'number',
            objectId: e164,
            customerId: null,
            changes: { status: [row.status, null] },
          },
        ]);
      });
    },

    /** SPEC §4: per-number results; a refused number is untouched, the rest applied. */
    async bulk(actor: Actor, e164s: readonly string[], action: Action): Promise<BulkResult[]> {
      assertActionAllowed(actor.principal, action);
      const unique = [...new Set(e164s)];
      return inTransaction(async (trx) => {
        const rows = (await repo.lockNumbers(trx, unique)).filter((r) =>
          canSee(actor.principal, r.customer_id),
        );
        const { results } = await applyToRows(trx, actor, rows, action);
        return unique.map(
          (e) =>
            results.get(e) ?? {
              e164: e,
              ok: false as const,
              code: 'NOT_FOUND',
              message: `number ${e} not found`,
            },
        );
      });
    },

    /**
     * Allocate `count` numbers from the pool to `holder`: lowest available
     * first, all or nothing (SKIP LOCKED keeps concurrent allocators apart).
     */
    async allocateFromPool(
      actor: Actor,
      holder: Holder,
      filter: Omit<repo.PoolFilter, 'now'>,
    ): Promise<NumberRow[]> {
      const action: Action = { type: 'allocate', holder };
      assertActionAllowed(actor.principal, action);
      // The common case in one round trip (pick, R-12 check, update, audit),
      // shared with the concurrent allocations of the same pool filter (group
      // commit: allocation-batcher.ts); anything else (too few numbers, a
      // refusal, a main number) falls through to the general path below, for
      // this request alone, which gives the precise answer.
      const { count, ...lane } = filter;
      const fast =
        count <= MAX_BATCHED_COUNT
          ? await batcher.allocate({ actor, holder, count }, lane)
          : await repo.allocateInOneStatement(db, actor, holder, { ...filter, now: deps.now() });
      if (fast) return fast;
      return inTransaction(async (trx) => {
        const rows = await repo.pickAvailable(trx, { ...filter, now: deps.now() });
        if (rows.length < filter.count) {
          throw new AppError(
            'NOT_ENOUGH_NUMBERS',
            `needed ${filter.count} available numbers, found ${rows.length}`,
            { needed: filter.count, available: rows.length },
          );
        }
        const { updated, refusals } = await applyToRows(trx, actor, rows, action);
        // All or nothing: the first refusal (e.g. R-12 holder not active) aborts.
        for (const err of refusals.values()) throw err;
        return rows.map((r) => updated.get(r.e164)!);
      });
    },

    /**
     * Add numbers (one or a list), all or nothing. R-2 normalisation, R-3
     * against the site's country; numbers that exist already are refused.
     */
    async add(actor: Actor, inputs: readonly NewNumber[]): Promise<NumberRow[]> {
      // Issue 7: the inventory is the operator's; customers cannot add to it.
      if (customerScope(actor.principal) !== null) {
        throw new AppError('FORBIDDEN', 'a customer-scoped principal cannot add numbers');
      }
      const errors: FieldError[] = [];
      const siteIds = [...new Set(inputs.map((i) => i.siteId).filter((s): s is string => !!s))];
      const rangeIds = [...new Set(inputs.map((i) => i.rangeId).filter((s): s is string => !!s))];
      const sites = new Map(
        siteIds.length
          ? (
              await db
                .selectFrom('sites')
                .select(['id', 'country'])
                .where('id', 'in', siteIds)
                .execute()
            ).map((s) => [s.id, s.country])
          : [],
      );
      const ranges = new Set(
        rangeIds.length
          ? (await db.selectFrom('ranges').select('id').where('id', 'in', rangeIds).execute()).map(
              (r) => r.id,
            )
          : [],
      );
      const seen = new Set<string>();
      const valid: (NewNumber & { v: ValidNumber })[] = [];
      inputs.forEach((input, i) => {
        const field = inputs.length === 1 ? 'number' : `numbers[${i}]`;
        const siteCountry = input.siteId ? sites.get(input.siteId) : undefined;
        if (input.siteId && !siteCountry)
          return errors.push({ field, message: `site ${input.siteId} not found` });
        if (input.rangeId && !ranges.has(input.rangeId))
          return errors.push({ field, message: `range ${input.rangeId} not found` });
        const r = normalizeNumber(input.number, input.country ?? siteCountry);
        if (!r.ok) return errors.push({ field, message: `${r.message} (${r.reason}, R-2)` });
        if (siteCountry) {
          try {
            assertCountry(r.value, siteCountry);
          } catch (err) {
            return errors.push({ field, message: `${(err as Error).message} (R-3)` });
          }
        }
        if (seen.has(r.value.e164))
          return errors.push({ field, message: `${r.value.e164} appears twice` });
        seen.add(r.value.e164);
        valid.push({ ...input, v: r.value });
      });
      if (errors.length)
        throw new AppError('VALIDATION_FAILED', 'some numbers are not valid', {}, errors);
      return db.transaction().execute(async (trx) => {
        const rows = await trx
          .insertInto('numbers')
          .values(
            valid.map((n) => ({
              e164: n.v.e164,
              country: n.v.country,
              kind: n.v.kind,
              site_id: n.siteId ?? null,
              range_id: n.rangeId ?? null,
              extension: n.extension ?? null,
              usage: n.usage ?? null,
              capabilities: n.capabilities ?? [],
              service_info: n.serviceInfo ?? null,
              source: actor.source === 'ui' || actor.source === 'import' ? actor.source : 'api',
            })),
          )
          .onConflict((oc) => oc.column('e164').doNothing())
          .returningAll()
          .execute();
        if (rows.length !== valid.length) {
          const got = new Set(rows.map((r) => r.e164));
          const existing = valid.map((v) => v.v.e164).filter((e) => !got.has(e));
          throw new AppError(
            'ALREADY_EXISTS',
            `${existing.length} number(s) already exist: ${existing.slice(0, 10).join(', ')}`,
            {
              existing: existing.slice(0, 100),
            },
          );
        }
        await writeAudit(
          trx,
          actor,
          rows.map((r) => ({
            action: 'number.create',
            objectType: 'number',
            objectId: r.e164,
            customerId: null,
            changes: {
              status: [null, 'available'],
              siteId: [null, r.site_id],
              rangeId: [null, r.range_id],
            },
          })),
        );
        return rows;
      });
    },
  };
}

export type NumbersService = ReturnType<typeof createNumbersService>;
