-- PRODUCT.md rule 6 in the database: a lot may be rejected, recalled or lifted from hold only in a
-- transaction that also appends a signed custody event recording that change. The password check
-- happens in the application; here the database refuses a signing step that bypassed it.
CREATE FUNCTION check_signed_lot_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.status IN ('rejected', 'recalled') OR (OLD.status = 'on-hold' AND NEW.status IN ('quarantine', 'released')))
       AND NOT EXISTS (
           SELECT 1 FROM custody_event e
           WHERE e.subject_type = 'lot' AND e.subject_id = NEW.lot_number
             AND e.to_state = NEW.status AND e.signature IS NOT NULL AND e.occurred_at = now()) THEN
        RAISE EXCEPTION 'lot % % -> % is a signing step: it needs a signed custody event in the same transaction',
            NEW.lot_number, OLD.status, NEW.status USING ERRCODE = 'CL409', COLUMN = 'signature';
    END IF;
    RETURN NULL;
END $$;

-- Deferred to commit, so the event may be written after the update in the same transaction.
CREATE CONSTRAINT TRIGGER lot_signed_transition AFTER UPDATE OF status ON lot
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION check_signed_lot_transition();
