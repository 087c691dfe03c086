import { Type, type Static } from '@sinclair/typebox';
import type { Selectable } from 'kysely';
import type { AuditEventsTable } from '../db/schema.js';
import { DateTime, Nullable } from '../http/schemas.js';

export const AuditEventSchema = Type.Object(
  {
    id: Type.String(),
    at: DateTime,
    principal: Type.Object({ id: Type.String(), name: Type.String() }),
    source: Type.String(),
    action: Type.String(),
    object: Type.Object({ type: Type.String(), id: Type.String() }),
    customerId: Nullable(Type.String()),
    changes: Type.Record(Type.String(), Type.Unknown()),
    ticketId: Nullable(Type.String()),
    requestId: Nullable(Type.String()),
  },
  { $id: 'AuditEvent' },
);

export function presentAudit(r: Selectable<AuditEventsTable>): Static<typeof AuditEventSchema> {
  return {
    id: String(r.id),
    at: r.at.toISOString(),
    principal: { id: r.principal_id, name: r.principal_name },
    source: r.source,
    action: r.action,
    object: { type: r.object_type, id: r.object_id },
    customerId: r.customer_id,
    changes: r.changes,
    ticketId: r.ticket_id,
    requestId: r.request_id,
  };
}
