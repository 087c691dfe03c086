/**
 * 0008 — the five remaining references of numbers (customer, civic address,
 * civic address of the customer, location of the address, service of the
 * customer; added by 0004 as row-level foreign keys) are checked once per
 * statement, like ranges and sites since 0006.
 *
 * Why: PostgreSQL queues one referential trigger event per inserted row and
 * foreign key, even when the key is NULL. For a 1,000,000-number range
 * (every one of those keys NULL) the five keys cost ~5 s of ~15 s (measured
 * on this 2-core machine: 15.3 s → 10.2 s without them); for an import, the
 * same per row.
 *
 * How: one scan of the statement's new rows collects their distinct key
 * combinations (a range has exactly one); the referenced rows are locked FOR
 * KEY SHARE, as a foreign key does, so a concurrent delete of a customer,
 * address, location or service waits for this transaction and then sees its
 * numbers; then each combination is checked with the foreign keys' exact
 * MATCH SIMPLE meaning (a composite key with a NULL part is not checked).
 * The other side — deleting or re-keying a referenced row — is refused by
 * statement-level guards, as 0006 does for ranges and sites. Violations raise
 * foreign_key_violation with constraint 'numbers_references'.
 *
 * Also: the two regular-expression checks of every new number (E.164 and
 * country) are rewritten without the regex engine, same meaning and names
 * (PostgreSQL converts each value to wide characters for a regex match:
 * ~1.9 s CPU per 1,000,000 rows measured, ~1.0 s for these).
 */
