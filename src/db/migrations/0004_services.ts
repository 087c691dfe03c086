/**
 * 0004 — customer services (SPEC §5, R-30), consents / Requests for
 * Information, civic addresses and locations (SPEC §6), and the
 * constraints that tie a number's service and emergency address to the
 * customer holding it. Every such tie is a (composite) foreign key, so no code
 * path can point a customer's number at another customer's service or address.
 */
export const sql = /* sql */ `
CREATE TABLE services (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  customer_id        uuid NOT NULL REFERENCES customers (id),
  platform           text NOT NULL CHECK (platform IN
                       ('teamsOperatorConnect', 'teamsPhoneMobile', 'webexCloudConnect', 'hostedVoice')),
  -- R-30; "gone" is the row's deletion.
  status             text NOT NULL CHECK (status IN
                       ('pendingConsent', 'pendingProvisioning', 'ready', 'removing')),
  sync_enabled       boolean NOT NULL DEFAULT false,
  mode               text CHECK (mode IN ('integrated', 'nonIntegrated')),
  sip_connection     text CHECK (length(sip_connection) BETWEEN 1 AND 200),
  calling_profile_id text CHECK (length(calling_profile_id) BETWEEN 1 AND 200),
  quantity           integer CHECK (quantity >= 0),
  site_id            uuid REFERENCES sites (id),
  consented_at       timestamptz,
  last_modified_at   timestamptz NOT NULL DEFAULT now(),
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  version            integer NOT NULL DEFAULT 1,
  -- the target of numbers' composite foreign key (a number's service is its holder's)
  CONSTRAINT services_id_customer UNIQUE (id, customer_id),
  -- Webex Cloud Connect has a mode; nothing else does.
  CONSTRAINT services_mode_webex CHECK ((mode IS NOT NULL) = (platform = 'webexCloudConnect')),
  -- Hosted voice is seats at a site.
  CONSTRAINT services_hosted_voice CHECK (
    (platform = 'hostedVoice') = (quantity IS NOT NULL)
    AND (platform <> 'hostedVoice' OR site_id IS NOT NULL))
);
CREATE INDEX services_customer ON services (customer_id, created_at);
CREATE INDEX services_site ON services (site_id, customer_id) WHERE site_id IS NOT NULL;

-- SPEC §5 consents ("Requests for Information"): keyed by the Teams tenant id,
-- so platform sync upserts them by the platform's own key.
CREATE TABLE consents (
  tenant_id                uuid PRIMARY KEY,
  external_id              text,
  platform_status          text NOT NULL DEFAULT 'active'
                             CHECK (platform_status IN ('active', 'suspended', 'removed')),
  consented_at             timestamptz,
  platform_modified_at     timestamptz,
  consented_countries      text[] NOT NULL DEFAULT '{}'
                             CHECK (array_to_string(consented_countries, ',') ~ '^([A-Z]{2}(,[A-Z]{2})*)?$'),
  contacts                 jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(contacts) = 'array'),
  relationship_status      text NOT NULL DEFAULT 'consentAcknowledged' CHECK (relationship_status IN
                             ('consentAcknowledged', 'customerContacted', 'agreementSigned',
                              'consentDeclined', 'contractTerminated')),
  relationship_reason      text CHECK (length(relationship_reason) <= 500),
  relationship_ticket_id   text CHECK (length(relationship_ticket_id) <= 64),
  relationship_modified_at timestamptz NOT NULL DEFAULT now(),
  customer_id              uuid UNIQUE REFERENCES customers (id),
  source                   text NOT NULL CHECK (source IN ('api', 'ui', 'import', 'sync', 'system')),
  created_at               timestamptz NOT NULL DEFAULT now(),
  updated_at               timestamptz NOT NULL DEFAULT now(),
  version                  integer NOT NULL DEFAULT 1,
  -- R-34: declining or terminating needs a reason.
  CONSTRAINT consents_reason_required CHECK (
    relationship_status NOT IN ('consentDeclined', 'contractTerminated')
    OR btrim(coalesce(relationship_reason, '')) <> '')
);
CREATE INDEX consents_relationship ON consents (relationship_status, tenant_id);

-- SPEC §6: civic addresses; customer_id NULL = the operator's own.
-- source 'sync' = configured by the customer on its platform, read-only here.
CREATE TABLE civic_addresses (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  customer_id  uuid REFERENCES customers (id),
  source       text NOT NULL CHECK (source IN ('operator', 'sync')),
  external_id  text,
  company_name text CHECK (length(company_name) <= 200),
  description  text CHECK (length(description) <= 500),
  street       text CHECK (length(street) <= 300),
  city         text CHECK (length(city) <= 200),
  region       text CHECK (length(region) <= 200),
  postal_code  text CHECK (length(postal_code) <= 50),
  country      text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
  validated    boolean NOT NULL DEFAULT false,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  version      integer NOT NULL DEFAULT 1,
  CONSTRAINT civic_addresses_id_customer UNIQUE (id, customer_id),
  CONSTRAINT civic_addresses_synced_have_external_id CHECK (source <> 'sync' OR external_id IS NOT NULL)
);
CREATE UNIQUE INDEX civic_addresses_external ON civic_addresses
  (coalesce(customer_id, '00000000-0000-0000-0000-000000000000'::uuid), external_id)
  WHERE external_id IS NOT NULL;
CREATE INDEX civic_addresses_customer ON civic_addresses (customer_id, created_at, id);

CREATE TABLE locations (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  civic_address_id uuid NOT NULL REFERENCES civic_addresses (id) ON DELETE CASCADE,
  external_id      text,
  description      text CHECK (length(description) <= 500),
  additional_info  text CHECK (length(additional_info) <= 500),
  is_default       boolean NOT NULL DEFAULT false,
  elin             text CHECK (length(elin) <= 50),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT locations_id_address UNIQUE (id, civic_address_id)
);
-- One default location per address.
CREATE UNIQUE INDEX locations_one_default ON locations (civic_address_id) WHERE is_default;
CREATE UNIQUE INDEX locations_external ON locations (civic_address_id, external_id)
  WHERE external_id IS NOT NULL;

-- Numbers: emergency ids become references to our own addresses and locations.
ALTER TABLE numbers ALTER COLUMN civic_address_id TYPE uuid USING civic_address_id::uuid;
ALTER TABLE numbers ALTER COLUMN location_id TYPE uuid USING location_id::uuid;
ALTER TABLE numbers
  ADD CONSTRAINT numbers_civic_address_fk FOREIGN KEY (civic_address_id) REFERENCES civic_addresses (id),
  -- a customer's number only points at that customer's addresses
  ADD CONSTRAINT numbers_civic_address_customer_fk FOREIGN KEY (civic_address_id, customer_id)
    REFERENCES civic_addresses (id, customer_id),
  -- the location belongs to the number's address
  ADD CONSTRAINT numbers_location_fk FOREIGN KEY (location_id, civic_address_id)
    REFERENCES locations (id, civic_address_id),
  ADD CONSTRAINT numbers_location_needs_address CHECK (location_id IS NULL OR civic_address_id IS NOT NULL),
  -- a number's service belongs to the customer holding the number
  ADD CONSTRAINT numbers_service_customer_fk FOREIGN KEY (service_id, customer_id)
    REFERENCES services (id, customer_id),
  ADD CONSTRAINT numbers_service_needs_customer CHECK (service_id IS NULL OR customer_id IS NOT NULL);
CREATE INDEX numbers_service ON numbers (service_id, e164) WHERE service_id IS NOT NULL;
CREATE INDEX numbers_civic_address ON numbers (civic_address_id) WHERE civic_address_id IS NOT NULL;
-- R-35: the SBC routing export pages through exactly these rows by e164.
CREATE INDEX numbers_routing ON numbers (e164)
  WHERE status IN ('active', 'assigned') AND source <> 'sync';
`;
