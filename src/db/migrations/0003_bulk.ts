/**
 * 0003 — bulk work (issue 3): durable job input files, the import commit
 * marker that makes R-50 reruns idempotent, and the jobs columns the worker
 * loop needs.
 *
 * - `job_files`: the uploaded CSV of an asynchronous import, in chunks, so any
 *   worker (after a restart, on another instance) can run or re-run the job.
 * - `import_commits`: one row per committed import, written in the same
 *   transaction as the import's numbers. A rerun of the same file (same
 *   content and options) finds it and changes nothing.
 */
export const sql = /* sql */ `
ALTER TABLE jobs ADD COLUMN heartbeat_at timestamptz;
ALTER TABLE jobs ADD COLUMN progress_note text;

CREATE TABLE job_files (
  job_id  uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  seq     integer NOT NULL CHECK (seq >= 0),
  data    bytea NOT NULL,
  PRIMARY KEY (job_id, seq)
);

CREATE TABLE import_commits (
  content_key  text PRIMARY KEY CHECK (content_key ~ '^[0-9a-f]{64}$'),
  job_id       uuid NOT NULL,
  imported     integer NOT NULL CHECK (imported >= 0),
  invalid      integer NOT NULL CHECK (invalid >= 0),
  committed_at timestamptz NOT NULL DEFAULT now()
);

-- R-51 in SQL, for exports streamed by COPY: the same function as guardCell in
-- src/domain/csv.ts (a test compares them): prefix ' to a cell that starts with
-- any number of ' followed by = + - @ tab or CR. Inlined by the planner.
CREATE FUNCTION numbat_csv_guard(v text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT CASE WHEN v ~ E'^''*[-=+@\\t\\r]' THEN '''' || v ELSE v END $$;

-- The jobs list filtered by kind / status, newest first.
CREATE INDEX jobs_kind_status ON jobs (kind, status, created_at DESC);
`;
