/**
 * The numbers export as one SQL statement for `COPY (…) TO STDOUT CSV`: the
 * same filters as GET /numbers (numbers.list.ts applyFilter), the table's
 * columns under the import's header names, and R-51 applied in SQL by
 * numbat_csv_guard (migration 0003; identical to guardCell in domain/csv.ts).
 * PostgreSQL formats and streams the CSV: constant memory in Node at any size.
 */
import type { Db } from '../db/pool.js';
import { applyFilter, type NumberListFilter } from '../numbers/numbers.list.js';

/** Export header, in order; an export imports back (kind and status are ignored by the import). */
export const exportColumns = [
  'number',
  'country',
  'kind',
  'status',
  'customer',
  'site',
  'range',
  'extension',
  'usage',
  'capabilities',
  'civicAddressId',
  'locationId',
  'sipConnection',
  'callingProfileId',
  'customSipHeader',
  'cac',
  'serviceInfo',
  'locked',
  'lockReason',
] as const;

/**
 * COPY takes no bind parameters, so the filter's values are written into the
 * statement as literals here, and only here: strings as E'' literals with `\`
 * and `'` escaped, numbers, booleans and dates typed. The values have passed
 * the route's schema (uuids, enums, digits) before they get here.
 */
export function sqlLiteral(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`cannot inline ${v}`);
    return String(v);
  }
  if (v instanceof Date) return `'${v.toISOString()}'::timestamptz`;
  if (typeof v === 'string') return `E'${v.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
  throw new Error(`cannot inline a ${typeof v}`);
}

function inline(sql: string, params: readonly unknown[]): string {
  return sql.replace(/\$(\d+)/g, (_, i: string) => sqlLiteral(params[Number(i) - 1]));
}

/** The export SELECT for a filter (literal values; see sqlLiteral). */
export function exportSelect(db: Db, filter: NumberListFilter): string {
  const inner = applyFilter(db.selectFrom('numbers').selectAll(), filter).compile();
  const now = sqlLiteral(filter.now);
  const g = (expr: string) => `numbat_csv_guard(${expr})`;
  const cols: [string, string][] = [
    ['number', 'n.e164'],
    ['country', g('n.country')],
    ['kind', g('n.kind')],
    [
      'status',
      `CASE WHEN n.status = 'available' AND n.cooling_off_until > ${now} THEN 'coolingOff' ELSE n.status END`,
    ],
    ['customer', g('c.account_name')],
    ['site', g('s.name')],
    ['range', g('r.name')],
    ['extension', g('n.extension')],
    ['usage', g('n.usage')],
    ['capabilities', `array_to_string(n.capabilities, '|')`],
    // uuids (migration 0004): never start with a formula character.
    ['civicAddressId', 'n.civic_address_id::text'],
    ['locationId', 'n.location_id::text'],
    ['sipConnection', g('n.sip_connection')],
    ['callingProfileId', g('n.calling_profile_id')],
    ['customSipHeader', g('n.custom_sip_header')],
    ['cac', 'n.cac_limit'],
    ['serviceInfo', g('n.service_info')],
    ['locked', `CASE WHEN n.locked THEN 'true' ELSE 'false' END`],
    ['lockReason', g('n.lock_reason')],
  ];
  return (
    `SELECT ${cols.map(([name, expr]) => `${expr} AS "${name}"`).join(', ')} ` +
    `FROM (${inline(inner.sql, inner.parameters)}) n ` +
    `LEFT JOIN customers c ON c.id = n.customer_id ` +
    `LEFT JOIN sites s ON s.id = n.site_id ` +
    `LEFT JOIN ranges r ON r.id = n.range_id ` +
    `ORDER BY n.e164`
  );
}

/** The full COPY statement. */
export function exportCopy(db: Db, filter: NumberListFilter): string {
  return `COPY (${exportSelect(db, filter)}) TO STDOUT WITH (FORMAT csv, HEADER true)`;
}
