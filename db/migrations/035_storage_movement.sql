-- Issue 19: freezer evacuation and time out of storage.

-- Why a placed vial may not be moved now; NULL when it may. Read by the evacuation planner (Evacuation.plan in
-- CryoDomain gets it per vial) and applied to every change of a vial's position by the trigger below.
CREATE FUNCTION vial_cannot_move(v_id text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN v.status NOT IN ('stored', 'reserved') THEN 'vial ' || v.id || ' is ' || v.status
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
