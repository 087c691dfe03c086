/**
 * Audit events (SPEC §11): written in the caller's transaction, set-based, and
 * never updated or deleted (a trigger refuses it).
 */
import { sql, type Transaction } from 'kysely';
import type { Actor } from '../actor.js';
import type { Db } from '../db/pool.js';
import type { DB } from '../db/schema.js';

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
}

export function listAudit(db: Db, f: AuditFilter) {
  let q = db.selectFrom('audit_events').selectAll().orderBy('id', 'desc').limit(f.limit);
  if (f.objectType) q = q.where('object_type', '=', f.objectType);
  if (f.objectId) q = q.where('object_id', '=', f.objectId);
  if (f.customerId) q = q.where('customer_id', '=', f.customerId);
  if (f.action) q = q.where('action', '=', f.action);
  if (f.principalId) q = q.where('principal_id', '=', f.principalId);
  if (f.from) q = q.where('at', '>=', f.from);
  if (f.to) q = q.where('at', '<', f.to);
  if (f.beforeId !== undefined) q = q.where('id', '<', f.beforeId);
  return q.execute();
}

/** A number's history: its own events plus the creation of the range that made it. */
export function numberHistory(
  db: Db,
  e164: string,
  customerId: string | null,
  beforeId?: number,
  limit = 100,
) {
  let q = db
    .selectFrom('audit_events')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb.and([eb('object_type', '=', 'number'), eb('object_id', '=', e164)]),
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
      ]),
    )
    .orderBy('id', 'desc')
    .limit(limit);
  if (customerId) q = q.where('customer_id', '=', customerId);
  if (beforeId !== undefined) q = q.where('id', '<', beforeId);
  return q.execute();
}
