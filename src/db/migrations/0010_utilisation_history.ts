/**
 * 0010 — utilisation history (issue 6, dashboard "utilisation over time"):
 * one row per day per site and per range with its numbers counted by state,
 * plus one row per day per (site or range, customer) with that customer's
 * holdings there, so a customer admin sees its own history and nothing else.
 *
 * Taken by the recurring `utilisation.snapshot` job (once a day, in the
 * worker) and on demand; taking it again on the same day replaces that day's
 * rows (upsert), so a day never has two rows per scope.
 *
 * No foreign key to sites/ranges: the history of a deleted range stays
 * readable in the audit sense, and the snapshot never blocks a deletion.
 */
export const sql = /* sql */ `
CREATE TABLE utilisation_snapshots (
  day          date NOT NULL,
  scope_type   text NOT NULL CHECK (scope_type IN ('site', 'range')),
  scope_id     uuid NOT NULL,
  -- NULL: every number of the scope; a customer: only the numbers it holds there.
  customer_id  uuid,
  total        integer NOT NULL CHECK (total >= 0),
  available    integer NOT NULL CHECK (available >= 0),
  cooling_off  integer NOT NULL CHECK (cooling_off >= 0),
  reserved     integer NOT NULL CHECK (reserved >= 0),
  active       integer NOT NULL CHECK (active >= 0),
  assigned     integer NOT NULL CHECK (assigned >= 0),
  taken_at     timestamptz NOT NULL,
  CONSTRAINT utilisation_snapshots_counts CHECK (
    total = available + cooling_off + reserved + active + assigned)
);
-- One row per day per scope (and holder); also the history read path.
CREATE UNIQUE INDEX utilisation_snapshots_key
  ON utilisation_snapshots (scope_type, scope_id, customer_id, day) NULLS NOT DISTINCT;
-- Replacing a day's rows, and "is there a snapshot today?".
CREATE INDEX utilisation_snapshots_day ON utilisation_snapshots (day);

`;
