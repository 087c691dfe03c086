/**
 * 0007 — platform sync (SPEC §3.3, §8): per-number sync state, the
 * transactional outbox, and the differences a refresh finds.
 *
 * Why a trigger enqueues pushes: numbers reach a synced service through many
 * paths (service uploads, PATCH, automatic allocation, imports, lifecycle
 * actions). A BEFORE UPDATE row trigger, guarded by a WHEN clause on the
 * columns the platform sees, writes the outbox row, the push job and the R-13
 * pending operation in the very statement that changes the number — so no
 * path can forget it and the change commits or rolls back together with its
 * push (SPEC §8 "transactional outbox"). INSERTs (range creation, 1M rows)
 * never fire it; UPDATEs that touch none of the watched columns pay one WHEN
 * evaluation per row. One job per (transaction, service) carries every outbox
 * row of that transaction: the job id is cached in a transaction-local setting.
 */
export const sql = /* sql */ `
ALTER TABLE numbers
  ADD COLUMN sync_state text CHECK (sync_state IN
    ('pendingFirstSync', 'active', 'releaseRequested', 'markedForRemoval', 'readyForRemoval', 'failed')),
  ADD COLUMN sync_errors jsonb CHECK (sync_errors IS NULL OR jsonb_typeof(sync_errors) = 'array'),
  ADD COLUMN last_synced_at timestamptz,
  ADD COLUMN upstream_job_id text;
-- Lists filter by sync state; partial, so unsynced numbers (nearly all) cost nothing.
CREATE INDEX numbers_sync_state ON numbers (sync_state, e164) WHERE sync_state IS NOT NULL;

-- The outbox: what a push job still has to deliver. Rows leave only when the
-- platform confirmed them (at-least-once); a crashed job finds them again.
CREATE TABLE sync_outbox (
  job_id     uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  service_id uuid NOT NULL REFERENCES services (id) ON DELETE CASCADE,
  e164       text COLLATE "C" NOT NULL,
  op         text NOT NULL CHECK (op IN ('push', 'delete', 'release')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, service_id, e164)
);
CREATE INDEX sync_outbox_e164 ON sync_outbox (e164);

-- What a refresh found; nothing in Numbat changes until the operator applies a row.
CREATE TABLE sync_differences (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  refresh_job_id uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  service_id     uuid NOT NULL REFERENCES services (id) ON DELETE CASCADE,
  customer_id    uuid NOT NULL REFERENCES customers (id),
  e164           text COLLATE "C" NOT NULL,
  kind           text NOT NULL CHECK (kind IN
                   ('missingUpstream', 'missingHere', 'fieldDrift', 'assignment', 'tenantDeleted')),
  details        jsonb NOT NULL DEFAULT '{}',
  status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'applied', 'superseded')),
  created_at     timestamptz NOT NULL DEFAULT now(),
  applied_at     timestamptz,
  CONSTRAINT sync_differences_applied CHECK ((status = 'applied') = (applied_at IS NOT NULL))
);
CREATE INDEX sync_differences_list ON sync_differences (created_at DESC, id DESC);
CREATE INDEX sync_differences_customer ON sync_differences (customer_id, created_at DESC, id DESC);
CREATE INDEX sync_differences_open ON sync_differences (service_id, e164) WHERE status = 'open';

-- Whether numbers on this service are pushed to its platform (SPEC §5: integrated Webex only).
CREATE FUNCTION numbat_service_synced(p_service uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT coalesce((SELECT s.sync_enabled AND (s.platform IN ('teamsOperatorConnect', 'teamsPhoneMobile')
                     OR (s.platform = 'webexCloudConnect' AND s.mode = 'integrated'))
                   FROM services s WHERE s.id = p_service), false)
$$;

-- The push job of this transaction for a service (created on first use).
CREATE FUNCTION numbat_sync_job(p_service uuid) RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
  k text := 'numbat.sync_job_' || replace(p_service::text, '-', '');
  j uuid := nullif(current_setting(k, true), '')::uuid;
BEGIN
  IF j IS NULL OR NOT EXISTS (SELECT 1 FROM jobs WHERE id = j AND status = 'queued') THEN
    INSERT INTO jobs (kind, params, created_by_id, created_by_name, source, customer_id, max_attempts)
    SELECT 'sync.push', jsonb_build_object('serviceId', s.id), 'system', 'platform sync', 'system',
           s.customer_id, 8
    FROM services s WHERE s.id = p_service
    RETURNING id INTO j;
    PERFORM set_config(k, j::text, true);
  END IF;
  RETURN j;
END $$;

CREATE FUNCTION numbers_sync_enqueue() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  j uuid;
BEGIN
  -- Leaving the customer after the platform confirmed (release) or after the
  -- tenant deleted it (approve): nothing left to tell the platform.
  IF OLD.sync_state IN ('releaseRequested', 'readyForRemoval') THEN
    IF NEW.service_id IS NULL THEN
      NEW.sync_state := NULL;
      NEW.sync_errors := NULL;
    END IF;
    RETURN NEW;
  END IF;
  -- Off a synced service (moved, deallocated): delete it upstream.
  IF OLD.service_id IS NOT NULL AND OLD.service_id IS DISTINCT FROM NEW.service_id
     AND OLD.sync_state IS NOT NULL AND OLD.sync_state <> 'markedForRemoval' THEN
    j := numbat_sync_job(OLD.service_id);
    INSERT INTO sync_outbox (job_id, service_id, e164, op) VALUES (j, OLD.service_id, NEW.e164, 'delete')
      ON CONFLICT (job_id, service_id, e164) DO UPDATE SET op = EXCLUDED.op;
    NEW.pending_job_id := j;
    NEW.pending_action := 'syncDelete';
  END IF;
  IF NEW.service_id IS NOT NULL AND numbat_service_synced(NEW.service_id) THEN
    IF NEW.sync_state = 'markedForRemoval' AND OLD.service_id = NEW.service_id THEN
      RETURN NEW; -- waits for the operator's approve or reactivate
    END IF;
    j := numbat_sync_job(NEW.service_id);
    INSERT INTO sync_outbox (job_id, service_id, e164, op) VALUES (j, NEW.service_id, NEW.e164, 'push')
      ON CONFLICT (job_id, service_id, e164) DO UPDATE SET op = EXCLUDED.op;
    NEW.pending_job_id := j;
    NEW.pending_action := 'syncPush';
    IF OLD.service_id IS DISTINCT FROM NEW.service_id OR NEW.sync_state IS NULL
       OR NEW.last_synced_at IS NULL THEN
      NEW.sync_state := 'pendingFirstSync';
      NEW.last_synced_at := NULL;
    END IF;
  ELSE
    NEW.sync_state := NULL;
    NEW.sync_errors := NULL;
    NEW.last_synced_at := NULL;
    NEW.upstream_job_id := NULL;
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER numbers_sync_enqueue BEFORE UPDATE ON numbers FOR EACH ROW
  WHEN ((OLD.service_id IS NOT NULL OR NEW.service_id IS NOT NULL) AND (
    OLD.service_id IS DISTINCT FROM NEW.service_id
    OR OLD.usage IS DISTINCT FROM NEW.usage
    OR OLD.capabilities IS DISTINCT FROM NEW.capabilities
    OR OLD.civic_address_id IS DISTINCT FROM NEW.civic_address_id
    OR OLD.location_id IS DISTINCT FROM NEW.location_id
    OR OLD.customer_may_update IS DISTINCT FROM NEW.customer_may_update
    OR OLD.custom_sip_header IS DISTINCT FROM NEW.custom_sip_header
    OR (OLD.status IN ('active', 'assigned')) IS DISTINCT FROM (NEW.status IN ('active', 'assigned'))))
  EXECUTE FUNCTION numbers_sync_enqueue();
`;
