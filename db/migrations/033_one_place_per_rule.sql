-- One SQL object per rule, each named like its Swift twin in CryoDomain (issue 14). Applied migrations are never
-- edited: the trigger functions of 005-009 are redefined here (CREATE OR REPLACE keeps their triggers).

-- Rule 6: "a signed custody event for this change was written in this transaction", written once.
-- The signing-step triggers (lot transitions, hold lifts, cohort decisions, administration) all call it.
CREATE FUNCTION signed_event_in_transaction(p_subject_type text, p_subject_id text, p_to_state text DEFAULT NULL,
                                            p_action text DEFAULT NULL, p_hold_id text DEFAULT NULL)
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1 FROM custody_event e
        WHERE e.subject_type = p_subject_type AND e.subject_id = p_subject_id
          AND (p_to_state IS NULL OR e.to_state = p_to_state)
          AND (p_action IS NULL OR e.action = p_action)
          AND (p_hold_id IS NULL OR e.details->>'hold' = p_hold_id)
          AND e.signature IS NOT NULL AND e.occurred_at = now())
$$;

CREATE OR REPLACE FUNCTION check_signed_lot_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.status IN ('rejected', 'recalled') OR (OLD.status = 'on-hold' AND NEW.status IN ('in-process', 'quarantine', 'released')))
       AND NOT signed_event_in_transaction('lot', NEW.lot_number, p_to_state => NEW.status) THEN
        RAISE EXCEPTION 'lot % % -> % is a signing step: it needs a signed custody event in the same transaction',
            NEW.lot_number, OLD.status, NEW.status USING ERRCODE = 'CL409', COLUMN = 'signature';
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION check_signed_hold_lift() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.lifted_at IS NOT NULL AND NOT signed_event_in_transaction(
           CASE NEW.subject_type WHEN 'freezer' THEN 'storage' ELSE NEW.subject_type END, NEW.subject_id,
           p_action => 'hold.lifted', p_hold_id => NEW.id::text) THEN
        RAISE EXCEPTION 'lifting hold % is a signing step: it needs a signed custody event in the same transaction', NEW.id
            USING ERRCODE = 'CL409', COLUMN = 'signature';
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION check_signed_cohort_decision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT signed_event_in_transaction('study', NEW.cohort_id, p_action => 'cohort.decided') THEN
        RAISE EXCEPTION 'a cohort decision is a signed clinical decision' USING ERRCODE = 'CL409', COLUMN = 'signature';
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION check_signed_administration() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'administered' AND OLD.status <> 'administered' AND (
        NOT EXISTS (SELECT 1 FROM administration a WHERE a.vial_id = NEW.id)
        OR NOT signed_event_in_transaction('vial', NEW.id, p_to_state => 'administered')) THEN
        RAISE EXCEPTION 'administering vial % is a signing step with a bedside identity check', NEW.id
            USING ERRCODE = 'CL409', COLUMN = 'signature';
    END IF;
    RETURN NULL;
END $$;

-- After a conditional release, the pending tests that have no passing result yet; NULL when none
-- (Swift: AdministrationFacts.pendingTests, read through this function).
CREATE FUNCTION conditional_release_pending(p_lot text) RETURNS text[] LANGUAGE sql STABLE AS $$
    SELECT array_agg(t ORDER BY t) FROM lot_disposition d, unnest(d.pending_tests) t
    WHERE d.lot_number = p_lot AND d.kind = 'conditional'
      AND NOT EXISTS (SELECT 1 FROM qc_current c WHERE c.lot_number = p_lot AND c.test_code = t AND c.outcome = 'pass')
$$;

-- Twin of Administration.check (CryoDomain): the same checks, in the same order, with the same fields.
CREATE OR REPLACE FUNCTION check_administration() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v vial%ROWTYPE;
    limit_minutes integer;
    pending text[];
    holds text;
