/**
 * The only place with SQL for imports. Everything runs on one connection in
 * one transaction (the caller's `pg.PoolClient`): COPY into a temporary
 * staging table, set-based checks writing the invalid rows into a second
 * one, then one `import.commit` audit event and one merge into `numbers` with
 * each number's link to that event, and the R-50 commit marker. A kill at any
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
  await c.query(`SET LOCAL work_mem = '256MB'`);
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
 * The file's references, resolved; null: no valid row names that kind (its
 * join and checks are left out). An empty list still joins: every reference
 * of that kind is unknown.
 */
export interface ResolvedRefs {
  sites: Resolved[] | null;
  ranges: Resolved[] | null;
  customers: Resolved[] | null;
  /** Some valid row names a civic address. */
  civic: boolean;
}

/**
 * The reference joins of the check and the merge, for the kinds the file
 * uses: a join per kind costs a pass over every row, so a file without sites
 * joins no sites and its `site_id` is a constant NULL. `params` holds the
 * resolved sites, ranges and customers (jsonb) the joins name, in order.
 */
function refJoins(refs: ResolvedRefs, civic: boolean) {
  const joins: string[] = [];
  const params: string[] = [];
  const param = (rows: Resolved[]) => `$${params.push(JSON.stringify(rows))}::jsonb`;
  if (refs.sites)
    joins.push(
      `LEFT JOIN jsonb_to_recordset(${param(refs.sites)}) AS si(ref text, id uuid, country text) ON si.ref = s.site_ref`,
    );
  if (refs.ranges)
    joins.push(
      `LEFT JOIN jsonb_to_recordset(${param(refs.ranges)}) AS ra(ref text, id uuid, start text, "end" text) ON ra.ref = s.range_ref`,
    );
  if (refs.customers)
    joins.push(
      `LEFT JOIN jsonb_to_recordset(${param(refs.customers)}) AS cu(ref text, id uuid, status text) ON cu.ref = s.customer_ref`,
    );
  if (civic && refs.civic)
    joins.push(`LEFT JOIN civic_addresses ca ON ca.id = s.civic_address_id::uuid
      LEFT JOIN locations lo ON lo.id = s.location_id::uuid AND lo.civic_address_id = ca.id`);
  return {
    sql: joins.join('\n      '),
    siteId: refs.sites ? 'si.id' : 'NULL::uuid',
    rangeId: refs.ranges ? 'ra.id' : 'NULL::uuid',
    customerId: refs.customers ? 'cu.id' : 'NULL::uuid',
    params,
  };
}

/**
 * SPEC §4 checks that need the database, set-based, into `import_invalid`:
 * every row that will not be imported, with its code and message (the rows
 * refused in JS — R-2, field checks, duplicates inside the file — carry theirs
 * from staging). Only invalid rows are written: the merge reads the valid ones
 * straight from the staging table. The first failing check names the row.
 */
export async function checkStage(c: pg.PoolClient, refs: ResolvedRefs): Promise<void> {
  const j = refJoins(refs, true);
  // [condition, code, message] in the order the checks apply.
  const checks: [string, string, string][] = [
    ['s.err_code IS NOT NULL', 's.err_code', 's.err_message'],
    ['n.e164 IS NOT NULL', "'ALREADY_EXISTS'", "format('%s is already in the inventory', s.e164)"],
  ];
  if (refs.sites)
    checks.push(
      [
        's.site_ref IS NOT NULL AND si.id IS NULL',
        "'UNKNOWN_SITE'",
        `format('site "%s" not found', s.site_ref)`,
      ],
      [
        'si.id IS NOT NULL AND si.country <> s.country',
        "'COUNTRY_MISMATCH'",
        `format('%s belongs to %s; site "%s" is in %s (R-3)', s.e164, s.country, s.site_ref, si.country)`,
      ],
    );
  if (refs.ranges)
    checks.push(
      [
        's.range_ref IS NOT NULL AND ra.id IS NULL',
        "'UNKNOWN_RANGE'",
        `format('range "%s" not found', s.range_ref)`,
      ],
      [
        'ra.id IS NOT NULL AND NOT (length(s.e164) = length(ra.start) AND s.e164 BETWEEN ra.start AND ra."end")',
        "'NOT_IN_RANGE'",
        `format('%s is outside range "%s" (%s–%s)', s.e164, s.range_ref, ra.start, ra."end")`,
      ],
    );
  if (refs.customers)
    checks.push(
      [
        's.customer_ref IS NOT NULL AND cu.id IS NULL',
        "'UNKNOWN_CUSTOMER'",
        `format('customer "%s" not found', s.customer_ref)`,
      ],
      [
        "cu.id IS NOT NULL AND cu.status <> 'active'",
        "'HOLDER_NOT_ACTIVE'",
        `format('customer "%s" is %s; numbers go only to active customers (R-12)', s.customer_ref, cu.status)`,
      ],
    );
  if (refs.civic)
    checks.push(
      [
        's.civic_address_id IS NOT NULL AND ca.id IS NULL',
        "'UNKNOWN_CIVIC_ADDRESS'",
        "format('civic address %s not found', s.civic_address_id)",
      ],
      [
        `ca.id IS NOT NULL AND ca.customer_id IS NOT NULL AND ca.customer_id IS DISTINCT FROM ${j.customerId}`,
        "'UNKNOWN_CIVIC_ADDRESS'",
        "format('civic address %s belongs to another customer', s.civic_address_id)",
      ],
      [
        's.location_id IS NOT NULL AND lo.id IS NULL',
        "'UNKNOWN_LOCATION'",
        "format('location %s is not a location of civic address %s', s.location_id, s.civic_address_id)",
      ],
    );
  const pick = (k: 1 | 2) =>
    `CASE ${checks.map((x) => `WHEN ${x[0]} THEN ${x[k]}`).join('\n        ')} END`;
  await c.query(
    `
    CREATE TEMP TABLE import_invalid ON COMMIT DROP AS
    SELECT line, input, code, message FROM (
      SELECT s.line, s.input, ${pick(1)} AS code,
        ${pick(2)} AS message
      FROM import_stage s
      LEFT JOIN numbers n ON n.e164 = s.e164
      ${j.sql}
    ) q
    WHERE code IS NOT NULL`,
    j.params,
  );
}

