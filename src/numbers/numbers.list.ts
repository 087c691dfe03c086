/**
 * The numbers list: SPEC §9 filters, partial-number search and keyset
 * (cursor) pagination on e164. Keyset, not OFFSET: page 10,000 costs what
 * page 1 costs, and concurrent inserts never shift a page.
 */
import { sql, type ExpressionBuilder, type SelectQueryBuilder } from 'kysely';
import type { Db } from '../db/pool.js';
import type { DB, SyncState } from '../db/schema.js';
import type { Status } from '../domain/lifecycle.js';
import type { NumberRow } from './numbers.repository.js';

export interface NumberListFilter {
  status?: readonly Status[] | undefined;
  holder?: 'operator' | 'customer' | 'none' | undefined;
  customerId?: string | undefined;
  siteId?: string | undefined;
  rangeId?: string | undefined;
  country?: string | undefined;
  kind?: string | undefined;
  usage?: string | undefined;
  main?: boolean | undefined;
  locked?: boolean | undefined;
  /** Platform sync states (SPEC §3.3, §9); uses the partial index numbers_sync_state (0007). */
  syncState?: readonly SyncState[] | undefined;
  /** Digits that appear anywhere in the number. */
  q?: string | undefined;
  now: Date;
}

type Q = SelectQueryBuilder<DB, 'numbers', NumberRow>;

function statusCondition(eb: ExpressionBuilder<DB, 'numbers'>, s: Status, now: Date) {
  switch (s) {
    case 'available':
      return eb.and([
        eb('status', '=', 'available'),
        eb.or([eb('cooling_off_until', 'is', null), eb('cooling_off_until', '<=', now)]),
      ]);
    case 'coolingOff':
      return eb.and([eb('status', '=', 'available'), eb('cooling_off_until', '>', now)]);
    case 'reserved':
    case 'active':
    case 'assigned':
      return eb('status', '=', s);
  }
}

/** LIKE wildcards never reach the pattern: the search is digits only. */
export const searchDigits = (q: string) => q.replace(/\D/g, '');

export function applyFilter(q: Q, f: NumberListFilter): Q {
  if (f.status?.length) {
    const statuses = f.status;
    q = q.where((eb) => eb.or(statuses.map((s) => statusCondition(eb, s, f.now))));
  }
  if (f.holder === 'none') q = q.where('holder_type', 'is', null);
  else if (f.holder) q = q.where('holder_type', '=', f.holder);
  if (f.customerId) q = q.where('customer_id', '=', f.customerId);
  if (f.siteId) q = q.where('site_id', '=', f.siteId);
  if (f.rangeId) q = q.where('range_id', '=', f.rangeId);
  if (f.country) q = q.where('country', '=', f.country);
  if (f.kind) q = q.where('kind', '=', f.kind);
  if (f.usage) q = q.where('usage', '=', f.usage as NumberRow['usage'] & string);
  if (f.main !== undefined) q = q.where('main_number', '=', f.main);
  if (f.locked !== undefined) q = q.where('locked', '=', f.locked);
  if (f.syncState?.length) q = q.where('sync_state', 'in', f.syncState);
  if (f.q) {
    const digits = searchDigits(f.q);
    // "+44113…" is the start of a number: a prefix scan of the primary key
    // (~1 ms) instead of a search anywhere in the number.
    if (digits && f.q.trim().startsWith('+')) q = q.where('e164', 'like', `+${digits}%`);
    else if (digits) q = q.where('e164', 'like', `%${digits}%`);
  }
  return q;
}

export interface Page {
  rows: NumberRow[];
  nextCursor: string | null;
}

export const encodeCursor = (e164: string, desc: boolean) =>
  Buffer.from(JSON.stringify({ k: e164, d: desc })).toString('base64url');

export function decodeCursor(cursor: string): { k: string; d: boolean } | null {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (v && typeof v === 'object' && typeof (v as { k: unknown }).k === 'string') {
      return { k: (v as { k: string }).k, d: Boolean((v as { d: unknown }).d) };
    }
  } catch {
    /* fall through */
  }
  return null;
}

