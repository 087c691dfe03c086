/**
 * The only place with SQL for imports. Everything runs on one connection in
 * one transaction (the caller's `pg.PoolClient`): COPY into a temporary
 * staging table, set-based checks into a second one, then one merge into
 * `numbers` with its audit events and the R-50 commit marker. A kill at any
 * moment leaves either none of the rows (rolled back; temp tables vanish with
 * the session) or all of them (committed with the marker).
 */
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Actor } from '../actor.js';

/** Columns of the staging table, in COPY order. */
export const STAGE_COLUMNS = [
  'line',
  'input',
  'e164',
  'country',
  'kind',
  'site_ref',
  'range_ref',
  'customer_ref',
  'extension',
  'usage',
  'capabilities',
  'civic_address_id',
  'location_id',
  'sip_connection',
  'calling_profile_id',
  'custom_sip_header',
  'cac_limit',
  'service_info',
  'locked',
  'lock_reason',
  'err_code',
  'err_message',
] as const;

export async function createStage(c: pg.PoolClient): Promise<void> {
  // Sorts and hashes over a whole file stay in memory (the default 4 MB
  // spills a million rows to disk); only for this transaction.
  await c.query(`SET LOCAL work_mem = '128MB'`);
  await c.query(`
    CREATE TEMP TABLE import_stage (
      line integer NOT NULL, input text, e164 text COLLATE "C", country text, kind text,
      site_ref text, range_ref text, customer_ref text, extension text, usage text,
      capabilities text[], civic_address_id text, location_id text, sip_connection text,
      calling_profile_id text, custom_sip_header text, cac_limit integer, service_info text,
      locked boolean, lock_reason text, err_code text, err_message text
    ) ON COMMIT DROP`);
}

/** COPY the staged rows (COPY text format lines) into the staging table. */
export async function copyIntoStage(c: pg.PoolClient, lines: AsyncIterable<string>): Promise<void> {
  const sink = c.query(copyFrom(`COPY import_stage (${STAGE_COLUMNS.join(', ')}) FROM STDIN`));
  await pipeline(Readable.from(lines), sink);
}

/** Planner statistics for the staging table (temp tables are never auto-analyzed). */
export async function analyzeStage(c: pg.PoolClient): Promise<void> {
  await c.query('ANALYZE import_stage');
}

