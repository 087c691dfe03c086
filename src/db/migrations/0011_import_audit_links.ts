/**
 * 0011 — an import's audit trail as ONE `import.commit` audit event plus a
 * narrow per-number link (issue 3, SPEC §4 / §11), the way a range's numbers
 * point to their one `range.create` event through `range_id`.
 *
 * `import_numbers` says "this number was added by that import event, for that
 * customer (or none: available)"; a number's history joins it by e164, and a
 * customer-scoped caller sees the import event only through its own rows.
 * `import_event_customers` lists the customers an import gave numbers to, so
 * `GET /audit-events` filtered by customer (and customer-scoped callers) find
 * the import event without scanning a million links.
 *
 * Both are audit records: never updated or deleted (the audit trigger). No
 * foreign keys: a per-row check of 1M links would cost seconds, the rows are
 * written only by the import's merge next to the event they name, and a
 * number's links outlive the number, as its audit events do. The primary key
 * leads with e164 (Citus: distributable by e164 like numbers).
 */
export const sql = /* sql */ `
CREATE TABLE import_numbers (
  e164        text COLLATE "C" NOT NULL,
  event_id    bigint NOT NULL,
  -- The holder the import gave the number to (reserved); NULL: available.
  customer_id uuid,
  PRIMARY KEY (e164, event_id)
);
CREATE TABLE import_event_customers (
  event_id    bigint NOT NULL,
  customer_id uuid NOT NULL,
  PRIMARY KEY (customer_id, event_id)
);
CREATE TRIGGER import_numbers_no_update BEFORE UPDATE OR DELETE ON import_numbers
  FOR EACH ROW EXECUTE FUNCTION audit_events_immutable();
CREATE TRIGGER import_numbers_no_truncate BEFORE TRUNCATE ON import_numbers
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_immutable();
CREATE TRIGGER import_event_customers_no_update BEFORE UPDATE OR DELETE ON import_event_customers
  FOR EACH ROW EXECUTE FUNCTION audit_events_immutable();
CREATE TRIGGER import_event_customers_no_truncate BEFORE TRUNCATE ON import_event_customers
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_immutable();
`;
