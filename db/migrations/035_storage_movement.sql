-- Issue 19: freezer evacuation and time out of storage.

-- Time out of storage: a vial (or every vial of a box) is checked out of its freezer for a purpose and back in;
-- its position stays its own meanwhile (the vial_position row stays). Rows are history: only checked in, once.
CREATE TABLE vial_checkout (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    vial_id         text NOT NULL REFERENCES vial(id),
    purpose         text NOT NULL CHECK (purpose IN ('inventory-check', 'shipment-pick', 'rack-maintenance')),
    box_id          text REFERENCES box(id),
    checked_out_at  timestamptz NOT NULL,
    checked_out_by  bigint NOT NULL REFERENCES app_user(id),
    checked_in_at   timestamptz,
    checked_in_by   bigint REFERENCES app_user(id),
    CHECK ((checked_in_at IS NULL) = (checked_in_by IS NULL)),
    CONSTRAINT vial_checkout_in_after_out CHECK (checked_in_at IS NULL OR checked_in_at >= checked_out_at)
);
CREATE UNIQUE INDEX vial_checkout_open ON vial_checkout (vial_id) WHERE checked_in_at IS NULL;
CREATE INDEX vial_checkout_vial ON vial_checkout (vial_id);

CREATE FUNCTION check_vial_checkout_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' OR OLD.checked_in_at IS NOT NULL
       OR (NEW.vial_id, NEW.purpose, NEW.box_id, NEW.checked_out_at, NEW.checked_out_by)
          IS DISTINCT FROM (OLD.vial_id, OLD.purpose, OLD.box_id, OLD.checked_out_at, OLD.checked_out_by) THEN
        RAISE EXCEPTION 'a check-out is history: it can only be checked in, once' USING ERRCODE = 'CL403';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER vial_checkout_history BEFORE UPDATE OR DELETE ON vial_checkout FOR EACH ROW EXECUTE FUNCTION check_vial_checkout_update();
CREATE TRIGGER vial_checkout_no_truncate BEFORE TRUNCATE ON vial_checkout FOR EACH STATEMENT EXECUTE FUNCTION custody_event_immutable();
REVOKE DELETE, TRUNCATE ON vial_checkout FROM cryoledger_app;

-- Only a placed vial in storage is checked out: the position it keeps is the one it returns to.
CREATE FUNCTION check_vial_checkout_placed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    st text;
BEGIN
    SELECT status INTO st FROM vial WHERE id = NEW.vial_id;
    IF st NOT IN ('stored', 'reserved') OR NOT EXISTS (SELECT 1 FROM vial_position p WHERE p.vial_id = NEW.vial_id) THEN
        RAISE EXCEPTION 'vial % is not in storage (%); only a placed vial is checked out', NEW.vial_id, st USING ERRCODE = 'CL409', COLUMN = 'vialId';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER vial_checkout_placed BEFORE INSERT ON vial_checkout FOR EACH ROW EXECUTE FUNCTION check_vial_checkout_placed();

-- Each product's limit on a vial's cumulative time out of storage.
ALTER TABLE product ADD COLUMN max_time_out_minutes integer NOT NULL DEFAULT 30 CHECK (max_time_out_minutes BETWEEN 1 AND 1440);

-- Seconds a vial has spent checked out, over its completed check-outs.
CREATE FUNCTION vial_time_out_seconds(v_id text) RETURNS double precision LANGUAGE sql STABLE AS $$
    SELECT coalesce(sum(extract(epoch FROM c.checked_in_at - c.checked_out_at)), 0)::float8
    FROM vial_checkout c WHERE c.vial_id = v_id AND c.checked_in_at IS NOT NULL
$$;

-- Twin of TimeOutOfStorage.exceeded (CryoDomain): more time out than the product allows.
CREATE FUNCTION time_out_of_storage_exceeded(v_id text) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT vial_time_out_seconds(v_id) > p.max_time_out_minutes * 60
    FROM vial v JOIN lot l ON l.lot_number = v.lot_number JOIN product p ON p.code = l.product_code WHERE v.id = v_id
$$;

-- A time-out hold is a hold like any other (lifted with a signature); the time-out source names why.
ALTER TABLE hold DROP CONSTRAINT hold_source_check;
ALTER TABLE hold ADD CONSTRAINT hold_source_check CHECK (source IN ('manual', 'look-back', 'excursion', 'shipment-excursion', 'time-out'));

-- A check-in that takes a vial past its product's limit commits only with an active time-out hold on the vial.
CREATE FUNCTION check_time_out_of_storage() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.checked_in_at IS NOT NULL AND time_out_of_storage_exceeded(NEW.vial_id)
       AND NOT EXISTS (SELECT 1 FROM hold h WHERE h.subject_type = 'vial' AND h.subject_id = NEW.vial_id
                                             AND h.source = 'time-out' AND h.lifted_at IS NULL) THEN
        RAISE EXCEPTION 'vial % has exceeded its time out of storage; it must be held', NEW.vial_id USING ERRCODE = 'CL409', COLUMN = 'vialId';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER vial_time_out_of_storage AFTER UPDATE ON vial_checkout DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION check_time_out_of_storage();

-- Rule 3 (007) gains one reason: a vial checked out of storage is not allocated, shipped or administered.
CREATE OR REPLACE FUNCTION vial_blockers(v_id text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT nullif(concat_ws('; ',
        CASE WHEN l.status <> 'released' THEN 'lot ' || l.lot_number || ' is ' || l.status END,
        CASE WHEN l.expires_on < current_date THEN 'lot ' || l.lot_number || ' expired on ' || l.expires_on END,
        (SELECT 'vial ' || v.id || ' is checked out of storage (' || c.purpose || ')'
         FROM vial_checkout c WHERE c.vial_id = v.id AND c.checked_in_at IS NULL),
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

-- Why a placed vial may not be moved now; NULL when it may. Read by the evacuation planner (Evacuation.plan in
-- CryoDomain gets it per vial) and applied to every change of a vial's position by the trigger below.
CREATE FUNCTION vial_cannot_move(v_id text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN v.status NOT IN ('stored', 'reserved') THEN 'vial ' || v.id || ' is ' || v.status
        WHEN EXISTS (SELECT 1 FROM vial_checkout c WHERE c.vial_id = v.id AND c.checked_in_at IS NULL)
            THEN 'vial ' || v.id || ' is checked out of storage'
    END
    FROM vial v WHERE v.id = v_id
$$;

CREATE FUNCTION check_vial_movable() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    why text;
BEGIN
    IF (NEW.box_id, NEW.row_no, NEW.column_no) IS DISTINCT FROM (OLD.box_id, OLD.row_no, OLD.column_no) THEN
        why := vial_cannot_move(NEW.vial_id);
        IF why IS NOT NULL THEN
            RAISE EXCEPTION 'vial % may not move: %', NEW.vial_id, why USING ERRCODE = 'CL409', COLUMN = 'vialId';
        END IF;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER vial_position_movable BEFORE UPDATE ON vial_position FOR EACH ROW EXECUTE FUNCTION check_vial_movable();
