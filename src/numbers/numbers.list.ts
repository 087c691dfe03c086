/**
 * The numbers list: SPEC §9 filters, partial-number search and keyset
 * (cursor) pagination on e164. Keyset, not OFFSET: page 10,000 costs what
 * page 1 costs, and concurrent inserts never shift a page.
 */
import { sql, type ExpressionBuilder, type SelectQueryBuilder } from 'kysely';
import type { Db } from '../db/pool.js';
import type { DB, SyncState } from '../db/schema.js';
import type { Status } from '../domain/lifecycle.js';
import { syncStates } from '../domain/platform.js';
import { AppError } from '../http/errors.js';
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

/*
 * The query-string parsers of the list filters, here beside the filter (not in
 * numbers.routes.ts) so that `numbat export` loads them without the route
 * modules (CLI start-up time, docs/decisions.md).
 */
const statuses: readonly Status[] = ['available', 'coolingOff', 'reserved', 'active', 'assigned'];

export function parseStatuses(text: string | undefined): Status[] | undefined {
  if (!text) return undefined;
  const list = text.split(',').map((s) => s.trim());
  const bad = list.filter((s) => !(statuses as readonly string[]).includes(s));
  if (bad.length) {
    throw new AppError('VALIDATION_FAILED', `unknown status ${bad.join(', ')}`, {}, [
      { field: 'status', message: `one or more of ${statuses.join(', ')}` },
    ]);
  }
  return list as Status[];
}

export function parseSyncStates(text: string | undefined): SyncState[] | undefined {
  if (!text) return undefined;
  const list = text.split(',').map((s) => s.trim());
  const bad = list.filter((s) => !(syncStates as readonly string[]).includes(s));
  if (bad.length) {
    throw new AppError('VALIDATION_FAILED', `unknown sync state ${bad.join(', ')}`, {}, [
      { field: 'syncState', message: `one or more of ${syncStates.join(', ')}` },
    ]);
  }
  return list as SyncState[];
}

/** The list filters as a query string carries them (GET /numbers, the CSV export, `numbat export`). */
export type ListFilterQuery = Omit<NumberListFilter, 'status' | 'syncState' | 'now'> & {
  status?: string | undefined;
  syncState?: string | undefined;
};

export function listFilter(q: ListFilterQuery, now: Date): NumberListFilter {
  return {
    status: parseStatuses(q.status),
    holder: q.holder,
    customerId: q.customerId,
    siteId: q.siteId,
    rangeId: q.rangeId,
    country: q.country,
    kind: q.kind,
    usage: q.usage,
    main: q.main,
    locked: q.locked,
    syncState: parseSyncStates(q.syncState),
    q: q.q,
    now,
  };
}

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

/** Window width of the digit-grams index numbers_digit_grams (migration 0012). */
export const GRAM = 4;
/** E.164: at most 15 digits after the '+'. */
const MAX_DIGITS = 15;

/**
 * The keys of the digit-grams index (0012) that a number containing `digits`
 * (GRAM or more) has, one key set per alignment: q's last digit at distance j
 * from the number's last digit, j = 0 … 15 − |q|. Key = k × 10000 + the value
 * of a 4-digit window whose last digit is at distance k. The windows cover q
 * (every GRAM-th one and the last), so a number has all keys of an alignment
 * exactly when it has q there: the index answer is exact, no false positives
 * (a number shorter than the window never gets the key: trim_array in 0012).
 */
export function gramAlignments(digits: string): number[][] {
  const m = digits.length;
  if (m < GRAM || m > MAX_DIGITS) return [];
  const cover: number[] = [];
  for (let i = 0; i + GRAM <= m; i += GRAM) cover.push(i);
  if (cover.at(-1) !== m - GRAM) cover.push(m - GRAM);
  const out: number[][] = [];
  for (let j = 0; j <= MAX_DIGITS - m; j++) {
    out.push(cover.map((i) => (j + m - GRAM - i) * 10_000 + Number(digits.slice(i, i + GRAM))));
  }
  return out;
}

/**
 * How a digits-anywhere search is written: `index` adds the digit-grams test
 * (one `@>` per alignment, ORed: a BitmapOr of cheap GIN scans) beside the
 * LIKE; `scan` only the LIKE, for walking the primary key in order, where
 * evaluating the plpgsql grams function on every walked row would cost ~2 µs
 * a row for nothing.
 */
