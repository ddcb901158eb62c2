-- Studies, arms, dose levels, cohorts with 3+3 rules, sites and routes, patients with their
-- eligibility checklist, and dose-limiting toxicities.

CREATE TABLE study (
    code                 text PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z0-9-]{1,31}$'),
    name                 text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    product_code         text NOT NULL REFERENCES product(code),
    dlt_window_days      integer NOT NULL CHECK (dlt_window_days BETWEEN 1 AND 365),
    slot_lead_days       integer NOT NULL DEFAULT 21 CHECK (slot_lead_days BETWEEN 0 AND 365),
    reference_weight_kg  numeric(5,1) NOT NULL DEFAULT 70 CHECK (reference_weight_kg > 0),
    created_by           bigint NOT NULL REFERENCES app_user(id),
    created_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE study_indication (
    study_code  text NOT NULL REFERENCES study(code),
    code        text NOT NULL CHECK (code ~ '^[A-Z][A-Za-z0-9]{0,15}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    PRIMARY KEY (study_code, code)
);

CREATE TABLE study_arm (
    study_code       text NOT NULL REFERENCES study(code),
    code             text NOT NULL CHECK (code ~ '^[A-Za-z][A-Za-z0-9-]{0,15}$'),
    lymphodepletion  text NOT NULL CHECK (lymphodepletion IN ('flu-cy', 'cy', 'none')),
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    PRIMARY KEY (study_code, code)
);

CREATE TABLE dose_level (
    study_code    text NOT NULL REFERENCES study(code),
    code          text NOT NULL CHECK (code ~ '^DL-?[0-9]{1,2}$'),
    ordinal       integer NOT NULL,
    target_cells  bigint NOT NULL CHECK (target_cells > 0),
    basis         text NOT NULL CHECK (basis IN ('flat', 'per-kg')),
    PRIMARY KEY (study_code, code),
    UNIQUE (study_code, ordinal)
);

CREATE TABLE study_site (
    study_code  text NOT NULL REFERENCES study(code),
    site_code   text NOT NULL REFERENCES site(code),
    PRIMARY KEY (study_code, site_code)
);

-- A checklist item; for an exclusion criterion, "satisfied" means the patient is free of it.
CREATE TABLE eligibility_criterion (
    study_code  text NOT NULL REFERENCES study(code),
    code        text NOT NULL CHECK (code ~ '^[a-z][a-z0-9-]{0,47}$'),
    kind        text NOT NULL CHECK (kind IN ('inclusion', 'exclusion')),
    text        text NOT NULL CHECK (length(text) BETWEEN 1 AND 500),
    indication  text,
    PRIMARY KEY (study_code, code),
    FOREIGN KEY (study_code, indication) REFERENCES study_indication(study_code, code)
);

-- Depot to clinical site, with the transit time a dry shipper needs.
CREATE TABLE route (
    from_site    text NOT NULL REFERENCES site(code),
    to_site      text NOT NULL REFERENCES site(code),
    transit_days integer NOT NULL CHECK (transit_days BETWEEN 0 AND 30),
    PRIMARY KEY (from_site, to_site),
    CHECK (from_site <> to_site)
);

-- A cohort is one dose level of one arm for one indication. 'planned' takes nobody yet; 'open'
-- takes 3, 'expanded' 6; 'closed' takes nobody more (escalated past, stopped or de-escalated).
CREATE TABLE cohort (
    id               text PRIMARY KEY,
    study_code       text NOT NULL REFERENCES study(code),
    indication_code  text NOT NULL,
    arm_code         text NOT NULL,
    dose_code        text NOT NULL,
    state            text NOT NULL DEFAULT 'planned' CHECK (state IN ('planned', 'open', 'expanded', 'closed')),
    capacity         smallint NOT NULL DEFAULT 0 CHECK (capacity IN (0, 3, 6)),
    outcome          text CHECK (outcome IN ('escalated', 'stopped', 'de-escalated', 'maximum-tolerated-dose')),
    FOREIGN KEY (study_code, indication_code) REFERENCES study_indication(study_code, code),
    FOREIGN KEY (study_code, arm_code) REFERENCES study_arm(study_code, code),
    FOREIGN KEY (study_code, dose_code) REFERENCES dose_level(study_code, code),
    UNIQUE (study_code, indication_code, arm_code, dose_code),
    CHECK (id = study_code || '/' || indication_code || '/' || dose_code || '/' || arm_code),
    CHECK ((state = 'planned' AND capacity = 0) OR (state = 'open' AND capacity = 3) OR (state = 'expanded' AND capacity = 6)
        OR (state = 'closed')),
    CHECK ((state = 'closed') = (outcome IS NOT NULL))
);

CREATE TABLE patient (
    subject_id     text PRIMARY KEY CHECK (subject_id ~ '^[A-Z0-9][A-Z0-9-]{2,31}$'),
    study_code     text NOT NULL REFERENCES study(code),
    site_code      text NOT NULL,
    cohort_id      text NOT NULL REFERENCES cohort(id),
    weight_kg      numeric(5,1) NOT NULL CHECK (weight_kg BETWEEN 20 AND 300),
    target_cells   bigint NOT NULL CHECK (target_cells > 0),
    ld_start_on    date,
    infusion_on    date NOT NULL,
    anti_hla       text[] NOT NULL DEFAULT '{}',
    status         text NOT NULL DEFAULT 'enrolled' CHECK (status IN ('enrolled', 'dosed', 'withdrawn')),
    enrolled_by    bigint NOT NULL REFERENCES app_user(id),
    enrolled_at    timestamptz NOT NULL DEFAULT now(),
    dosed_at       timestamptz,
    FOREIGN KEY (study_code, site_code) REFERENCES study_site(study_code, site_code),
    CHECK (ld_start_on IS NULL OR ld_start_on < infusion_on),
    CHECK ((status = 'dosed') = (dosed_at IS NOT NULL) OR status = 'withdrawn')
);
CREATE INDEX patient_cohort ON patient(cohort_id);

-- Cohort capacity, under concurrent enrolments: the cohort row is locked while counting.
CREATE FUNCTION check_cohort_capacity() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    c cohort%ROWTYPE;
    taken integer;
BEGIN
    SELECT * INTO c FROM cohort WHERE id = NEW.cohort_id FOR UPDATE;
    IF c.study_code IS DISTINCT FROM NEW.study_code THEN
        RAISE EXCEPTION 'cohort % is not in study %', NEW.cohort_id, NEW.study_code USING ERRCODE = 'CL422', COLUMN = 'cohort';
    END IF;
    IF c.state NOT IN ('open', 'expanded') THEN
        RAISE EXCEPTION 'cohort % is % and takes no patients', c.id, c.state USING ERRCODE = 'CL409', COLUMN = 'cohort';
    END IF;
    SELECT count(*) INTO taken FROM patient WHERE cohort_id = c.id AND status <> 'withdrawn';
    IF taken >= c.capacity THEN
        RAISE EXCEPTION 'cohort % is full (% of % places taken)', c.id, taken, c.capacity USING ERRCODE = 'CL409', COLUMN = 'cohort';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER patient_cohort_capacity BEFORE INSERT ON patient FOR EACH ROW EXECUTE FUNCTION check_cohort_capacity();

CREATE TABLE patient_eligibility (
    subject_id      text NOT NULL REFERENCES patient(subject_id),
    study_code      text NOT NULL,
    criterion_code  text NOT NULL,
    satisfied       boolean NOT NULL,
    note            text CHECK (length(note) <= 500),
    PRIMARY KEY (subject_id, criterion_code),
    FOREIGN KEY (study_code, criterion_code) REFERENCES eligibility_criterion(study_code, code)
);
CREATE TRIGGER patient_eligibility_no_update BEFORE UPDATE OR DELETE ON patient_eligibility
    FOR EACH ROW EXECUTE FUNCTION custody_event_immutable();

-- Enrolment needs every criterion of the study (and of the patient's indication) answered and satisfied.
CREATE FUNCTION check_patient_eligible() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    failing text;
BEGIN
    SELECT string_agg(c.code, ', ' ORDER BY c.code) INTO failing
    FROM patient p JOIN cohort co ON co.id = p.cohort_id
    JOIN eligibility_criterion c ON c.study_code = p.study_code AND (c.indication IS NULL OR c.indication = co.indication_code)
    LEFT JOIN patient_eligibility e ON e.subject_id = p.subject_id AND e.criterion_code = c.code
    WHERE p.subject_id = NEW.subject_id AND e.satisfied IS NOT TRUE;
    IF failing IS NOT NULL THEN
        RAISE EXCEPTION 'patient % is not eligible: % not satisfied', NEW.subject_id, failing USING ERRCODE = 'CL409', COLUMN = 'eligibility';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER patient_eligible AFTER INSERT ON patient DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION check_patient_eligible();

CREATE TABLE dlt (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject_id   text NOT NULL REFERENCES patient(subject_id),
    description  text NOT NULL CHECK (length(description) BETWEEN 1 AND 500),
    grade        smallint NOT NULL CHECK (grade BETWEEN 3 AND 5),
    onset_on     date NOT NULL,
    recorded_by  bigint NOT NULL REFERENCES app_user(id),
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dlt_subject ON dlt(subject_id);
CREATE TRIGGER dlt_no_update BEFORE UPDATE OR DELETE ON dlt FOR EACH ROW EXECUTE FUNCTION custody_event_immutable();

-- A DLT counts only for a dosed patient, within the study's DLT window after infusion.
CREATE FUNCTION check_dlt_window() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    p patient%ROWTYPE;
    w integer;
BEGIN
    SELECT * INTO p FROM patient WHERE subject_id = NEW.subject_id;
    SELECT dlt_window_days INTO w FROM study WHERE code = p.study_code;
    IF p.dosed_at IS NULL THEN
        RAISE EXCEPTION 'patient % has not been dosed; a DLT follows an infusion', NEW.subject_id USING ERRCODE = 'CL409', COLUMN = 'subjectId';
    END IF;
    IF NEW.onset_on < (p.dosed_at AT TIME ZONE 'UTC')::date OR NEW.onset_on > (p.dosed_at AT TIME ZONE 'UTC')::date + w THEN
        RAISE EXCEPTION 'onset % is outside the % day DLT window after the infusion on %', NEW.onset_on, w, (p.dosed_at AT TIME ZONE 'UTC')::date
            USING ERRCODE = 'CL422', COLUMN = 'onsetOn';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER dlt_window BEFORE INSERT ON dlt FOR EACH ROW EXECUTE FUNCTION check_dlt_window();

CREATE TABLE cohort_decision (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cohort_id    text NOT NULL REFERENCES cohort(id),
    decision     text NOT NULL CHECK (decision IN ('escalate', 'expand', 'stop', 'de-escalate')),
    treated      integer NOT NULL,
    dlts         integer NOT NULL,
    rationale    text NOT NULL,
    decided_by   bigint NOT NULL REFERENCES app_user(id),
    decided_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER cohort_decision_no_update BEFORE UPDATE OR DELETE ON cohort_decision
    FOR EACH ROW EXECUTE FUNCTION custody_event_immutable();

-- A cohort decision is a signed clinical decision.
CREATE FUNCTION check_signed_cohort_decision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM custody_event e WHERE e.subject_type = 'study' AND e.subject_id = NEW.cohort_id
                   AND e.action = 'cohort.decided' AND e.signature IS NOT NULL AND e.occurred_at = now()) THEN
        RAISE EXCEPTION 'a cohort decision is a signed clinical decision' USING ERRCODE = 'CL409', COLUMN = 'signature';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER cohort_decision_signed AFTER INSERT ON cohort_decision DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION check_signed_cohort_decision();

REVOKE UPDATE, DELETE, TRUNCATE ON patient_eligibility, dlt, cohort_decision FROM cryoledger_app;
REVOKE DELETE, TRUNCATE ON study, study_indication, study_arm, dose_level, study_site, eligibility_criterion, cohort, patient FROM cryoledger_app;
