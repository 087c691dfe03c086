/**
 * 0002 — jobs: the record of every long or asynchronous piece of work
 * (SPEC §2 "Job"): kind, status, progress, per-item errors, who started it.
 * Workers claim queued jobs with FOR UPDATE SKIP LOCKED and hold a lease
 * (`locked_until`); a job whose lease ran out was abandoned by a dead worker
 * and is picked up again, so no job is silently lost.
 */
export const sql = /* sql */ `
CREATE TABLE jobs (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind            text NOT NULL,
  status          text NOT NULL DEFAULT 'queued' CHECK (status IN
                    ('queued', 'running', 'succeeded', 'partiallySucceeded', 'failed', 'cancelled')),
  params          jsonb NOT NULL DEFAULT '{}',
  result          jsonb,
  total           integer CHECK (total >= 0),
  done            integer NOT NULL DEFAULT 0 CHECK (done >= 0),
  failed          integer NOT NULL DEFAULT 0 CHECK (failed >= 0),
  error           text,
  created_by_id   text NOT NULL,
  created_by_name text NOT NULL,
  source          text NOT NULL DEFAULT 'api' CHECK (source IN ('api', 'ui', 'import', 'sync', 'system')),
  customer_id     uuid,
  ticket_id       text CHECK (length(ticket_id) <= 64),
  request_id      text,
  attempts        integer NOT NULL DEFAULT 0,
  max_attempts    integer NOT NULL DEFAULT 3,
  run_after       timestamptz NOT NULL DEFAULT now(),
  cancel_requested boolean NOT NULL DEFAULT false,
  locked_by       text,
  locked_until    timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  started_at      timestamptz,
  finished_at     timestamptz,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT jobs_finished_when_final CHECK (
    (status IN ('succeeded', 'partiallySucceeded', 'failed', 'cancelled')) = (finished_at IS NOT NULL))
);
-- Claiming: queued jobs due now, oldest first.
CREATE INDEX jobs_claimable ON jobs (run_after, created_at) WHERE status = 'queued';
-- Reclaiming: running jobs whose lease may have expired.
CREATE INDEX jobs_running ON jobs (locked_until) WHERE status = 'running';
CREATE INDEX jobs_list ON jobs (created_at DESC, id);
CREATE INDEX jobs_customer ON jobs (customer_id, created_at DESC) WHERE customer_id IS NOT NULL;

CREATE TABLE job_item_errors (
  job_id  uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  seq     integer NOT NULL,
  item    text NOT NULL,
  code    text NOT NULL,
  message text NOT NULL,
  PRIMARY KEY (job_id, seq)
);
`;
