/**
 * Upload numbers for a service (SPEC §5, seeds "Upload Numbers" / "Create
 * numbers"): a single number, a list, a range (R-4) or a CSV. Every number is
 * validated first (R-2, R-3 against the site's or the emergency address's
 * country, the platform fields R-31..R-33 / R-37); then, in one transaction,
 * new numbers are created, available ones allocated to the customer, numbers
 * the customer already holds attached, all get the service and its fields,
 * and the service moves `pendingProvisioning → ready` (R-30). All or nothing.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { sql, type Transaction } from 'kysely';
import type { Actor } from '../actor.js';
import { resolveEmergency } from '../addresses/emergency.js';
import { writeAudit, type AuditInput } from '../audit/audit.repository.js';
import type { Db } from '../db/pool.js';
import type { DB } from '../db/schema.js';
import { DomainError } from '../domain/errors.js';
import { assertCountry, normalizeNumber, parseRange, type ValidNumber } from '../domain/e164.js';
import type { Usage } from '../domain/lifecycle.js';
import {
  effectiveCac,
  nextServiceStatus,
  platformFieldViolations,
  type Platform,
} from '../domain/platform.js';
import { AppError, errorSummary, type FieldError } from '../http/errors.js';
import { lockNumbers, type NumberRow } from '../numbers/numbers.repository.js';
import type { NumbersService } from '../numbers/numbers.service.js';
import type { ServiceRow } from './services.repository.js';

/** At most this many numbers in one upload; bigger sets go through the bulk import. */
export const MAX_UPLOAD = 10_000;

export interface UploadInput {
  number?: string | undefined;
  numbers?: string[] | undefined;
  range?: { start: string; end?: string | undefined; count?: number | undefined } | undefined;
  /** CSV text: a column named number / e164 / telephoneNumber, or the first column. */
  csv?: string | undefined;
  /** For national-format input. Default: the site's, else the address's country. */
  country?: string | undefined;
  siteId?: string | undefined;
  extension?: string | undefined;
  usage?: Usage | undefined;
  capabilities?: string[] | undefined;
  customSipHeader?: string | undefined;
  sipConnection?: string | undefined;
  callingProfileId?: string | undefined;
  cacLimit?: number | undefined;
  serviceInfo?: string | undefined;
  emergency?:
    | {
        civicAddressId?: string | null | undefined;
        locationId?: string | null | undefined;
        customerMayUpdate?: boolean | undefined;
      }
    | undefined;
  /** Default true: uploaded numbers go into service (active); false leaves them reserved. */
  activate?: boolean | undefined;
  /** Validate only: counts and errors, nothing changes. */
  validateOnly?: boolean | undefined;
}

export interface UploadResult {
  validateOnly: boolean;
  valid: number;
  invalid: number;
  errors: FieldError[];
  created: number;
  allocated: number;
  attached: number;
  numbers: string[];
  service: ServiceRow;
}

interface UploadDeps {
  db: Db;
  numbers: NumbersService;
  now: () => Date;
  transition: (trx: Transaction<DB>, actor: Actor, row: ServiceRow) => Promise<ServiceRow | null>;
}

type Lock = (trx: Transaction<DB>, customerId: string, id: string) => Promise<ServiceRow>;

interface Item {
  /** Where the value came from, for error messages: `number`, `numbers[3]`, `line 7`, or the number. */
  field: string;
  raw: string;
}

const invalid = (message: string, errors: FieldError[], details: Record<string, unknown> = {}) =>
  new AppError('VALIDATION_FAILED', message, details, errors);

const CSV_NUMBER_HEADER = /^(number|e164|telephone ?number|phone ?number|tn)$/i;

/** Simple in-request CSV: the number column (by header, else the first), ≤ MAX_UPLOAD rows. */
function csvItems(text: string): Item[] {
  let records: string[][];
  try {
    records = parseCsv(text.replace(/^\uFEFF/, ''), {
      delimiter: [',', ';'],
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
    });
  } catch (err) {
    throw invalid(`the CSV cannot be read: ${(err as Error).message}`, [
      { field: 'csv', message: 'not valid CSV' },
    ]);
  }
  let column = 0;
  let first = 0;
  const header = records[0] ?? [];
  const named = header.findIndex((h) => CSV_NUMBER_HEADER.test(h.trim()));
  if (named >= 0) {
    column = named;
    first = 1;
  } else if (header.length && !/\d/.test(header[0] ?? '')) {
    first = 1; // a header row without a recognised name: numbers are in the first column
  }
  const rows = records.slice(first);
  if (rows.length > MAX_UPLOAD)
    throw invalid(`a CSV upload holds at most ${MAX_UPLOAD} rows, got ${rows.length}`, [
      { field: 'csv', message: `at most ${MAX_UPLOAD} rows` },
    ]);
  return rows.map((r, i) => ({ field: `line ${i + first + 1}`, raw: r[column] ?? '' }));
}