/** Whether any row names a civic address (else its joins are skipped). */
export async function usesCivicAddresses(c: pg.PoolClient): Promise<boolean> {
  const r = await c.query<{ any: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM import_stage WHERE civic_address_id IS NOT NULL) AS any`,
  );
  return r.rows[0]!.any;
}

/** The distinct site, range and customer references of the file, in one scan. */
export async function distinctRefs(
  c: pg.PoolClient,
): Promise<{ sites: string[]; ranges: string[]; customers: string[] }> {
  const r = await c.query<{ kind: 'site' | 'range' | 'customer'; ref: string }>(
    `SELECT DISTINCT k.kind, k.ref
     FROM import_stage s,
       LATERAL (VALUES ('site', s.site_ref), ('range', s.range_ref), ('customer', s.customer_ref)) AS k(kind, ref)
     WHERE s.err_code IS NULL AND k.ref IS NOT NULL
       AND (s.site_ref IS NOT NULL OR s.range_ref IS NOT NULL OR s.customer_ref IS NOT NULL)`,
  );
  const out = { sites: [] as string[], ranges: [] as string[], customers: [] as string[] };
  for (const row of r.rows) out[`${row.kind}s`].push(row.ref);
  return out;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface Resolved {
  ref: string;
  id: string;
  country?: string;
  status?: string;
  start?: string;
  end?: string;
}

/** Site references: id or name. */
export async function resolveSites(c: pg.PoolClient, refs: string[]): Promise<Resolved[]> {
  if (!refs.length) return [];
  const ids = refs.filter((r) => UUID.test(r));
  const r = await c.query<{ id: string; name: string; country: string }>(
    `SELECT id, name, country FROM sites WHERE name = ANY($1::text[]) OR id = ANY($2::uuid[])`,
    [refs, ids],
  );
  return match(
    refs,
    r.rows,
    (row) => [row.id, row.name],
    (row) => ({ country: row.country }),
  );
}

/** Range references: id or name. */
export async function resolveRanges(c: pg.PoolClient, refs: string[]): Promise<Resolved[]> {
  if (!refs.length) return [];
  const ids = refs.filter((r) => UUID.test(r));
  const r = await c.query<{ id: string; name: string; start_e164: string; end_e164: string }>(
    `SELECT id, name, start_e164, end_e164 FROM ranges WHERE name = ANY($1::text[]) OR id = ANY($2::uuid[])`,
    [refs, ids],
  );
  return match(
    refs,
    r.rows,
    (row) => [row.id, row.name],
    (row) => ({ start: row.start_e164, end: row.end_e164 }),
  );
}

/** Customer references: id or account name. */
export async function resolveCustomers(c: pg.PoolClient, refs: string[]): Promise<Resolved[]> {
  if (!refs.length) return [];
  const ids = refs.filter((r) => UUID.test(r));
  const r = await c.query<{ id: string; account_name: string; status: string }>(
    `SELECT id, account_name, status FROM customers WHERE account_name = ANY($1::text[]) OR id = ANY($2::uuid[])`,
    [refs, ids],
  );
  return match(
    refs,
    r.rows,
    (row) => [row.id, row.account_name],
    (row) => ({ status: row.status }),
  );
}

function match<T extends { id: string }>(
  refs: string[],
  rows: T[],
  keys: (row: T) => string[],
  extra: (row: T) => Omit<Resolved, 'ref' | 'id'>,
): Resolved[] {
  const byKey = new Map<string, T>();
  for (const row of rows) for (const k of keys(row)) byKey.set(k.toLowerCase(), row);
  const out: Resolved[] = [];
  for (const ref of refs) {
    const row = byKey.get(ref.toLowerCase());
    if (row) out.push({ ref, id: row.id, ...extra(row) });
  }
  return out;
}

/**
 * SPEC §4 checks that need the whole file or the database, set-based, into
 * `import_checked` (`code` null = the row will be imported).
 */
export async function checkStage(
  c: pg.PoolClient,
  refs: { sites: Resolved[]; ranges: Resolved[]; customers: Resolved[]; civic: boolean },
): Promise<void> {
  await c.query(
    `
    CREATE TEMP TABLE import_checked ON COMMIT DROP AS
    SELECT q.*,
      CASE
        WHEN q.err_code IS NOT NULL THEN q.err_code
        WHEN q.first_line < q.line THEN 'DUPLICATE_IN_FILE'
        WHEN q.held THEN 'ALREADY_EXISTS'
        WHEN q.site_ref IS NOT NULL AND q.site_id IS NULL THEN 'UNKNOWN_SITE'
        WHEN q.site_id IS NOT NULL AND q.site_country <> q.country THEN 'COUNTRY_MISMATCH'
        WHEN q.range_ref IS NOT NULL AND q.range_id IS NULL THEN 'UNKNOWN_RANGE'
        WHEN q.range_id IS NOT NULL AND NOT (length(q.e164) = length(q.range_start)
          AND q.e164 BETWEEN q.range_start AND q.range_end) THEN 'NOT_IN_RANGE'
        WHEN q.customer_ref IS NOT NULL AND q.customer_id IS NULL THEN 'UNKNOWN_CUSTOMER'
        WHEN q.customer_id IS NOT NULL AND q.customer_status <> 'active' THEN 'HOLDER_NOT_ACTIVE'
        WHEN q.civic_address_id IS NOT NULL AND q.address_id IS NULL THEN 'UNKNOWN_CIVIC_ADDRESS'
        WHEN q.address_id IS NOT NULL AND q.address_customer IS NOT NULL
          AND q.address_customer IS DISTINCT FROM q.customer_id THEN 'UNKNOWN_CIVIC_ADDRESS'
        WHEN q.location_id IS NOT NULL AND q.location_found IS NULL THEN 'UNKNOWN_LOCATION'
      END AS code,
      CASE
        WHEN q.err_code IS NOT NULL THEN q.err_message
        WHEN q.first_line < q.line THEN format('%s also appears on line %s', q.e164, q.first_line)
        WHEN q.held THEN format('%s is already in the inventory', q.e164)
        WHEN q.site_ref IS NOT NULL AND q.site_id IS NULL THEN format('site "%s" not found', q.site_ref)
        WHEN q.site_id IS NOT NULL AND q.site_country <> q.country
          THEN format('%s belongs to %s; site "%s" is in %s (R-3)', q.e164, q.country, q.site_ref, q.site_country)
        WHEN q.range_ref IS NOT NULL AND q.range_id IS NULL THEN format('range "%s" not found', q.range_ref)
        WHEN q.range_id IS NOT NULL AND NOT (length(q.e164) = length(q.range_start)
          AND q.e164 BETWEEN q.range_start AND q.range_end)
          THEN format('%s is outside range "%s" (%s–%s)', q.e164, q.range_ref, q.range_start, q.range_end)
        WHEN q.customer_ref IS NOT NULL AND q.customer_id IS NULL THEN format('customer "%s" not found', q.customer_ref)
        WHEN q.customer_id IS NOT NULL AND q.customer_status <> 'active'
          THEN format('customer "%s" is %s; numbers go only to active customers (R-12)', q.customer_ref, q.customer_status)
        WHEN q.civic_address_id IS NOT NULL AND q.address_id IS NULL
          THEN format('civic address %s not found', q.civic_address_id)
        WHEN q.address_id IS NOT NULL AND q.address_customer IS NOT NULL
          AND q.address_customer IS DISTINCT FROM q.customer_id
          THEN format('civic address %s belongs to another customer', q.civic_address_id)
        WHEN q.location_id IS NOT NULL AND q.location_found IS NULL
          THEN format('location %s is not a location of civic address %s', q.location_id, q.civic_address_id)
      END AS message
    FROM (
      SELECT s.*,
        d.first_line,
        n.e164 IS NOT NULL AS held,
        si.id AS site_id, si.country AS site_country,
        ra.id AS range_id, ra.start AS range_start, ra."end" AS range_end,
        cu.id AS customer_id, cu.status AS customer_status,
        ca.id AS address_id, ca.customer_id AS address_customer, lo.id AS location_found
      FROM import_stage s
      -- Duplicates by hash aggregate (no sort of the whole file): only the
      -- numbers that appear more than once, with the line they first appear on.
      LEFT JOIN (SELECT e164, min(line) AS first_line FROM import_stage
                 WHERE e164 IS NOT NULL GROUP BY e164 HAVING count(*) > 1) d ON d.e164 = s.e164
      LEFT JOIN numbers n ON n.e164 = s.e164
      ${
        // Each join carries every column of the row: join only what the file uses.
        refs.civic
          ? `LEFT JOIN civic_addresses ca ON ca.id = s.civic_address_id::uuid
             LEFT JOIN locations lo ON lo.id = s.location_id::uuid AND lo.civic_address_id = ca.id`
          : `LEFT JOIN (SELECT NULL::uuid AS id, NULL::uuid AS customer_id) ca ON false
             LEFT JOIN (SELECT NULL::uuid AS id) lo ON false`
      }
      ${
        refs.sites.length
          ? `LEFT JOIN jsonb_to_recordset($1::jsonb) AS si(ref text, id uuid, country text) ON si.ref = s.site_ref`
          : `LEFT JOIN (SELECT NULL::uuid AS id, NULL::text AS country, $1::jsonb AS unused) si ON false`
      }
      ${
        refs.ranges.length
          ? `LEFT JOIN jsonb_to_recordset($2::jsonb) AS ra(ref text, id uuid, start text, "end" text) ON ra.ref = s.range_ref`
          : `LEFT JOIN (SELECT NULL::uuid AS id, NULL::text AS start, NULL::text AS "end", $2::jsonb AS unused) ra ON false`
      }
      ${
        refs.customers.length
          ? `LEFT JOIN jsonb_to_recordset($3::jsonb) AS cu(ref text, id uuid, status text) ON cu.ref = s.customer_ref`
          : `LEFT JOIN (SELECT NULL::uuid AS id, NULL::text AS status, $3::jsonb AS unused) cu ON false`
      }
    ) q`,
    [JSON.stringify(refs.sites), JSON.stringify(refs.ranges), JSON.stringify(refs.customers)],
  );
}

export async function counts(c: pg.PoolClient): Promise<{ rows: number; valid: number }> {
  const r = await c.query<{ rows: number; valid: number }>(
    `SELECT count(*)::int AS rows, count(*) FILTER (WHERE code IS NULL)::int AS valid FROM import_checked`,
  );
  return r.rows[0]!;
}

export interface InvalidRow {
  line: number;
  number: string;
  code: string;
  message: string;
}

export async function invalidRows(c: pg.PoolClient, limit: number): Promise<InvalidRow[]> {
  const r = await c.query<InvalidRow>(
    `SELECT line, coalesce(input, '') AS number, code, message FROM import_checked
     WHERE code IS NOT NULL ORDER BY line LIMIT $1`,
    [limit],
  );
  return r.rows;
}

/** Every invalid row becomes a per-item error of the job, in one statement. */
export async function invalidRowsToJobErrors(c: pg.PoolClient, jobId: string): Promise<void> {
  await c.query(`DELETE FROM job_item_errors WHERE job_id = $1`, [jobId]);
  await c.query(
    `INSERT INTO job_item_errors (job_id, seq, item, code, message)
     SELECT $1, row_number() OVER (ORDER BY line),
            format('line %s: %s', line, coalesce(input, '')), code, message
     FROM import_checked WHERE code IS NOT NULL`,
    [jobId],
  );
}

export async function lockImportKey(c: pg.PoolClient, key: string): Promise<void> {
  await c.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 7201811003))`, [key]);
}