export type SearchMode = 'index' | 'scan';

export function applyFilter(q: Q, f: NumberListFilter, search: SearchMode = 'index'): Q {
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
    else if (digits.length > MAX_DIGITS) q = q.where(sql<boolean>`false`);
    else if (digits) {
      const alignments = search === 'index' ? gramAlignments(digits) : [];
      if (alignments.length) {
        q = q.where(
          sql<boolean>`(${sql.join(
            // An array literal as text: the CSV export inlines parameters (exports.repository sqlLiteral).
            alignments.map(
              (keys) => sql`number_digit_grams(e164) @> ${`{${keys.join(',')}}`}::int[]`,
            ),
            sql` OR `,
          )})`,
        );
      }
      // Kept with the grams test: the rule itself, and the filter of the walk.
      q = q.where('e164', 'like', `%${digits}%`);
    }
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
 * Relative cost of one expected match through the digit-grams index against
 * one row walked along the primary key: the index answer is exact (0012), so a
 * match costs one random heap visit and its share of the sort, a few walked
 * rows' worth (measured at 10M numbers, see docs/decisions.md "Positional
 * digit grams").
 */
const INDEX_COST_PER_MATCH = 4;

/**
 * Whether a digits-anywhere search should go through the digit-grams index
 * (4 digits or more; shorter strings match too many numbers to be worth it).
 * Walking the primary key in order reads about rows × (limit + 1) / matches
 * rows before the page is full — cheap when matches are dense, the whole table
 * when they are rare. The index costs in proportion to the matches (all of
 * them are fetched and sorted). Expected matches ≈ rows × positions /
 * 10^digits; take the cheaper side: at 1M and 10M numbers every 4–15-digit
 * search goes to the index, at 100M a 4-digit one walks.
 */
export async function preferIndex(db: Db, f: NumberListFilter, limit: number): Promise<boolean> {
  if (!f.q || f.q.trim().startsWith('+')) return false;
  const digits = searchDigits(f.q);
  if (gramAlignments(digits).length === 0) return false;
  const rows = await estimatedRows(db);
  const positions = Math.max(1, 16 - digits.length);
  const matches = Math.max(1, (rows * positions) / 10 ** digits.length);
  const walked = Math.min(rows, (rows * (limit + 1)) / matches);
  return INDEX_COST_PER_MATCH * matches < walked;
}

/**
 * Planner settings for the list query, where the planner's estimates are
 * known to mislead it (each measured in bench/results/latest.md, B1 and B3):
 * - LIKE '%digits%' cannot be estimated, and the planner keeps walking the
 *   primary key; for rare digit strings, steer it to the digit-grams index
 *   (bitmap scans only), without parallel workers: starting one costs more
 *   (~20 ms on a busy 2-core machine) than the whole exact search.
 * - A customer's numbers of one status: the planner multiplies the two
 *   selectivities as if independent (at 10M numbers it expects 36 of a
 *   customer's 7,000 reserved numbers), and bitmap-ANDs the customer and status
 *   indexes, fetching and sorting every match (10 ms). The customer index is
 *   already in e164 order: walking it stops after one page (0.1 ms).
 */
function steering(f: NumberListFilter, search: SearchMode): string[] {
  if (f.q && search === 'index' && gramAlignments(searchDigits(f.q)).length) {
    return [
      'SET LOCAL enable_indexscan = off',
      'SET LOCAL enable_seqscan = off',
      'SET LOCAL max_parallel_workers_per_gather = 0',
    ];
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
  const search: SearchMode = (await preferIndex(db, f, page.limit)) ? 'index' : 'scan';
  const run = (exec: Db) => {
    let q = applyFilter(exec.selectFrom('numbers').selectAll(), f, search);
    if (page.after !== undefined) q = q.where('e164', page.desc ? '<' : '>', page.after);
    return q
      .orderBy('e164', page.desc ? 'desc' : 'asc')
      .limit(page.limit + 1)
      .execute();
  };
  const rows = await withPlannerSettings(db, steering(f, search), run);
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