function itemsOf(input: UploadInput, defaultCountry: string | undefined): Item[] {
  const given = [input.number, input.numbers, input.range, input.csv].filter(
    (x) => x !== undefined,
  );
  if (given.length !== 1)
    throw invalid('give exactly one of number, numbers, range and csv', [
      { field: 'body', message: 'exactly one of number, numbers, range, csv' },
    ]);
  if (input.number !== undefined) return [{ field: 'number', raw: input.number }];
  if (input.numbers !== undefined)
    return input.numbers.map((raw, i) => ({ field: `numbers[${i}]`, raw }));
  if (input.csv !== undefined) return csvItems(input.csv);
  const r = input.range!;
  let spec;
  try {
    spec = parseRange(
      {
        start: r.start,
        ...(r.end !== undefined ? { end: r.end } : {}),
        ...(r.count !== undefined ? { count: r.count } : {}),
      },
      defaultCountry,
    );
  } catch (err) {
    if (err instanceof DomainError)
      throw invalid(err.message, [{ field: 'range', message: err.message }], {
        rule: err.rule,
        reason: err.details?.reason,
      });
    throw err;
  }
  if (spec.count > MAX_UPLOAD)
    throw invalid(`an upload holds at most ${MAX_UPLOAD} numbers; the range has ${spec.count}`, [
      { field: 'range', message: `at most ${MAX_UPLOAD} numbers` },
    ]);
  const start = BigInt(spec.start.e164.slice(1));
  return Array.from({ length: spec.count }, (_, i) => {
    const e164 = `+${(start + BigInt(i)).toString()}`;
    return { field: e164, raw: e164 };
  });
}

/** Which lifecycle step each locked/new number takes. */
type Plan = { e164: string; step: 'create' | 'allocate' | 'attach'; row: NumberRow | null };

