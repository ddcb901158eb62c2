-- Allocation plans, the reservations a committed plan makes, and the dispense chain:
-- pick, ship (dry shipper), receive, thaw, administer (chain of identity), destroy.

CREATE TABLE allocation_plan (
    id          uuid PRIMARY KEY,
    as_of       date NOT NULL,
    instance    jsonb NOT NULL,
    plan        jsonb NOT NULL,
    -- For each assignment of a patient: the vial ids chosen, in pick order.
    vials       jsonb NOT NULL,
    created_by  bigint NOT NULL REFERENCES app_user(id),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER allocation_plan_no_update BEFORE UPDATE OR DELETE ON allocation_plan
    FOR EACH ROW EXECUTE FUNCTION custody_event_immutable();

CREATE TABLE allocation (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plan_id        uuid REFERENCES allocation_plan(id),
    subject_id     text NOT NULL REFERENCES patient(subject_id),
    lot_number     text NOT NULL REFERENCES lot(lot_number),
    vial_count     integer NOT NULL CHECK (vial_count > 0),
    status         text NOT NULL DEFAULT 'reserved' CHECK (status IN ('reserved', 'cancelled', 'administered')),
    created_by     bigint NOT NULL REFERENCES app_user(id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    cancelled_at   timestamptz,
    cancel_reason  text,
    CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL) AND (cancelled_at IS NULL) = (cancel_reason IS NULL))
);
-- A patient has at most one live allocation: one dose.
CREATE UNIQUE INDEX allocation_one_per_patient ON allocation(subject_id) WHERE status <> 'cancelled';

