-- Issue 24 (8): release is a signing step in the database too, decided by one function named like its Swift twin
-- (LotStatus.isSigningStep): a lot becomes released (from quarantine or off a hold), rejected or recalled, or comes
-- off a hold, only with a signed custody event of that lot for the new status in the same transaction.

CREATE FUNCTION lot_is_signing_step(p_from text, p_to text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT p_to IN ('released', 'rejected', 'recalled') OR (p_from = 'on-hold' AND p_to IN ('in-process', 'quarantine'))
$$;

CREATE OR REPLACE FUNCTION check_signed_lot_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status AND lot_is_signing_step(OLD.status, NEW.status)
       AND NOT signed_event_in_transaction('lot', NEW.lot_number, p_to_state => NEW.status) THEN
        RAISE EXCEPTION 'lot % % -> % is a signing step: it needs a signed custody event in the same transaction',
            NEW.lot_number, OLD.status, NEW.status USING ERRCODE = 'CL409', COLUMN = 'signature';
    END IF;
    RETURN NULL;
END $$;
