-- Issue 24 (items 1, 3, 8): infusion readiness (rule 8), chain of identity at every hand-off (rule 9), and the
-- thaw-to-infusion window computed in one place. Each function is the twin of a CryoDomain function named alike.

-- The pre-infusion checklist each arm defines; every arm has at least the three items of InfusionReadiness.minimumClearanceItems.
ALTER TABLE study_arm ADD COLUMN clearance_items text[] NOT NULL
    DEFAULT ARRAY['lymphodepletion completed as planned', 'no active infection', 'vital signs within limits'],
    ADD CONSTRAINT study_arm_clearance_minimum
    CHECK (clearance_items @> ARRAY['lymphodepletion completed as planned', 'no active infection', 'vital signs within limits']);

-- Lymphodepletion as given: one row per agent and day, recorded by clinical staff.
CREATE TABLE lymphodepletion_dose (
    subject_id   text NOT NULL REFERENCES patient(subject_id),
    agent        text NOT NULL CHECK (agent IN ('fludarabine', 'cyclophosphamide')),
    given_on     date NOT NULL,
    recorded_by  bigint NOT NULL REFERENCES app_user(id),
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subject_id, agent, given_on)
);
CREATE TRIGGER lymphodepletion_dose_no_update BEFORE UPDATE OR DELETE ON lymphodepletion_dose
    FOR EACH ROW EXECUTE FUNCTION custody_event_immutable();

-- A signed pre-infusion clearance on the day, with the checklist items confirmed.
CREATE TABLE infusion_clearance (
    subject_id  text NOT NULL REFERENCES patient(subject_id),
    cleared_on  date NOT NULL,
    items       text[] NOT NULL,
    signed_by   bigint NOT NULL REFERENCES app_user(id),
    signed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subject_id, cleared_on)
);
CREATE TRIGGER infusion_clearance_no_update BEFORE UPDATE OR DELETE ON infusion_clearance
    FOR EACH ROW EXECUTE FUNCTION custody_event_immutable();

CREATE FUNCTION check_signed_clearance() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    required text[];
BEGIN
    SELECT a.clearance_items INTO required FROM patient p JOIN cohort c ON c.id = p.cohort_id
    JOIN study_arm a ON a.study_code = c.study_code AND a.code = c.arm_code WHERE p.subject_id = NEW.subject_id;
    IF NOT (NEW.items @> required AND required @> NEW.items) THEN
        RAISE EXCEPTION 'the patient is cleared for infusion only when every checklist item is confirmed' USING ERRCODE = 'CL409', COLUMN = 'items';
    END IF;
    IF NOT signed_event_in_transaction('patient', NEW.subject_id, p_action => 'patient.cleared-for-infusion') THEN
        RAISE EXCEPTION 'a pre-infusion clearance is a signed clinical decision' USING ERRCODE = 'CL409', COLUMN = 'signature';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER infusion_clearance_signed AFTER INSERT ON infusion_clearance DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION check_signed_clearance();

-- A rescheduled infusion day with its reason; the latest one replaces the planned day.
CREATE TABLE infusion_reschedule (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject_id   text NOT NULL REFERENCES patient(subject_id),
    from_on      date NOT NULL,
    to_on        date NOT NULL,
    reason       text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 500),
    recorded_by  bigint NOT NULL REFERENCES app_user(id),
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX infusion_reschedule_subject ON infusion_reschedule(subject_id, id);
CREATE TRIGGER infusion_reschedule_no_update BEFORE UPDATE OR DELETE ON infusion_reschedule
    FOR EACH ROW EXECUTE FUNCTION custody_event_immutable();

REVOKE UPDATE, DELETE, TRUNCATE ON lymphodepletion_dose, infusion_clearance, infusion_reschedule FROM cryoledger_app;

-- Twin of InfusionReadiness.infusionDay.
CREATE FUNCTION patient_infusion_day(p_subject text) RETURNS date LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT r.to_on FROM infusion_reschedule r WHERE r.subject_id = p_subject ORDER BY r.id DESC LIMIT 1),
                    (SELECT p.infusion_on FROM patient p WHERE p.subject_id = p_subject))
$$;