/** How many rows the checks refused (the rest will be imported). */
export async function countInvalid(c: pg.PoolClient): Promise<number> {
  const r = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM import_invalid`);
  return r.rows[0]!.n;
}

export interface InvalidRow {
  line: number;
  number: string;
  code: string;
  message: string;
}

export async function invalidRows(c: pg.PoolClient, limit: number): Promise<InvalidRow[]> {
  const r = await c.query<InvalidRow>(
    `SELECT line, coalesce(input, '') AS number, code, message FROM import_invalid
     ORDER BY line LIMIT $1`,
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
     FROM import_invalid`,
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
 * R-50: the one set-based merge. Inserts every valid row into `numbers` and
 * links each inserted number to the import's one `import.commit` audit event
 * (`eventId`, written first by auditImport) with the customer it went to, in a
 * single statement; returns how many were inserted. The link (0011) replaces
 * one `number.import` audit event per number: a number's history and the
 * audit list join it (src/audit/audit.repository.ts).
 *
 * A plain INSERT (checkStage found every held number): a number inserted by
 * someone else since the check fails the statement with a unique violation on
 * numbers_pkey, which the caller turns into a rollback and a retry
 * (speculative insertion would cost an index probe and a WAL record per row).
 * The trigram index takes the entries into its pending list for this
 * transaction only; cleanPendingTrigrams merges them after the commit.
 */
export async function merge(
  c: pg.PoolClient,
  eventId: number,
  refs: ResolvedRefs,
): Promise<number> {
  await c.query(`SET LOCAL gin_pending_list_limit = '1GB'`);
  const j = refJoins(refs, false);
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
        customer_id, locked, lock_reason, usage, capabilities, civic_address_id, location_id,
        custom_sip_header, sip_connection, calling_profile_id, cac_limit, service_info, 'import',
        CASE WHEN customer_id IS NULL THEN NULL ELSE now() END
      FROM (
        SELECT s.e164, s.country, s.kind, s.extension, ${j.rangeId} AS range_id,
          ${j.siteId} AS site_id, ${j.customerId} AS customer_id, s.locked, s.lock_reason,
          s.usage, s.capabilities, s.civic_address_id::uuid AS civic_address_id,
          s.location_id::uuid AS location_id, s.custom_sip_header, s.sip_connection,
          s.calling_profile_id, s.cac_limit, s.service_info
        FROM import_stage s
        ${j.sql}
        WHERE s.err_code IS NULL
          AND NOT EXISTS (SELECT FROM import_invalid i WHERE i.line = s.line)
        ORDER BY s.e164
      ) v
      RETURNING e164, customer_id
    ), link AS (
      INSERT INTO import_numbers (e164, event_id, customer_id)
      SELECT e164, $${j.params.length + 1}::bigint, customer_id FROM ins
      RETURNING customer_id
    ), holders AS (
      INSERT INTO import_event_customers (event_id, customer_id)
      SELECT DISTINCT $${j.params.length + 1}::bigint, customer_id FROM link WHERE customer_id IS NOT NULL
    )
    SELECT count(*)::int AS n FROM link`,
    [...j.params, eventId],
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
  await c.query(`SELECT gin_clean_pending_list('numbers_digit_grams'::regclass)`);
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

/**
 * The one audit event of the import itself (SPEC §4), in the merge's
 * transaction, written before the merge: its id is what each imported number
 * links to. Returns that id.
 */
export async function auditImport(
  c: pg.PoolClient,
  actor: Actor,
  jobId: string,
  changes: Record<string, unknown>,
): Promise<number> {
  const r = await c.query<{ id: string }>(
    `INSERT INTO audit_events (principal_id, principal_name, source, ticket_id, request_id,
       action, object_type, object_id, customer_id, changes)
     VALUES ($1, $2, 'import', $3, $4, 'import.commit', 'job', $5, NULL, $6)
     RETURNING id`,
    [
      actor.principal.id,
      actor.principal.name,
      actor.ticketId,
      actor.requestId,
      jobId,
      JSON.stringify(changes),
    ],
  );
  return Number(r.rows[0]!.id);
}