export const sql = /* sql */ `
ALTER TABLE numbers DROP CONSTRAINT numbers_customer_id_fkey;
ALTER TABLE numbers DROP CONSTRAINT numbers_civic_address_fk;
ALTER TABLE numbers DROP CONSTRAINT numbers_civic_address_customer_fk;
ALTER TABLE numbers DROP CONSTRAINT numbers_location_fk;
ALTER TABLE numbers DROP CONSTRAINT numbers_service_customer_fk;

-- Was e164 ~ '^[+][1-9][0-9]{0,14}$'; the column is C-collated (byte comparisons).
ALTER TABLE numbers DROP CONSTRAINT numbers_e164_check,
  ADD CONSTRAINT numbers_e164_check CHECK (length(e164) BETWEEN 2 AND 16
    AND left(e164, 2) BETWEEN '+1' AND '+9' AND ltrim(substr(e164, 2), '0123456789') = '');
-- Was country ~ '^[A-Z]{2}$'.
ALTER TABLE numbers DROP CONSTRAINT numbers_country_check,
  ADD CONSTRAINT numbers_country_check CHECK (length(country) = 2
    AND ltrim(country, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') = '');

CREATE TYPE numbers_reference_keys AS (
  range_id uuid, site_id uuid, customer_id uuid, civic_address_id uuid, location_id uuid, service_id uuid
);

CREATE OR REPLACE FUNCTION numbers_check_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  keys numbers_reference_keys[];
  bad numbers_reference_keys;
  e164 text;
BEGIN
  -- One pass over the new rows (hash aggregate): their distinct references.
  SELECT array_agg(ROW(d.range_id, d.site_id, d.customer_id, d.civic_address_id, d.location_id,
                       d.service_id)::numbers_reference_keys)
    INTO keys
    FROM (SELECT DISTINCT n.range_id, n.site_id, n.customer_id, n.civic_address_id, n.location_id,
                 n.service_id
            FROM new_numbers n) d
   WHERE d.range_id IS NOT NULL OR d.site_id IS NOT NULL OR d.customer_id IS NOT NULL
      OR d.civic_address_id IS NOT NULL OR d.location_id IS NOT NULL OR d.service_id IS NOT NULL;
  IF keys IS NULL THEN
    RETURN NULL;
  END IF;

  -- What a foreign key does: hold the referenced rows until commit.
  PERFORM 1 FROM customers c
   WHERE c.id IN (SELECT k.customer_id FROM unnest(keys) k WHERE k.customer_id IS NOT NULL)
   ORDER BY c.id FOR KEY SHARE;
  PERFORM 1 FROM civic_addresses a
   WHERE a.id IN (SELECT k.civic_address_id FROM unnest(keys) k WHERE k.civic_address_id IS NOT NULL)
   ORDER BY a.id FOR KEY SHARE;
  PERFORM 1 FROM locations l
   WHERE l.id IN (SELECT k.location_id FROM unnest(keys) k WHERE k.location_id IS NOT NULL)
   ORDER BY l.id FOR KEY SHARE;
  PERFORM 1 FROM services s
   WHERE s.id IN (SELECT k.service_id FROM unnest(keys) k WHERE k.service_id IS NOT NULL)
   ORDER BY s.id FOR KEY SHARE;

  SELECT k.* INTO bad FROM unnest(keys) k
   WHERE (k.range_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ranges r WHERE r.id = k.range_id))
      OR (k.site_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM sites s WHERE s.id = k.site_id))
      OR (k.customer_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = k.customer_id))
      OR (k.civic_address_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM civic_addresses a WHERE a.id = k.civic_address_id))
      OR (k.civic_address_id IS NOT NULL AND k.customer_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM civic_addresses a
                           WHERE a.id = k.civic_address_id AND a.customer_id = k.customer_id))
      OR (k.location_id IS NOT NULL AND k.civic_address_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM locations l
                           WHERE l.id = k.location_id AND l.civic_address_id = k.civic_address_id))
      OR (k.service_id IS NOT NULL AND k.customer_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM services s
                           WHERE s.id = k.service_id AND s.customer_id = k.customer_id))
   LIMIT 1;
  IF FOUND THEN
    SELECT n.e164 INTO e164 FROM new_numbers n
     WHERE n.range_id IS NOT DISTINCT FROM bad.range_id AND n.site_id IS NOT DISTINCT FROM bad.site_id
       AND n.customer_id IS NOT DISTINCT FROM bad.customer_id
       AND n.civic_address_id IS NOT DISTINCT FROM bad.civic_address_id
       AND n.location_id IS NOT DISTINCT FROM bad.location_id
       AND n.service_id IS NOT DISTINCT FROM bad.service_id
     LIMIT 1;
    RAISE EXCEPTION 'number % refers to a range, site, customer, civic address, location or service that does not exist or is not its customer''s', e164
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'numbers_references';
  END IF;
  RETURN NULL;
END $$;

-- The other side: a customer, civic address, location or service that numbers
-- refer to cannot be deleted, nor its key (id, or id + customer) changed.
CREATE FUNCTION numbers_referenced_guard_holders() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE bad text;
BEGIN
  IF TG_TABLE_NAME = 'customers' THEN
    SELECT o.id::text INTO bad FROM old_rows o
     WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = o.id)
       AND EXISTS (SELECT 1 FROM numbers n WHERE n.customer_id = o.id) LIMIT 1;
  ELSIF TG_TABLE_NAME = 'civic_addresses' THEN
    SELECT o.id::text INTO bad FROM old_rows o
     WHERE (NOT EXISTS (SELECT 1 FROM civic_addresses a WHERE a.id = o.id)
            AND EXISTS (SELECT 1 FROM numbers n WHERE n.civic_address_id = o.id))
        OR (o.customer_id IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM civic_addresses a WHERE a.id = o.id AND a.customer_id = o.customer_id)
            AND EXISTS (SELECT 1 FROM numbers n WHERE n.civic_address_id = o.id AND n.customer_id = o.customer_id))
     LIMIT 1;
  ELSIF TG_TABLE_NAME = 'locations' THEN
    SELECT o.id::text INTO bad FROM old_rows o
     WHERE NOT EXISTS (SELECT 1 FROM locations l WHERE l.id = o.id AND l.civic_address_id = o.civic_address_id)
       AND EXISTS (SELECT 1 FROM numbers n
                    WHERE n.civic_address_id = o.civic_address_id AND n.location_id = o.id)
     LIMIT 1;
  ELSE
    SELECT o.id::text INTO bad FROM old_rows o
     WHERE NOT EXISTS (SELECT 1 FROM services s WHERE s.id = o.id AND s.customer_id = o.customer_id)
       AND EXISTS (SELECT 1 FROM numbers n WHERE n.service_id = o.id AND n.customer_id = o.customer_id)
     LIMIT 1;
  END IF;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION '% % still has numbers', TG_TABLE_NAME, bad
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'numbers_references';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER customers_referenced_delete AFTER DELETE ON customers
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION numbers_referenced_guard_holders();
CREATE TRIGGER customers_referenced_update AFTER UPDATE ON customers
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION numbers_referenced_guard_holders();
CREATE TRIGGER civic_addresses_referenced_delete AFTER DELETE ON civic_addresses
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION numbers_referenced_guard_holders();
CREATE TRIGGER civic_addresses_referenced_update AFTER UPDATE ON civic_addresses
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION numbers_referenced_guard_holders();
CREATE TRIGGER locations_referenced_delete AFTER DELETE ON locations
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION numbers_referenced_guard_holders();
CREATE TRIGGER locations_referenced_update AFTER UPDATE ON locations
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION numbers_referenced_guard_holders();
CREATE TRIGGER services_referenced_delete AFTER DELETE ON services
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION numbers_referenced_guard_holders();
CREATE TRIGGER services_referenced_update AFTER UPDATE ON services
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION numbers_referenced_guard_holders();

`;