/** Row estimate of `numbers` from the planner's statistics, per database, refreshed each minute. */
const rowEstimates = new WeakMap<Db, { value: number; at: number }>();
async function estimatedRows(db: Db): Promise<number> {
  const cached = rowEstimates.get(db);
  if (cached && Date.now() - cached.at < 60_000) return cached.value;
  const r = await sql<{ n: number }>`
    SELECT greatest(reltuples, 0)::float8 AS n FROM pg_class WHERE oid = 'numbers'::regclass`.execute(
    db,
  );
  const value = Number(r.rows[0]?.n ?? 0);
  rowEstimates.set(db, { value, at: Date.now() });
  return value;
}

/**
 * Relative cost of one expected match through the trigram index against one
 * row walked along the primary key: the GIN index returns ~10 candidates per
 * true match for 4–6 digits (trigrams are not positional), each a random heap
 * visit and a recheck, ~3 walked rows' worth.
 */
const TRIGRAM_COST_PER_MATCH = 30;

/**
 * Whether a digits-anywhere search should go through the trigram index.
 * Walking the primary key in order reads about rows × (limit + 1) / matches
 * rows before the page is full — cheap when matches are dense (short digit
 * strings), the whole table when they are rare. The trigram index costs in
 * proportion to the matches (all of them are fetched and sorted). Expected
 * matches ≈ rows × positions / 10^digits; take the cheaper side. Measured at
 * 1M numbers, 4–6 random digits: p99 64.8 ms walking, 9.9 ms through the
 * trigram index; at 10M, 4 digits (~12,000 matches) walk faster and 5–6
 * digits go to the index (bench/results/latest.md, B3).
 */
async function preferTrigram(db: Db, f: NumberListFilter, limit: number): Promise<boolean> {
  if (!f.q || f.q.trim().startsWith('+')) return false;
  const digits = searchDigits(f.q);
  if (digits.length < 3) return false;
  const rows = await estimatedRows(db);
  const positions = Math.max(1, 16 - digits.length);
  const matches = Math.max(1, (rows * positions) / 10 ** digits.length);
  const walked = Math.min(rows, (rows * (limit + 1)) / matches);
  return TRIGRAM_COST_PER_MATCH * matches < walked;
}

/**
 * Planner settings for the list query, where the planner's estimates are
 * known to mislead it (each measured in bench/results/latest.md, B1 and B3):
 * - LIKE '%digits%' cannot be estimated, and the planner keeps walking the
 *   primary key; for rare digit strings, steer it to the trigram index.
 * - A customer's numbers of one status: the planner multiplies the two
 *   selectivities as if independent (at 10M numbers it expects 36 of a
 *   customer's 7,000 reserved numbers), and bitmap-ANDs the customer and status
 *   indexes, fetching and sorting every match (10 ms). The customer index is
 *   already in e164 order: walking it stops after one page (0.1 ms).
 */
async function steering(db: Db, f: NumberListFilter, limit: number): Promise<string[]> {
  if (await preferTrigram(db, f, limit)) {
    return ['SET LOCAL enable_indexscan = off', 'SET LOCAL enable_seqscan = off'];
  }
  if (f.customerId && !f.q) return ['SET LOCAL enable_bitmapscan = off'];
  return [];
}

async function withPlannerSettings<T>(
  db: Db,
  settings: readonly string[],
  run: (exec: Db) => Promise<T>,
): Promise<T> {
  if (settings.length === 0) return run(db);
  return db.transaction().execute(async (trx) => {
    for (const s of settings) await sql.raw(s).execute(trx);
    return run(trx);
  });
}

export async function listNumbers(
  db: Db,
  f: NumberListFilter,
  page: { limit: number; after?: string | undefined; desc: boolean },
): Promise<Page> {
  const run = (exec: Db) => {
    let q = applyFilter(exec.selectFrom('numbers').selectAll(), f);
    if (page.after !== undefined) q = q.where('e164', page.desc ? '<' : '>', page.after);
    return q
      .orderBy('e164', page.desc ? 'desc' : 'asc')
      .limit(page.limit + 1)
      .execute();
  };
  const rows = await withPlannerSettings(db, await steering(db, f, page.limit), run);
  const more = rows.length > page.limit;
  if (more) rows.pop();
  const last = rows.at(-1);
  return { rows, nextCursor: more && last ? encodeCursor(last.e164, page.desc) : null };
}

export async function countNumbers(db: Db, f: NumberListFilter): Promise<number> {
  const r = await applyFilter(db.selectFrom('numbers').selectAll(), f)
    .clearSelect()
    .select(sql<number>`count(*)`.as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
