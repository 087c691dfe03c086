/**
 * Import rows (SPEC §4): the CSV header and the per-row checks that need no
 * database. Pure. Checks that need the database (duplicates inside the file,
 * numbers already held, unknown site / range / customer, R-3 against the
 * site, R-12) run set-based over the staging table (imports.repository.ts).
 */
import { unguardCell } from './csv.js';
import { normalizeNumberFast } from './e164-fast.js';
import type { NumberKind } from './e164.js';

/** Import fields and the header names accepted for each (compared folded: lower case, letters and digits only). */
export const importFields = {
  number: ['number', 'e164', 'phonenumber', 'telephonenumber', 'tn', 'did'],
  country: ['country', 'countrycode'],
  site: ['site', 'siteid', 'sitename'],
  range: ['range', 'rangeid', 'rangename'],
  extension: ['extension', 'ext'],
  customer: ['customer', 'customerid', 'customeraccount', 'customeraccountname', 'accountname'],
  usage: ['usage'],
  capabilities: ['capabilities'],
  civicAddressId: ['civicaddressid', 'civicaddress'],
  locationId: ['locationid', 'location'],
  sipConnection: ['sipconnection'],
  callingProfileId: ['callingprofileid', 'callingprofile'],
  customSipHeader: ['customsipheader'],
  cac: ['cac', 'caclimit'],
  serviceInfo: ['serviceinfo'],
  locked: ['locked'],
  lockReason: ['lockreason'],
} as const;
export type ImportField = keyof typeof importFields;

/** Columns an export writes that an import reads past (derived or lifecycle state). */
export const ignoredColumns = ['kind', 'status'] as const;

/** The template's header, in the export's column order. */
export const templateColumns: readonly ImportField[] = [
  'number',
  'country',
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
];

const fold = (h: string) => h.toLowerCase().replace(/[^a-z0-9]/g, '');

const aliasToField = new Map<string, ImportField>();
for (const [field, aliases] of Object.entries(importFields))
  for (const a of aliases) aliasToField.set(a, field as ImportField);
const ignored = new Set<string>(ignoredColumns);

export type HeaderIndex = Partial<Record<ImportField, number>>;

export type HeaderResult =
  | { ok: true; index: HeaderIndex; width: number }
  | {
      ok: false;
      code: 'UNKNOWN_COLUMN' | 'DUPLICATE_COLUMN' | 'NO_NUMBER_COLUMN';
      message: string;
    };

/** SPEC §4: header names are case-insensitive and order-free. */
export function parseHeader(cells: readonly string[]): HeaderResult {
  const index: HeaderIndex = {};
  for (let i = 0; i < cells.length; i++) {
    const raw = (cells[i] ?? '').trim();
    const name = fold(i === 0 ? raw.replace(/^\uFEFF/, '') : raw);
    if (name === '' || ignored.has(name)) continue;
    const field = aliasToField.get(name);
    if (!field) {
      return {
        ok: false,
        code: 'UNKNOWN_COLUMN',
        message: `unknown column "${raw}"; known columns: ${templateColumns.join(', ')} (and ${ignoredColumns.join(', ')}, which are ignored)`,
      };
    }
    if (index[field] !== undefined) {
      return { ok: false, code: 'DUPLICATE_COLUMN', message: `column "${raw}" appears twice` };
    }
    index[field] = i;
  }
  if (index.number === undefined) {
    return { ok: false, code: 'NO_NUMBER_COLUMN', message: 'the header has no "number" column' };
  }
  return { ok: true, index, width: cells.length };
}

export type Usage = 'user' | 'application' | 'conference' | 'contactCenter';
const usages: readonly Usage[] = ['user', 'application', 'conference', 'contactCenter'];
const capabilities = [
  'inboundCalling',
  'outboundCalling',
  'inboundSms',
  'outboundSms',
  'mobile',
] as const;
const usageByFold = new Map(usages.map((u) => [fold(u), u]));
const capabilityByFold = new Map(capabilities.map((c) => [fold(c), c]));

/** A row that passed the checks of this module. References are resolved later. */
export interface StagedRow {
  e164: string;
  country: string;
  kind: NumberKind;
  site: string | null;
  range: string | null;
  customer: string | null;
  extension: string | null;
  usage: Usage | null;
  capabilities: string[];
  civicAddressId: string | null;
  locationId: string | null;
  sipConnection: string | null;
  callingProfileId: string | null;
  customSipHeader: string | null;
  cac: number | null;
  serviceInfo: string | null;
  locked: boolean;
  lockReason: string | null;
}

export interface RowError {
  /** Stable code: an R-2 reason (SCIENTIFIC_NOTATION, LETTERS, TOO_SHORT, …) or a field check. */
  code: string;
  message: string;
}

export type RowResult = { ok: true; row: StagedRow } | { ok: false; error: RowError };

/** Default lock reason for rows imported with `locked` true and no reason. */
export const IMPORT_LOCK_REASON = 'locked by import';

const SIP_HEADER = /^[A-Za-z0-9_-]{1,100}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The cell's text: trimmed, R-51 guard removed, empty → null. */
function text(cells: readonly string[], i: number | undefined): string | null {
  if (i === undefined) return null;
  const v = unguardCell((cells[i] ?? '').trim());
  return v === '' ? null : v;
}

function bad(field: string, message: string): RowResult {
  return { ok: false, error: { code: 'BAD_VALUE', message: `${field}: ${message}` } };
}

function tooLong(field: string, v: string | null, max: number): RowResult | null {
  return v !== null && v.length > max ? bad(field, `longer than ${max} characters`) : null;
}

