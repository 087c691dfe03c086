/**
 * Audit events (SPEC §11): written in the caller's transaction, set-based, and
 * never updated or deleted (a trigger refuses it).
 */
import { sql, type Selectable, type Transaction } from 'kysely';
import type { Actor } from '../actor.js';
import type { Db } from '../db/pool.js';
import type { AuditEventsTable, DB } from '../db/schema.js';

export interface AuditInput {
  action: string;
  objectType: string;
  objectId: string;
  customerId: string | null;
  /** Changed fields: `{ field: [before, after] }`, or a summary for bulk events. */
  changes: Record<string, unknown>;
}

export async function writeAudit(
  trx: Transaction<DB>,
  actor: Actor,
  events: readonly AuditInput[],
): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((e) => ({
    action: e.action,
    object_type: e.objectType,
    object_id: e.objectId,
    customer_id: e.customerId,
    changes: e.changes,
  }));
  // One statement for any number of events.
  await sql`
    INSERT INTO audit_events
      (principal_id, principal_name, source, ticket_id, request_id,
       action, object_type, object_id, customer_id, changes)
    SELECT ${actor.principal.id}, ${actor.principal.name}, ${actor.source}, ${actor.ticketId},
           ${actor.requestId}, r.action, r.object_type, r.object_id, r.customer_id, r.changes
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      AS r(action text, object_type text, object_id text, customer_id uuid, changes jsonb)`.execute(
    trx,
  );
}

export interface AuditFilter {
  objectType?: string;
  objectId?: string;
  customerId?: string;
  action?: string;
  principalId?: string;
  from?: Date;
  to?: Date;
  /** Return events with id below this (newest first paging). */
  beforeId?: number;
  limit: number;
  /**
   * The caller is scoped to this customer: an import event reached
   * through its numbers shows only what concerns them (redactImport).
   */
  scopedTo?: string | undefined;
}

type AuditRow = Selectable<AuditEventsTable>;

/**
 * An import is ONE `import.commit` audit event (object: the job) plus a link
 * per number in `import_numbers` (0011), the way a range is one `range.create`
 * event joined through the numbers' `range_id`. The import events that added
 * `e164`, with the customer each gave it to (only `customerId`'s, if given).
 */
async function importLinks(
  db: Db,
  e164: string,
  customerId: string | null | undefined,
): Promise<Map<number, string | null>> {
  let q = db
    .selectFrom('import_numbers')
    .select(['event_id', 'customer_id'])
    .where('e164', '=', e164);
  if (customerId) q = q.where('customer_id', '=', customerId);
  const rows = await q.execute();
  return new Map(rows.map((r) => [Number(r.event_id), r.customer_id]));
}

/**
 * An `import.commit` event as seen through one of its numbers: what the import
 * did to that number (as the per-number `number.import` event said: status,
 * holder, job), and the customer it went to. A customer-scoped caller gets
 * only that, not the import's file name and counts (other customers' rows).
 */
function throughNumber(row: AuditRow, customerId: string | null, redact: boolean): AuditRow {
  const own = {
    jobId: row.object_id,
    status: [null, customerId ? 'reserved' : 'available'],
    ...(customerId ? { holder: [null, { type: 'customer', customerId }] } : {}),
  };
  return { ...row, customer_id: customerId, changes: redact ? own : { ...row.changes, ...own } };
}

/** An `import.commit` event shown to a customer-scoped caller: the job only. */
function redactImport(row: AuditRow, customerId: string): AuditRow {
  return { ...row, customer_id: customerId, changes: { jobId: row.object_id } };
}

/** `id = ANY(ARRAY[…])`: indexable, so it joins the other branches in one bitmap OR. */
function idIn(ids: readonly number[]) {
  return sql<boolean>`id = ANY(${ids.map(String)}::bigint[])`;
}

export async function listAudit(db: Db, f: AuditFilter): Promise<AuditRow[]> {
  // Import events reached through a number (objectId) or a customer (0011).
  const byNumber =
    f.objectId !== undefined && (f.objectType === undefined || f.objectType === 'number')
      ? await importLinks(db, f.objectId, f.customerId)
      : null;
  const byCustomer = !byNumber && f.customerId && (f.objectType ?? 'job') === 'job';
  let q = db.selectFrom('audit_events').selectAll().orderBy('id', 'desc').limit(f.limit);
  q = q.where((eb) => {
    const object = [];
    if (f.objectType) object.push(eb('object_type', '=', f.objectType));
    if (f.objectId) object.push(eb('object_id', '=', f.objectId));
    const own = eb.and(f.customerId ? [...object, eb('customer_id', '=', f.customerId)] : object);
    if (byNumber?.size)
      return eb.or([own, eb.and([eb('action', '=', 'import.commit'), idIn([...byNumber.keys()])])]);
    if (byCustomer)
      return eb.or([
        own,
        eb.and([
          ...object,
          eb('action', '=', 'import.commit'),
          sql<boolean>`id = ANY(ARRAY(SELECT event_id FROM import_event_customers WHERE customer_id = ${f.customerId}))`,
        ]),
      ]);
    return own;
  });
  if (f.action) q = q.where('action', '=', f.action);
  if (f.principalId) q = q.where('principal_id', '=', f.principalId);
  if (f.from) q = q.where('at', '>=', f.from);
  if (f.to) q = q.where('at', '<', f.to);
  if (f.beforeId !== undefined) q = q.where('id', '<', f.beforeId);
  const rows = await q.execute();
  return rows.map((r) => {
    if (r.action !== 'import.commit') return r;
    const link = byNumber?.get(Number(r.id));
    if (link !== undefined) return throughNumber(r, link, !!f.scopedTo);
    if (f.scopedTo) return redactImport(r, f.scopedTo);
    return r;
  });
}

/**
 * A number's history: its own events, the creation of the range that made it
 * and the import that added it (`import_numbers`, 0011). A customer-scoped
 * caller (`customerId`) sees the events of its own holding only.
 */
export async function numberHistory(
  db: Db,
  e164: string,
  customerId: string | null,
  beforeId?: number,
  limit = 100,
): Promise<AuditRow[]> {
  const imports = await importLinks(db, e164, customerId);
  let q = db
    .selectFrom('audit_events')
    .selectAll()
    .where((eb) => {
      const scoped = (c: ReturnType<typeof eb.and>) =>
        customerId ? eb.and([c, eb('customer_id', '=', customerId)]) : c;
      const branches = [
        scoped(eb.and([eb('object_type', '=', 'number'), eb('object_id', '=', e164)])),
        scoped(
          eb.and([
            eb('object_type', '=', 'range'),
            eb('action', '=', 'range.create'),
            eb(
              'object_id',
              '=',
              eb
                .selectFrom('numbers')
                .select(sql<string>`range_id::text`.as('r'))
                .where('e164', '=', e164),
            ),
          ]),
        ),
      ];
      // The link already carries the customer scope (importLinks).
      if (imports.size)
        branches.push(eb.and([eb('action', '=', 'import.commit'), idIn([...imports.keys()])]));
      return eb.or(branches);
    })
    .orderBy('id', 'desc')
    .limit(limit);
  if (beforeId !== undefined) q = q.where('id', '<', beforeId);
  const rows = await q.execute();
  return rows.map((r) => {
    const link = r.action === 'import.commit' ? imports.get(Number(r.id)) : undefined;
    return link === undefined ? r : throughNumber(r, link, !!customerId);
  });
}
