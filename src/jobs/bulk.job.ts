/**
 * Bulk lifecycle actions as a job (SPEC §4: more than 1,000 numbers, or
 * numbers selected by a filter). The handler applies NumbersService.bulk in
 * chunks of 1,000: each chunk is one transaction, and each number is either
 * fully changed or reported with its error code (nothing is half-applied to
 * one number). A rerun after a crash re-applies the action: numbers already
 * changed report their refusal (e.g. NOT_RESERVED), so no number changes twice.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { Actor } from '../actor.js';
import { customerScope } from '../auth/principal.js';
import { writeAudit } from '../audit/audit.repository.js';
import type { Db } from '../db/pool.js';
import { Country, StringEnum, Uuid } from '../http/schemas.js';
import { insertJob, type JobRow } from './jobs.repository.js';
import type { Action } from '../domain/lifecycle.js';
import type { Status } from '../domain/lifecycle.js';
import { syncStates } from '../domain/platform.js';
import { countNumbers, listNumbers, type NumberListFilter } from '../numbers/numbers.list.js';
import { BULK_LIMIT, type NumbersService } from '../numbers/numbers.service.js';
import type { JobHandler, JobOutcome } from './worker.js';

export const BULK_JOB = 'numbers.bulk';

/** A filter as stored in the job (no clock: the handler reads `now` when it runs). */
export type StoredFilter = Omit<NumberListFilter, 'now' | 'status'> & { status?: Status[] };

export interface BulkJobParams {
  action: Action;
  numbers?: string[];
  filter?: StoredFilter;
}

export function bulkJobHandler(deps: {
  db: Db;
  numbers: NumbersService;
  now: () => Date;
}): JobHandler {
  return async (ctx) => {
    const p = ctx.job.params as unknown as BulkJobParams;
    let ok = 0;
    let failed = 0;
    async function apply(chunk: string[]) {
      const results = await deps.numbers.bulk(ctx.actor, chunk, p.action);
      const errors = results.flatMap((r) =>
        r.ok ? [] : [{ item: r.e164, code: r.code, message: r.message }],
      );
      ok += results.length - errors.length;
      failed += errors.length;
      await ctx.itemErrors(errors);
      await ctx.progress({ done: ok + failed, failed });
    }
    if (p.numbers) {
      const list = [...new Set(p.numbers)];
      await ctx.progress({ total: list.length, done: 0, failed: 0 });
      for (let i = 0; i < list.length; i += BULK_LIMIT) {
        ctx.checkCancelled();
        await apply(list.slice(i, i + BULK_LIMIT));
      }
    } else if (p.filter) {
      const filter = (): NumberListFilter => ({ ...p.filter, now: deps.now() });
      await ctx.progress({ total: await countNumbers(deps.db, filter()), done: 0, failed: 0 });
      // Keyset paging by e164: numbers the action moves out of the filter are
      // not revisited, numbers it leaves in are not taken twice.
      let after: string | undefined;
      for (;;) {
        ctx.checkCancelled();
        const page = await listNumbers(deps.db, filter(), {
          limit: BULK_LIMIT,
          after,
          desc: false,
        });
        if (page.rows.length === 0) break;
        await apply(page.rows.map((r) => r.e164));
        after = page.rows.at(-1)!.e164;
        if (!page.nextCursor) break;
      }
    }
    const result = { action: p.action.type, ok, failed };
    const outcome: JobOutcome =
      failed === 0
        ? { status: 'succeeded', result }
        : ok === 0
          ? {
              status: 'failed',
              result,
              error: `the action was refused for all ${failed} number(s)`,
            }
          : { status: 'partiallySucceeded', result };
    return outcome;
  };
}

// ---------------------------------------------------------------------------
// Enqueueing (POST /numbers/bulk/{action} with a filter or > 1,000 numbers).

/** Most numbers one bulk request may list; beyond that, select them by filter. */
export const BULK_JOB_MAX_NUMBERS = 100_000;

/** The GET /numbers filters, as the selection of a bulk action. */
export const BulkFilter = Type.Object(
  {
    status: Type.Optional(
      Type.Array(
        StringEnum(['available', 'coolingOff', 'reserved', 'active', 'assigned'] as const),
        {
          minItems: 1,
        },
      ),
    ),
    holder: Type.Optional(
      Type.Union([Type.Literal('operator'), Type.Literal('customer'), Type.Literal('none')]),
    ),
    customerId: Type.Optional(Uuid),
    siteId: Type.Optional(Uuid),
    rangeId: Type.Optional(Uuid),
    country: Type.Optional(Country),
    kind: Type.Optional(Type.String({ maxLength: 20 })),
    usage: Type.Optional(Type.String({ maxLength: 20 })),
    main: Type.Optional(Type.Boolean()),
    locked: Type.Optional(Type.Boolean()),
    syncState: Type.Optional(Type.Array(StringEnum(syncStates), { minItems: 1 })),
    q: Type.Optional(Type.String({ maxLength: 20 })),
  },
  { additionalProperties: false, description: 'Select the numbers by the filters of GET /numbers' },
);
export type BulkFilterT = Static<typeof BulkFilter>;

/** Queue a bulk action; the job and its audit event commit together. */
export async function enqueueBulkJob(
  db: Db,
  actor: Actor,
  action: Action,
  selection: { numbers: string[] } | { filter: BulkFilterT },
): Promise<JobRow> {
  const own = customerScope(actor.principal);
  let params: BulkJobParams;
  if ('filter' in selection) {
    const f: StoredFilter = { ...selection.filter };
    // A customer-scoped caller acts on its own numbers only.
    if (own) f.customerId = own;
    params = { action, filter: f };
  } else {
    params = { action, numbers: selection.numbers };
  }
  return db.transaction().execute(async (trx) => {
    const job = await insertJob(trx, actor, {
      kind: BULK_JOB,
      params: params as unknown as Record<string, unknown>,
      total: 'numbers' in params ? new Set(params.numbers).size : null,
      customerId: own,
    });
    await writeAudit(trx, actor, [
      {
        action: 'job.create',
        objectType: 'job',
        objectId: job.id,
        customerId: own,
        changes: {
          kind: [null, BULK_JOB],
          action: [null, action.type],
          selection: [
            null,
            'filter' in params ? { filter: params.filter } : { count: params.numbers!.length },
          ],
        },
      },
    ]);
    return job;
  });
}