-- Rule 1: a vial is reserved for at most one patient, whatever the concurrency.
CREATE TABLE reservation (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    allocation_id  bigint NOT NULL REFERENCES allocation(id),
    vial_id        text NOT NULL REFERENCES vial(id),
    subject_id     text NOT NULL REFERENCES patient(subject_id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    cancelled_at   timestamptz,
    cancel_reason  text,
    CHECK ((cancelled_at IS NULL) = (cancel_reason IS NULL))
);
CREATE UNIQUE INDEX reservation_one_per_vial ON reservation(vial_id) WHERE cancelled_at IS NULL;
CREATE INDEX reservation_allocation ON reservation(allocation_id);

CREATE FUNCTION check_reservation() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d lot_disposition%ROWTYPE;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.cancelled_at IS NOT NULL OR (NEW.allocation_id, NEW.vial_id, NEW.subject_id, NEW.created_at)
           IS DISTINCT FROM (OLD.allocation_id, OLD.vial_id, OLD.subject_id, OLD.created_at) THEN
            RAISE EXCEPTION 'a reservation can only be cancelled, once' USING ERRCODE = 'CL403';
        END IF;
        RETURN NEW;
    END IF;
    -- An out-of-specification release is for the named patients only.
    SELECT dd.* INTO d FROM lot_disposition dd JOIN vial v ON v.lot_number = dd.lot_number WHERE v.id = NEW.vial_id;
    IF d.kind = 'out-of-specification' AND NOT (NEW.subject_id = ANY (d.restricted_to)) THEN
        RAISE EXCEPTION 'lot % was released out of specification for % only', d.lot_number, array_to_string(d.restricted_to, ', ')
            USING ERRCODE = 'CL409', COLUMN = 'subjectId';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER reservation_rules BEFORE INSERT OR UPDATE ON reservation FOR EACH ROW EXECUTE FUNCTION check_reservation();
CREATE TRIGGER reservation_no_delete BEFORE DELETE ON reservation FOR EACH ROW EXECUTE FUNCTION custody_event_immutable();

-- A vial past 'stored' in the dispense chain has exactly one live reservation; a stored vial has none.
CREATE FUNCTION check_vial_reservation() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    live integer;
BEGIN
    SELECT count(*) INTO live FROM reservation WHERE vial_id = NEW.id AND cancelled_at IS NULL;
    IF NEW.status IN ('reserved', 'shipped', 'received', 'thawed', 'administered') AND live <> 1 THEN
        RAISE EXCEPTION 'vial % is % without a reservation', NEW.id, NEW.status USING ERRCODE = 'CL409', COLUMN = 'vialId';
    END IF;
    IF NEW.status = 'stored' AND live > 0 THEN
        RAISE EXCEPTION 'vial % is stored but still reserved', NEW.id USING ERRCODE = 'CL409', COLUMN = 'vialId';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER vial_reservation_consistent AFTER UPDATE OF status ON vial DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION check_vial_reservation();

CREATE TABLE shipment (
    id                    text PRIMARY KEY CHECK (id ~ '^SH-[0-9]{6,}$'),
    from_site             text NOT NULL REFERENCES site(code),
    to_site               text NOT NULL REFERENCES site(code),
    dry_shipper_id        text NOT NULL CHECK (length(dry_shipper_id) BETWEEN 1 AND 64),
    data_logger_id        text NOT NULL CHECK (length(data_logger_id) BETWEEN 1 AND 64),
    validated_hold_hours  integer NOT NULL CHECK (validated_hold_hours BETWEEN 1 AND 720),
    shipped_by            bigint NOT NULL REFERENCES app_user(id),
    shipped_at            timestamptz NOT NULL DEFAULT now(),
    expected_arrival      timestamptz NOT NULL,
    received_by           bigint REFERENCES app_user(id),
    received_at           timestamptz,
    logger_max_celsius    numeric(5,1),
    receipt_excursion     boolean,
    FOREIGN KEY (from_site, to_site) REFERENCES route(from_site, to_site),
    -- The dry shipper's validated hold time must outlast the journey.
    CHECK (expected_arrival <= shipped_at + validated_hold_hours * interval '1 hour'),
    CHECK ((received_at IS NULL) = (received_by IS NULL) AND (received_at IS NULL) = (receipt_excursion IS NULL))
);
CREATE SEQUENCE shipment_serial AS bigint START 1;

CREATE FUNCTION check_shipment_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' OR OLD.received_at IS NOT NULL
       OR (NEW.id, NEW.from_site, NEW.to_site, NEW.dry_shipper_id, NEW.data_logger_id, NEW.validated_hold_hours, NEW.shipped_by, NEW.shipped_at, NEW.expected_arrival)
          IS DISTINCT FROM (OLD.id, OLD.from_site, OLD.to_site, OLD.dry_shipper_id, OLD.data_logger_id, OLD.validated_hold_hours, OLD.shipped_by, OLD.shipped_at, OLD.expected_arrival) THEN
        RAISE EXCEPTION 'a shipment can only be received, once' USING ERRCODE = 'CL403';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER shipment_history BEFORE UPDATE OR DELETE ON shipment FOR EACH ROW EXECUTE FUNCTION check_shipment_update();

CREATE TABLE shipment_vial (
    shipment_id  text NOT NULL REFERENCES shipment(id),
    vial_id      text PRIMARY KEY REFERENCES vial(id)
);
CREATE INDEX shipment_vial_shipment ON shipment_vial(shipment_id);
CREATE TRIGGER shipment_vial_no_update BEFORE UPDATE OR DELETE ON shipment_vial FOR EACH ROW EXECUTE FUNCTION custody_event_immutable();

ALTER TABLE vial ADD COLUMN thawed_at timestamptz;
ALTER TABLE vial ADD CONSTRAINT vial_thawed_at CHECK ((thawed_at IS NOT NULL) = (status IN ('thawed', 'administered')) OR status = 'destroyed');

-- Chain of identity at the bedside: the vial scanned must be reserved for the patient scanned,
-- thawed within the product's limit, unheld, and (after a conditional release) its pending tests passed.
CREATE TABLE administration (
    vial_id          text PRIMARY KEY REFERENCES vial(id),
    subject_id       text NOT NULL REFERENCES patient(subject_id),
    administered_by  bigint NOT NULL REFERENCES app_user(id),
    administered_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER administration_no_update BEFORE UPDATE OR DELETE ON administration FOR EACH ROW EXECUTE FUNCTION custody_event_immutable();

CREATE FUNCTION check_administration() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v vial%ROWTYPE;
    limit_minutes integer;
    d lot_disposition%ROWTYPE;
    pending text;
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
    SELECT * INTO d FROM lot_disposition WHERE lot_number = v.lot_number;
    IF d.kind = 'conditional' THEN
        SELECT string_agg(t, ', ' ORDER BY t) INTO pending FROM unnest(d.pending_tests) t
        WHERE NOT EXISTS (SELECT 1 FROM qc_current c WHERE c.lot_number = v.lot_number AND c.test_code = t AND c.outcome = 'pass');
        IF pending IS NOT NULL THEN
            RAISE EXCEPTION 'lot % was released conditionally; administration waits for: %', v.lot_number, pending
                USING ERRCODE = 'CL409', COLUMN = 'vialId';
        END IF;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER administration_rules BEFORE INSERT ON administration FOR EACH ROW EXECUTE FUNCTION check_administration();

-- Administration is a signing step (rule 6) and needs its administration record.
CREATE FUNCTION check_signed_administration() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'administered' AND OLD.status <> 'administered' AND (
        NOT EXISTS (SELECT 1 FROM administration a WHERE a.vial_id = NEW.id)
        OR NOT EXISTS (SELECT 1 FROM custody_event e WHERE e.subject_type = 'vial' AND e.subject_id = NEW.id
                       AND e.to_state = 'administered' AND e.signature IS NOT NULL AND e.occurred_at = now())) THEN
        RAISE EXCEPTION 'administering vial % is a signing step with a bedside identity check', NEW.id
            USING ERRCODE = 'CL409', COLUMN = 'signature';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER vial_signed_administration AFTER UPDATE OF status ON vial DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION check_signed_administration();

REVOKE UPDATE, DELETE, TRUNCATE ON allocation_plan, shipment_vial, administration FROM cryoledger_app;
REVOKE DELETE, TRUNCATE ON allocation, reservation, shipment FROM cryoledger_app;
