-- Lifting a hold returns a lot to the state it was held from, whoever writes: a lot held from
-- quarantine cannot come off hold as released (it would skip QA release).
CREATE FUNCTION check_hold_lift() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'on-hold' AND NEW.status IN ('quarantine', 'released') AND NEW.status IS DISTINCT FROM OLD.held_from THEN
        RAISE EXCEPTION 'lot % was held from %; lifting the hold returns it there, not to %', NEW.lot_number, OLD.held_from, NEW.status
            USING ERRCODE = 'CL409', COLUMN = 'status';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER lot_hold_lift BEFORE UPDATE OF status ON lot
    FOR EACH ROW EXECUTE FUNCTION check_hold_lift();