BEGIN
    SELECT * INTO v FROM vial WHERE id = NEW.vial_id FOR UPDATE;
    IF NOT EXISTS (SELECT 1 FROM reservation r WHERE r.vial_id = NEW.vial_id AND r.subject_id = NEW.subject_id AND r.cancelled_at IS NULL) THEN
        RAISE EXCEPTION 'chain of identity: vial % is not reserved for patient %', NEW.vial_id, NEW.subject_id
            USING ERRCODE = 'CL409', COLUMN = 'subjectId';
    END IF;
    IF v.status <> 'thawed' THEN
        RAISE EXCEPTION 'vial % is %; only a thawed vial is administered', v.id, v.status USING ERRCODE = 'CL409', COLUMN = 'vialId';
    END IF;
    SELECT p.thaw_to_infusion_minutes INTO limit_minutes FROM lot l JOIN product p ON p.code = l.product_code WHERE l.lot_number = v.lot_number;
    IF now() > v.thawed_at + limit_minutes * interval '1 minute' THEN
        RAISE EXCEPTION 'vial % was thawed at % and its % minute thaw-to-infusion limit has passed', v.id, v.thawed_at, limit_minutes
            USING ERRCODE = 'CL409', COLUMN = 'vialId';
    END IF;
    holds := vial_blockers(v.id);
    IF holds IS NOT NULL THEN
        RAISE EXCEPTION 'vial % cannot be administered: %', v.id, holds USING ERRCODE = 'CL409', COLUMN = 'vialId';
    END IF;
    pending := conditional_release_pending(v.lot_number);
    IF pending IS NOT NULL THEN
        RAISE EXCEPTION 'lot % was released conditionally; administration waits for: %', v.lot_number, array_to_string(pending, ', ')
            USING ERRCODE = 'CL409', COLUMN = 'vialId';
    END IF;
    RETURN NEW;
END $$;

-- Twin of LotNumber (CryoDomain) and of the LotRegistration.lotNumber pattern in openapi.yaml.
CREATE FUNCTION lot_number_valid(p_lot text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT p_lot ~ '^[A-Z0-9][A-Z0-9-]{2,31}$'
$$;
ALTER TABLE lot DROP CONSTRAINT lot_lot_number_check, ADD CONSTRAINT lot_number_valid CHECK (lot_number_valid(lot_number));

-- Twin of LotRules.checkRegistration: no lot from an ineligible donor; expiry at most manufacture + shelf life.
-- At registration only: the expiry sweep and the tests that age a lot move its dates afterwards.
CREATE FUNCTION check_lot_registration() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    eligibility_now text;
    shelf integer;
BEGIN
    SELECT eligibility INTO eligibility_now FROM donor WHERE code = NEW.donor_code FOR SHARE;
    IF eligibility_now = 'ineligible' THEN
        RAISE EXCEPTION 'donor % is ineligible; no lot may be made from it', NEW.donor_code USING ERRCODE = 'CL409', COLUMN = 'donorCode';
    END IF;
    SELECT shelf_life_days INTO shelf FROM product WHERE code = NEW.product_code;
    IF NEW.expires_on > NEW.manufactured_on + shelf THEN
        RAISE EXCEPTION 'must not be later than manufacture + shelf life (%)', NEW.manufactured_on + shelf
            USING ERRCODE = 'CL422', COLUMN = 'expiresOn';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER lot_registration BEFORE INSERT ON lot FOR EACH ROW EXECUTE FUNCTION check_lot_registration();

-- Twin of LotRules.checkVialFilling: vials are added only while their lot is in-process or in quarantine, and
-- never beyond its planned count. Per statement, so a bulk import counts each lot once.
CREATE FUNCTION check_vial_filling() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    PERFORM 1 FROM lot WHERE lot_number IN (SELECT lot_number FROM new_vials) ORDER BY lot_number FOR UPDATE;
    SELECT l.lot_number, l.status, l.planned_vials,
           (SELECT count(*) FROM vial v WHERE v.lot_number = l.lot_number)::int AS total,
           (SELECT count(*) FROM new_vials n WHERE n.lot_number = l.lot_number)::int AS added
    INTO bad
    FROM lot l
    WHERE l.lot_number IN (SELECT lot_number FROM new_vials)
      AND (l.status NOT IN ('in-process', 'quarantine')
           OR (SELECT count(*) FROM vial v WHERE v.lot_number = l.lot_number) > l.planned_vials)
    ORDER BY l.lot_number LIMIT 1;
    IF FOUND THEN
        IF bad.status NOT IN ('in-process', 'quarantine') THEN
            RAISE EXCEPTION 'vials are filled while a lot is in-process or in quarantine; lot % is %', bad.lot_number, bad.status
                USING ERRCODE = 'CL409', COLUMN = 'lotNumber';
        END IF;
        RAISE EXCEPTION 'lot % plans % vials and has %; % more would exceed it', bad.lot_number, bad.planned_vials, bad.total - bad.added, bad.added
            USING ERRCODE = 'CL409', COLUMN = 'count';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER vial_filling AFTER INSERT ON vial REFERENCING NEW TABLE AS new_vials
    FOR EACH STATEMENT EXECUTE FUNCTION check_vial_filling();