export async function findCommit(
  c: pg.PoolClient,
  key: string,
): Promise<{ job_id: string; imported: number; invalid: number; committed_at: Date } | undefined> {
  const r = await c.query<{
    job_id: string;
    imported: number;
    invalid: number;
    committed_at: Date;
  }>(`SELECT job_id, imported, invalid, committed_at FROM import_commits WHERE content_key = $1`, [
    key,
  ]);
  return r.rows[0];
}

/**
 * R-50: the one set-based merge. Inserts every valid row into `numbers` and one
 * audit event per number in a single statement; returns how many were inserted.
 *
 * A plain INSERT (checkStage found every held number): a number inserted by
 * someone else since the check fails the statement with a unique violation on
 * numbers_pkey, which the caller turns into a rollback and a retry
 * (speculative insertion would cost an index probe and a WAL record per row).
 * The trigram index takes the entries into its pending list for this
 * transaction only; cleanPendingTrigrams merges them after the commit.
 */
export async function merge(c: pg.PoolClient, actor: Actor, jobId: string): Promise<number> {
  await c.query(`SET LOCAL gin_pending_list_limit = '1GB'`);
  const r = await c.query<{ n: number }>(
    `
    WITH ins AS (
      INSERT INTO numbers (e164, country, kind, extension, range_id, site_id, status, holder_type,
        customer_id, locked, lock_reason, usage, capabilities, civic_address_id, location_id,
        custom_sip_header, sip_connection, calling_profile_id, cac_limit, service_info, source,
        acquired_at)
      SELECT e164, country, kind, extension, range_id, site_id,
        CASE WHEN customer_id IS NULL THEN 'available' ELSE 'reserved' END,
        CASE WHEN customer_id IS NULL THEN NULL ELSE 'customer' END,
        customer_id, locked, lock_reason, usage, capabilities, civic_address_id::uuid, location_id::uuid,
        custom_sip_header, sip_connection, calling_profile_id, cac_limit, service_info, 'import',
        CASE WHEN customer_id IS NULL THEN NULL ELSE now() END
      FROM import_checked WHERE code IS NULL
      ORDER BY e164
      RETURNING e164, status, customer_id
    ), aud AS (
      INSERT INTO audit_events (principal_id, principal_name, source, ticket_id, request_id,
        action, object_type, object_id, customer_id, changes)
      SELECT $1, $2, 'import', $3, $4, 'number.import', 'number', e164, customer_id,
        CASE WHEN customer_id IS NULL
          THEN jsonb_build_object('status', jsonb_build_array(NULL, status), 'jobId', $5::text)
          ELSE jsonb_build_object('status', jsonb_build_array(NULL, status), 'jobId', $5::text,
            'holder', jsonb_build_array(NULL, jsonb_build_object('type', 'customer', 'customerId', customer_id)))
        END
      FROM ins
      RETURNING 1
    )
    SELECT count(*)::int AS n FROM aud`,
    [actor.principal.id, actor.principal.name, actor.ticketId, actor.requestId, jobId],
  );
  return r.rows[0]!.n;
}

