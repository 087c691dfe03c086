/**
 * 0013 — three CHECK constraints of numbers evaluated more cheaply, same
 * names and the same meaning (issue #2: a 1,000,000-number range ≤ 10 s).
 *
 * Why: PostgreSQL evaluates every CHECK for every inserted row. Measured per
 * row (backend CPU of a 1M-row INSERT … SELECT into a copy of numbers with one
 * check at a time, against none; loaded 2-core machine, medians of 3–5):
 * numbers_e164_check ~690 ns, numbers_country_check ~230 ns,
 * numbers_capabilities_check ~90 ns; every other check 10–40 ns.
 *
 * - e164 and country: 0008's `ltrim(text, set)` takes the multibyte path in a
 *   UTF-8 database (it measures every character of the value and of the set,
 *   then compares them pairwise). The same trim on the bytes (`text::bytea` is
 *   a binary-coercible relabel, no copy) compares single bytes. UTF-8 never
 *   uses ASCII bytes inside a multibyte character, so "only ASCII digits /
 *   letters" means the same on bytes as on characters. The first two
 *   characters are checked by two byte-wise comparisons (the column is
 *   C-collated): '+1' ≤ e164 < '+:' ⇔ '+' then a digit 1–9 (':' follows '9').
 *   e164: ^[+][1-9][0-9]{0,14}$ — rtrim of the trailing digits leaves exactly
 *   '+', the second byte is 1–9, at most 16 bytes.
 *   country: ^[A-Z]{2}$ — 2 bytes, both A–Z.
 * - capabilities: a new number's array is empty ('{}', the default); the
 *   containment test detoasts and walks both arrays, `cardinality(…) = 0`
 *   answers the empty case first (an empty array is contained in any array).
 *
 * test/db/schema.test.ts compares the checks with the patterns over edge cases.
 *
 * Also: the statement-level reference check of 0008 (numbers_check_references)
 * collected the new rows' distinct reference keys with a hash aggregate over
 * six columns, ~340 ns per row (a 1M range: ~0.3 s). Nearly every statement
 * gives all its rows the same keys (a range: its range and site; a bulk
 * action: its holder), so it now first compares every row with the first
 * (~100 ns a row, no hashing) and hashes only when some row differs. The rest
 * of the function — locks, the MATCH SIMPLE checks, the error — is 0008's,
 * unchanged.
 */
export const sql = /* sql */ `
ALTER TABLE numbers DROP CONSTRAINT numbers_e164_check,
  ADD CONSTRAINT numbers_e164_check CHECK (e164 COLLATE "C" >= '+1' AND e164 COLLATE "C" < '+:'
    AND octet_length(e164) <= 16
    AND rtrim(e164::bytea, '\\x30313233343536373839'::bytea) = '\\x2b'::bytea);
ALTER TABLE numbers DROP CONSTRAINT numbers_country_check,
  ADD CONSTRAINT numbers_country_check CHECK (octet_length(country) = 2
    AND ltrim(country::bytea, '\\x4142434445464748494a4b4c4d4e4f505152535455565758595a'::bytea) = '\\x'::bytea);
ALTER TABLE numbers DROP CONSTRAINT numbers_capabilities_check,
  ADD CONSTRAINT numbers_capabilities_check CHECK (cardinality(capabilities) = 0
    OR capabilities <@ ARRAY['inboundCalling', 'outboundCalling', 'inboundSms', 'outboundSms', 'mobile']);

CREATE OR REPLACE FUNCTION numbers_check_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  keys numbers_reference_keys[];
  bad numbers_reference_keys;
  e164 text;
  k1 numbers_reference_keys;
BEGIN
  -- The new rows' distinct references. Most statements (a range, a bulk
  -- action) give every row the same ones: compare each row with the first
  -- (no hashing); only if some row differs, collect them with a hash aggregate.
  SELECT n.range_id, n.site_id, n.customer_id, n.civic_address_id, n.location_id, n.service_id
    INTO k1 FROM new_numbers n LIMIT 1;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM new_numbers n
                  WHERE n.range_id IS DISTINCT FROM k1.range_id OR n.site_id IS DISTINCT FROM k1.site_id
                     OR n.customer_id IS DISTINCT FROM k1.customer_id
                     OR n.civic_address_id IS DISTINCT FROM k1.civic_address_id
                     OR n.location_id IS DISTINCT FROM k1.location_id
                     OR n.service_id IS DISTINCT FROM k1.service_id) THEN
    IF k1.range_id IS NOT NULL OR k1.site_id IS NOT NULL OR k1.customer_id IS NOT NULL
       OR k1.civic_address_id IS NOT NULL OR k1.location_id IS NOT NULL OR k1.service_id IS NOT NULL THEN
      keys := ARRAY[k1];
    END IF;
  ELSE
    SELECT array_agg(ROW(d.range_id, d.site_id, d.customer_id, d.civic_address_id, d.location_id,
                         d.service_id)::numbers_reference_keys)
      INTO keys
      FROM (SELECT DISTINCT n.range_id, n.site_id, n.customer_id, n.civic_address_id, n.location_id,
                   n.service_id
              FROM new_numbers n) d
     WHERE d.range_id IS NOT NULL OR d.site_id IS NOT NULL OR d.customer_id IS NOT NULL
        OR d.civic_address_id IS NOT NULL OR d.location_id IS NOT NULL OR d.service_id IS NOT NULL;
  END IF;
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
`;
