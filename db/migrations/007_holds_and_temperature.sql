-- Holds on lots, vials, donors and freezers; where every vial was, and when; freezer temperature
-- readings; and the rule that only vials of released, unexpired, unheld lots are reserved or shipped.

CREATE EXTENSION IF NOT EXISTS btree_gist;

-- Look-back reaches lots still being made: they can be held from in-process too.
ALTER TABLE lot DROP CONSTRAINT lot_held_from_check;
ALTER TABLE lot ADD CONSTRAINT lot_held_from_check CHECK (held_from IN ('in-process', 'quarantine', 'released'));
INSERT INTO lot_transition VALUES ('in-process', 'on-hold'), ('on-hold', 'in-process');

CREATE OR REPLACE FUNCTION check_hold_lift() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'on-hold' AND NEW.status IN ('in-process', 'quarantine', 'released') AND NEW.status IS DISTINCT FROM OLD.held_from THEN
        RAISE EXCEPTION 'lot % was held from %; lifting the hold returns it there, not to %', NEW.lot_number, OLD.held_from, NEW.status
            USING ERRCODE = 'CL409', COLUMN = 'status';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION check_signed_lot_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.status IN ('rejected', 'recalled') OR (OLD.status = 'on-hold' AND NEW.status IN ('in-process', 'quarantine', 'released')))
       AND NOT EXISTS (
           SELECT 1 FROM custody_event e
           WHERE e.subject_type = 'lot' AND e.subject_id = NEW.lot_number
             AND e.to_state = NEW.status AND e.signature IS NOT NULL AND e.occurred_at = now()) THEN
        RAISE EXCEPTION 'lot % % -> % is a signing step: it needs a signed custody event in the same transaction',
            NEW.lot_number, OLD.status, NEW.status USING ERRCODE = 'CL409', COLUMN = 'signature';
    END IF;
    RETURN NULL;
END $$;

CREATE TABLE hold (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject_type  text NOT NULL CHECK (subject_type IN ('lot', 'vial', 'donor', 'freezer')),
    subject_id    text NOT NULL,
    reason        text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 500),
    source        text NOT NULL CHECK (source IN ('manual', 'look-back', 'excursion', 'shipment-excursion')),
    source_ref    text,
    placed_by     bigint NOT NULL REFERENCES app_user(id),
    placed_at     timestamptz NOT NULL DEFAULT now(),
    lifted_by     bigint REFERENCES app_user(id),
    lifted_at     timestamptz,
    lift_reason   text,
    CHECK ((lifted_at IS NULL) = (lifted_by IS NULL) AND (lifted_at IS NULL) = (lift_reason IS NULL))
);
CREATE INDEX hold_active ON hold(subject_type, subject_id) WHERE lifted_at IS NULL;

CREATE FUNCTION check_hold_subject() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    found_it boolean;
BEGIN
    found_it := CASE NEW.subject_type
        WHEN 'lot' THEN EXISTS (SELECT 1 FROM lot WHERE lot_number = NEW.subject_id)
        WHEN 'vial' THEN EXISTS (SELECT 1 FROM vial WHERE id = NEW.subject_id)
        WHEN 'donor' THEN EXISTS (SELECT 1 FROM donor WHERE code = NEW.subject_id)
        WHEN 'freezer' THEN EXISTS (SELECT 1 FROM freezer WHERE id = NEW.subject_id)
    END;
    IF NOT found_it THEN
        RAISE EXCEPTION 'no % %', NEW.subject_type, NEW.subject_id USING ERRCODE = 'CL422', COLUMN = 'subjectId';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER hold_subject_exists BEFORE INSERT ON hold FOR EACH ROW EXECUTE FUNCTION check_hold_subject();

-- A hold is history: it can only be lifted, once; never edited or deleted.
CREATE FUNCTION check_hold_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' OR OLD.lifted_at IS NOT NULL
       OR (NEW.subject_type, NEW.subject_id, NEW.reason, NEW.source, NEW.source_ref, NEW.placed_by, NEW.placed_at)
          IS DISTINCT FROM (OLD.subject_type, OLD.subject_id, OLD.reason, OLD.source, OLD.source_ref, OLD.placed_by, OLD.placed_at) THEN
        RAISE EXCEPTION 'a hold can only be lifted, once; it cannot be edited or deleted' USING ERRCODE = 'CL403';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER hold_history BEFORE UPDATE OR DELETE ON hold FOR EACH ROW EXECUTE FUNCTION check_hold_update();