/** Whether a failed merge lost a race: a number was inserted by someone else. */
export function isNumberTaken(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string };
  return e.code === '23505' && e.constraint === 'numbers_pkey';
}

/** Merge the trigram index's pending list (the merge's entries) into the index. */
export async function cleanPendingTrigrams(c: pg.PoolClient): Promise<void> {
  await c.query(`SELECT gin_clean_pending_list('numbers_e164_trgm'::regclass)`);
}

export async function insertCommit(
  c: pg.PoolClient,
  key: string,
  jobId: string,
  imported: number,
  invalid: number,
): Promise<void> {
  await c.query(
    `INSERT INTO import_commits (content_key, job_id, imported, invalid) VALUES ($1, $2, $3, $4)`,
    [key, jobId, imported, invalid],
  );
}

/** The one audit event of the import itself (SPEC §4), in the merge's transaction. */
export async function auditImport(
  c: pg.PoolClient,
  actor: Actor,
  jobId: string,
  changes: Record<string, unknown>,
): Promise<void> {
  await c.query(
    `INSERT INTO audit_events (principal_id, principal_name, source, ticket_id, request_id,
       action, object_type, object_id, customer_id, changes)
     VALUES ($1, $2, 'import', $3, $4, 'import.commit', 'job', $5, NULL, $6)`,
    [
      actor.principal.id,
      actor.principal.name,
      actor.ticketId,
      actor.requestId,
      jobId,
      JSON.stringify(changes),
    ],
  );
}
