-- Bulk import (issue 8): vials imported with their own ids (CV + 10-digit serial + check character)
-- coexist with ids allocated from vial_serial. Whoever inserts vials, the sequence is moved past the
-- highest serial inserted, so a later nextval never hands out an id that is already taken.
-- One statement-level trigger per INSERT (not per row): bulk inserts stay fast.
CREATE FUNCTION vial_serial_keep_ahead() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    top  bigint;
    last bigint;
BEGIN
    SELECT max(substr(id, 3, 10)::bigint) INTO top FROM inserted_vials;
    SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END INTO last FROM vial_serial;
    IF top IS NOT NULL AND top > last THEN
        PERFORM setval('vial_serial', top, true);
    END IF;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION vial_serial_keep_ahead() FROM PUBLIC;

CREATE TRIGGER vial_serial_ahead AFTER INSERT ON vial
    REFERENCING NEW TABLE AS inserted_vials
    FOR EACH STATEMENT EXECUTE FUNCTION vial_serial_keep_ahead();