CREATE TRIGGER hold_no_truncate BEFORE TRUNCATE ON hold FOR EACH STATEMENT EXECUTE FUNCTION custody_event_immutable();

-- Lifting a hold is a signing step (rule 6): it commits only with a signed custody event for it.
CREATE FUNCTION check_signed_hold_lift() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.lifted_at IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM custody_event e
        WHERE e.subject_type = CASE NEW.subject_type WHEN 'freezer' THEN 'storage' ELSE NEW.subject_type END
          AND e.subject_id = NEW.subject_id AND e.action = 'hold.lifted' AND e.details->>'hold' = NEW.id::text
          AND e.signature IS NOT NULL AND e.occurred_at = now()) THEN
        RAISE EXCEPTION 'lifting hold % is a signing step: it needs a signed custody event in the same transaction', NEW.id
            USING ERRCODE = 'CL409', COLUMN = 'signature';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER hold_signed_lift AFTER UPDATE ON hold DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION check_signed_hold_lift();

-- A lot is on hold exactly while it has an active lot hold (final states keep theirs as history).
CREATE FUNCTION lot_hold_state_ok(lot_no text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    st text;
    held boolean;
BEGIN
    SELECT status INTO st FROM lot WHERE lot_number = lot_no;
    held := EXISTS (SELECT 1 FROM hold WHERE subject_type = 'lot' AND subject_id = lot_no AND lifted_at IS NULL);
    IF st = 'on-hold' AND NOT held THEN
        RAISE EXCEPTION 'lot % is on hold with no active hold; place a hold with a reason', lot_no USING ERRCODE = 'CL409', COLUMN = 'status';
    END IF;
    IF st IN ('in-process', 'quarantine', 'released') AND held THEN
        RAISE EXCEPTION 'lot % has an active hold and must be on hold', lot_no USING ERRCODE = 'CL409', COLUMN = 'status';
    END IF;
END $$;

CREATE FUNCTION check_lot_hold_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lot_hold_state_ok(NEW.lot_number);
    RETURN NULL;
END $$;

CREATE FUNCTION check_hold_lot_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.subject_type = 'lot' THEN
        PERFORM lot_hold_state_ok(NEW.subject_id);
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER lot_hold_state AFTER INSERT OR UPDATE OF status ON lot DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION check_lot_hold_state();
CREATE CONSTRAINT TRIGGER hold_lot_state AFTER INSERT OR UPDATE ON hold DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION check_hold_lot_state();

-- Lots already on hold before holds were recorded get one, so the invariant holds from here on.
INSERT INTO hold (subject_type, subject_id, reason, source, placed_by, placed_at)
SELECT 'lot', l.lot_number, coalesce((SELECT e.reason FROM custody_event e WHERE e.subject_type = 'lot' AND e.subject_id = l.lot_number
                                      AND e.to_state = 'on-hold' ORDER BY e.seq DESC LIMIT 1), 'on hold before holds were recorded'),
       'manual', l.registered_by, l.status_changed_at
FROM lot l WHERE l.status = 'on-hold';

-- Where every vial was, and when: an excursion holds the vials that were in the freezer during it.
CREATE TABLE vial_location_history (
    vial_id    text NOT NULL REFERENCES vial(id),
    box_id     text NOT NULL REFERENCES box(id),
    row_no     smallint NOT NULL,
    column_no  smallint NOT NULL,
    during     tstzrange NOT NULL,
    CONSTRAINT vial_in_one_place_at_a_time EXCLUDE USING gist (vial_id WITH =, during WITH &&)
);
CREATE INDEX vial_location_history_box ON vial_location_history USING gist (box_id, during);
CREATE INDEX vial_location_history_vial ON vial_location_history (vial_id);

INSERT INTO vial_location_history (vial_id, box_id, row_no, column_no, during)
SELECT vial_id, box_id, row_no, column_no, tstzrange(placed_at, NULL) FROM vial_position;

-- SECURITY DEFINER: the application's role may read the history but not write it.
CREATE FUNCTION vial_position_history_close() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    UPDATE vial_location_history h SET during = tstzrange(lower(h.during), greatest(lower(h.during), now()))
    FROM old_rows o WHERE h.vial_id = o.vial_id AND upper_inf(h.during);
    RETURN NULL;
END $$;

CREATE FUNCTION vial_position_history_open() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    INSERT INTO vial_location_history (vial_id, box_id, row_no, column_no, during)
    SELECT n.vial_id, n.box_id, n.row_no, n.column_no, tstzrange(now(), NULL) FROM new_rows n;
    RETURN NULL;
END $$;

-- Statement-level with transition tables: bulk placements cost one statement, not one per row.
CREATE TRIGGER vial_position_history_update_close AFTER UPDATE ON vial_position REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION vial_position_history_close();
CREATE TRIGGER vial_position_history_update_open AFTER UPDATE ON vial_position REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION vial_position_history_open();
CREATE TRIGGER vial_position_history_delete AFTER DELETE ON vial_position REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION vial_position_history_close();
CREATE TRIGGER vial_position_history_insert AFTER INSERT ON vial_position REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION vial_position_history_open();

-- The history is written by the triggers above only.
CREATE TRIGGER vial_location_history_no_delete BEFORE DELETE ON vial_location_history
    FOR EACH ROW EXECUTE FUNCTION custody_event_immutable();

-- Only a stored vial is put into storage: a thawed or shipped vial never goes back.
CREATE FUNCTION check_position_vial_stored() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    st text;
BEGIN
    SELECT status INTO st FROM vial WHERE id = NEW.vial_id;
    IF st NOT IN ('stored', 'reserved') THEN
        RAISE EXCEPTION 'a % vial cannot be put into storage', st USING ERRCODE = 'CL409', COLUMN = 'vialId';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER vial_position_vial_stored BEFORE INSERT OR UPDATE ON vial_position
    FOR EACH ROW EXECUTE FUNCTION check_position_vial_stored();

CREATE TABLE temperature_reading (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    freezer_id   text NOT NULL REFERENCES freezer(id),
    measured_at  timestamptz NOT NULL,
    celsius      numeric(5,1) NOT NULL CHECK (celsius BETWEEN -273.1 AND 100),
    probe        text CHECK (length(probe) <= 100),
    recorded_by  bigint NOT NULL REFERENCES app_user(id),
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    excursion    boolean NOT NULL,
    UNIQUE (freezer_id, measured_at)
);
CREATE TRIGGER temperature_reading_no_update BEFORE UPDATE OR DELETE ON temperature_reading
    FOR EACH ROW EXECUTE FUNCTION custody_event_immutable();
CREATE TRIGGER temperature_reading_no_truncate BEFORE TRUNCATE ON temperature_reading
    FOR EACH STATEMENT EXECUTE FUNCTION custody_event_immutable();

-- Why a vial may not be allocated, shipped or administered now; NULL when nothing stops it.
CREATE FUNCTION vial_blockers(v_id text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT nullif(concat_ws('; ',
        CASE WHEN l.status <> 'released' THEN 'lot ' || l.lot_number || ' is ' || l.status END,
        CASE WHEN l.expires_on < current_date THEN 'lot ' || l.lot_number || ' expired on ' || l.expires_on END,
        (SELECT string_agg(h.subject_type || ' ' || h.subject_id || ' is on hold (' || h.reason || ')', '; ' ORDER BY h.id)
         FROM hold h
         WHERE h.lifted_at IS NULL AND (
               (h.subject_type = 'vial' AND h.subject_id = v.id)
            OR (h.subject_type = 'lot' AND h.subject_id = l.lot_number)
            OR (h.subject_type = 'donor' AND h.subject_id = l.donor_code)
            OR (h.subject_type = 'freezer' AND h.subject_id = (
                    SELECT r.freezer_id FROM vial_position p JOIN box b ON b.id = p.box_id JOIN rack r ON r.id = b.rack_id
                    WHERE p.vial_id = v.id))))), '')
    FROM vial v JOIN lot l ON l.lot_number = v.lot_number WHERE v.id = v_id
$$;

-- Rule 3 in the database: a vial becomes reserved or shipped only if nothing stops it.
CREATE FUNCTION check_vial_usable() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    why text;
BEGIN
    IF NEW.status IN ('reserved', 'shipped') AND NEW.status IS DISTINCT FROM OLD.status THEN
        why := vial_blockers(NEW.id);
        IF why IS NOT NULL THEN
            RAISE EXCEPTION 'vial % cannot be %: %', NEW.id, NEW.status, why USING ERRCODE = 'CL409', COLUMN = 'vialId';
        END IF;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER vial_usable BEFORE UPDATE OF status ON vial FOR EACH ROW EXECUTE FUNCTION check_vial_usable();

REVOKE UPDATE, DELETE, TRUNCATE ON temperature_reading FROM cryoledger_app;
REVOKE DELETE, TRUNCATE ON hold FROM cryoledger_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON vial_location_history FROM cryoledger_app;
GRANT SELECT ON vial_location_history TO cryoledger_app;
