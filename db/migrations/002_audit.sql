-- Audit trail: checkpoints that seal the whole log, and the application's own database role,
-- which may read and append custody events but never change or remove them.

-- A checkpoint seals every event with id <= last_event_id: chain_hash is the fold
-- sha256(previous chain_hash || event.hash) over events in id order, continued from the previous
-- checkpoint. seal is an HMAC of the checkpoint made with a key kept outside the database, so a
-- superuser who rewrites events cannot also rewrite checkpoints unnoticed.
CREATE TABLE custody_checkpoint (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_event_id  bigint NOT NULL,
    event_count    bigint NOT NULL CHECK (event_count >= 0),
    chain_hash     bytea NOT NULL,
    seal           bytea NOT NULL,
    key_id         text NOT NULL
);
CREATE UNIQUE INDEX custody_checkpoint_last ON custody_checkpoint(last_event_id);

CREATE TRIGGER custody_checkpoint_no_update BEFORE UPDATE OR DELETE ON custody_checkpoint
    FOR EACH ROW EXECUTE FUNCTION custody_event_immutable();
CREATE TRIGGER custody_checkpoint_no_truncate BEFORE TRUNCATE ON custody_checkpoint
    FOR EACH STATEMENT EXECUTE FUNCTION custody_event_immutable();

-- A correction is a new event naming the corrected one, with a reason (EU GMP Annex 11 §9).
ALTER TABLE custody_event ADD CONSTRAINT custody_event_correction_reason
    CHECK (corrects_event IS NULL OR reason IS NOT NULL);

-- The role the application runs as. Roles are cluster-wide, so create it only once.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cryoledger_app') THEN
        CREATE ROLE cryoledger_app LOGIN;
    END IF;
END $$;

GRANT USAGE ON SCHEMA public TO cryoledger_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO cryoledger_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO cryoledger_app;
REVOKE UPDATE, DELETE, TRUNCATE ON custody_event, custody_checkpoint FROM cryoledger_app;
REVOKE DELETE, TRUNCATE ON custody_head FROM cryoledger_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migration, lot_transition, vial_transition FROM cryoledger_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO cryoledger_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO cryoledger_app;

-- Checkpoints must see every event that can still commit below them: the lock waits for
-- appends in flight and for other checkpoints. The application's role may not take that lock itself, so it calls this.
CREATE FUNCTION custody_lock_for_checkpoint() RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    LOCK TABLE custody_event IN SHARE ROW EXCLUSIVE MODE;
END $$;
REVOKE ALL ON FUNCTION custody_lock_for_checkpoint() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION custody_lock_for_checkpoint() TO cryoledger_app;
GRANT INSERT ON custody_checkpoint TO cryoledger_app;