-- Twin of InfusionReadiness.refusal: why the patient is not ready today (UTC), NULL when ready. Same order, same sentences.
CREATE FUNCTION infusion_readiness(p_subject text) RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
    today date := (now() AT TIME ZONE 'UTC')::date;
    ld text;
    ld_start date;
    day date;
    rescheduled boolean;
    missing text;
BEGIN
    SELECT a.lymphodepletion, p.ld_start_on INTO ld, ld_start FROM patient p JOIN cohort c ON c.id = p.cohort_id
    JOIN study_arm a ON a.study_code = c.study_code AND a.code = c.arm_code WHERE p.subject_id = p_subject;
    IF NOT FOUND THEN
        RETURN format('patient %s is not enrolled', p_subject);
    END IF;
    day := patient_infusion_day(p_subject);
    rescheduled := EXISTS (SELECT 1 FROM infusion_reschedule WHERE subject_id = p_subject);
    IF day <> today THEN
        RETURN format('patient %s''s infusion is %s for %s, not today (%s); thaw on that day or record a rescheduled day with its reason',
                      p_subject, CASE WHEN rescheduled THEN 'rescheduled' ELSE 'planned' END, to_char(day, 'YYYY-MM-DD'), to_char(today, 'YYYY-MM-DD'));
    END IF;
    SELECT string_agg(g.agent || ' on ' || to_char(g.on_day, 'YYYY-MM-DD'), ', ' ORDER BY g.on_day, g.ord) INTO missing
    FROM (SELECT ld_start + d AS on_day, a.agent, a.ord
          FROM generate_series(0, 2) d,
               unnest(CASE ld WHEN 'flu-cy' THEN ARRAY['fludarabine', 'cyclophosphamide'] WHEN 'cy' THEN ARRAY['cyclophosphamide'] ELSE '{}'::text[] END)
                   WITH ORDINALITY AS a(agent, ord)
          WHERE ld_start IS NOT NULL) g
    WHERE NOT EXISTS (SELECT 1 FROM lymphodepletion_dose x WHERE x.subject_id = p_subject AND x.agent = g.agent AND x.given_on = g.on_day);
    IF missing IS NOT NULL THEN
        RETURN format('patient %s''s lymphodepletion (%s) is not recorded as given as planned: missing %s',
                      p_subject, CASE ld WHEN 'flu-cy' THEN 'Flu/Cy' WHEN 'cy' THEN 'Cy alone' ELSE 'none' END, missing);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM infusion_clearance c WHERE c.subject_id = p_subject AND c.cleared_on = today) THEN
        RETURN format('patient %s has no signed pre-infusion clearance for today (%s)', p_subject, to_char(today, 'YYYY-MM-DD'));
    END IF;
    RETURN NULL;
END $$;

-- Twin of ThawWindow.closesAt: the end of a thawed vial's thaw-to-infusion window (NULL before the thaw).
CREATE FUNCTION thaw_window_closes_at(p_vial text) RETURNS timestamptz LANGUAGE sql STABLE AS $$
    SELECT v.thawed_at + p.thaw_to_infusion_minutes * interval '1 minute'
    FROM vial v JOIN lot l ON l.lot_number = v.lot_number JOIN product p ON p.code = l.product_code WHERE v.id = p_vial
$$;

-- Twin of Thaw.check's readiness step: a vial is thawed only for a patient ready today. The patient's row is locked
-- (share) so a reschedule cannot move the day between this check and the commit.
CREATE FUNCTION check_thaw_readiness() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    subject text;
    why text;
BEGIN
    IF NEW.status = 'thawed' AND OLD.status <> 'thawed' THEN
        SELECT r.subject_id INTO subject FROM reservation r WHERE r.vial_id = NEW.id AND r.cancelled_at IS NULL;
        PERFORM 1 FROM patient WHERE subject_id = subject FOR SHARE;
        why := infusion_readiness(subject);
        IF why IS NOT NULL THEN
            RAISE EXCEPTION '%', why USING ERRCODE = 'CL409', COLUMN = 'subjectId';
        END IF;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER vial_thaw_readiness BEFORE UPDATE OF status ON vial FOR EACH ROW EXECUTE FUNCTION check_thaw_readiness();