export async function uploadNumbers(
  deps: UploadDeps,
  actor: Actor,
  customerId: string,
  serviceId: string,
  input: UploadInput,
  lockService: Lock,
): Promise<UploadResult> {
  return deps.db.transaction().execute(async (trx) => {
    const service = await lockService(trx, customerId, serviceId);
    // R-30 before any parsing: no numbers for a service awaiting consent or being removed.
    nextServiceStatus(service.status, 'numbersProvisioned');
    const platform: Platform = service.platform;
    const errors: FieldError[] = [];

    const siteId = input.siteId ?? service.site_id;
    if (service.platform === 'hostedVoice' && input.siteId && input.siteId !== service.site_id)
      errors.push({
        field: 'siteId',
        message: "numbers of a hostedVoice service are at the service's site",
      });
    let siteCountry: string | undefined;
    if (siteId) {
      const site = await trx
        .selectFrom('sites')
        .select('country')
        .where('id', '=', siteId)
        .executeTakeFirst();
      if (!site) errors.push({ field: 'siteId', message: `site ${siteId} not found` });
      else siteCountry = site.country;
    }
    const em = input.emergency ?? {};
    const emergency = await resolveEmergency(trx, customerId, { civicAddressId: null }, em);
    if (errors.length) throw invalid(errors.map((e) => e.message).join('; '), errors);
    const addressCountry = emergency.country ?? undefined;

    // R-2 / R-3, item by item; every bad item is reported, nothing is guessed.
    const items = itemsOf(input, input.country ?? siteCountry ?? addressCountry);
    if (items.length === 0)
      throw invalid('no numbers to upload', [{ field: 'body', message: 'no numbers' }]);
    if (items.length > MAX_UPLOAD)
      throw invalid(`an upload holds at most ${MAX_UPLOAD} numbers`, [
        { field: 'numbers', message: `at most ${MAX_UPLOAD}` },
      ]);
    const valid = new Map<string, { item: Item; v: ValidNumber }>();
    for (const item of items) {
      const r = normalizeNumber(item.raw, input.country ?? siteCountry ?? addressCountry);
      if (!r.ok) {
        errors.push({ field: item.field, message: `${r.message} (${r.reason}, R-2)` });
        continue;
      }
      try {
        if (siteCountry) assertCountry(r.value, siteCountry);
        if (addressCountry) assertCountry(r.value, addressCountry);
      } catch (err) {
        errors.push({ field: item.field, message: `${(err as Error).message} (R-3)` });
        continue;
      }
      if (valid.has(r.value.e164)) {
        errors.push({ field: item.field, message: `${r.value.e164} appears twice` });
        continue;
      }
      valid.set(r.value.e164, { item, v: r.value });
    }

    // Against the inventory: lock what exists, decide each number's step.
    const existing = new Map(
      (await lockNumbers(trx, [...valid.keys()])).map((r) => [r.e164, r] as const),
    );
    const plans: Plan[] = [];
    const now = deps.now();
    const fieldErrors = (e164: string, row: NumberRow | null) => {
      const usage = input.usage ?? row?.usage ?? null;
      const fields = {
        usage,
        capabilities: input.capabilities ?? row?.capabilities ?? [],
        customSipHeader: input.customSipHeader ?? row?.custom_sip_header ?? null,
        cacLimit: input.cacLimit ?? row?.cac_limit ?? null,
        civicAddressId:
          emergency.set.civicAddressId !== undefined
            ? emergency.set.civicAddressId
            : (row?.civic_address_id ?? null),
        locationId:
          emergency.set.locationId !== undefined
            ? emergency.set.locationId
            : (row?.location_id ?? null),
        customerMayUpdate: em.customerMayUpdate ?? row?.customer_may_update ?? false,
      };
      return platformFieldViolations(platform, fields).map((v) => ({
        field: valid.get(e164)!.item.field,
        message: `${e164}: ${v.message} (${v.rule ?? v.code})`,
        code: v.code,
      }));
    };
    for (const [e164, { item }] of valid) {
      const row = existing.get(e164) ?? null;
      let step: Plan['step'] | null = null;
      if (!row) step = 'create';
      else if (row.pending_job_id)
        errors.push({
          field: item.field,
          message: `${e164}: an upstream change is pending (R-13)`,
        });
      else if (row.status === 'available') {
        const until = row.cooling_off_until;
        if (siteId && row.site_id && row.site_id !== siteId)
          errors.push({ field: item.field, message: `${e164} is at another site` });
        else if (until && until.getTime() > now.getTime())
          errors.push({
            field: item.field,
            message: `${e164}: cooling off until ${until.toISOString().slice(0, 10)} (R-10)`,
          });
        else if (row.locked) errors.push({ field: item.field, message: `${e164}: locked (R-11)` });
        else step = 'allocate';
      } else if (row.customer_id !== customerId)
        errors.push({ field: item.field, message: `${e164} is held by another holder` });
      else if (row.service_id && row.service_id !== serviceId)
        errors.push({
          field: item.field,
          message: `${e164} is on another service of this customer`,
        });
      else step = 'attach';
      if (!step) continue;
      const fe = fieldErrors(e164, row);
      if (fe.length) {
        errors.push(...fe.map(({ field, message }) => ({ field, message })));
        continue;
      }
      plans.push({ e164, step, row });
    }
    const summary = { valid: plans.length, invalid: items.length - plans.length };
    if (input.validateOnly) {
      return {
        validateOnly: true,
        ...summary,
        errors: errors.slice(0, 1000),
        created: 0,
        allocated: 0,
        attached: 0,
        numbers: plans.map((p) => p.e164),
        service,
      };
    }
    if (errors.length) {
      throw invalid(
        `${summary.invalid} of ${items.length} number(s) cannot be uploaded; nothing was changed`,
        errors.slice(0, 1000),
        summary,
      );
    }

    // 1. create the new ones (available, at the site)
    const toCreate = plans.filter((p) => p.step === 'create');
    const source = actor.source === 'ui' || actor.source === 'import' ? actor.source : 'api';
    if (toCreate.length) {
      await trx
        .insertInto('numbers')
        .values(
          toCreate.map((p) => {
            const v = valid.get(p.e164)!.v;
            return {
              e164: v.e164,
              country: v.country,
              kind: v.kind,
              site_id: siteId ?? null,
              source,
            };
          }),
        )
        .execute();
      await writeAudit(
        trx,
        actor,
        toCreate.map((p) => ({
          action: 'number.create',
          objectType: 'number',
          objectId: p.e164,
          customerId: null,
          changes: { status: [null, 'available'], siteId: [null, siteId ?? null] },
        })),
      );
    }
    // Available numbers without a site take the upload's site (R-3 checked above).
    const toAllocate = plans.filter((p) => p.step !== 'attach').map((p) => p.e164);
    if (siteId) {
      const unsited = plans
        .filter((p) => p.step === 'allocate' && p.row && !p.row.site_id)
        .map((p) => p.e164);
      if (unsited.length)
        await sql`UPDATE numbers SET site_id = ${siteId}::uuid WHERE e164 = ANY(${unsited}::text[])`.execute(
          trx,
        );
    }
    // 2. allocate through the lifecycle rules (R-10, R-11, R-12); one refusal aborts all
    const holder = { type: 'customer' as const, customerId };
    const refusalsOf = async (
      list: readonly string[],
      action: Parameters<NumbersService['applyInTransaction']>[3],
    ) => {
      if (!list.length) return;
      const { refusals } = await deps.numbers.applyInTransaction(trx, actor, list, action);
      if (refusals.size) {
        const errs = [...refusals].map(([e164, err]) => {
          const s = errorSummary(err);
          return {
            field: valid.get(e164)?.item.field ?? e164,
            message: `${e164}: ${s?.message ?? 'refused'}${s?.rule ? ` (${s.rule})` : ''}`,
          };
        });
        // The first refusal's code and rule, every refused number in `errors`.
        const first = refusals.values().next().value;
        if (first instanceof DomainError)
          throw new DomainError(
            first.code,
            `${refusals.size} number(s) refused, nothing was changed; first: ${first.message}`,
            first.rule,
            { ...first.details, errors: errs },
          );
        throw invalid(`${refusals.size} number(s) were refused; nothing was changed`, errs);
      }
    };
    await refusalsOf(toAllocate, { type: 'allocate', holder });
    if (input.activate !== false) await refusalsOf(toAllocate, { type: 'activate' });

    // 3. the service and the platform fields, one statement for all
    const set: Record<string, unknown> = { service_id: serviceId };
    const given: Record<string, unknown> = {
      extension: input.extension,
      usage: input.usage,
      capabilities: input.capabilities,
      custom_sip_header: input.customSipHeader,
      sip_connection: input.sipConnection,
      calling_profile_id: input.callingProfileId,
      cac_limit: input.cacLimit,
      service_info: input.serviceInfo,
      civic_address_id: emergency.set.civicAddressId,
      location_id: emergency.set.locationId,
      customer_may_update: em.customerMayUpdate,
    };
    for (const [k, v] of Object.entries(given)) if (v !== undefined) set[k] = v;
    const all = plans.map((p) => p.e164);
    const before = new Map((await lockNumbers(trx, all)).map((r) => [r.e164, r] as const));
    await trx
      .updateTable('numbers')
      .set({ ...set, updated_at: new Date(), version: sql<number>`version + 1` })
      .where('e164', '=', sql<string>`ANY(${all}::text[])`)
      .execute();
    // Service defaults fill routing fields the number does not have (SIP connection, calling profile),
    // and R-33 fixes CAC 2 on Webex user numbers.
    await sql`
      UPDATE numbers n SET
        sip_connection = coalesce(n.sip_connection, ${service.sip_connection}),
        calling_profile_id = coalesce(n.calling_profile_id, ${service.calling_profile_id}),
        cac_limit = CASE WHEN ${platform === 'webexCloudConnect'} AND n.usage = 'user' THEN ${effectiveCac('webexCloudConnect', { usage: 'user', cacLimit: null })}::int ELSE n.cac_limit END
      WHERE n.e164 = ANY(${all}::text[])`.execute(trx);
    const after = new Map((await lockNumbers(trx, all)).map((r) => [r.e164, r] as const));
    const audited: (keyof NumberRow)[] = [
      'service_id',
      'extension',
      'usage',
      'capabilities',
      'custom_sip_header',
      'sip_connection',
      'calling_profile_id',
      'cac_limit',
      'service_info',
      'civic_address_id',
      'location_id',
      'customer_may_update',
    ];
    const events: AuditInput[] = [];
    for (const e164 of all) {
      const a = before.get(e164)!;
      const b = after.get(e164)!;
      const changes: Record<string, [unknown, unknown]> = {};
      for (const col of audited)
        if (JSON.stringify(a[col]) !== JSON.stringify(b[col]))
          changes[col.replace(/_(\w)/g, (_, c: string) => c.toUpperCase())] = [a[col], b[col]];
      if (Object.keys(changes).length)
        events.push({
          action: 'number.update',
          objectType: 'number',
          objectId: e164,
          customerId,
          changes,
        });
    }
    await writeAudit(trx, actor, events);

    // 4. R-30: the service has numbers now
    const ready = (await deps.transition(trx, actor, service))!;
    return {
      validateOnly: false,
      ...summary,
      errors: [],
      created: toCreate.length,
      allocated: toAllocate.length - toCreate.length,
      attached: plans.length - toAllocate.length,
      numbers: all,
      service: ready,
    };
  });
}
