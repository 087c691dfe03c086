/**
 * 0001 — numbers, ranges, sites, customers, audit events, API tokens,
 * idempotency keys. Every invariant that matters is also a constraint here
 * (STYLE.md "Database"): tests are not the only guard.
 */
export const sql = /* sql */ `
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE customers (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  account_name    text NOT NULL UNIQUE CHECK (account_name ~ '^[A-Za-z0-9_-]{1,100}$'),
  status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'closed')),
  teams_tenant_id uuid UNIQUE,
  webex_org_id    text UNIQUE,
  correlation_id  text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  version         integer NOT NULL DEFAULT 1
);

CREATE TABLE sites (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name              text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
  country           text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
  address           text,
  allocation_policy text NOT NULL DEFAULT 'exact' CHECK (allocation_policy IN ('batchOf5', 'exact')),
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  version           integer NOT NULL DEFAULT 1
);

CREATE TABLE ranges (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
  start_e164  text COLLATE "C" NOT NULL CHECK (start_e164 ~ '^\\+[1-9][0-9]{0,14}$'),
  end_e164    text COLLATE "C" NOT NULL CHECK (end_e164 ~ '^\\+[1-9][0-9]{0,14}$'),
  country     text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
  site_id     uuid REFERENCES sites (id),
  carrier     text,
  ported_in   boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  version     integer NOT NULL DEFAULT 1,
  -- R-4: both ends the same length, end >= start, at most 1,000,000 numbers
  CHECK (length(start_e164) = length(end_e164)),
  CHECK (end_e164 >= start_e164),
  CHECK (substr(end_e164, 2)::numeric - substr(start_e164, 2)::numeric < 1000000)
);

CREATE TABLE numbers (
  e164                   text COLLATE "C" PRIMARY KEY CHECK (e164 ~ '^\\+[1-9][0-9]{0,14}$'),
  country                text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
  kind                   text NOT NULL CHECK (kind IN ('fixedLine', 'mobile', 'tollFree', 'premiumRate',
                           'sharedCost', 'voip', 'personal', 'uan', 'unknown')),
  extension              text,
  range_id               uuid REFERENCES ranges (id),
  site_id                uuid REFERENCES sites (id),
  status                 text NOT NULL DEFAULT 'available'
                           CHECK (status IN ('available', 'reserved', 'active', 'assigned')),
  holder_type            text CHECK (holder_type IN ('operator', 'customer')),
  customer_id            uuid REFERENCES customers (id),
  main_number            boolean NOT NULL DEFAULT false,
  locked                 boolean NOT NULL DEFAULT false,
  lock_reason            text,
  cooling_off_until      timestamptz,
  usage                  text CHECK (usage IN ('user', 'application', 'conference', 'contactCenter')),
  assignment_type        text CHECK (assignment_type IN ('user', 'conference', 'voiceApp')),
  assignment_target_id   text,
  assignment_target_name text,
  capabilities           text[] NOT NULL DEFAULT '{}' CHECK (capabilities <@ ARRAY['inboundCalling',
                           'outboundCalling', 'inboundSms', 'outboundSms', 'mobile']),
  civic_address_id       text,
  location_id            text,
  customer_may_update    boolean NOT NULL DEFAULT false,
  custom_sip_header      text CHECK (custom_sip_header ~ '^[A-Za-z0-9_-]{1,100}$'),
  sip_connection         text,
  calling_profile_id     text,
  cac_limit              integer CHECK (cac_limit >= 2),
  service_info           text CHECK (length(service_info) <= 255),
  service_id             uuid,
  source                 text NOT NULL CHECK (source IN ('api', 'ui', 'import', 'sync')),
  pending_job_id         uuid,
  pending_action         text,
  acquired_at            timestamptz,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  version                bigint NOT NULL DEFAULT 1,
  -- a holder exactly when reserved / active / assigned
  CONSTRAINT numbers_holder_iff_held CHECK ((status <> 'available') = (holder_type IS NOT NULL)),
  CONSTRAINT numbers_customer_holder CHECK ((holder_type = 'customer') = (customer_id IS NOT NULL)),
  CONSTRAINT numbers_assignment_iff_assigned CHECK ((status = 'assigned') = (assignment_type IS NOT NULL)),
  CONSTRAINT numbers_lock_reason CHECK (locked = (lock_reason IS NOT NULL)),
  CONSTRAINT numbers_cooling_only_available CHECK (cooling_off_until IS NULL OR status = 'available'),
  CONSTRAINT numbers_main_needs_site CHECK (NOT main_number OR site_id IS NOT NULL),
  CONSTRAINT numbers_main_not_application CHECK (NOT main_number OR usage IS DISTINCT FROM 'application'),
  CONSTRAINT numbers_pending_pair CHECK ((pending_job_id IS NULL) = (pending_action IS NULL))
);

-- R-21: one main number per holder per site.
CREATE UNIQUE INDEX numbers_one_main_per_holder_site ON numbers
  (holder_type, coalesce(customer_id, '00000000-0000-0000-0000-000000000000'::uuid), site_id)
  WHERE main_number AND holder_type IS NOT NULL;
-- Allocation picks from here (FOR UPDATE SKIP LOCKED); partial: only the pool.
CREATE INDEX numbers_available ON numbers (e164) WHERE status = 'available' AND NOT locked;
CREATE INDEX numbers_available_site ON numbers (site_id, e164) WHERE status = 'available' AND NOT locked;
CREATE INDEX numbers_available_range ON numbers (range_id, e164) WHERE status = 'available' AND NOT locked;
-- Filtered lists page by e164 within a filter.
CREATE INDEX numbers_customer ON numbers (customer_id, e164) WHERE customer_id IS NOT NULL;
CREATE INDEX numbers_site ON numbers (site_id, e164) WHERE site_id IS NOT NULL;
CREATE INDEX numbers_range ON numbers (range_id, e164);
CREATE INDEX numbers_status ON numbers (status, e164);
-- Partial-number search: digits anywhere in the number.
CREATE INDEX numbers_e164_trgm ON numbers USING gin (e164 gin_trgm_ops);

CREATE TABLE api_tokens (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  token_hash   text NOT NULL UNIQUE,
  prefix       text NOT NULL,
  permissions  text[] NOT NULL CHECK (permissions <@ ARRAY['read', 'write', 'delete', 'admin']
                 AND cardinality(permissions) > 0),
  scope        text NOT NULL CHECK (scope = 'operator' OR scope ~ '^customer:[0-9a-f-]{36}$'),
  created_by   text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz,
  last_used_at timestamptz,
  revoked_at   timestamptz
);

-- SPEC §11: immutable record of every change. BIGSERIAL gives a stable order.
CREATE TABLE audit_events (
  id             bigserial PRIMARY KEY,
  at             timestamptz NOT NULL DEFAULT now(),
  principal_id   text NOT NULL,
  principal_name text NOT NULL,
  source         text NOT NULL CHECK (source IN ('api', 'ui', 'import', 'sync', 'system')),
  action         text NOT NULL,
  object_type    text NOT NULL,
  object_id      text COLLATE "C" NOT NULL,
  customer_id    uuid,
  changes        jsonb NOT NULL DEFAULT '{}',
  ticket_id      text CHECK (length(ticket_id) <= 64),
  request_id     text
);
CREATE INDEX audit_events_object ON audit_events (object_type, object_id, id);
CREATE INDEX audit_events_at ON audit_events (at, id);
CREATE INDEX audit_events_customer ON audit_events (customer_id, id) WHERE customer_id IS NOT NULL;

CREATE FUNCTION audit_events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit events cannot be changed or deleted' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_immutable();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_immutable();

-- SPEC §9: Idempotency-Key replay for 24 h, per principal.
CREATE TABLE idempotency_keys (
  principal_id    text NOT NULL,
  key             text NOT NULL,
  request_hash    text NOT NULL,
  state           text NOT NULL CHECK (state IN ('running', 'done')),
  response_status integer,
  response_headers jsonb,
  response_body   text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (principal_id, key)
);

CREATE TABLE settings (
  key        text PRIMARY KEY,
  value      jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
`;