-- Twin of HandOff.check: a hand-off of a vial is recorded, in this transaction, by its custody event carrying the scan of
-- the vial (and for a shipment the dry shipper's, at the thaw the patient band's, matching what is handed over).
CREATE FUNCTION handoff_scanned(p_vial text, p_action text) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1 FROM custody_event e
        WHERE e.subject_type = 'vial' AND e.subject_id = p_vial AND e.action = p_action AND e.occurred_at = now()
          AND e.details->>'scannedVial' = p_vial
          AND (p_action <> 'vial.shipped' OR e.details->>'scannedDryShipper' = e.details->>'dryShipper')
          AND (p_action <> 'vial.thawed' OR e.details->>'scannedPatient' =
               (SELECT r.subject_id FROM reservation r WHERE r.vial_id = p_vial AND r.cancelled_at IS NULL)))
$$;

CREATE FUNCTION check_handoff_scanned() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    current_status text;
BEGIN
    IF TG_TABLE_NAME = 'vial' THEN
        IF NEW.status IN ('shipped', 'received', 'thawed') AND OLD.status <> NEW.status
           AND NOT handoff_scanned(NEW.id, 'vial.' || NEW.status) THEN
            RAISE EXCEPTION 'chain of identity: vial % became % without the scans of that hand-off', NEW.id, NEW.status
                USING ERRCODE = 'CL409', COLUMN = 'scannedVialIds';
        END IF;
        RETURN NULL;
    END IF;
    -- A reserved vial taken out of its position and not put back is picked: the pick needs its scan.
    SELECT v.status INTO current_status FROM vial v WHERE v.id = OLD.vial_id;
    IF current_status = 'reserved' AND NOT EXISTS (SELECT 1 FROM vial_position p WHERE p.vial_id = OLD.vial_id)
       AND NOT handoff_scanned(OLD.vial_id, 'vial.picked') THEN
        RAISE EXCEPTION 'chain of identity: vial % was picked without being scanned', OLD.vial_id
            USING ERRCODE = 'CL409', COLUMN = 'scannedVialIds';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER vial_handoff_scanned AFTER UPDATE OF status ON vial DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION check_handoff_scanned();
CREATE CONSTRAINT TRIGGER vial_pick_scanned AFTER DELETE ON vial_position DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION check_handoff_scanned();

-- check_administration (009, 033) with the window read from thaw_window_closes_at and the patient's readiness (rule 8),
-- in the order of Administration.check.
CREATE OR REPLACE FUNCTION check_administration() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v vial%ROWTYPE;
    limit_minutes integer;
    pending text[];
    holds text;
    why text;
BEGIN
    SELECT * INTO v FROM vial WHERE id = NEW.vial_id FOR UPDATE;
    IF NOT EXISTS (SELECT 1 FROM reservation r WHERE r.vial_id = NEW.vial_id AND r.subject_id = NEW.subject_id AND r.cancelled_at IS NULL) THEN
        RAISE EXCEPTION 'chain of identity: vial % is not reserved for patient %', NEW.vial_id, NEW.subject_id
            USING ERRCODE = 'CL409', COLUMN = 'subjectId';
    END IF;
    IF v.status <> 'thawed' THEN
        RAISE EXCEPTION 'vial % is %; only a thawed vial is administered', v.id, v.status USING ERRCODE = 'CL409', COLUMN = 'vialId';
    END IF;
    IF now() > thaw_window_closes_at(v.id) THEN
        SELECT p.thaw_to_infusion_minutes INTO limit_minutes FROM lot l JOIN product p ON p.code = l.product_code WHERE l.lot_number = v.lot_number;
        RAISE EXCEPTION 'vial % was thawed at % and its % minute thaw-to-infusion limit has passed', v.id, v.thawed_at, limit_minutes
            USING ERRCODE = 'CL409', COLUMN = 'vialId';
    END IF;
    PERFORM 1 FROM patient WHERE subject_id = NEW.subject_id FOR SHARE;
    why := infusion_readiness(NEW.subject_id);
    IF why IS NOT NULL THEN
        RAISE EXCEPTION '%', why USING ERRCODE = 'CL409', COLUMN = 'subjectId';
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
