-- The web console (issue 15): users sign in with a login name and their password; sessions live here.
-- Login names are unique whatever their case; a user is deactivated, never deleted (signatures keep the name).
ALTER TABLE app_user ADD COLUMN login text CHECK (login ~ '^[A-Za-z][A-Za-z0-9._-]{1,63}$');
ALTER TABLE app_user ADD COLUMN deactivated_at timestamptz;
CREATE UNIQUE INDEX app_user_login_unique ON app_user (lower(login));

-- A session is known by the SHA-256 of its cookie value, so a database read does not yield usable cookies.
-- It ends at sign-out, at sign-in again (rotation), or after its idle time-out; ended sessions stay as a record.
CREATE TABLE console_session (
    id_hash      bytea PRIMARY KEY CHECK (length(id_hash) = 32),
    user_id      bigint NOT NULL REFERENCES app_user(id),
    csrf_token   text NOT NULL CHECK (length(csrf_token) >= 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    ended_at     timestamptz,
    end_reason   text CHECK (end_reason IN ('signed-out', 'idle', 'replaced', 'deactivated', 'locked'))
);
CREATE INDEX console_session_user ON console_session (user_id) WHERE ended_at IS NULL;
REVOKE DELETE, TRUNCATE ON console_session FROM cryoledger_app;

-- A CSV uploaded in the console for import: kept between the dry run and the confirmed import (so the file
-- that was checked is the file that is imported), with the rejects of its last run for download.
CREATE TABLE console_upload (
    id          uuid PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES app_user(id),
    kind        text NOT NULL CHECK (kind IN ('donors', 'lots', 'vials', 'placements')),
    file_name   text NOT NULL,
    content     bytea NOT NULL,
    rejects_csv bytea,
    imported_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