/**
 * Check one data row. `defaultCountry` (ISO alpha-2) applies to national
 * numbers of rows without a country cell. Never throws.
 */
export function checkRow(
  cells: readonly string[],
  header: { index: HeaderIndex; width: number },
  defaultCountry?: string,
): RowResult {
  const ix = header.index;
  if (cells.length !== header.width) {
    return {
      ok: false,
      error: {
        code: 'COLUMN_COUNT',
        message: `the row has ${cells.length} cells; the header has ${header.width}`,
      },
    };
  }
  const countryCell = text(cells, ix.country);
  if (countryCell !== null && !/^[A-Za-z]{2}$/.test(countryCell)) {
    return bad('country', `"${countryCell}" is not an ISO 3166 alpha-2 code`);
  }
  const country = countryCell?.toUpperCase() ?? defaultCountry;
  const rawNumber = (cells[ix.number!] ?? '').trim();
  const n = normalizeNumberFast(rawNumber, country);
  if (!n.ok) return { ok: false, error: { code: n.reason, message: `${n.message} (R-2)` } };
  if (countryCell !== null && n.value.country !== countryCell.toUpperCase()) {
    return {
      ok: false,
      error: {
        code: 'COUNTRY_MISMATCH',
        message: `${n.value.e164} belongs to ${n.value.country}, not ${countryCell.toUpperCase()} (R-3)`,
      },
    };
  }

  const usageCell = text(cells, ix.usage);
  let usage: Usage | null = null;
  if (usageCell !== null) {
    usage = usageByFold.get(fold(usageCell)) ?? null;
    if (!usage) return bad('usage', `"${usageCell}" is not one of ${usages.join(', ')}`);
  }

  const caps: string[] = [];
  const capsCell = text(cells, ix.capabilities);
  if (capsCell !== null) {
    for (const part of capsCell.split(/[|;,\s]+/)) {
      if (part === '') continue;
      const c = capabilityByFold.get(fold(part));
      if (!c) return bad('capabilities', `"${part}" is not one of ${capabilities.join(', ')}`);
      if (!caps.includes(c)) caps.push(c);
    }
  }

  const cacCell = text(cells, ix.cac);
  let cac: number | null = null;
  if (cacCell !== null) {
    if (!/^\d{1,6}$/.test(cacCell) || Number(cacCell) < 2)
      return bad('cac', `"${cacCell}" is not a whole number ≥ 2 (R-33)`);
    cac = Number(cacCell);
    if (usage === 'user' && cac !== 2)
      return bad('cac', `user numbers have a fixed CAC of 2, got ${cac} (R-33)`);
  }

  const lockedCell = text(cells, ix.locked);
  let locked = false;
  if (lockedCell !== null) {
    const v = lockedCell.toLowerCase();
    if (['true', 'yes', 'y', '1'].includes(v)) locked = true;
    else if (!['false', 'no', 'n', '0'].includes(v))
      return bad('locked', `"${lockedCell}" is not true or false`);
  }
  const lockReasonCell = text(cells, ix.lockReason);

  const customSipHeader = text(cells, ix.customSipHeader);
  if (customSipHeader !== null && !SIP_HEADER.test(customSipHeader))
    return bad('customSipHeader', `"${customSipHeader}" does not match ^[A-Za-z0-9_-]{1,100}$`);

  const civicAddressId = text(cells, ix.civicAddressId);
  const locationId = text(cells, ix.locationId);
  if (civicAddressId !== null && !UUID.test(civicAddressId))
    return bad('civicAddressId', `"${civicAddressId}" is not a civic address id (UUID)`);
  if (locationId !== null && !UUID.test(locationId))
    return bad('locationId', `"${locationId}" is not a location id (UUID)`);
  if (locationId !== null && civicAddressId === null)
    return bad('locationId', 'a location needs its civicAddressId');

  const row: StagedRow = {
    e164: n.value.e164,
    country: n.value.country,
    kind: n.value.kind,
    site: text(cells, ix.site),
    range: text(cells, ix.range),
    customer: text(cells, ix.customer),
    extension: text(cells, ix.extension),
    usage,
    capabilities: caps,
    civicAddressId: civicAddressId?.toLowerCase() ?? null,
    locationId: locationId?.toLowerCase() ?? null,
    sipConnection: text(cells, ix.sipConnection),
    callingProfileId: text(cells, ix.callingProfileId),
    customSipHeader,
    cac,
    serviceInfo: text(cells, ix.serviceInfo),
    locked,
    lockReason: locked ? (lockReasonCell ?? IMPORT_LOCK_REASON) : null,
  };
  return (
    tooLong('extension', row.extension, 20) ??
    tooLong('sipConnection', row.sipConnection, 200) ??
    tooLong('callingProfileId', row.callingProfileId, 200) ??
    tooLong('serviceInfo', row.serviceInfo, 255) ??
    tooLong('lockReason', row.lockReason, 500) ??
    tooLong('site', row.site, 200) ??
    tooLong('range', row.range, 200) ??
    tooLong('customer', row.customer, 200) ?? { ok: true, row }
  );
}

/** COPY text format: backslash, tab, newline and CR escaped; null is \N. */
export function copyText(v: string | null): string {
  if (v === null) return '\\N';
  if (!/[\\\t\n\r]/.test(v)) return v;
  return v
    .replaceAll('\\', '\\\\')
    .replaceAll('\t', '\\t')
    .replaceAll('\n', '\\n')
    .replaceAll('\r', '\\r');
}
