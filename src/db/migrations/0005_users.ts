/**
 * 0005 — people who sign in to the portal (SPEC §9 "Portal", R-1) and their
 * sessions. A user holds permissions and a scope exactly as an API token
 * does. Passwords are stored only as scrypt hashes (self-describing:
 * `scrypt$N$r$p$salt$hash`, so the cost can be raised later without a
 * migration). Sessions are stored by the SHA-256 of their cookie secret: a
 * copy of this table does not let anyone sign in.
 */
export const sql = /* sql */ `
CREATE TABLE users (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email               text NOT NULL CHECK (email = lower(email) AND email ~ '^[^@\\s]+@[^@\\s]+$'
                        AND length(email) <= 254),
  name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  password_hash       text NOT NULL CHECK (password_hash LIKE 'scrypt$%'),
  permissions         text[] NOT NULL CHECK (permissions <@ ARRAY['read', 'write', 'delete', 'admin']
                        AND cardinality(permissions) > 0),
  scope               text NOT NULL CHECK (scope = 'operator' OR scope ~ '^customer:[0-9a-f-]{36}$'),
  disabled            boolean NOT NULL DEFAULT false,
  failed_sign_ins     integer NOT NULL DEFAULT 0 CHECK (failed_sign_ins >= 0),
  sign_in_blocked_until timestamptz,
  last_sign_in_at     timestamptz,
  created_by          text,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  version             integer NOT NULL DEFAULT 1
);
-- One account per e-mail address (stored lower-case, so the rule is case-insensitive).
CREATE UNIQUE INDEX users_email ON users (email);
CREATE INDEX users_scope ON users (scope, email);

CREATE TABLE user_sessions (
  id_hash      text PRIMARY KEY,
  user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  user_agent   text,
  CHECK (expires_at > created_at)
);
CREATE INDEX user_sessions_user ON user_sessions (user_id);
CREATE INDEX user_sessions_expires ON user_sessions (expires_at);
`;
