-- Lot release: QC results against the specification in force at manufacture, and a QA disposition
-- that the database itself refuses unless every specified test passed (or an explicit, justified
-- out-of-specification or conditional release) and the signer recorded none of the results.

ALTER TABLE lot ADD COLUMN spec_version integer;
UPDATE lot l SET spec_version = (SELECT max(s.version) FROM spec_version s
                                 WHERE s.product_code = l.product_code AND s.effective_from <= l.manufactured_on);
ALTER TABLE lot ADD CONSTRAINT lot_spec_version_fk FOREIGN KEY (product_code, spec_version) REFERENCES spec_version(product_code, version);

CREATE TABLE qc_result (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    lot_number         text NOT NULL REFERENCES lot(lot_number),
    product_code       text NOT NULL,
    spec_version       integer NOT NULL,
    test_code          text NOT NULL,
    numeric_value      numeric,
    text_value         text CHECK (length(text_value) <= 200),
    unit               text CHECK (length(unit) <= 32),
    method             text NOT NULL CHECK (length(method) BETWEEN 1 AND 200),
    instrument         text CHECK (length(instrument) <= 200),
    analyst            text NOT NULL CHECK (length(analyst) BETWEEN 1 AND 100),
    recorded_by        bigint NOT NULL REFERENCES app_user(id),
    recorded_at        timestamptz NOT NULL DEFAULT now(),
    outcome            text NOT NULL CHECK (outcome IN ('pass', 'fail')),
    supersedes         bigint UNIQUE REFERENCES qc_result(id),
    correction_reason  text,
    FOREIGN KEY (product_code, spec_version, test_code) REFERENCES spec_test(product_code, version, code),
    CHECK ((supersedes IS NULL) = (correction_reason IS NULL)),
    CHECK (numeric_value IS NOT NULL OR text_value IS NOT NULL)
);
CREATE INDEX qc_result_lot ON qc_result(lot_number, test_code);

CREATE TRIGGER qc_result_no_update BEFORE UPDATE OR DELETE ON qc_result
    FOR EACH ROW EXECUTE FUNCTION custody_event_immutable();
CREATE TRIGGER qc_result_no_truncate BEFORE TRUNCATE ON qc_result
    FOR EACH STATEMENT EXECUTE FUNCTION custody_event_immutable();

-- The current result of each test of a lot: the one no later result supersedes.
CREATE VIEW qc_current AS
    SELECT r.* FROM qc_result r WHERE NOT EXISTS (SELECT 1 FROM qc_result n WHERE n.supersedes = r.id);

CREATE TABLE lot_disposition (
    lot_number      text PRIMARY KEY REFERENCES lot(lot_number),
    decision        text NOT NULL CHECK (decision IN ('released', 'rejected')),
    kind            text NOT NULL CHECK (kind IN ('standard', 'conditional', 'out-of-specification')),
    decided_by      bigint NOT NULL REFERENCES app_user(id),
    decided_at      timestamptz NOT NULL DEFAULT now(),
    justification   text,
    pending_tests   text[] NOT NULL DEFAULT '{}',
    restricted_to   text[] NOT NULL DEFAULT '{}',
    CHECK (kind = 'standard' OR decision = 'released'),
    CHECK (kind <> 'out-of-specification' OR (justification IS NOT NULL AND cardinality(restricted_to) > 0)),
    CHECK (kind <> 'conditional' OR cardinality(pending_tests) > 0)
);

CREATE TRIGGER lot_disposition_no_update BEFORE UPDATE OR DELETE ON lot_disposition
    FOR EACH ROW EXECUTE FUNCTION custody_event_immutable();

CREATE FUNCTION check_lot_disposition() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    l lot%ROWTYPE;
    missing text;
    failing text;
BEGIN
    SELECT * INTO l FROM lot WHERE lot_number = NEW.lot_number FOR UPDATE;
    IF EXISTS (SELECT 1 FROM qc_result WHERE lot_number = NEW.lot_number AND recorded_by = NEW.decided_by) THEN
        RAISE EXCEPTION 'the QA signer recorded QC results for lot %; another person must decide', NEW.lot_number
            USING ERRCODE = 'CL409', COLUMN = 'signature';
    END IF;
    IF NEW.decision = 'released' THEN
        IF l.spec_version IS NULL THEN
            RAISE EXCEPTION 'lot % has no specification in force at its manufacture', NEW.lot_number USING ERRCODE = 'CL409', COLUMN = 'lotNumber';
        END IF;
        SELECT string_agg(t.code, ', ' ORDER BY t.code) INTO missing FROM spec_test t
        WHERE t.product_code = l.product_code AND t.version = l.spec_version
          AND NOT EXISTS (SELECT 1 FROM qc_current c WHERE c.lot_number = l.lot_number AND c.test_code = t.code)
          AND NOT (NEW.kind = 'conditional' AND t.code = ANY (NEW.pending_tests));
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION 'no result recorded for: %', missing USING ERRCODE = 'CL409', COLUMN = 'qcResults';
        END IF;
        SELECT string_agg(c.test_code, ', ' ORDER BY c.test_code) INTO failing FROM qc_current c
        WHERE c.lot_number = l.lot_number AND c.outcome = 'fail';
        IF failing IS NOT NULL AND NEW.kind <> 'out-of-specification' THEN
            RAISE EXCEPTION 'out of specification: %; only a justified out-of-specification release for named patients may proceed', failing
                USING ERRCODE = 'CL409', COLUMN = 'qcResults';
        END IF;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER lot_disposition_check BEFORE INSERT ON lot_disposition
    FOR EACH ROW EXECUTE FUNCTION check_lot_disposition();

-- A lot enters 'released' from quarantine only with a release disposition on record.
CREATE FUNCTION check_lot_release() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'released' AND OLD.status = 'quarantine'
       AND NOT EXISTS (SELECT 1 FROM lot_disposition d WHERE d.lot_number = NEW.lot_number AND d.decision = 'released') THEN
        RAISE EXCEPTION 'lot % has no signed release disposition', NEW.lot_number USING ERRCODE = 'CL409', COLUMN = 'status';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER lot_release_needs_disposition BEFORE UPDATE OF status ON lot
    FOR EACH ROW EXECUTE FUNCTION check_lot_release();

GRANT SELECT, INSERT ON qc_result, lot_disposition TO cryoledger_app;
REVOKE UPDATE, DELETE, TRUNCATE ON qc_result, lot_disposition FROM cryoledger_app;
GRANT SELECT ON qc_current TO cryoledger_app;
