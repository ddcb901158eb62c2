-- The schema of a freshly migrated database (db/migrations, in order): pg_dump --schema-only --no-owner, normalised.
-- Generated; do not edit. Regenerate with db/schema.sh after adding a migration; the test suite
-- (OnePlaceTests/schemaMatchesMigrations) fails while it differs from what the migrations make.
CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;

COMMENT ON EXTENSION btree_gist IS 'support for indexing common datatypes in GiST';

CREATE FUNCTION public.check_administration() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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

CREATE FUNCTION public.check_cohort_capacity() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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

CREATE FUNCTION public.check_console_session_cap() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM 1 FROM app_user WHERE id = NEW.user_id FOR UPDATE;
    IF (SELECT count(*) FROM console_session WHERE user_id = NEW.user_id AND ended_at IS NULL) >= console_session_max_open() THEN
        RAISE EXCEPTION 'a user has at most % console sessions open at once; end one first', console_session_max_open()
            USING ERRCODE = 'CL409', COLUMN = 'session';
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION public.check_dlt_window() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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

CREATE FUNCTION public.check_handoff_scanned() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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

CREATE FUNCTION public.check_hold_lift() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF OLD.status = 'on-hold' AND NEW.status IN ('in-process', 'quarantine', 'released') AND NEW.status IS DISTINCT FROM OLD.held_from THEN
        RAISE EXCEPTION 'lot % was held from %; lifting the hold returns it there, not to %', NEW.lot_number, OLD.held_from, NEW.status
            USING ERRCODE = 'CL409', COLUMN = 'status';
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION public.check_hold_lot_state() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NEW.subject_type = 'lot' THEN
        PERFORM lot_hold_state_ok(NEW.subject_id);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION public.check_hold_subject() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    found_it boolean;
BEGIN
    found_it := CASE NEW.subject_type
        WHEN 'lot' THEN EXISTS (SELECT 1 FROM lot WHERE lot_number = NEW.subject_id)
        WHEN 'vial' THEN EXISTS (SELECT 1 FROM vial WHERE id = NEW.subject_id)
        WHEN 'donor' THEN EXISTS (SELECT 1 FROM donor WHERE code = NEW.subject_id)
        WHEN 'freezer' THEN EXISTS (SELECT 1 FROM freezer WHERE id = NEW.subject_id)
    END;
    IF NOT found_it THEN
        RAISE EXCEPTION 'no % %', NEW.subject_type, NEW.subject_id USING ERRCODE = 'CL422', COLUMN = 'subjectId';
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION public.check_hold_update() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP <> 'UPDATE' OR OLD.lifted_at IS NOT NULL
       OR (NEW.subject_type, NEW.subject_id, NEW.reason, NEW.source, NEW.source_ref, NEW.placed_by, NEW.placed_at)
          IS DISTINCT FROM (OLD.subject_type, OLD.subject_id, OLD.reason, OLD.source, OLD.source_ref, OLD.placed_by, OLD.placed_at) THEN
        RAISE EXCEPTION 'a hold can only be lifted, once; it cannot be edited or deleted' USING ERRCODE = 'CL403';
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION public.check_lot_disposition() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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

CREATE FUNCTION public.check_lot_hold_state() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM lot_hold_state_ok(NEW.lot_number);
    RETURN NULL;
END $$;

CREATE FUNCTION public.check_lot_registration() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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

CREATE FUNCTION public.check_lot_release() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NEW.status = 'released' AND OLD.status = 'quarantine'
       AND NOT EXISTS (SELECT 1 FROM lot_disposition d WHERE d.lot_number = NEW.lot_number AND d.decision = 'released') THEN
        RAISE EXCEPTION 'lot % has no signed release disposition', NEW.lot_number USING ERRCODE = 'CL409', COLUMN = 'status';
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION public.check_patient_eligible() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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

CREATE FUNCTION public.check_position_in_box() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    box_rows    smallint;
    box_columns smallint;
BEGIN
    SELECT b.rows, b.columns INTO box_rows, box_columns FROM public.box b WHERE b.id = NEW.box_id;
    IF FOUND AND (NEW.row_no > box_rows OR NEW.column_no > box_columns) THEN
        RAISE EXCEPTION 'position (%, %) is outside box % (% x %)', NEW.row_no, NEW.column_no, NEW.box_id, box_rows, box_columns
            USING ERRCODE = 'CL422', COLUMN = 'row';
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION public.check_position_vial_stored() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    st text;
BEGIN
    SELECT status INTO st FROM vial WHERE id = NEW.vial_id;
    IF NOT vial_status_may_sit_in_position(st) THEN
        RAISE EXCEPTION 'a % vial cannot be put into storage', st USING ERRCODE = 'CL409', COLUMN = 'vialId';
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION public.check_reservation() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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

CREATE FUNCTION public.check_shipment_update() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP <> 'UPDATE' OR OLD.received_at IS NOT NULL
       OR (NEW.id, NEW.from_site, NEW.to_site, NEW.dry_shipper_id, NEW.data_logger_id, NEW.validated_hold_hours, NEW.shipped_by, NEW.shipped_at, NEW.expected_arrival)
          IS DISTINCT FROM (OLD.id, OLD.from_site, OLD.to_site, OLD.dry_shipper_id, OLD.data_logger_id, OLD.validated_hold_hours, OLD.shipped_by, OLD.shipped_at, OLD.expected_arrival) THEN
        RAISE EXCEPTION 'a shipment can only be received, once' USING ERRCODE = 'CL403';
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION public.check_signed_administration() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NEW.status = 'administered' AND OLD.status <> 'administered' AND (
        NOT EXISTS (SELECT 1 FROM administration a WHERE a.vial_id = NEW.id)
        OR NOT signed_event_in_transaction('vial', NEW.id, p_to_state => 'administered')) THEN
        RAISE EXCEPTION 'administering vial % is a signing step with a bedside identity check', NEW.id
            USING ERRCODE = 'CL409', COLUMN = 'signature';
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION public.check_signed_clearance() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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

CREATE FUNCTION public.check_signed_cohort_decision() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NOT signed_event_in_transaction('study', NEW.cohort_id, p_action => 'cohort.decided') THEN
        RAISE EXCEPTION 'a cohort decision is a signed clinical decision' USING ERRCODE = 'CL409', COLUMN = 'signature';
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION public.check_signed_hold_lift() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NEW.lifted_at IS NOT NULL AND NOT signed_event_in_transaction(
           CASE NEW.subject_type WHEN 'freezer' THEN 'storage' ELSE NEW.subject_type END, NEW.subject_id,
           p_action => 'hold.lifted', p_hold_id => NEW.id::text) THEN
        RAISE EXCEPTION 'lifting hold % is a signing step: it needs a signed custody event in the same transaction', NEW.id
            USING ERRCODE = 'CL409', COLUMN = 'signature';
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION public.check_signed_lot_transition() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status AND lot_is_signing_step(OLD.status, NEW.status)
       AND NOT signed_event_in_transaction('lot', NEW.lot_number, p_to_state => NEW.status) THEN
        RAISE EXCEPTION 'lot % % -> % is a signing step: it needs a signed custody event in the same transaction',
            NEW.lot_number, OLD.status, NEW.status USING ERRCODE = 'CL409', COLUMN = 'signature';
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION public.check_status_transition() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        PERFORM 1 FROM lot_transition WHERE TG_TABLE_NAME = 'lot' AND from_status = OLD.status AND to_status = NEW.status
        UNION ALL
        SELECT 1 FROM vial_transition WHERE TG_TABLE_NAME = 'vial' AND from_status = OLD.status AND to_status = NEW.status;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'illegal % status transition % -> %', TG_TABLE_NAME, OLD.status, NEW.status
                USING ERRCODE = 'CL409', COLUMN = 'status', TABLE = TG_TABLE_NAME;
        END IF;
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION public.check_thaw_readiness() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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

CREATE FUNCTION public.check_time_out_of_storage() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NEW.checked_in_at IS NOT NULL AND time_out_of_storage_exceeded(NEW.vial_id)
       AND NOT EXISTS (SELECT 1 FROM hold h WHERE h.subject_type = 'vial' AND h.subject_id = NEW.vial_id
                                             AND h.source = 'time-out' AND h.lifted_at IS NULL) THEN
        RAISE EXCEPTION 'vial % has exceeded its time out of storage; it must be held', NEW.vial_id USING ERRCODE = 'CL409', COLUMN = 'vialId';
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION public.check_vial_checkout_placed() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    st text;
BEGIN
    SELECT status INTO st FROM vial WHERE id = NEW.vial_id;
    IF NOT vial_status_may_sit_in_position(st) OR NOT EXISTS (SELECT 1 FROM vial_position p WHERE p.vial_id = NEW.vial_id) THEN
        RAISE EXCEPTION 'vial % is not in storage (%); only a placed vial is checked out', NEW.vial_id, st USING ERRCODE = 'CL409', COLUMN = 'vialId';
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION public.check_vial_checkout_update() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP <> 'UPDATE' OR OLD.checked_in_at IS NOT NULL
       OR (NEW.vial_id, NEW.purpose, NEW.box_id, NEW.checked_out_at, NEW.checked_out_by)
          IS DISTINCT FROM (OLD.vial_id, OLD.purpose, OLD.box_id, OLD.checked_out_at, OLD.checked_out_by) THEN
        RAISE EXCEPTION 'a check-out is history: it can only be checked in, once' USING ERRCODE = 'CL403';
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION public.check_vial_filling() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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

CREATE FUNCTION public.check_vial_movable() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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

CREATE FUNCTION public.check_vial_reservation() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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

CREATE FUNCTION public.check_vial_usable() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    why text;
BEGIN
    IF NEW.status IN ('reserved', 'shipped') AND NEW.status IS DISTINCT FROM OLD.status THEN
        why := vial_blockers(NEW.id);
        IF why IS NOT NULL THEN
            RAISE EXCEPTION 'vial % cannot be %: %', NEW.id, NEW.status, why USING ERRCODE = 'CL409', COLUMN = 'vialId';
        END IF;
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION public.conditional_release_pending(p_lot text) RETURNS text[]
    LANGUAGE sql STABLE
    AS $$
    SELECT array_agg(t ORDER BY t) FROM lot_disposition d, unnest(d.pending_tests) t
    WHERE d.lot_number = p_lot AND d.kind = 'conditional'
      AND NOT EXISTS (SELECT 1 FROM qc_current c WHERE c.lot_number = p_lot AND c.test_code = t AND c.outcome = 'pass')
$$;

CREATE FUNCTION public.console_session_max_open() RETURNS integer
    LANGUAGE sql IMMUTABLE
    AS $$SELECT 3$$;

CREATE FUNCTION public.custody_checkpoint_boundary() RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public'
    AS $$
BEGIN
    LOCK TABLE custody_event IN SHARE ROW EXCLUSIVE MODE;
    RETURN coalesce((SELECT max(id) FROM custody_event), 0);
END $$;

CREATE FUNCTION public.custody_event_chain() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.occurred_at := now();
    LOOP
        UPDATE custody_head h
           SET seq = h.seq + 1,
               prev_hash = coalesce(h.hash, '\x'::bytea),
               hash = custody_event_digest_with(NEW, h.seq + 1, coalesce(h.hash, '\x'::bytea))
         WHERE h.subject_type = NEW.subject_type AND h.subject_id = NEW.subject_id
        RETURNING h.seq, h.prev_hash, h.hash INTO NEW.seq, NEW.prev_hash, NEW.hash;
        EXIT WHEN FOUND;
        -- First event of the subject. A concurrent first event makes this insert do nothing; then update instead.
        NEW.seq := 1;
        NEW.prev_hash := '\x'::bytea;
        NEW.hash := custody_event_digest_with(NEW, 1, '\x'::bytea);
        INSERT INTO custody_head (subject_type, subject_id, seq, hash, prev_hash)
            VALUES (NEW.subject_type, NEW.subject_id, 1, NEW.hash, '\x'::bytea)
            ON CONFLICT (subject_type, subject_id) DO NOTHING;
        EXIT WHEN FOUND;
    END LOOP;
    RETURN NEW;
END $$;

CREATE TABLE public.custody_event (
    id bigint NOT NULL,
    subject_type text NOT NULL,
    subject_id text NOT NULL,
    seq bigint NOT NULL,
    action text NOT NULL,
    actor_id bigint,
    actor_name text NOT NULL,
    actor_role text NOT NULL,
    occurred_at timestamp with time zone DEFAULT now() NOT NULL,
    from_state text,
    to_state text,
    from_location text,
    to_location text,
    reason text,
    details jsonb DEFAULT '{}'::jsonb NOT NULL,
    signature jsonb,
    corrects_event bigint,
    prev_hash bytea NOT NULL,
    hash bytea NOT NULL,
    CONSTRAINT custody_event_action_check CHECK ((action ~ '^[a-z][a-z0-9.-]*$'::text)),
    CONSTRAINT custody_event_correction_reason CHECK (((corrects_event IS NULL) OR (reason IS NOT NULL))),
    CONSTRAINT custody_event_subject_type_check CHECK ((subject_type = ANY (ARRAY['user'::text, 'product'::text, 'donor'::text, 'lot'::text, 'vial'::text, 'storage'::text, 'study'::text, 'patient'::text, 'allocation'::text, 'shipment'::text, 'security'::text, 'supply-forecast'::text])))
);

CREATE FUNCTION public.custody_event_digest(e public.custody_event) RETURNS bytea
    LANGUAGE sql STABLE
    AS $$
    SELECT custody_event_digest_with(e, e.seq, e.prev_hash)
$$;

CREATE FUNCTION public.custody_event_digest_with(e public.custody_event, seq bigint, prev_hash bytea) RETURNS bytea
    LANGUAGE sql STABLE
    AS $$
    SELECT sha256(convert_to(concat_ws(E'\x1f',
        e.subject_type, e.subject_id, seq::text, e.action,
        coalesce(e.actor_id::text, ''), e.actor_name, e.actor_role,
        to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        coalesce(e.from_state, ''), coalesce(e.to_state, ''),
        coalesce(e.from_location, ''), coalesce(e.to_location, ''),
        coalesce(e.reason, ''), e.details::text, coalesce(e.signature::text, ''),
        coalesce(e.corrects_event::text, '')), 'UTF8') || prev_hash)
$$;

CREATE FUNCTION public.custody_event_immutable() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION 'custody events cannot be changed or deleted; record a correction instead'
        USING ERRCODE = 'CL403';
END $$;

CREATE FUNCTION public.custody_event_notifies() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public'
    AS $$
BEGIN
    WITH n AS (
        INSERT INTO notification (kind, subject_type, subject_id, sentence, payload, event_id, site_code, freezer_id, study_code)
        SELECT k.kind, e.subject_type, e.subject_id, notification_sentence(k.kind, e.subject_type, e.subject_id),
               jsonb_strip_nulls(jsonb_build_object(
                   'event', e.id, 'action', e.action, 'subjectType', e.subject_type, 'subjectId', e.subject_id,
                   'fromState', e.from_state, 'toState', e.to_state, 'occurredAt', e.occurred_at,
                   'actorRole', e.actor_role, 'holdSource', e.details->>'source', 'hold', e.details->>'hold',
                   'site', sc.site_code, 'freezer', sc.freezer_id, 'study', sc.study_code)),
               e.id, sc.site_code, sc.freezer_id, sc.study_code
        FROM new_events e
        CROSS JOIN LATERAL (SELECT notification_kind(e.action, e.to_state, e.details->>'source') AS kind) k
        CROSS JOIN LATERAL notification_scope(e.subject_type, e.subject_id) sc
        WHERE k.kind IS NOT NULL
        ORDER BY e.id
        RETURNING id, kind, event_id, site_code, freezer_id, study_code
    ), hooks AS (
        INSERT INTO notification_delivery (notification_id, endpoint_id)
        SELECT n.id, w.id FROM n JOIN webhook_endpoint w ON w.active
        WHERE CASE WHEN n.kind = 'webhook.test'
                   THEN w.name = (SELECT e.details->>'endpoint' FROM new_events e WHERE e.id = n.event_id)
                   ELSE cardinality(w.kinds) = 0 OR n.kind = ANY (w.kinds) END
    )
    INSERT INTO mail_message (notification_ids, recipients)
    SELECT ARRAY[n.id], array_agg(u.email ORDER BY u.id)
    FROM n JOIN app_user u ON u.email IS NOT NULL AND u.deactivated_at IS NULL
    WHERE notification_mode(u.id, u.role, n.kind, n.site_code, n.freezer_id, n.study_code) = 'immediate'
    GROUP BY n.id;
    IF EXISTS (SELECT 1 FROM new_events e WHERE notification_kind(e.action, e.to_state, e.details->>'source') IS NOT NULL) THEN
        PERFORM pg_notify('cryoledger_outbox', '');
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION public.handoff_scanned(p_vial text, p_action text) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
    SELECT EXISTS (
        SELECT 1 FROM custody_event e
        WHERE e.subject_type = 'vial' AND e.subject_id = p_vial AND e.action = p_action AND e.occurred_at = now()
          AND e.details->>'scannedVial' = p_vial
          AND (p_action <> 'vial.shipped' OR e.details->>'scannedDryShipper' = e.details->>'dryShipper')
          AND (p_action <> 'vial.thawed' OR e.details->>'scannedPatient' =
               (SELECT r.subject_id FROM reservation r WHERE r.vial_id = p_vial AND r.cancelled_at IS NULL)))
$$;

CREATE FUNCTION public.infusion_readiness(p_subject text) RETURNS text
    LANGUAGE plpgsql STABLE
    AS $$
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

CREATE FUNCTION public.lot_hold_state_ok(lot_no text) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    st text;
    held boolean;
BEGIN
    SELECT status INTO st FROM lot WHERE lot_number = lot_no;
    held := EXISTS (SELECT 1 FROM hold WHERE subject_type = 'lot' AND subject_id = lot_no AND lifted_at IS NULL);
    IF st = 'on-hold' AND NOT held THEN
        RAISE EXCEPTION 'lot % is on hold with no active hold; place a hold with a reason', lot_no USING ERRCODE = 'CL409', COLUMN = 'status';
    END IF;
    IF st IN ('in-process', 'quarantine', 'released') AND held THEN
        RAISE EXCEPTION 'lot % has an active hold and must be on hold', lot_no USING ERRCODE = 'CL409', COLUMN = 'status';
    END IF;
END $$;

CREATE FUNCTION public.lot_is_signing_step(p_from text, p_to text) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT p_to IN ('released', 'rejected', 'recalled') OR (p_from = 'on-hold' AND p_to IN ('in-process', 'quarantine'))
$$;

CREATE FUNCTION public.lot_number_valid(p_lot text) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $_$
    SELECT p_lot ~ '^[A-Z0-9][A-Z0-9-]{2,31}$'
$_$;

CREATE FUNCTION public.mod37_2_check_char(body text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT
    AS $$
DECLARE
    alphabet constant text := '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*';
    p integer := 0;
    v integer;
    i integer;
BEGIN
    FOR i IN 1 .. length(body) LOOP
        v := strpos(alphabet, substr(body, i, 1)) - 1;
        IF v < 0 OR v > 35 THEN
            RETURN NULL;
        END IF;
        p := ((p + v) * 2) % 37;
    END LOOP;
    RETURN substr(alphabet, ((38 - p) % 37) + 1, 1);
END $$;

CREATE FUNCTION public.notification_kind(action text, to_state text, source text) RETURNS text
    LANGUAGE sql STABLE
    AS $_$
    SELECT r.kind FROM notification_kind_rule r
     WHERE r.action = $1 AND (r.to_state IS NULL OR r.to_state = $2) AND NOT (coalesce($3, '') = ANY (r.quiet_sources))
$_$;

CREATE FUNCTION public.notification_mode(p_user bigint, p_role text, p_kind text, p_site text, p_freezer text, p_study text) RETURNS text
    LANGUAGE sql STABLE
    AS $$
    SELECT CASE
        WHEN NOT EXISTS (SELECT 1 FROM notification_audience a WHERE a.kind = p_kind AND a.role = p_role) THEN 'off'
        WHEN EXISTS (SELECT 1 FROM notification_subscription s WHERE s.user_id = p_user AND s.kind = p_kind) THEN
            coalesce((SELECT s.mode FROM notification_subscription s
                      WHERE s.user_id = p_user AND s.kind = p_kind
                        AND (s.scope_type = 'all' OR (s.scope_type = 'site' AND s.scope_id = p_site)
                             OR (s.scope_type = 'freezer' AND s.scope_id = p_freezer) OR (s.scope_type = 'study' AND s.scope_id = p_study))
                      ORDER BY array_position(ARRAY['immediate', 'hourly', 'daily', 'off'], s.mode) LIMIT 1), 'off')
        ELSE (SELECT a.default_mode FROM notification_audience a WHERE a.kind = p_kind AND a.role = p_role)
    END
$$;

CREATE FUNCTION public.notification_scope(subject_type text, subject_id text, OUT site_code text, OUT freezer_id text, OUT study_code text) RETURNS record
    LANGUAGE sql STABLE
    AS $$
    SELECT CASE subject_type
               WHEN 'storage' THEN coalesce((SELECT f.site_code FROM freezer f WHERE f.id = subject_id),
                                            (SELECT f.site_code FROM box b JOIN rack r ON r.id = b.rack_id JOIN freezer f ON f.id = r.freezer_id
                                             WHERE b.id = subject_id),
                                            (SELECT s.code FROM site s WHERE s.code = subject_id))
               WHEN 'vial' THEN (SELECT f.site_code FROM vial_position p JOIN box b ON b.id = p.box_id JOIN rack r ON r.id = b.rack_id
                                 JOIN freezer f ON f.id = r.freezer_id WHERE p.vial_id = subject_id)
               WHEN 'patient' THEN (SELECT p.site_code FROM patient p WHERE p.subject_id = notification_scope.subject_id)
               WHEN 'shipment' THEN (SELECT s.to_site FROM shipment s WHERE s.id = subject_id)
           END,
           CASE subject_type
               WHEN 'storage' THEN coalesce((SELECT f.id FROM freezer f WHERE f.id = subject_id),
                                            (SELECT r.freezer_id FROM box b JOIN rack r ON r.id = b.rack_id WHERE b.id = subject_id))
               WHEN 'vial' THEN (SELECT r.freezer_id FROM vial_position p JOIN box b ON b.id = p.box_id JOIN rack r ON r.id = b.rack_id
                                 WHERE p.vial_id = subject_id)
           END,
           CASE subject_type
               WHEN 'patient' THEN (SELECT p.study_code FROM patient p WHERE p.subject_id = notification_scope.subject_id)
               WHEN 'study' THEN subject_id
           END
$$;

CREATE FUNCTION public.notification_sentence(kind text, subject_type text, subject_id text) RETURNS text
    LANGUAGE sql STABLE
    AS $_$
    SELECT coalesce(t.opening, $1)
        || CASE WHEN $2 = 'security' THEN ''
                ELSE coalesce(t.subject_noun, CASE $2 WHEN 'storage' THEN 'freezer' WHEN 'supply-forecast' THEN 'supply forecast' ELSE $2 END)
                     || ' ' || $3 END
    FROM (SELECT $1 AS kind) k LEFT JOIN notification_kind_text t ON t.kind = k.kind
$_$;

CREATE FUNCTION public.notification_subscription_allowed() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM notification_audience a JOIN app_user u ON u.role = a.role
                   WHERE u.id = NEW.user_id AND a.kind = NEW.kind) THEN
        RAISE EXCEPTION 'the role of user % may not receive % notifications', NEW.user_id, NEW.kind
            USING ERRCODE = 'check_violation', CONSTRAINT = 'notification_subscription_allowed';
    END IF;
    RETURN NEW;
END
$$;

CREATE FUNCTION public.patient_infusion_day(p_subject text) RETURNS date
    LANGUAGE sql STABLE
    AS $$
    SELECT coalesce((SELECT r.to_on FROM infusion_reschedule r WHERE r.subject_id = p_subject ORDER BY r.id DESC LIMIT 1),
                    (SELECT p.infusion_on FROM patient p WHERE p.subject_id = p_subject))
$$;

CREATE FUNCTION public.sign_in_throttle_delay(kind text, failures integer) RETURNS integer
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT CASE WHEN failures <= free THEN 0 ELSE least(900, power(2, least(failures - free - 1, 20)))::integer END
    FROM (SELECT CASE kind WHEN 'login' THEN 3 ELSE 10 END AS free) f
$$;

CREATE FUNCTION public.sign_in_throttle_succeeded(p_login_key text, p_address_key text) RETURNS void
    LANGUAGE sql
    AS $$
    UPDATE sign_in_throttle SET failures = 0, blocked_until = NULL WHERE key = p_login_key;
    UPDATE sign_in_throttle SET failures = greatest(failures - 1, 0) WHERE key = p_address_key;
$$;

CREATE FUNCTION public.sign_in_throttle_take(p_keys text[]) RETURNS TABLE(throttle_key text, streak integer, wait_seconds integer)
    LANGUAGE plpgsql
    AS $$
DECLARE
    k text;
    longest integer := 0;
BEGIN
    FOR k IN SELECT DISTINCT x FROM unnest(p_keys) x ORDER BY x LOOP
        INSERT INTO sign_in_throttle AS t (key) VALUES (k)
        ON CONFLICT (key) DO UPDATE
            SET failures = CASE WHEN t.last_failure_at < now() - interval '1 hour' THEN 0 ELSE t.failures END,
                blocked_until = CASE WHEN t.last_failure_at < now() - interval '1 hour' THEN NULL ELSE t.blocked_until END;
    END LOOP;
    SELECT coalesce(max(ceil(extract(epoch FROM t.blocked_until - clock_timestamp()))), 0)::integer INTO longest
    FROM sign_in_throttle t WHERE t.key = ANY (p_keys) AND t.blocked_until > clock_timestamp();
    IF longest > 0 THEN
        RETURN QUERY SELECT t.key, t.failures, longest FROM sign_in_throttle t WHERE t.key = ANY (p_keys);
        RETURN;
    END IF;
    RETURN QUERY
        UPDATE sign_in_throttle t SET failures = t.failures + 1, last_failure_at = now(),
               blocked_until = now() + make_interval(secs => sign_in_throttle_delay(split_part(t.key, ':', 1), t.failures + 1))
        WHERE t.key = ANY (p_keys)
        RETURNING t.key, t.failures, 0;
END $$;

CREATE FUNCTION public.signature_lockout_fail(p_user bigint, p_tries integer) RETURNS boolean
    LANGUAGE sql
    AS $$
    WITH locked AS (
        UPDATE app_user SET locked_at = now()
        WHERE id = p_user AND locked_at IS NULL AND p_tries >= signature_lockout_limit() AND failed_signatures >= signature_lockout_limit()
        RETURNING id)
    SELECT EXISTS (SELECT 1 FROM locked)
$$;

CREATE FUNCTION public.signature_lockout_limit() RETURNS integer
    LANGUAGE sql IMMUTABLE
    AS $$SELECT 5$$;

CREATE FUNCTION public.signature_lockout_take(p_user bigint) RETURNS TABLE(tries integer, password_hash text)
    LANGUAGE sql
    AS $$
    UPDATE app_user SET failed_signatures = failed_signatures + 1
    WHERE id = p_user AND locked_at IS NULL AND deactivated_at IS NULL AND password_hash IS NOT NULL
      AND failed_signatures < signature_lockout_limit()
    RETURNING failed_signatures, password_hash
$$;

CREATE FUNCTION public.signed_event_in_transaction(p_subject_type text, p_subject_id text, p_to_state text DEFAULT NULL::text, p_action text DEFAULT NULL::text, p_hold_id text DEFAULT NULL::text) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
    SELECT EXISTS (
        SELECT 1 FROM custody_event e
        WHERE e.subject_type = p_subject_type AND e.subject_id = p_subject_id
          AND (p_to_state IS NULL OR e.to_state = p_to_state)
          AND (p_action IS NULL OR e.action = p_action)
          AND (p_hold_id IS NULL OR e.details->>'hold' = p_hold_id)
          AND e.signature IS NOT NULL AND e.occurred_at = now())
$$;

CREATE FUNCTION public.site_label_printer_address(address text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT
    AS $_$
    SELECT address ~ '^[A-Za-z0-9][A-Za-z0-9.-]{0,252}:[0-9]{1,5}$'
       AND CASE WHEN address ~ ':[0-9]{1,5}$' THEN substring(address FROM ':([0-9]{1,5})$')::integer BETWEEN 1 AND 65535 ELSE false END
$_$;

CREATE FUNCTION public.storage_fullness_crossings(boxes text[]) RETURNS TABLE(subject_type text, subject_id text, used bigint, capacity bigint)
    LANGUAGE sql
    AS $$
    WITH touched_box AS (
        SELECT b.id, r.freezer_id FROM box b JOIN rack r ON r.id = b.rack_id WHERE b.id = ANY (boxes)
    ), usage AS (
        SELECT 'box'::text AS subject_type, b.id AS subject_id,
               (SELECT count(*) FROM vial_position p WHERE p.box_id = b.id) AS used, (b.rows * b.columns)::bigint AS capacity
        FROM box b WHERE b.id IN (SELECT id FROM touched_box)
        UNION ALL
        SELECT 'freezer', f.id,
               (SELECT count(*) FROM vial_position p JOIN box b ON b.id = p.box_id JOIN rack r ON r.id = b.rack_id WHERE r.freezer_id = f.id),
               (SELECT coalesce(sum(b.rows * b.columns), 0) FROM box b JOIN rack r ON r.id = b.rack_id WHERE r.freezer_id = f.id)
        FROM freezer f WHERE f.id IN (SELECT freezer_id FROM touched_box)
    ), flipped AS (
        SELECT u.*, storage_nearly_full(u.used, u.capacity) AS nearly_full FROM usage u
        WHERE storage_nearly_full(u.used, u.capacity) IS DISTINCT FROM
              coalesce((SELECT s.nearly_full FROM storage_fullness s WHERE s.subject_type = u.subject_type AND s.subject_id = u.subject_id), false)
    ), written AS (
        INSERT INTO storage_fullness AS s (subject_type, subject_id, nearly_full)
        SELECT subject_type, subject_id, nearly_full FROM flipped
        ON CONFLICT (subject_type, subject_id) DO UPDATE SET nearly_full = EXCLUDED.nearly_full, changed_at = now()
            WHERE s.nearly_full IS DISTINCT FROM EXCLUDED.nearly_full
        RETURNING s.subject_type, s.subject_id, s.nearly_full
    )
    SELECT w.subject_type, w.subject_id, f.used, f.capacity FROM written w
    JOIN flipped f ON f.subject_type = w.subject_type AND f.subject_id = w.subject_id
    WHERE w.nearly_full ORDER BY w.subject_type, w.subject_id
$$;

CREATE FUNCTION public.storage_nearly_full(used bigint, capacity bigint) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT capacity > 0 AND used * 10 > capacity * 9 $$;

CREATE FUNCTION public.thaw_window_closes_at(p_vial text) RETURNS timestamp with time zone
    LANGUAGE sql STABLE
    AS $$
    SELECT v.thawed_at + p.thaw_to_infusion_minutes * interval '1 minute'
    FROM vial v JOIN lot l ON l.lot_number = v.lot_number JOIN product p ON p.code = l.product_code WHERE v.id = p_vial
$$;

CREATE FUNCTION public.time_out_of_storage_default_minutes() RETURNS integer
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT 30 $$;

CREATE FUNCTION public.time_out_of_storage_exceeded(v_id text) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
    SELECT vial_time_out_seconds(v_id) > p.max_time_out_minutes * 60
    FROM vial v JOIN lot l ON l.lot_number = v.lot_number JOIN product p ON p.code = l.product_code WHERE v.id = v_id
$$;

CREATE FUNCTION public.tlog_all_ended(xids text[]) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
    SELECT coalesce(bool_and(pg_xact_status(x::xid8) IS DISTINCT FROM 'in progress'), true) FROM unnest(xids) x
$$;

CREATE FUNCTION public.tlog_boundary_candidate(OUT max_id bigint, OUT running text[]) RETURNS record
    LANGUAGE sql STABLE
    AS $$
    SELECT coalesce((SELECT max(id) FROM custody_event), 0),
           array(SELECT x::text FROM pg_snapshot_xip(pg_current_snapshot()) x
                  WHERE xid(x) IN (SELECT l.transactionid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                                    WHERE l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock'
                                      AND a.datid = (SELECT oid FROM pg_database WHERE datname = current_database())))
$$;

CREATE FUNCTION public.tlog_path_nodes(leaf bigint, size bigint) RETURNS TABLE(level integer, idx bigint, hash bytea)
    LANGUAGE sql STABLE
    AS $$
    SELECT n.level::int, n.idx, n.hash
      FROM (SELECT k::smallint AS level, (leaf >> k) # 1 AS idx FROM generate_series(4, 62) k
             WHERE size >> k > 0 AND (((leaf >> k) # 1) + 1) << k <= size
            UNION ALL
            SELECT j::smallint, (size >> j) - 1 FROM generate_series(4, 62) j WHERE (size >> j) & 1 = 1) w
      JOIN tlog_node n ON n.level = w.level AND n.idx = w.idx
    UNION ALL
    SELECT 0, l.idx, l.hash
      FROM (SELECT ((leaf >> 4) << 4) + o AS idx FROM generate_series(0, 15) o
            UNION ALL
            SELECT ((size >> 4) << 4) + o FROM generate_series(0, 15) o) w
      JOIN tlog_leaf l ON l.idx = w.idx
     WHERE w.idx < size
$$;

CREATE FUNCTION public.vial_availability(v_ids text[]) RETURNS TABLE(vial_id text, code text, detail text)
    LANGUAGE sql STABLE
    AS $$
    WITH v AS (
        SELECT v.id, l.lot_number, l.status AS lot_status, l.expires_on, l.donor_code, r.freezer_id
        FROM vial v JOIN lot l ON l.lot_number = v.lot_number
        LEFT JOIN vial_position p ON p.vial_id = v.id LEFT JOIN box b ON b.id = p.box_id LEFT JOIN rack r ON r.id = b.rack_id
        WHERE v.id = ANY(v_ids)
    )
    SELECT id, code, detail FROM (
        SELECT v.id, 1 AS ord, 0::bigint AS seq,
               CASE v.lot_status WHEN 'rejected' THEN 'lot-rejected' WHEN 'recalled' THEN 'lot-recalled' ELSE 'lot-not-released' END AS code,
               'lot ' || v.lot_number || CASE v.lot_status WHEN 'rejected' THEN ' was rejected' WHEN 'recalled' THEN ' was recalled'
                                                          WHEN 'quarantine' THEN ' is in quarantine, not released'
                                                          ELSE ' is in process, not released' END AS detail
        FROM v WHERE v.lot_status IN ('in-process', 'quarantine', 'rejected', 'recalled')
        UNION ALL
        SELECT v.id, 2, 0, 'lot-expired', 'lot ' || v.lot_number || ' expired on ' || v.expires_on
        FROM v WHERE v.lot_status = 'expired' OR v.expires_on < current_date
        UNION ALL
        SELECT v.id, 3, c.id, 'checked-out', 'vial ' || v.id || ' is checked out of storage (' || c.purpose || ')'
        FROM v JOIN vial_checkout c ON c.vial_id = v.id AND c.checked_in_at IS NULL
        UNION ALL
        SELECT v.id, 4, h.id, h.subject_type || '-on-hold', h.subject_type || ' ' || h.subject_id || ' is on hold: ' || h.reason
        FROM v CROSS JOIN LATERAL (VALUES ('vial', v.id), ('lot', v.lot_number), ('donor', v.donor_code), ('freezer', v.freezer_id)) s(t, i)
        JOIN hold h ON h.subject_type = s.t AND h.subject_id = s.i AND h.lifted_at IS NULL
    ) reasons
    ORDER BY id, ord, seq
$$;

CREATE FUNCTION public.vial_blockers(v_id text) RETURNS text
    LANGUAGE sql STABLE
    AS $$
    SELECT string_agg(a.detail, '; ' ORDER BY a.n) FROM vial_availability(ARRAY[v_id]) WITH ORDINALITY a(vial_id, code, detail, n)
$$;

CREATE FUNCTION public.vial_cannot_move(v_id text) RETURNS text
    LANGUAGE sql STABLE
    AS $$
    SELECT CASE
        WHEN NOT vial_status_may_sit_in_position(v.status) THEN 'vial ' || v.id || ' is ' || v.status
        WHEN EXISTS (SELECT 1 FROM vial_checkout c WHERE c.vial_id = v.id AND c.checked_in_at IS NULL)
            THEN 'vial ' || v.id || ' is checked out of storage'
    END
    FROM vial v WHERE v.id = v_id
$$;

CREATE FUNCTION public.vial_position_history_close() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public'
    AS $$
BEGIN
    UPDATE vial_location_history h SET during = tstzrange(lower(h.during), greatest(lower(h.during), now()))
    FROM old_rows o WHERE h.vial_id = o.vial_id AND upper_inf(h.during);
    RETURN NULL;
END $$;

CREATE FUNCTION public.vial_position_history_open() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public'
    AS $$
BEGIN
    INSERT INTO vial_location_history (vial_id, box_id, row_no, column_no, during)
    SELECT n.vial_id, n.box_id, n.row_no, n.column_no, tstzrange(now(), NULL) FROM new_rows n;
    RETURN NULL;
END $$;

CREATE FUNCTION public.vial_serial_keep_ahead() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public'
    AS $$
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

CREATE FUNCTION public.vial_status_may_sit_in_position(st text) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT st IN ('stored', 'reserved')
$$;

CREATE FUNCTION public.vial_time_out_seconds(v_id text) RETURNS double precision
    LANGUAGE sql STABLE
    AS $$
    SELECT coalesce(sum(extract(epoch FROM c.checked_in_at - c.checked_out_at)), 0)::float8
    FROM vial_checkout c WHERE c.vial_id = v_id AND c.checked_in_at IS NOT NULL
$$;

CREATE TABLE public.administration (
    vial_id text NOT NULL,
    subject_id text NOT NULL,
    administered_by bigint NOT NULL,
    administered_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.allocation (
    id bigint NOT NULL,
    plan_id uuid,
    subject_id text NOT NULL,
    lot_number text NOT NULL,
    vial_count integer NOT NULL,
    status text DEFAULT 'reserved'::text NOT NULL,
    created_by bigint NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    cancelled_at timestamp with time zone,
    cancel_reason text,
    CONSTRAINT allocation_check CHECK ((((status = 'cancelled'::text) = (cancelled_at IS NOT NULL)) AND ((cancelled_at IS NULL) = (cancel_reason IS NULL)))),
    CONSTRAINT allocation_status_check CHECK ((status = ANY (ARRAY['reserved'::text, 'cancelled'::text, 'administered'::text]))),
    CONSTRAINT allocation_vial_count_check CHECK ((vial_count > 0))
);

ALTER TABLE public.allocation ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.allocation_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.allocation_plan (
    id uuid NOT NULL,
    as_of date NOT NULL,
    instance jsonb NOT NULL,
    plan jsonb NOT NULL,
    vials jsonb NOT NULL,
    created_by bigint NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.api_token (
    id uuid NOT NULL,
    user_id bigint NOT NULL,
    secret_hash text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    revoked_at timestamp with time zone,
    CONSTRAINT api_token_secret_hash_form CHECK (((secret_hash ~ '^sha256:[0-9a-f]{64}$'::text) OR (secret_hash ~~ '$2%'::text)))
);

COMMENT ON COLUMN public.api_token.secret_hash IS 'sha256:<64 hex> of the token secret (TokenHash), or a bcrypt hash ($2...) not yet upgraded';

CREATE TABLE public.app_user (
    id bigint NOT NULL,
    name text NOT NULL,
    role text NOT NULL,
    password_hash text,
    failed_signatures integer DEFAULT 0 NOT NULL,
    locked_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    login text,
    deactivated_at timestamp with time zone,
    email text,
    CONSTRAINT app_user_email CHECK (((email ~ '^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$'::text) AND (length(email) <= 254))),
    CONSTRAINT app_user_failed_signatures_check CHECK ((failed_signatures >= 0)),
    CONSTRAINT app_user_login_check CHECK ((login ~ '^[A-Za-z][A-Za-z0-9._-]{1,63}$'::text)),
    CONSTRAINT app_user_name_check CHECK ((((length(name) >= 2) AND (length(name) <= 100)) AND (name = btrim(name)))),
    CONSTRAINT app_user_role_check CHECK ((role = ANY (ARRAY['manufacturing'::text, 'qc'::text, 'qa'::text, 'clinical'::text, 'pharmacy'::text, 'auditor'::text, 'admin'::text])))
);

ALTER TABLE public.app_user ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.app_user_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.box (
    id text NOT NULL,
    rack_id text NOT NULL,
    label text NOT NULL,
    rows smallint NOT NULL,
    columns smallint NOT NULL,
    CONSTRAINT box_columns_check CHECK (((columns >= 1) AND (columns <= 26))),
    CONSTRAINT box_id_check CHECK ((id ~ '^[A-Z0-9][A-Z0-9-]{1,47}$'::text)),
    CONSTRAINT box_label_check CHECK (((length(label) >= 1) AND (length(label) <= 50))),
    CONSTRAINT box_rows_check CHECK (((rows >= 1) AND (rows <= 26)))
);

CREATE TABLE public.cohort (
    id text NOT NULL,
    study_code text NOT NULL,
    indication_code text NOT NULL,
    arm_code text NOT NULL,
    dose_code text NOT NULL,
    state text DEFAULT 'planned'::text NOT NULL,
    capacity smallint DEFAULT 0 NOT NULL,
    outcome text,
    CONSTRAINT cohort_capacity_check CHECK ((capacity = ANY (ARRAY[0, 3, 6]))),
    CONSTRAINT cohort_check CHECK ((id = ((((((study_code || '/'::text) || indication_code) || '/'::text) || dose_code) || '/'::text) || arm_code))),
    CONSTRAINT cohort_check1 CHECK ((((state = 'planned'::text) AND (capacity = 0)) OR ((state = 'open'::text) AND (capacity = 3)) OR ((state = 'expanded'::text) AND (capacity = 6)) OR (state = 'closed'::text))),
    CONSTRAINT cohort_check2 CHECK (((state = 'closed'::text) = (outcome IS NOT NULL))),
    CONSTRAINT cohort_outcome_check CHECK ((outcome = ANY (ARRAY['escalated'::text, 'stopped'::text, 'de-escalated'::text, 'maximum-tolerated-dose'::text]))),
    CONSTRAINT cohort_state_check CHECK ((state = ANY (ARRAY['planned'::text, 'open'::text, 'expanded'::text, 'closed'::text])))
);

CREATE TABLE public.cohort_decision (
    id bigint NOT NULL,
    cohort_id text NOT NULL,
    decision text NOT NULL,
    treated integer NOT NULL,
    dlts integer NOT NULL,
    rationale text NOT NULL,
    decided_by bigint NOT NULL,
    decided_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT cohort_decision_decision_check CHECK ((decision = ANY (ARRAY['escalate'::text, 'expand'::text, 'stop'::text, 'de-escalate'::text])))
);

ALTER TABLE public.cohort_decision ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.cohort_decision_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.console_session (
    id_hash bytea NOT NULL,
    user_id bigint NOT NULL,
    csrf_token text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_seen_at timestamp with time zone DEFAULT now() NOT NULL,
    ended_at timestamp with time zone,
    end_reason text,
    CONSTRAINT console_session_csrf_token_check CHECK ((length(csrf_token) >= 32)),
    CONSTRAINT console_session_end_reason_check CHECK ((end_reason = ANY (ARRAY['signed-out'::text, 'idle'::text, 'replaced'::text, 'deactivated'::text, 'locked'::text, 'expired'::text, 'capped'::text]))),
    CONSTRAINT console_session_id_hash_check CHECK ((length(id_hash) = 32))
);

CREATE TABLE public.console_upload (
    id uuid NOT NULL,
    user_id bigint NOT NULL,
    kind text NOT NULL,
    file_name text NOT NULL,
    content bytea NOT NULL,
    rejects_csv bytea,
    imported_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT console_upload_kind_check CHECK ((kind = ANY (ARRAY['donors'::text, 'lots'::text, 'vials'::text, 'placements'::text])))
);

CREATE TABLE public.custody_checkpoint (
    id bigint NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_event_id bigint NOT NULL,
    event_count bigint NOT NULL,
    chain_hash bytea NOT NULL,
    seal bytea NOT NULL,
    key_id text NOT NULL,
    CONSTRAINT custody_checkpoint_event_count_check CHECK ((event_count >= 0))
);

ALTER TABLE public.custody_checkpoint ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.custody_checkpoint_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

ALTER TABLE public.custody_event ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.custody_event_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.custody_head (
    subject_type text NOT NULL,
    subject_id text NOT NULL,
    seq bigint NOT NULL,
    hash bytea,
    prev_hash bytea
)
WITH (fillfactor='50');

CREATE TABLE public.dlt (
    id bigint NOT NULL,
    subject_id text NOT NULL,
    description text NOT NULL,
    grade smallint NOT NULL,
    onset_on date NOT NULL,
    recorded_by bigint NOT NULL,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT dlt_description_check CHECK (((length(description) >= 1) AND (length(description) <= 500))),
    CONSTRAINT dlt_grade_check CHECK (((grade >= 3) AND (grade <= 5)))
);

ALTER TABLE public.dlt ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.dlt_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.donor (
    code text NOT NULL,
    eligibility text NOT NULL,
    eligibility_decided_at timestamp with time zone,
    registered_at timestamp with time zone DEFAULT now() NOT NULL,
    registered_by bigint NOT NULL,
    CONSTRAINT donor_check CHECK (((eligibility = 'pending'::text) = (eligibility_decided_at IS NULL))),
    CONSTRAINT donor_code_check CHECK ((code ~ '^DN-[0-9]{6}$'::text)),
    CONSTRAINT donor_eligibility_check CHECK ((eligibility = ANY (ARRAY['eligible'::text, 'ineligible'::text, 'pending'::text])))
);

CREATE TABLE public.donor_hla (
    donor_code text NOT NULL,
    locus text NOT NULL,
    copy smallint NOT NULL,
    allele text NOT NULL,
    CONSTRAINT donor_hla_allele_check CHECK ((allele ~ '^(A|B|C|DRB1|DQB1|DPB1)\*[0-9]{2,3}(:[0-9]{2,3}){1,3}[NLSCAQ]?$'::text)),
    CONSTRAINT donor_hla_check CHECK ((split_part(allele, '*'::text, 1) = locus)),
    CONSTRAINT donor_hla_copy_check CHECK ((copy = ANY (ARRAY[1, 2]))),
    CONSTRAINT donor_hla_locus_check CHECK ((locus = ANY (ARRAY['A'::text, 'B'::text, 'C'::text, 'DRB1'::text, 'DQB1'::text, 'DPB1'::text])))
);

CREATE TABLE public.donor_screening_test (
    donor_code text NOT NULL,
    test text NOT NULL,
    result text NOT NULL,
    tested_on date NOT NULL,
    CONSTRAINT donor_screening_test_result_check CHECK ((result = ANY (ARRAY['negative'::text, 'positive'::text, 'non-reactive'::text, 'reactive'::text, 'pass'::text, 'fail'::text, 'pending'::text]))),
    CONSTRAINT donor_screening_test_test_check CHECK (((length(test) >= 1) AND (length(test) <= 100)))
);

CREATE TABLE public.dose_level (
    study_code text NOT NULL,
    code text NOT NULL,
    ordinal integer NOT NULL,
    target_cells bigint NOT NULL,
    basis text NOT NULL,
    CONSTRAINT dose_level_basis_check CHECK ((basis = ANY (ARRAY['flat'::text, 'per-kg'::text]))),
    CONSTRAINT dose_level_code_check CHECK ((code ~ '^DL-?[0-9]{1,2}$'::text)),
    CONSTRAINT dose_level_target_cells_check CHECK ((target_cells > 0))
);

CREATE TABLE public.eligibility_criterion (
    study_code text NOT NULL,
    code text NOT NULL,
    kind text NOT NULL,
    text text NOT NULL,
    indication text,
    CONSTRAINT eligibility_criterion_code_check CHECK ((code ~ '^[a-z][a-z0-9-]{0,47}$'::text)),
    CONSTRAINT eligibility_criterion_kind_check CHECK ((kind = ANY (ARRAY['inclusion'::text, 'exclusion'::text]))),
    CONSTRAINT eligibility_criterion_text_check CHECK (((length(text) >= 1) AND (length(text) <= 500)))
);

CREATE TABLE public.freezer (
    id text NOT NULL,
    site_code text NOT NULL,
    kind text NOT NULL,
    name text NOT NULL,
    max_celsius numeric(5,1) NOT NULL,
    CONSTRAINT freezer_id_check CHECK ((id ~ '^[A-Z0-9][A-Z0-9-]{1,47}$'::text)),
    CONSTRAINT freezer_kind_check CHECK ((kind = ANY (ARRAY['ln2-dewar'::text, 'mechanical'::text]))),
    CONSTRAINT freezer_max_celsius_check CHECK ((max_celsius <= ('-150'::integer)::numeric)),
    CONSTRAINT freezer_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200)))
);

CREATE TABLE public.hold (
    id bigint NOT NULL,
    subject_type text NOT NULL,
    subject_id text NOT NULL,
    reason text NOT NULL,
    source text NOT NULL,
    source_ref text,
    placed_by bigint NOT NULL,
    placed_at timestamp with time zone DEFAULT now() NOT NULL,
    lifted_by bigint,
    lifted_at timestamp with time zone,
    lift_reason text,
    CONSTRAINT hold_check CHECK ((((lifted_at IS NULL) = (lifted_by IS NULL)) AND ((lifted_at IS NULL) = (lift_reason IS NULL)))),
    CONSTRAINT hold_reason_check CHECK (((length(btrim(reason)) >= 1) AND (length(btrim(reason)) <= 500))),
    CONSTRAINT hold_source_check CHECK ((source = ANY (ARRAY['manual'::text, 'look-back'::text, 'excursion'::text, 'shipment-excursion'::text, 'time-out'::text]))),
    CONSTRAINT hold_subject_type_check CHECK ((subject_type = ANY (ARRAY['lot'::text, 'vial'::text, 'donor'::text, 'freezer'::text])))
);

ALTER TABLE public.hold ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.hold_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.infusion_clearance (
    subject_id text NOT NULL,
    cleared_on date NOT NULL,
    items text[] NOT NULL,
    signed_by bigint NOT NULL,
    signed_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.infusion_reschedule (
    id bigint NOT NULL,
    subject_id text NOT NULL,
    from_on date NOT NULL,
    to_on date NOT NULL,
    reason text NOT NULL,
    recorded_by bigint NOT NULL,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT infusion_reschedule_reason_check CHECK (((length(btrim(reason)) >= 1) AND (length(btrim(reason)) <= 500)))
);

ALTER TABLE public.infusion_reschedule ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.infusion_reschedule_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.lot (
    lot_number text NOT NULL,
    product_code text NOT NULL,
    donor_code text NOT NULL,
    manufactured_on date NOT NULL,
    expires_on date NOT NULL,
    cells_per_vial bigint NOT NULL,
    planned_vials integer NOT NULL,
    status text DEFAULT 'in-process'::text NOT NULL,
    held_from text,
    status_changed_at timestamp with time zone DEFAULT now() NOT NULL,
    registered_at timestamp with time zone DEFAULT now() NOT NULL,
    registered_by bigint NOT NULL,
    spec_version integer,
    CONSTRAINT lot_cells_per_vial_check CHECK ((cells_per_vial > 0)),
    CONSTRAINT lot_check CHECK ((expires_on > manufactured_on)),
    CONSTRAINT lot_check1 CHECK (((status = 'on-hold'::text) = (held_from IS NOT NULL))),
    CONSTRAINT lot_held_from_check CHECK ((held_from = ANY (ARRAY['in-process'::text, 'quarantine'::text, 'released'::text]))),
    CONSTRAINT lot_number_valid CHECK (public.lot_number_valid(lot_number)),
    CONSTRAINT lot_planned_vials_check CHECK (((planned_vials >= 1) AND (planned_vials <= 10000))),
    CONSTRAINT lot_status_check CHECK ((status = ANY (ARRAY['in-process'::text, 'quarantine'::text, 'released'::text, 'rejected'::text, 'on-hold'::text, 'expired'::text, 'recalled'::text])))
);

CREATE TABLE public.lot_disposition (
    lot_number text NOT NULL,
    decision text NOT NULL,
    kind text NOT NULL,
    decided_by bigint NOT NULL,
    decided_at timestamp with time zone DEFAULT now() NOT NULL,
    justification text,
    pending_tests text[] DEFAULT '{}'::text[] NOT NULL,
    restricted_to text[] DEFAULT '{}'::text[] NOT NULL,
    CONSTRAINT lot_disposition_check CHECK (((kind = 'standard'::text) OR (decision = 'released'::text))),
    CONSTRAINT lot_disposition_check1 CHECK (((kind <> 'out-of-specification'::text) OR ((justification IS NOT NULL) AND (cardinality(restricted_to) > 0)))),
    CONSTRAINT lot_disposition_check2 CHECK (((kind <> 'conditional'::text) OR (cardinality(pending_tests) > 0))),
    CONSTRAINT lot_disposition_decision_check CHECK ((decision = ANY (ARRAY['released'::text, 'rejected'::text]))),
    CONSTRAINT lot_disposition_kind_check CHECK ((kind = ANY (ARRAY['standard'::text, 'conditional'::text, 'out-of-specification'::text])))
);

CREATE TABLE public.lot_transition (
    from_status text NOT NULL,
    to_status text NOT NULL
);

CREATE TABLE public.lymphodepletion_dose (
    subject_id text NOT NULL,
    agent text NOT NULL,
    given_on date NOT NULL,
    recorded_by bigint NOT NULL,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT lymphodepletion_dose_agent_check CHECK ((agent = ANY (ARRAY['fludarabine'::text, 'cyclophosphamide'::text])))
);

CREATE TABLE public.mail_message (
    id bigint NOT NULL,
    idempotency_id uuid DEFAULT gen_random_uuid() NOT NULL,
    notification_ids bigint[] NOT NULL,
    recipients text[] NOT NULL,
    digest text,
    digest_user_id bigint,
    state text DEFAULT 'pending'::text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    last_status integer,
    last_answer text,
    last_latency_ms integer,
    delivered_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT mail_message_attempts_check CHECK ((attempts >= 0)),
    CONSTRAINT mail_message_delivered CHECK (((state = 'delivered'::text) = (delivered_at IS NOT NULL))),
    CONSTRAINT mail_message_digest CHECK (((digest IS NULL) = (digest_user_id IS NULL))),
    CONSTRAINT mail_message_digest_check CHECK ((digest = ANY (ARRAY['hourly'::text, 'daily'::text]))),
    CONSTRAINT mail_message_notification_ids_check CHECK ((cardinality(notification_ids) > 0)),
    CONSTRAINT mail_message_recipients_check CHECK ((cardinality(recipients) > 0)),
    CONSTRAINT mail_message_state_check CHECK ((state = ANY (ARRAY['pending'::text, 'delivered'::text, 'dead'::text])))
);

ALTER TABLE public.mail_message ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.mail_message_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.notification (
    id bigint NOT NULL,
    idempotency_id uuid DEFAULT gen_random_uuid() NOT NULL,
    kind text NOT NULL,
    subject_type text NOT NULL,
    subject_id text NOT NULL,
    sentence text NOT NULL,
    payload jsonb NOT NULL,
    event_id bigint NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    site_code text,
    freezer_id text,
    study_code text
);

CREATE TABLE public.notification_attempt (
    id bigint NOT NULL,
    delivery_id bigint NOT NULL,
    attempted_at timestamp with time zone DEFAULT now() NOT NULL,
    status integer,
    answer text,
    latency_ms integer NOT NULL
);

ALTER TABLE public.notification_attempt ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.notification_attempt_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.notification_audience (
    kind text NOT NULL,
    role text NOT NULL,
    default_mode text NOT NULL,
    CONSTRAINT notification_audience_mode CHECK ((default_mode = ANY (ARRAY['immediate'::text, 'hourly'::text, 'daily'::text, 'off'::text]))),
    CONSTRAINT notification_audience_role_check CHECK ((role = ANY (ARRAY['manufacturing'::text, 'qc'::text, 'qa'::text, 'clinical'::text, 'pharmacy'::text, 'auditor'::text, 'admin'::text])))
);

CREATE TABLE public.notification_delivery (
    id bigint NOT NULL,
    notification_id bigint NOT NULL,
    endpoint_id bigint NOT NULL,
    state text DEFAULT 'pending'::text NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    last_status integer,
    last_answer text,
    last_latency_ms integer,
    delivered_at timestamp with time zone,
    CONSTRAINT notification_delivery_attempts_check CHECK ((attempts >= 0)),
    CONSTRAINT notification_delivery_delivered CHECK (((state = 'delivered'::text) = (delivered_at IS NOT NULL))),
    CONSTRAINT notification_delivery_state_check CHECK ((state = ANY (ARRAY['pending'::text, 'delivered'::text, 'dead'::text])))
);

ALTER TABLE public.notification_delivery ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.notification_delivery_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.notification_digest (
    user_id bigint NOT NULL,
    period text NOT NULL,
    window_end timestamp with time zone NOT NULL,
    last_notification_id bigint NOT NULL,
    mail_id bigint,
    CONSTRAINT notification_digest_period_check CHECK ((period = ANY (ARRAY['hourly'::text, 'daily'::text])))
);

ALTER TABLE public.notification ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.notification_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.notification_kind_rule (
    action text NOT NULL,
    kind text NOT NULL,
    to_state text,
    quiet_sources text[] DEFAULT '{}'::text[] NOT NULL
);

CREATE TABLE public.notification_kind_text (
    kind text NOT NULL,
    opening text NOT NULL,
    subject_noun text
);

CREATE TABLE public.notification_read (
    user_id bigint NOT NULL,
    last_read_id bigint DEFAULT 0 NOT NULL,
    read_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.notification_subscription (
    user_id bigint NOT NULL,
    kind text NOT NULL,
    scope_type text DEFAULT 'all'::text NOT NULL,
    scope_id text DEFAULT ''::text NOT NULL,
    mode text NOT NULL,
    CONSTRAINT notification_subscription_mode_check CHECK ((mode = ANY (ARRAY['immediate'::text, 'hourly'::text, 'daily'::text, 'off'::text]))),
    CONSTRAINT notification_subscription_scope CHECK (((scope_type = 'all'::text) = (scope_id = ''::text))),
    CONSTRAINT notification_subscription_scope_type_check CHECK ((scope_type = ANY (ARRAY['all'::text, 'site'::text, 'freezer'::text, 'study'::text])))
);

CREATE TABLE public.notified_condition (
    kind text NOT NULL,
    subject_type text NOT NULL,
    subject_id text NOT NULL,
    occasion text DEFAULT ''::text NOT NULL,
    notified_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT notified_condition_kind CHECK ((kind = ANY (ARRAY['lot.expiring-30-days'::text, 'lot.expiring-7-days'::text, 'shipment.hold-running-out'::text, 'patient.infusion-without-dose'::text, 'supply.stock-out-risk'::text])))
);

CREATE TABLE public.patient (
    subject_id text NOT NULL,
    study_code text NOT NULL,
    site_code text NOT NULL,
    cohort_id text NOT NULL,
    weight_kg numeric(5,1) NOT NULL,
    target_cells bigint NOT NULL,
    ld_start_on date,
    infusion_on date NOT NULL,
    anti_hla text[] DEFAULT '{}'::text[] NOT NULL,
    status text DEFAULT 'enrolled'::text NOT NULL,
    enrolled_by bigint NOT NULL,
    enrolled_at timestamp with time zone DEFAULT now() NOT NULL,
    dosed_at timestamp with time zone,
    CONSTRAINT patient_check CHECK (((ld_start_on IS NULL) OR (ld_start_on < infusion_on))),
    CONSTRAINT patient_check1 CHECK ((((status = 'dosed'::text) = (dosed_at IS NOT NULL)) OR (status = 'withdrawn'::text))),
    CONSTRAINT patient_status_check CHECK ((status = ANY (ARRAY['enrolled'::text, 'dosed'::text, 'withdrawn'::text]))),
    CONSTRAINT patient_subject_id_check CHECK ((subject_id ~ '^[A-Z0-9][A-Z0-9-]{2,31}$'::text)),
    CONSTRAINT patient_target_cells_check CHECK ((target_cells > 0)),
    CONSTRAINT patient_weight_kg_check CHECK (((weight_kg >= (20)::numeric) AND (weight_kg <= (300)::numeric)))
);

CREATE TABLE public.patient_eligibility (
    subject_id text NOT NULL,
    study_code text NOT NULL,
    criterion_code text NOT NULL,
    satisfied boolean NOT NULL,
    note text,
    CONSTRAINT patient_eligibility_note_check CHECK ((length(note) <= 500))
);

CREATE TABLE public.product (
    code text NOT NULL,
    name text NOT NULL,
    shelf_life_days integer NOT NULL,
    storage_condition text NOT NULL,
    storage_max_celsius numeric(5,1) NOT NULL,
    thaw_to_infusion_minutes integer NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    max_time_out_minutes integer DEFAULT public.time_out_of_storage_default_minutes() NOT NULL,
    isbt128_product_description text,
    isbt128_donation_type text,
    CONSTRAINT product_code_check CHECK (((code ~ '^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$'::text) AND (length(code) <= 32))),
    CONSTRAINT product_isbt128_both CHECK (((isbt128_product_description IS NULL) = (isbt128_donation_type IS NULL))),
    CONSTRAINT product_isbt128_donation_type CHECK ((isbt128_donation_type ~ '^[A-Z0-9]$'::text)),
    CONSTRAINT product_isbt128_product_code CHECK ((isbt128_product_description ~ '^[A-Z][0-9]{4}$'::text)),
    CONSTRAINT product_max_time_out_minutes_check CHECK (((max_time_out_minutes >= 1) AND (max_time_out_minutes <= 1440))),
    CONSTRAINT product_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200))),
    CONSTRAINT product_shelf_life_days_check CHECK ((shelf_life_days > 0)),
    CONSTRAINT product_storage_condition_check CHECK (((length(storage_condition) >= 1) AND (length(storage_condition) <= 200))),
    CONSTRAINT product_storage_max_celsius_check CHECK ((storage_max_celsius <= ('-60'::integer)::numeric)),
    CONSTRAINT product_thaw_to_infusion_minutes_check CHECK ((thaw_to_infusion_minutes > 0))
);

CREATE TABLE public.qc_result (
    id bigint NOT NULL,
    lot_number text NOT NULL,
    product_code text NOT NULL,
    spec_version integer NOT NULL,
    test_code text NOT NULL,
    numeric_value numeric,
    text_value text,
    unit text,
    method text NOT NULL,
    instrument text,
    analyst text NOT NULL,
    recorded_by bigint NOT NULL,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL,
    outcome text NOT NULL,
    supersedes bigint,
    correction_reason text,
    CONSTRAINT qc_result_analyst_check CHECK (((length(analyst) >= 1) AND (length(analyst) <= 100))),
    CONSTRAINT qc_result_check CHECK (((supersedes IS NULL) = (correction_reason IS NULL))),
    CONSTRAINT qc_result_check1 CHECK (((numeric_value IS NOT NULL) OR (text_value IS NOT NULL))),
    CONSTRAINT qc_result_instrument_check CHECK ((length(instrument) <= 200)),
    CONSTRAINT qc_result_method_check CHECK (((length(method) >= 1) AND (length(method) <= 200))),
    CONSTRAINT qc_result_outcome_check CHECK ((outcome = ANY (ARRAY['pass'::text, 'fail'::text]))),
    CONSTRAINT qc_result_text_value_check CHECK ((length(text_value) <= 200)),
    CONSTRAINT qc_result_unit_check CHECK ((length(unit) <= 32))
);

CREATE VIEW public.qc_current AS
 SELECT r.id,
    r.lot_number,
    r.product_code,
    r.spec_version,
    r.test_code,
    r.numeric_value,
    r.text_value,
    r.unit,
    r.method,
    r.instrument,
    r.analyst,
    r.recorded_by,
    r.recorded_at,
    r.outcome,
    r.supersedes,
    r.correction_reason
   FROM public.qc_result r
  WHERE (NOT (EXISTS ( SELECT 1
           FROM public.qc_result n
          WHERE (n.supersedes = r.id))));

ALTER TABLE public.qc_result ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.qc_result_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.rack (
    id text NOT NULL,
    freezer_id text NOT NULL,
    label text NOT NULL,
    CONSTRAINT rack_id_check CHECK ((id ~ '^[A-Z0-9][A-Z0-9-]{1,47}$'::text)),
    CONSTRAINT rack_label_check CHECK (((length(label) >= 1) AND (length(label) <= 50)))
);

CREATE TABLE public.reservation (
    id bigint NOT NULL,
    allocation_id bigint NOT NULL,
    vial_id text NOT NULL,
    subject_id text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    cancelled_at timestamp with time zone,
    cancel_reason text,
    CONSTRAINT reservation_check CHECK (((cancelled_at IS NULL) = (cancel_reason IS NULL)))
);

ALTER TABLE public.reservation ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.reservation_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.route (
    from_site text NOT NULL,
    to_site text NOT NULL,
    transit_days integer NOT NULL,
    CONSTRAINT route_check CHECK ((from_site <> to_site)),
    CONSTRAINT route_transit_days_check CHECK (((transit_days >= 0) AND (transit_days <= 30)))
);

CREATE TABLE public.schema_migration (
    version integer NOT NULL,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.shipment (
    id text NOT NULL,
    from_site text NOT NULL,
    to_site text NOT NULL,
    dry_shipper_id text NOT NULL,
    data_logger_id text NOT NULL,
    validated_hold_hours integer NOT NULL,
    shipped_by bigint NOT NULL,
    shipped_at timestamp with time zone DEFAULT now() NOT NULL,
    expected_arrival timestamp with time zone NOT NULL,
    received_by bigint,
    received_at timestamp with time zone,
    logger_max_celsius numeric(5,1),
    receipt_excursion boolean,
    CONSTRAINT shipment_check CHECK ((expected_arrival <= (shipped_at + ((validated_hold_hours)::double precision * '01:00:00'::interval)))),
    CONSTRAINT shipment_check1 CHECK ((((received_at IS NULL) = (received_by IS NULL)) AND ((received_at IS NULL) = (receipt_excursion IS NULL)))),
    CONSTRAINT shipment_data_logger_id_check CHECK (((length(data_logger_id) >= 1) AND (length(data_logger_id) <= 64))),
    CONSTRAINT shipment_dry_shipper_id_check CHECK (((length(dry_shipper_id) >= 1) AND (length(dry_shipper_id) <= 64))),
    CONSTRAINT shipment_id_check CHECK ((id ~ '^SH-[0-9]{6,}$'::text)),
    CONSTRAINT shipment_validated_hold_hours_check CHECK (((validated_hold_hours >= 1) AND (validated_hold_hours <= 720)))
);

CREATE SEQUENCE public.shipment_serial
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

CREATE TABLE public.shipment_vial (
    shipment_id text NOT NULL,
    vial_id text NOT NULL
);

CREATE TABLE public.sign_in_throttle (
    key text NOT NULL,
    failures integer DEFAULT 0 NOT NULL,
    blocked_until timestamp with time zone,
    last_failure_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT sign_in_throttle_failures_check CHECK ((failures >= 0)),
    CONSTRAINT sign_in_throttle_key_check CHECK (((key ~ '^(login|address):.'::text) AND (length(key) <= 200)))
);

CREATE TABLE public.site (
    code text NOT NULL,
    name text NOT NULL,
    kind text NOT NULL,
    label_printer text,
    CONSTRAINT site_code_check CHECK ((code ~ '^[A-Z0-9][A-Z0-9-]{1,31}$'::text)),
    CONSTRAINT site_kind_check CHECK ((kind = ANY (ARRAY['manufacturing'::text, 'depot'::text, 'clinical'::text]))),
    CONSTRAINT site_label_printer_address CHECK (public.site_label_printer_address(label_printer)),
    CONSTRAINT site_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200)))
);

CREATE TABLE public.spec_test (
    product_code text NOT NULL,
    version integer NOT NULL,
    code text NOT NULL,
    name text NOT NULL,
    kind text NOT NULL,
    unit text,
    min_value numeric,
    max_value numeric,
    expected text,
    CONSTRAINT spec_test_check CHECK ((((kind = 'numeric'::text) AND (expected IS NULL) AND ((min_value IS NOT NULL) OR (max_value IS NOT NULL)) AND ((min_value IS NULL) OR (max_value IS NULL) OR (min_value <= max_value))) OR ((kind = 'qualitative'::text) AND (expected IS NOT NULL) AND (min_value IS NULL) AND (max_value IS NULL)))),
    CONSTRAINT spec_test_code_check CHECK ((code ~ '^[a-z][a-z0-9-]*$'::text)),
    CONSTRAINT spec_test_kind_check CHECK ((kind = ANY (ARRAY['numeric'::text, 'qualitative'::text])))
);

CREATE TABLE public.spec_version (
    product_code text NOT NULL,
    version integer NOT NULL,
    effective_from date NOT NULL,
    CONSTRAINT spec_version_version_check CHECK ((version > 0))
);

CREATE TABLE public.storage_fullness (
    subject_type text NOT NULL,
    subject_id text NOT NULL,
    nearly_full boolean NOT NULL,
    changed_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT storage_fullness_subject_type_check CHECK ((subject_type = ANY (ARRAY['box'::text, 'freezer'::text])))
);

CREATE TABLE public.study (
    code text NOT NULL,
    name text NOT NULL,
    product_code text NOT NULL,
    dlt_window_days integer NOT NULL,
    slot_lead_days integer DEFAULT 21 NOT NULL,
    reference_weight_kg numeric(5,1) DEFAULT 70 NOT NULL,
    created_by bigint NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT study_code_check CHECK ((code ~ '^[A-Z][A-Z0-9-]{1,31}$'::text)),
    CONSTRAINT study_dlt_window_days_check CHECK (((dlt_window_days >= 1) AND (dlt_window_days <= 365))),
    CONSTRAINT study_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200))),
    CONSTRAINT study_reference_weight_kg_check CHECK ((reference_weight_kg > (0)::numeric)),
    CONSTRAINT study_slot_lead_days_check CHECK (((slot_lead_days >= 0) AND (slot_lead_days <= 365)))
);

CREATE TABLE public.study_arm (
    study_code text NOT NULL,
    code text NOT NULL,
    lymphodepletion text NOT NULL,
    name text NOT NULL,
    clearance_items text[] DEFAULT ARRAY['lymphodepletion completed as planned'::text, 'no active infection'::text, 'vital signs within limits'::text] NOT NULL,
    CONSTRAINT study_arm_clearance_minimum CHECK ((clearance_items @> ARRAY['lymphodepletion completed as planned'::text, 'no active infection'::text, 'vital signs within limits'::text])),
    CONSTRAINT study_arm_code_check CHECK ((code ~ '^[A-Za-z][A-Za-z0-9-]{0,15}$'::text)),
    CONSTRAINT study_arm_lymphodepletion_check CHECK ((lymphodepletion = ANY (ARRAY['flu-cy'::text, 'cy'::text, 'none'::text]))),
    CONSTRAINT study_arm_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200)))
);

CREATE TABLE public.study_indication (
    study_code text NOT NULL,
    code text NOT NULL,
    name text NOT NULL,
    CONSTRAINT study_indication_code_check CHECK ((code ~ '^[A-Z][A-Za-z0-9]{0,15}$'::text)),
    CONSTRAINT study_indication_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200)))
);

CREATE TABLE public.study_site (
    study_code text NOT NULL,
    site_code text NOT NULL
);

CREATE TABLE public.supply_forecast (
    id bigint NOT NULL,
    requested_by bigint NOT NULL,
    requested_at timestamp with time zone DEFAULT now() NOT NULL,
    seed numeric(20,0) NOT NULL,
    runs integer NOT NULL,
    inputs jsonb NOT NULL,
    status text DEFAULT 'running'::text NOT NULL,
    completed integer DEFAULT 0 NOT NULL,
    results jsonb,
    error text,
    finished_at timestamp with time zone,
    plan_options jsonb,
    recommendation jsonb,
    CONSTRAINT supply_forecast_check CHECK (((completed >= 0) AND (completed <= runs))),
    CONSTRAINT supply_forecast_check1 CHECK (((status = 'done'::text) = (results IS NOT NULL))),
    CONSTRAINT supply_forecast_check2 CHECK (((status = 'failed'::text) = (error IS NOT NULL))),
    CONSTRAINT supply_forecast_check3 CHECK (((status = 'running'::text) = (finished_at IS NULL))),
    CONSTRAINT supply_forecast_plan_complete CHECK (((status <> 'done'::text) OR (plan_options IS NULL) OR (recommendation IS NOT NULL))),
    CONSTRAINT supply_forecast_plan_done CHECK (((recommendation IS NULL) OR (plan_options IS NOT NULL))),
    CONSTRAINT supply_forecast_runs_check CHECK (((runs >= 1) AND (runs <= 1000000))),
    CONSTRAINT supply_forecast_seed_check CHECK (((seed >= (0)::numeric) AND (seed < '18446744073709551616'::numeric))),
    CONSTRAINT supply_forecast_status_check CHECK ((status = ANY (ARRAY['running'::text, 'done'::text, 'failed'::text])))
);

ALTER TABLE public.supply_forecast ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.supply_forecast_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.supply_product_assumption (
    product_code text NOT NULL,
    campaign_lead_days integer DEFAULT 60 NOT NULL,
    lots_per_campaign integer DEFAULT 2 NOT NULL,
    vials_per_lot integer,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT supply_product_assumption_campaign_lead_days_check CHECK (((campaign_lead_days >= 1) AND (campaign_lead_days <= 730))),
    CONSTRAINT supply_product_assumption_lots_per_campaign_check CHECK (((lots_per_campaign >= 1) AND (lots_per_campaign <= 50))),
    CONSTRAINT supply_product_assumption_vials_per_lot_check CHECK (((vials_per_lot >= 1) AND (vials_per_lot <= 1000)))
);

CREATE TABLE public.supply_site_assumption (
    study_code text NOT NULL,
    site_code text NOT NULL,
    patients_per_month double precision NOT NULL,
    activation_on date,
    CONSTRAINT supply_site_assumption_patients_per_month_check CHECK ((patients_per_month >= (0)::double precision))
);

CREATE TABLE public.supply_study_assumption (
    study_code text NOT NULL,
    dlt_probabilities double precision[] DEFAULT '{}'::double precision[] NOT NULL,
    screen_failure double precision DEFAULT 0.2 NOT NULL,
    rate_shape double precision,
    max_cohorts integer DEFAULT 6 NOT NULL,
    qc_lead_days integer DEFAULT 21 NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT supply_study_assumption_dlt_probabilities_check CHECK ((((0)::double precision <= ALL (dlt_probabilities)) AND ((1)::double precision >= ALL (dlt_probabilities)))),
    CONSTRAINT supply_study_assumption_max_cohorts_check CHECK (((max_cohorts >= 1) AND (max_cohorts <= 50))),
    CONSTRAINT supply_study_assumption_qc_lead_days_check CHECK (((qc_lead_days >= 0) AND (qc_lead_days <= 365))),
    CONSTRAINT supply_study_assumption_rate_shape_check CHECK ((rate_shape > (0)::double precision)),
    CONSTRAINT supply_study_assumption_screen_failure_check CHECK (((screen_failure >= (0)::double precision) AND (screen_failure <= (1)::double precision)))
);

CREATE TABLE public.temperature_reading (
    id bigint NOT NULL,
    freezer_id text NOT NULL,
    measured_at timestamp with time zone NOT NULL,
    celsius numeric(5,1) NOT NULL,
    probe text,
    recorded_by bigint NOT NULL,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL,
    excursion boolean NOT NULL,
    CONSTRAINT temperature_reading_celsius_check CHECK (((celsius >= '-273.1'::numeric) AND (celsius <= (100)::numeric))),
    CONSTRAINT temperature_reading_probe_check CHECK ((length(probe) <= 100))
);

ALTER TABLE public.temperature_reading ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.temperature_reading_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.tlog_cosignature (
    size bigint NOT NULL,
    witness text NOT NULL,
    line text NOT NULL,
    received_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT tlog_cosignature_line_check CHECK ((line ~~ '— %'::text))
);

CREATE TABLE public.tlog_head (
    size bigint NOT NULL,
    root_hash bytea NOT NULL,
    signed_at timestamp with time zone NOT NULL,
    key_id text NOT NULL,
    note text NOT NULL,
    CONSTRAINT tlog_head_key_id_check CHECK ((key_id ~ '^[0-9a-f]{8}$'::text)),
    CONSTRAINT tlog_head_root_hash_check CHECK ((length(root_hash) = 32)),
    CONSTRAINT tlog_head_size_check CHECK ((size >= 0))
);

CREATE VIEW public.tlog_head_cosigned AS
 SELECT h.size,
    h.root_hash,
    h.signed_at,
    h.key_id,
    h.note,
    COALESCE(c.witnesses, '{}'::text[]) AS witnesses,
    COALESCE(c.lines, ''::text) AS lines
   FROM (public.tlog_head h
     LEFT JOIN LATERAL ( SELECT array_agg(s.witness ORDER BY s.witness) AS witnesses,
            string_agg((s.line || '
'::text), ''::text ORDER BY s.witness) AS lines
           FROM public.tlog_cosignature s
          WHERE (s.size = h.size)) c ON (true));

CREATE TABLE public.tlog_key (
    key_id text NOT NULL,
    vkey text NOT NULL,
    first_used timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT tlog_key_key_id_check CHECK ((key_id ~ '^[0-9a-f]{8}$'::text))
);

CREATE TABLE public.tlog_leaf (
    idx bigint NOT NULL,
    event_id bigint NOT NULL,
    hash bytea NOT NULL,
    CONSTRAINT tlog_leaf_hash CHECK ((length(hash) = 32)),
    CONSTRAINT tlog_leaf_idx_check CHECK ((idx >= 0))
);

CREATE TABLE public.tlog_node (
    level smallint NOT NULL,
    idx bigint NOT NULL,
    hash bytea NOT NULL,
    CONSTRAINT tlog_node_hash_check CHECK ((length(hash) = 32)),
    CONSTRAINT tlog_node_idx_check CHECK ((idx >= 0)),
    CONSTRAINT tlog_node_level_check CHECK (((level >= 0) AND (level <= 62)))
);

CREATE TABLE public.vial (
    id text NOT NULL,
    lot_number text NOT NULL,
    ordinal integer NOT NULL,
    status text DEFAULT 'stored'::text NOT NULL,
    status_changed_at timestamp with time zone DEFAULT now() NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    thawed_at timestamp with time zone,
    CONSTRAINT vial_id_check CHECK (((id ~ '^CV[0-9]{10}[0-9A-Z*]$'::text) AND (public.mod37_2_check_char("left"(id, 12)) = "right"(id, 1)))),
    CONSTRAINT vial_ordinal_check CHECK ((ordinal > 0)),
    CONSTRAINT vial_status_check CHECK ((status = ANY (ARRAY['stored'::text, 'reserved'::text, 'shipped'::text, 'received'::text, 'thawed'::text, 'administered'::text, 'destroyed'::text]))),
    CONSTRAINT vial_thawed_at CHECK ((((thawed_at IS NOT NULL) = (status = ANY (ARRAY['thawed'::text, 'administered'::text]))) OR (status = 'destroyed'::text)))
);

CREATE TABLE public.vial_checkout (
    id bigint NOT NULL,
    vial_id text NOT NULL,
    purpose text NOT NULL,
    box_id text,
    checked_out_at timestamp with time zone NOT NULL,
    checked_out_by bigint NOT NULL,
    checked_in_at timestamp with time zone,
    checked_in_by bigint,
    CONSTRAINT vial_checkout_check CHECK (((checked_in_at IS NULL) = (checked_in_by IS NULL))),
    CONSTRAINT vial_checkout_in_after_out CHECK (((checked_in_at IS NULL) OR (checked_in_at >= checked_out_at))),
    CONSTRAINT vial_checkout_purpose_check CHECK ((purpose = ANY (ARRAY['inventory-check'::text, 'shipment-pick'::text, 'rack-maintenance'::text])))
);

ALTER TABLE public.vial_checkout ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.vial_checkout_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.vial_location_history (
    vial_id text NOT NULL,
    box_id text NOT NULL,
    row_no smallint NOT NULL,
    column_no smallint NOT NULL,
    during tstzrange NOT NULL
);

CREATE TABLE public.vial_position (
    vial_id text NOT NULL,
    box_id text NOT NULL,
    row_no smallint NOT NULL,
    column_no smallint NOT NULL,
    placed_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT vial_position_column_no_check CHECK ((column_no >= 1)),
    CONSTRAINT vial_position_row_no_check CHECK ((row_no >= 1))
);

CREATE SEQUENCE public.vial_serial
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

CREATE TABLE public.vial_transition (
    from_status text NOT NULL,
    to_status text NOT NULL
);

CREATE TABLE public.webhook_endpoint (
    id bigint NOT NULL,
    name text NOT NULL,
    url text NOT NULL,
    secret text NOT NULL,
    previous_secret text,
    previous_until timestamp with time zone,
    kinds text[] DEFAULT '{}'::text[] NOT NULL,
    active boolean DEFAULT true NOT NULL,
    created_by bigint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT webhook_endpoint_name_check CHECK ((name ~ '^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$'::text)),
    CONSTRAINT webhook_endpoint_previous_secret_check CHECK ((previous_secret ~ '^whsec_[A-Za-z0-9+/]+={0,2}$'::text)),
    CONSTRAINT webhook_endpoint_rotation CHECK (((previous_secret IS NULL) = (previous_until IS NULL))),
    CONSTRAINT webhook_endpoint_secret_check CHECK ((secret ~ '^whsec_[A-Za-z0-9+/]+={0,2}$'::text)),
    CONSTRAINT webhook_endpoint_url CHECK (((url ~ '^https?://[^\s/?#@]+([/?#][^\s]*)?$'::text) AND (length(url) <= 2000)))
);

ALTER TABLE public.webhook_endpoint ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.webhook_endpoint_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

ALTER TABLE ONLY public.administration
    ADD CONSTRAINT administration_pkey PRIMARY KEY (vial_id);

ALTER TABLE ONLY public.allocation
    ADD CONSTRAINT allocation_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.allocation_plan
    ADD CONSTRAINT allocation_plan_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.api_token
    ADD CONSTRAINT api_token_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.app_user
    ADD CONSTRAINT app_user_name_key UNIQUE (name);

ALTER TABLE ONLY public.app_user
    ADD CONSTRAINT app_user_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.box
    ADD CONSTRAINT box_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.box
    ADD CONSTRAINT box_rack_id_label_key UNIQUE (rack_id, label);

ALTER TABLE ONLY public.cohort_decision
    ADD CONSTRAINT cohort_decision_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.cohort
    ADD CONSTRAINT cohort_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.cohort
    ADD CONSTRAINT cohort_study_code_indication_code_arm_code_dose_code_key UNIQUE (study_code, indication_code, arm_code, dose_code);

ALTER TABLE ONLY public.console_session
    ADD CONSTRAINT console_session_pkey PRIMARY KEY (id_hash);

ALTER TABLE ONLY public.console_upload
    ADD CONSTRAINT console_upload_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.custody_checkpoint
    ADD CONSTRAINT custody_checkpoint_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.custody_event
    ADD CONSTRAINT custody_event_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.custody_event
    ADD CONSTRAINT custody_event_subject_type_subject_id_seq_key UNIQUE (subject_type, subject_id, seq);

ALTER TABLE ONLY public.custody_head
    ADD CONSTRAINT custody_head_pkey PRIMARY KEY (subject_type, subject_id);

ALTER TABLE ONLY public.dlt
    ADD CONSTRAINT dlt_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.donor_hla
    ADD CONSTRAINT donor_hla_pkey PRIMARY KEY (donor_code, locus, copy);

ALTER TABLE ONLY public.donor
    ADD CONSTRAINT donor_pkey PRIMARY KEY (code);

ALTER TABLE ONLY public.donor_screening_test
    ADD CONSTRAINT donor_screening_test_pkey PRIMARY KEY (donor_code, test);

ALTER TABLE ONLY public.dose_level
    ADD CONSTRAINT dose_level_pkey PRIMARY KEY (study_code, code);

ALTER TABLE ONLY public.dose_level
    ADD CONSTRAINT dose_level_study_code_ordinal_key UNIQUE (study_code, ordinal);

ALTER TABLE ONLY public.eligibility_criterion
    ADD CONSTRAINT eligibility_criterion_pkey PRIMARY KEY (study_code, code);

ALTER TABLE ONLY public.freezer
    ADD CONSTRAINT freezer_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.hold
    ADD CONSTRAINT hold_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.infusion_clearance
    ADD CONSTRAINT infusion_clearance_pkey PRIMARY KEY (subject_id, cleared_on);

ALTER TABLE ONLY public.infusion_reschedule
    ADD CONSTRAINT infusion_reschedule_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.lot_disposition
    ADD CONSTRAINT lot_disposition_pkey PRIMARY KEY (lot_number);

ALTER TABLE ONLY public.lot
    ADD CONSTRAINT lot_pkey PRIMARY KEY (lot_number);

ALTER TABLE ONLY public.lot_transition
    ADD CONSTRAINT lot_transition_pkey PRIMARY KEY (from_status, to_status);

ALTER TABLE ONLY public.lymphodepletion_dose
    ADD CONSTRAINT lymphodepletion_dose_pkey PRIMARY KEY (subject_id, agent, given_on);

ALTER TABLE ONLY public.mail_message
    ADD CONSTRAINT mail_message_idempotency_id_key UNIQUE (idempotency_id);

ALTER TABLE ONLY public.mail_message
    ADD CONSTRAINT mail_message_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.notification_attempt
    ADD CONSTRAINT notification_attempt_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.notification_audience
    ADD CONSTRAINT notification_audience_pkey PRIMARY KEY (kind, role);

ALTER TABLE ONLY public.notification_delivery
    ADD CONSTRAINT notification_delivery_notification_id_endpoint_id_key UNIQUE (notification_id, endpoint_id);

ALTER TABLE ONLY public.notification_delivery
    ADD CONSTRAINT notification_delivery_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.notification_digest
    ADD CONSTRAINT notification_digest_pkey PRIMARY KEY (user_id, period, window_end);

ALTER TABLE ONLY public.notification
    ADD CONSTRAINT notification_event_id_key UNIQUE (event_id);

ALTER TABLE ONLY public.notification
    ADD CONSTRAINT notification_idempotency_id_key UNIQUE (idempotency_id);

ALTER TABLE ONLY public.notification_kind_rule
    ADD CONSTRAINT notification_kind_rule_pkey PRIMARY KEY (action);

ALTER TABLE ONLY public.notification_kind_text
    ADD CONSTRAINT notification_kind_text_pkey PRIMARY KEY (kind);

ALTER TABLE ONLY public.notification
    ADD CONSTRAINT notification_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.notification_read
    ADD CONSTRAINT notification_read_pkey PRIMARY KEY (user_id);

ALTER TABLE ONLY public.notification_subscription
    ADD CONSTRAINT notification_subscription_pkey PRIMARY KEY (user_id, kind, scope_type, scope_id);

ALTER TABLE ONLY public.patient_eligibility
    ADD CONSTRAINT patient_eligibility_pkey PRIMARY KEY (subject_id, criterion_code);

ALTER TABLE ONLY public.patient
    ADD CONSTRAINT patient_pkey PRIMARY KEY (subject_id);

ALTER TABLE ONLY public.product
    ADD CONSTRAINT product_pkey PRIMARY KEY (code);

ALTER TABLE ONLY public.qc_result
    ADD CONSTRAINT qc_result_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.qc_result
    ADD CONSTRAINT qc_result_supersedes_key UNIQUE (supersedes);

ALTER TABLE ONLY public.rack
    ADD CONSTRAINT rack_freezer_id_label_key UNIQUE (freezer_id, label);

ALTER TABLE ONLY public.rack
    ADD CONSTRAINT rack_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.reservation
    ADD CONSTRAINT reservation_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.route
    ADD CONSTRAINT route_pkey PRIMARY KEY (from_site, to_site);

ALTER TABLE ONLY public.schema_migration
    ADD CONSTRAINT schema_migration_pkey PRIMARY KEY (version);

ALTER TABLE ONLY public.shipment
    ADD CONSTRAINT shipment_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.shipment_vial
    ADD CONSTRAINT shipment_vial_pkey PRIMARY KEY (vial_id);

ALTER TABLE ONLY public.sign_in_throttle
    ADD CONSTRAINT sign_in_throttle_pkey PRIMARY KEY (key);

ALTER TABLE ONLY public.site
    ADD CONSTRAINT site_pkey PRIMARY KEY (code);

ALTER TABLE ONLY public.spec_test
    ADD CONSTRAINT spec_test_pkey PRIMARY KEY (product_code, version, code);

ALTER TABLE ONLY public.spec_version
    ADD CONSTRAINT spec_version_pkey PRIMARY KEY (product_code, version);

ALTER TABLE ONLY public.spec_version
    ADD CONSTRAINT spec_version_product_code_effective_from_key UNIQUE (product_code, effective_from);

ALTER TABLE ONLY public.storage_fullness
    ADD CONSTRAINT storage_fullness_pkey PRIMARY KEY (subject_type, subject_id);

ALTER TABLE ONLY public.study_arm
    ADD CONSTRAINT study_arm_pkey PRIMARY KEY (study_code, code);

ALTER TABLE ONLY public.study_indication
    ADD CONSTRAINT study_indication_pkey PRIMARY KEY (study_code, code);

ALTER TABLE ONLY public.study
    ADD CONSTRAINT study_pkey PRIMARY KEY (code);

ALTER TABLE ONLY public.study_site
    ADD CONSTRAINT study_site_pkey PRIMARY KEY (study_code, site_code);

ALTER TABLE ONLY public.supply_forecast
    ADD CONSTRAINT supply_forecast_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.supply_product_assumption
    ADD CONSTRAINT supply_product_assumption_pkey PRIMARY KEY (product_code);

ALTER TABLE ONLY public.supply_site_assumption
    ADD CONSTRAINT supply_site_assumption_pkey PRIMARY KEY (study_code, site_code);

ALTER TABLE ONLY public.supply_study_assumption
    ADD CONSTRAINT supply_study_assumption_pkey PRIMARY KEY (study_code);

ALTER TABLE ONLY public.temperature_reading
    ADD CONSTRAINT temperature_reading_freezer_id_measured_at_key UNIQUE (freezer_id, measured_at);

ALTER TABLE ONLY public.temperature_reading
    ADD CONSTRAINT temperature_reading_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.tlog_cosignature
    ADD CONSTRAINT tlog_cosignature_pkey PRIMARY KEY (size, witness);

ALTER TABLE ONLY public.tlog_head
    ADD CONSTRAINT tlog_head_pkey PRIMARY KEY (size);

ALTER TABLE ONLY public.tlog_key
    ADD CONSTRAINT tlog_key_pkey PRIMARY KEY (key_id);

ALTER TABLE ONLY public.tlog_key
    ADD CONSTRAINT tlog_key_vkey_key UNIQUE (vkey);

ALTER TABLE ONLY public.tlog_leaf
    ADD CONSTRAINT tlog_leaf_event_id_key UNIQUE (event_id);

ALTER TABLE ONLY public.tlog_leaf
    ADD CONSTRAINT tlog_leaf_pkey PRIMARY KEY (idx);

ALTER TABLE ONLY public.tlog_node
    ADD CONSTRAINT tlog_node_pkey PRIMARY KEY (level, idx);

ALTER TABLE ONLY public.vial_checkout
    ADD CONSTRAINT vial_checkout_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.vial_location_history
    ADD CONSTRAINT vial_in_one_place_at_a_time EXCLUDE USING gist (vial_id WITH =, during WITH &&);

ALTER TABLE ONLY public.vial
    ADD CONSTRAINT vial_lot_number_ordinal_key UNIQUE (lot_number, ordinal);

ALTER TABLE ONLY public.vial
    ADD CONSTRAINT vial_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.vial_position
    ADD CONSTRAINT vial_position_occupied UNIQUE (box_id, row_no, column_no);

ALTER TABLE ONLY public.vial_position
    ADD CONSTRAINT vial_position_pkey PRIMARY KEY (vial_id);

ALTER TABLE ONLY public.vial_transition
    ADD CONSTRAINT vial_transition_pkey PRIMARY KEY (from_status, to_status);

ALTER TABLE ONLY public.webhook_endpoint
    ADD CONSTRAINT webhook_endpoint_name_key UNIQUE (name);

ALTER TABLE ONLY public.webhook_endpoint
    ADD CONSTRAINT webhook_endpoint_pkey PRIMARY KEY (id);

CREATE UNIQUE INDEX allocation_one_per_patient ON public.allocation USING btree (subject_id) WHERE (status <> 'cancelled'::text);

CREATE INDEX api_token_user ON public.api_token USING btree (user_id);

CREATE UNIQUE INDEX app_user_login_unique ON public.app_user USING btree (lower(login));

CREATE INDEX console_session_user ON public.console_session USING btree (user_id) WHERE (ended_at IS NULL);

CREATE UNIQUE INDEX custody_checkpoint_last ON public.custody_checkpoint USING btree (last_event_id);

CREATE INDEX custody_event_security ON public.custody_event USING btree (occurred_at DESC) WHERE (subject_type = 'security'::text);

CREATE INDEX custody_event_time ON public.custody_event USING btree (occurred_at, id);

CREATE INDEX dlt_subject ON public.dlt USING btree (subject_id);

CREATE INDEX hold_active ON public.hold USING btree (subject_type, subject_id) WHERE (lifted_at IS NULL);

CREATE INDEX infusion_reschedule_subject ON public.infusion_reschedule USING btree (subject_id, id);

CREATE UNIQUE INDEX infusion_without_dose_once ON public.notified_condition USING btree (subject_id, occasion) WHERE (kind = 'patient.infusion-without-dose'::text);

CREATE INDEX lot_donor ON public.lot USING btree (donor_code);

CREATE UNIQUE INDEX lot_expiry_warning_once ON public.notified_condition USING btree (subject_id, kind) WHERE (kind = ANY (ARRAY['lot.expiring-30-days'::text, 'lot.expiring-7-days'::text]));

CREATE INDEX lot_product_status ON public.lot USING btree (product_code, status, lot_number);

CREATE INDEX lot_status ON public.lot USING btree (status, lot_number);

CREATE INDEX mail_message_due ON public.mail_message USING btree (next_attempt_at) WHERE (state = 'pending'::text);

CREATE INDEX notification_attempt_delivery ON public.notification_attempt USING btree (delivery_id, id);

CREATE INDEX notification_delivery_due ON public.notification_delivery USING btree (next_attempt_at) WHERE (state = 'pending'::text);

CREATE INDEX notification_delivery_endpoint ON public.notification_delivery USING btree (endpoint_id, id);

CREATE INDEX notification_kind_id ON public.notification USING btree (kind, id);

CREATE INDEX patient_cohort ON public.patient USING btree (cohort_id);

CREATE INDEX qc_result_lot ON public.qc_result USING btree (lot_number, test_code);

CREATE INDEX reservation_allocation ON public.reservation USING btree (allocation_id);

CREATE UNIQUE INDEX reservation_one_per_vial ON public.reservation USING btree (vial_id) WHERE (cancelled_at IS NULL);

CREATE UNIQUE INDEX shipment_hold_warning_once ON public.notified_condition USING btree (subject_id) WHERE (kind = 'shipment.hold-running-out'::text);

CREATE INDEX shipment_vial_shipment ON public.shipment_vial USING btree (shipment_id);

CREATE UNIQUE INDEX stock_out_risk_once ON public.notified_condition USING btree (subject_id) WHERE (kind = 'supply.stock-out-risk'::text);

CREATE INDEX supply_forecast_requested ON public.supply_forecast USING btree (requested_at DESC);

CREATE INDEX tlog_head_signed ON public.tlog_head USING btree (signed_at);

CREATE UNIQUE INDEX vial_checkout_open ON public.vial_checkout USING btree (vial_id) WHERE (checked_in_at IS NULL);

CREATE INDEX vial_checkout_vial ON public.vial_checkout USING btree (vial_id);

CREATE INDEX vial_location_history_box ON public.vial_location_history USING gist (box_id, during);

CREATE INDEX vial_location_history_vial ON public.vial_location_history USING btree (vial_id);

CREATE INDEX vial_lot_status ON public.vial USING btree (lot_number, status);

CREATE TRIGGER administration_no_update BEFORE DELETE OR UPDATE ON public.administration FOR EACH ROW EXECUTE FUNCTION public.custody_event_immutable();

CREATE TRIGGER administration_rules BEFORE INSERT ON public.administration FOR EACH ROW EXECUTE FUNCTION public.check_administration();

CREATE TRIGGER allocation_plan_no_update BEFORE DELETE OR UPDATE ON public.allocation_plan FOR EACH ROW EXECUTE FUNCTION public.custody_event_immutable();

CREATE TRIGGER cohort_decision_no_update BEFORE DELETE OR UPDATE ON public.cohort_decision FOR EACH ROW EXECUTE FUNCTION public.custody_event_immutable();

CREATE CONSTRAINT TRIGGER cohort_decision_signed AFTER INSERT ON public.cohort_decision DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.check_signed_cohort_decision();

CREATE TRIGGER console_session_cap BEFORE INSERT ON public.console_session FOR EACH ROW EXECUTE FUNCTION public.check_console_session_cap();

CREATE TRIGGER custody_checkpoint_no_truncate BEFORE TRUNCATE ON public.custody_checkpoint FOR EACH STATEMENT EXECUTE FUNCTION public.custody_event_immutable();

CREATE TRIGGER custody_checkpoint_no_update BEFORE DELETE OR UPDATE ON public.custody_checkpoint FOR EACH ROW EXECUTE FUNCTION public.custody_event_immutable();

CREATE TRIGGER custody_event_chain BEFORE INSERT ON public.custody_event FOR EACH ROW EXECUTE FUNCTION public.custody_event_chain();

CREATE TRIGGER custody_event_no_truncate BEFORE TRUNCATE ON public.custody_event FOR EACH STATEMENT EXECUTE FUNCTION public.custody_event_immutable();

CREATE TRIGGER custody_event_no_update BEFORE DELETE OR UPDATE ON public.custody_event FOR EACH ROW EXECUTE FUNCTION public.custody_event_immutable();

CREATE TRIGGER custody_event_notifies AFTER INSERT ON public.custody_event REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION public.custody_event_notifies();

CREATE TRIGGER custody_head_no_delete BEFORE DELETE ON public.custody_head FOR EACH ROW EXECUTE FUNCTION public.custody_event_immutable();

CREATE TRIGGER custody_head_no_truncate BEFORE TRUNCATE ON public.custody_head FOR EACH STATEMENT EXECUTE FUNCTION public.custody_event_immutable();

CREATE TRIGGER dlt_no_update BEFORE DELETE OR UPDATE ON public.dlt FOR EACH ROW EXECUTE FUNCTION public.custody_event_immutable();

CREATE TRIGGER dlt_window BEFORE INSERT ON public.dlt FOR EACH ROW EXECUTE FUNCTION public.check_dlt_window();

CREATE TRIGGER hold_history BEFORE DELETE OR UPDATE ON public.hold FOR EACH ROW EXECUTE FUNCTION public.check_hold_update();

CREATE CONSTRAINT TRIGGER hold_lot_state AFTER INSERT OR UPDATE ON public.hold DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.check_hold_lot_state();

CREATE TRIGGER hold_no_truncate BEFORE TRUNCATE ON public.hold FOR EACH STATEMENT EXECUTE FUNCTION public.custody_event_immutable();

CREATE CONSTRAINT TRIGGER hold_signed_lift AFTER UPDATE ON public.hold DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.check_signed_hold_lift();

CREATE TRIGGER hold_subject_exists BEFORE INSERT ON public.hold FOR EACH ROW EXECUTE FUNCTION public.check_hold_subject();

CREATE TRIGGER infusion_clearance_no_update BEFORE DELETE OR UPDATE ON public.infusion_clearance FOR EACH ROW EXECUTE FUNCTION public.custody_event_immutable();

CREATE CONSTRAINT TRIGGER infusion_clearance_signed AFTER INSERT ON public.infusion_clearance DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.check_signed_clearance();

CREATE TRIGGER infusion_reschedule_no_update BEFORE DELETE OR UPDATE ON public.infusion_reschedule FOR EACH ROW EXECUTE FUNCTION public.custody_event_immutable();

CREATE TRIGGER lot_disposition_check BEFORE INSERT ON public.lot_disposition FOR EACH ROW EXECUTE FUNCTION public.check_lot_disposition();

CREATE TRIGGER lot_disposition_no_update BEFORE DELETE OR UPDATE ON public.lot_disposition FOR EACH ROW EXECUTE FUNCTION public.custody_event_immutable();

CREATE TRIGGER lot_hold_lift BEFORE UPDATE OF status ON public.lot FOR EACH ROW EXECUTE FUNCTION public.check_hold_lift();

CREATE CONSTRAINT TRIGGER lot_hold_state AFTER INSERT OR UPDATE OF status ON public.lot DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.check_lot_hold_state();

CREATE TRIGGER lot_registration BEFORE INSERT ON public.lot FOR EACH ROW EXECUTE FUNCTION public.check_lot_registration();

CREATE TRIGGER lot_release_needs_disposition BEFORE UPDATE OF status ON public.lot FOR EACH ROW EXECUTE FUNCTION public.check_lot_release();

CREATE CONSTRAINT TRIGGER lot_signed_transition AFTER UPDATE OF status ON public.lot DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.check_signed_lot_transition();

CREATE TRIGGER lot_status_transition BEFORE UPDATE OF status ON public.lot FOR EACH ROW EXECUTE FUNCTION public.check_status_transition();

CREATE TRIGGER lymphodepletion_dose_no_update BEFORE DELETE OR UPDATE ON public.lymphodepletion_dose FOR EACH ROW EXECUTE FUNCTION public.custody_event_immutable();

CREATE TRIGGER notification_no_truncate BEFORE TRUNCATE ON public.notification FOR EACH STATEMENT EXECUTE FUNCTION public.custody_event_immutable();

CREATE TRIGGER notification_no_update BEFORE DELETE OR UPDATE ON public.notification FOR EACH ROW EXECUTE FUNCTION public.custody_event_immutable();

CREATE TRIGGER notification_subscription_allowed BEFORE INSERT OR UPDATE ON public.notification_subscription FOR EACH ROW EXECUTE FUNCTION public.notification_subscription_allowed();

CREATE TRIGGER patient_cohort_capacity BEFORE INSERT ON public.patient FOR EACH ROW EXECUTE FUNCTION public.check_cohort_capacity();

CREATE TRIGGER patient_eligibility_no_update BEFORE DELETE OR UPDATE ON public.patient_eligibility FOR EACH ROW EXECUTE FUNCTION public.custody_event_immutable();

CREATE CONSTRAINT TRIGGER patient_eligible AFTER INSERT ON public.patient DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.check_patient_eligible();

CREATE TRIGGER qc_result_no_truncate BEFORE TRUNCATE ON public.qc_result FOR EACH STATEMENT EXECUTE FUNCTION public.custody_event_immutable();

CREATE TRIGGER qc_result_no_update BEFORE DELETE OR UPDATE ON public.qc_result FOR EACH ROW EXECUTE FUNCTION public.custody_event_immutable();

CREATE TRIGGER reservation_no_delete BEFORE DELETE ON public.reservation FOR EACH ROW EXECUTE FUNCTION public.custody_event_immutable();

CREATE TRIGGER reservation_rules BEFORE INSERT OR UPDATE ON public.reservation FOR EACH ROW EXECUTE FUNCTION public.check_reservation();

CREATE TRIGGER shipment_history BEFORE DELETE OR UPDATE ON public.shipment FOR EACH ROW EXECUTE FUNCTION public.check_shipment_update();

CREATE TRIGGER shipment_vial_no_update BEFORE DELETE OR UPDATE ON public.shipment_vial FOR EACH ROW EXECUTE FUNCTION public.custody_event_immutable();

CREATE TRIGGER temperature_reading_no_truncate BEFORE TRUNCATE ON public.temperature_reading FOR EACH STATEMENT EXECUTE FUNCTION public.custody_event_immutable();

CREATE TRIGGER temperature_reading_no_update BEFORE DELETE OR UPDATE ON public.temperature_reading FOR EACH ROW EXECUTE FUNCTION public.custody_event_immutable();

CREATE TRIGGER tlog_cosignature_no_truncate BEFORE TRUNCATE ON public.tlog_cosignature FOR EACH STATEMENT EXECUTE FUNCTION public.custody_event_immutable();

CREATE TRIGGER tlog_cosignature_no_update BEFORE DELETE OR UPDATE ON public.tlog_cosignature FOR EACH ROW EXECUTE FUNCTION public.custody_event_immutable();

CREATE TRIGGER tlog_head_no_truncate BEFORE TRUNCATE ON public.tlog_head FOR EACH STATEMENT EXECUTE FUNCTION public.custody_event_immutable();

CREATE TRIGGER tlog_head_no_update BEFORE DELETE OR UPDATE ON public.tlog_head FOR EACH ROW EXECUTE FUNCTION public.custody_event_immutable();

CREATE TRIGGER tlog_key_no_truncate BEFORE TRUNCATE ON public.tlog_key FOR EACH STATEMENT EXECUTE FUNCTION public.custody_event_immutable();

CREATE TRIGGER tlog_key_no_update BEFORE DELETE OR UPDATE ON public.tlog_key FOR EACH ROW EXECUTE FUNCTION public.custody_event_immutable();

CREATE TRIGGER tlog_leaf_no_truncate BEFORE TRUNCATE ON public.tlog_leaf FOR EACH STATEMENT EXECUTE FUNCTION public.custody_event_immutable();

CREATE TRIGGER tlog_leaf_no_update BEFORE DELETE OR UPDATE ON public.tlog_leaf FOR EACH ROW EXECUTE FUNCTION public.custody_event_immutable();

CREATE TRIGGER tlog_node_no_truncate BEFORE TRUNCATE ON public.tlog_node FOR EACH STATEMENT EXECUTE FUNCTION public.custody_event_immutable();

CREATE TRIGGER tlog_node_no_update BEFORE DELETE OR UPDATE ON public.tlog_node FOR EACH ROW EXECUTE FUNCTION public.custody_event_immutable();

CREATE TRIGGER vial_checkout_history BEFORE DELETE OR UPDATE ON public.vial_checkout FOR EACH ROW EXECUTE FUNCTION public.check_vial_checkout_update();

CREATE TRIGGER vial_checkout_no_truncate BEFORE TRUNCATE ON public.vial_checkout FOR EACH STATEMENT EXECUTE FUNCTION public.custody_event_immutable();

CREATE TRIGGER vial_checkout_placed BEFORE INSERT ON public.vial_checkout FOR EACH ROW EXECUTE FUNCTION public.check_vial_checkout_placed();

CREATE TRIGGER vial_filling AFTER INSERT ON public.vial REFERENCING NEW TABLE AS new_vials FOR EACH STATEMENT EXECUTE FUNCTION public.check_vial_filling();

CREATE CONSTRAINT TRIGGER vial_handoff_scanned AFTER UPDATE OF status ON public.vial DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.check_handoff_scanned();

CREATE TRIGGER vial_location_history_no_delete BEFORE DELETE ON public.vial_location_history FOR EACH ROW EXECUTE FUNCTION public.custody_event_immutable();

CREATE CONSTRAINT TRIGGER vial_pick_scanned AFTER DELETE ON public.vial_position DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.check_handoff_scanned();

CREATE TRIGGER vial_position_history_delete AFTER DELETE ON public.vial_position REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION public.vial_position_history_close();

CREATE TRIGGER vial_position_history_insert AFTER INSERT ON public.vial_position REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.vial_position_history_open();

CREATE TRIGGER vial_position_history_update_close AFTER UPDATE ON public.vial_position REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION public.vial_position_history_close();

CREATE TRIGGER vial_position_history_update_open AFTER UPDATE ON public.vial_position REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.vial_position_history_open();

CREATE TRIGGER vial_position_in_box BEFORE INSERT OR UPDATE ON public.vial_position FOR EACH ROW EXECUTE FUNCTION public.check_position_in_box();

CREATE TRIGGER vial_position_movable BEFORE UPDATE ON public.vial_position FOR EACH ROW EXECUTE FUNCTION public.check_vial_movable();

CREATE TRIGGER vial_position_vial_stored BEFORE INSERT OR UPDATE ON public.vial_position FOR EACH ROW EXECUTE FUNCTION public.check_position_vial_stored();

CREATE CONSTRAINT TRIGGER vial_reservation_consistent AFTER UPDATE OF status ON public.vial DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.check_vial_reservation();

CREATE TRIGGER vial_serial_ahead AFTER INSERT ON public.vial REFERENCING NEW TABLE AS inserted_vials FOR EACH STATEMENT EXECUTE FUNCTION public.vial_serial_keep_ahead();

CREATE CONSTRAINT TRIGGER vial_signed_administration AFTER UPDATE OF status ON public.vial DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.check_signed_administration();

CREATE TRIGGER vial_status_transition BEFORE UPDATE OF status ON public.vial FOR EACH ROW EXECUTE FUNCTION public.check_status_transition();

CREATE TRIGGER vial_thaw_readiness BEFORE UPDATE OF status ON public.vial FOR EACH ROW EXECUTE FUNCTION public.check_thaw_readiness();

CREATE CONSTRAINT TRIGGER vial_time_out_of_storage AFTER UPDATE ON public.vial_checkout DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.check_time_out_of_storage();

CREATE TRIGGER vial_usable BEFORE UPDATE OF status ON public.vial FOR EACH ROW EXECUTE FUNCTION public.check_vial_usable();

ALTER TABLE ONLY public.administration
    ADD CONSTRAINT administration_administered_by_fkey FOREIGN KEY (administered_by) REFERENCES public.app_user(id);

ALTER TABLE ONLY public.administration
    ADD CONSTRAINT administration_subject_id_fkey FOREIGN KEY (subject_id) REFERENCES public.patient(subject_id);

ALTER TABLE ONLY public.administration
    ADD CONSTRAINT administration_vial_id_fkey FOREIGN KEY (vial_id) REFERENCES public.vial(id);

ALTER TABLE ONLY public.allocation
    ADD CONSTRAINT allocation_created_by_fkey FOREIGN KEY (created_by) REFERENCES public.app_user(id);

ALTER TABLE ONLY public.allocation
    ADD CONSTRAINT allocation_lot_number_fkey FOREIGN KEY (lot_number) REFERENCES public.lot(lot_number);

ALTER TABLE ONLY public.allocation_plan
    ADD CONSTRAINT allocation_plan_created_by_fkey FOREIGN KEY (created_by) REFERENCES public.app_user(id);

ALTER TABLE ONLY public.allocation
    ADD CONSTRAINT allocation_plan_id_fkey FOREIGN KEY (plan_id) REFERENCES public.allocation_plan(id);

ALTER TABLE ONLY public.allocation
    ADD CONSTRAINT allocation_subject_id_fkey FOREIGN KEY (subject_id) REFERENCES public.patient(subject_id);

ALTER TABLE ONLY public.api_token
    ADD CONSTRAINT api_token_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.app_user(id);

ALTER TABLE ONLY public.box
    ADD CONSTRAINT box_rack_id_fkey FOREIGN KEY (rack_id) REFERENCES public.rack(id);

ALTER TABLE ONLY public.cohort_decision
    ADD CONSTRAINT cohort_decision_cohort_id_fkey FOREIGN KEY (cohort_id) REFERENCES public.cohort(id);

ALTER TABLE ONLY public.cohort_decision
    ADD CONSTRAINT cohort_decision_decided_by_fkey FOREIGN KEY (decided_by) REFERENCES public.app_user(id);

ALTER TABLE ONLY public.cohort
    ADD CONSTRAINT cohort_study_code_arm_code_fkey FOREIGN KEY (study_code, arm_code) REFERENCES public.study_arm(study_code, code);

ALTER TABLE ONLY public.cohort
    ADD CONSTRAINT cohort_study_code_dose_code_fkey FOREIGN KEY (study_code, dose_code) REFERENCES public.dose_level(study_code, code);

ALTER TABLE ONLY public.cohort
    ADD CONSTRAINT cohort_study_code_fkey FOREIGN KEY (study_code) REFERENCES public.study(code);

ALTER TABLE ONLY public.cohort
    ADD CONSTRAINT cohort_study_code_indication_code_fkey FOREIGN KEY (study_code, indication_code) REFERENCES public.study_indication(study_code, code);

ALTER TABLE ONLY public.console_session
    ADD CONSTRAINT console_session_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.app_user(id);

ALTER TABLE ONLY public.console_upload
    ADD CONSTRAINT console_upload_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.app_user(id);

ALTER TABLE ONLY public.custody_event
    ADD CONSTRAINT custody_event_actor_id_fkey FOREIGN KEY (actor_id) REFERENCES public.app_user(id);

ALTER TABLE ONLY public.custody_event
    ADD CONSTRAINT custody_event_corrects_event_fkey FOREIGN KEY (corrects_event) REFERENCES public.custody_event(id);

ALTER TABLE ONLY public.dlt
    ADD CONSTRAINT dlt_recorded_by_fkey FOREIGN KEY (recorded_by) REFERENCES public.app_user(id);

ALTER TABLE ONLY public.dlt
    ADD CONSTRAINT dlt_subject_id_fkey FOREIGN KEY (subject_id) REFERENCES public.patient(subject_id);

ALTER TABLE ONLY public.donor_hla
    ADD CONSTRAINT donor_hla_donor_code_fkey FOREIGN KEY (donor_code) REFERENCES public.donor(code);

ALTER TABLE ONLY public.donor
    ADD CONSTRAINT donor_registered_by_fkey FOREIGN KEY (registered_by) REFERENCES public.app_user(id);

ALTER TABLE ONLY public.donor_screening_test
    ADD CONSTRAINT donor_screening_test_donor_code_fkey FOREIGN KEY (donor_code) REFERENCES public.donor(code);

ALTER TABLE ONLY public.dose_level
    ADD CONSTRAINT dose_level_study_code_fkey FOREIGN KEY (study_code) REFERENCES public.study(code);

ALTER TABLE ONLY public.eligibility_criterion
    ADD CONSTRAINT eligibility_criterion_study_code_fkey FOREIGN KEY (study_code) REFERENCES public.study(code);

ALTER TABLE ONLY public.eligibility_criterion
    ADD CONSTRAINT eligibility_criterion_study_code_indication_fkey FOREIGN KEY (study_code, indication) REFERENCES public.study_indication(study_code, code);

ALTER TABLE ONLY public.freezer
    ADD CONSTRAINT freezer_site_code_fkey FOREIGN KEY (site_code) REFERENCES public.site(code);

ALTER TABLE ONLY public.hold
    ADD CONSTRAINT hold_lifted_by_fkey FOREIGN KEY (lifted_by) REFERENCES public.app_user(id);

ALTER TABLE ONLY public.hold
    ADD CONSTRAINT hold_placed_by_fkey FOREIGN KEY (placed_by) REFERENCES public.app_user(id);

ALTER TABLE ONLY public.infusion_clearance
    ADD CONSTRAINT infusion_clearance_signed_by_fkey FOREIGN KEY (signed_by) REFERENCES public.app_user(id);

ALTER TABLE ONLY public.infusion_clearance
    ADD CONSTRAINT infusion_clearance_subject_id_fkey FOREIGN KEY (subject_id) REFERENCES public.patient(subject_id);

ALTER TABLE ONLY public.infusion_reschedule
    ADD CONSTRAINT infusion_reschedule_recorded_by_fkey FOREIGN KEY (recorded_by) REFERENCES public.app_user(id);

ALTER TABLE ONLY public.infusion_reschedule
    ADD CONSTRAINT infusion_reschedule_subject_id_fkey FOREIGN KEY (subject_id) REFERENCES public.patient(subject_id);

ALTER TABLE ONLY public.lot_disposition
    ADD CONSTRAINT lot_disposition_decided_by_fkey FOREIGN KEY (decided_by) REFERENCES public.app_user(id);

ALTER TABLE ONLY public.lot_disposition
    ADD CONSTRAINT lot_disposition_lot_number_fkey FOREIGN KEY (lot_number) REFERENCES public.lot(lot_number);

ALTER TABLE ONLY public.lot
    ADD CONSTRAINT lot_donor_code_fkey FOREIGN KEY (donor_code) REFERENCES public.donor(code);

ALTER TABLE ONLY public.lot
    ADD CONSTRAINT lot_product_code_fkey FOREIGN KEY (product_code) REFERENCES public.product(code);

ALTER TABLE ONLY public.lot
    ADD CONSTRAINT lot_registered_by_fkey FOREIGN KEY (registered_by) REFERENCES public.app_user(id);

ALTER TABLE ONLY public.lot
    ADD CONSTRAINT lot_spec_version_fk FOREIGN KEY (product_code, spec_version) REFERENCES public.spec_version(product_code, version);

ALTER TABLE ONLY public.lymphodepletion_dose
    ADD CONSTRAINT lymphodepletion_dose_recorded_by_fkey FOREIGN KEY (recorded_by) REFERENCES public.app_user(id);

ALTER TABLE ONLY public.lymphodepletion_dose
    ADD CONSTRAINT lymphodepletion_dose_subject_id_fkey FOREIGN KEY (subject_id) REFERENCES public.patient(subject_id);

ALTER TABLE ONLY public.mail_message
    ADD CONSTRAINT mail_message_digest_user_id_fkey FOREIGN KEY (digest_user_id) REFERENCES public.app_user(id);

ALTER TABLE ONLY public.notification_attempt
    ADD CONSTRAINT notification_attempt_delivery_id_fkey FOREIGN KEY (delivery_id) REFERENCES public.notification_delivery(id);

ALTER TABLE ONLY public.notification_audience
    ADD CONSTRAINT notification_audience_kind FOREIGN KEY (kind) REFERENCES public.notification_kind_text(kind);

ALTER TABLE ONLY public.notification_delivery
    ADD CONSTRAINT notification_delivery_endpoint_id_fkey FOREIGN KEY (endpoint_id) REFERENCES public.webhook_endpoint(id);

ALTER TABLE ONLY public.notification_delivery
    ADD CONSTRAINT notification_delivery_notification_id_fkey FOREIGN KEY (notification_id) REFERENCES public.notification(id);

ALTER TABLE ONLY public.notification_digest
    ADD CONSTRAINT notification_digest_mail_id_fkey FOREIGN KEY (mail_id) REFERENCES public.mail_message(id);

ALTER TABLE ONLY public.notification_digest
    ADD CONSTRAINT notification_digest_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.app_user(id);

ALTER TABLE ONLY public.notification
    ADD CONSTRAINT notification_event_id_fkey FOREIGN KEY (event_id) REFERENCES public.custody_event(id);

ALTER TABLE ONLY public.notification_kind_rule
    ADD CONSTRAINT notification_kind_rule_kind FOREIGN KEY (kind) REFERENCES public.notification_kind_text(kind);

ALTER TABLE ONLY public.notification_read
    ADD CONSTRAINT notification_read_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.app_user(id);

ALTER TABLE ONLY public.notification_subscription
    ADD CONSTRAINT notification_subscription_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.app_user(id);

ALTER TABLE ONLY public.patient
    ADD CONSTRAINT patient_cohort_id_fkey FOREIGN KEY (cohort_id) REFERENCES public.cohort(id);

ALTER TABLE ONLY public.patient_eligibility
    ADD CONSTRAINT patient_eligibility_study_code_criterion_code_fkey FOREIGN KEY (study_code, criterion_code) REFERENCES public.eligibility_criterion(study_code, code);

ALTER TABLE ONLY public.patient_eligibility
    ADD CONSTRAINT patient_eligibility_subject_id_fkey FOREIGN KEY (subject_id) REFERENCES public.patient(subject_id);

ALTER TABLE ONLY public.patient
    ADD CONSTRAINT patient_enrolled_by_fkey FOREIGN KEY (enrolled_by) REFERENCES public.app_user(id);

ALTER TABLE ONLY public.patient
    ADD CONSTRAINT patient_study_code_fkey FOREIGN KEY (study_code) REFERENCES public.study(code);

ALTER TABLE ONLY public.patient
    ADD CONSTRAINT patient_study_code_site_code_fkey FOREIGN KEY (study_code, site_code) REFERENCES public.study_site(study_code, site_code);

ALTER TABLE ONLY public.qc_result
    ADD CONSTRAINT qc_result_lot_number_fkey FOREIGN KEY (lot_number) REFERENCES public.lot(lot_number);

ALTER TABLE ONLY public.qc_result
    ADD CONSTRAINT qc_result_product_code_spec_version_test_code_fkey FOREIGN KEY (product_code, spec_version, test_code) REFERENCES public.spec_test(product_code, version, code);

ALTER TABLE ONLY public.qc_result
    ADD CONSTRAINT qc_result_recorded_by_fkey FOREIGN KEY (recorded_by) REFERENCES public.app_user(id);

ALTER TABLE ONLY public.qc_result
    ADD CONSTRAINT qc_result_supersedes_fkey FOREIGN KEY (supersedes) REFERENCES public.qc_result(id);

ALTER TABLE ONLY public.rack
    ADD CONSTRAINT rack_freezer_id_fkey FOREIGN KEY (freezer_id) REFERENCES public.freezer(id);

ALTER TABLE ONLY public.reservation
    ADD CONSTRAINT reservation_allocation_id_fkey FOREIGN KEY (allocation_id) REFERENCES public.allocation(id);

ALTER TABLE ONLY public.reservation
    ADD CONSTRAINT reservation_subject_id_fkey FOREIGN KEY (subject_id) REFERENCES public.patient(subject_id);

ALTER TABLE ONLY public.reservation
    ADD CONSTRAINT reservation_vial_id_fkey FOREIGN KEY (vial_id) REFERENCES public.vial(id);

ALTER TABLE ONLY public.route
    ADD CONSTRAINT route_from_site_fkey FOREIGN KEY (from_site) REFERENCES public.site(code);

ALTER TABLE ONLY public.route
    ADD CONSTRAINT route_to_site_fkey FOREIGN KEY (to_site) REFERENCES public.site(code);

ALTER TABLE ONLY public.shipment
    ADD CONSTRAINT shipment_from_site_fkey FOREIGN KEY (from_site) REFERENCES public.site(code);

ALTER TABLE ONLY public.shipment
    ADD CONSTRAINT shipment_from_site_to_site_fkey FOREIGN KEY (from_site, to_site) REFERENCES public.route(from_site, to_site);

ALTER TABLE ONLY public.shipment
    ADD CONSTRAINT shipment_received_by_fkey FOREIGN KEY (received_by) REFERENCES public.app_user(id);

ALTER TABLE ONLY public.shipment
    ADD CONSTRAINT shipment_shipped_by_fkey FOREIGN KEY (shipped_by) REFERENCES public.app_user(id);

ALTER TABLE ONLY public.shipment
    ADD CONSTRAINT shipment_to_site_fkey FOREIGN KEY (to_site) REFERENCES public.site(code);

ALTER TABLE ONLY public.shipment_vial
    ADD CONSTRAINT shipment_vial_shipment_id_fkey FOREIGN KEY (shipment_id) REFERENCES public.shipment(id);

ALTER TABLE ONLY public.shipment_vial
    ADD CONSTRAINT shipment_vial_vial_id_fkey FOREIGN KEY (vial_id) REFERENCES public.vial(id);

ALTER TABLE ONLY public.spec_test
    ADD CONSTRAINT spec_test_product_code_version_fkey FOREIGN KEY (product_code, version) REFERENCES public.spec_version(product_code, version);

ALTER TABLE ONLY public.spec_version
    ADD CONSTRAINT spec_version_product_code_fkey FOREIGN KEY (product_code) REFERENCES public.product(code);

ALTER TABLE ONLY public.study_arm
    ADD CONSTRAINT study_arm_study_code_fkey FOREIGN KEY (study_code) REFERENCES public.study(code);

ALTER TABLE ONLY public.study
    ADD CONSTRAINT study_created_by_fkey FOREIGN KEY (created_by) REFERENCES public.app_user(id);

ALTER TABLE ONLY public.study_indication
    ADD CONSTRAINT study_indication_study_code_fkey FOREIGN KEY (study_code) REFERENCES public.study(code);

ALTER TABLE ONLY public.study
    ADD CONSTRAINT study_product_code_fkey FOREIGN KEY (product_code) REFERENCES public.product(code);

ALTER TABLE ONLY public.study_site
    ADD CONSTRAINT study_site_site_code_fkey FOREIGN KEY (site_code) REFERENCES public.site(code);

ALTER TABLE ONLY public.study_site
    ADD CONSTRAINT study_site_study_code_fkey FOREIGN KEY (study_code) REFERENCES public.study(code);

ALTER TABLE ONLY public.supply_forecast
    ADD CONSTRAINT supply_forecast_requested_by_fkey FOREIGN KEY (requested_by) REFERENCES public.app_user(id);

ALTER TABLE ONLY public.supply_product_assumption
    ADD CONSTRAINT supply_product_assumption_product_code_fkey FOREIGN KEY (product_code) REFERENCES public.product(code);

ALTER TABLE ONLY public.supply_site_assumption
    ADD CONSTRAINT supply_site_assumption_study_code_site_code_fkey FOREIGN KEY (study_code, site_code) REFERENCES public.study_site(study_code, site_code);

ALTER TABLE ONLY public.supply_study_assumption
    ADD CONSTRAINT supply_study_assumption_study_code_fkey FOREIGN KEY (study_code) REFERENCES public.study(code);

ALTER TABLE ONLY public.temperature_reading
    ADD CONSTRAINT temperature_reading_freezer_id_fkey FOREIGN KEY (freezer_id) REFERENCES public.freezer(id);

ALTER TABLE ONLY public.temperature_reading
    ADD CONSTRAINT temperature_reading_recorded_by_fkey FOREIGN KEY (recorded_by) REFERENCES public.app_user(id);

ALTER TABLE ONLY public.tlog_cosignature
    ADD CONSTRAINT tlog_cosignature_size_fkey FOREIGN KEY (size) REFERENCES public.tlog_head(size);

ALTER TABLE ONLY public.tlog_leaf
    ADD CONSTRAINT tlog_leaf_event_id_fkey FOREIGN KEY (event_id) REFERENCES public.custody_event(id);

ALTER TABLE ONLY public.vial_checkout
    ADD CONSTRAINT vial_checkout_box_id_fkey FOREIGN KEY (box_id) REFERENCES public.box(id);

ALTER TABLE ONLY public.vial_checkout
    ADD CONSTRAINT vial_checkout_checked_in_by_fkey FOREIGN KEY (checked_in_by) REFERENCES public.app_user(id);

ALTER TABLE ONLY public.vial_checkout
    ADD CONSTRAINT vial_checkout_checked_out_by_fkey FOREIGN KEY (checked_out_by) REFERENCES public.app_user(id);

ALTER TABLE ONLY public.vial_checkout
    ADD CONSTRAINT vial_checkout_vial_id_fkey FOREIGN KEY (vial_id) REFERENCES public.vial(id);

ALTER TABLE ONLY public.vial_location_history
    ADD CONSTRAINT vial_location_history_box_id_fkey FOREIGN KEY (box_id) REFERENCES public.box(id);

ALTER TABLE ONLY public.vial_location_history
    ADD CONSTRAINT vial_location_history_vial_id_fkey FOREIGN KEY (vial_id) REFERENCES public.vial(id);

ALTER TABLE ONLY public.vial
    ADD CONSTRAINT vial_lot_number_fkey FOREIGN KEY (lot_number) REFERENCES public.lot(lot_number);

ALTER TABLE ONLY public.vial_position
    ADD CONSTRAINT vial_position_box_id_fkey FOREIGN KEY (box_id) REFERENCES public.box(id);

ALTER TABLE ONLY public.vial_position
    ADD CONSTRAINT vial_position_vial_id_fkey FOREIGN KEY (vial_id) REFERENCES public.vial(id);

ALTER TABLE ONLY public.webhook_endpoint
    ADD CONSTRAINT webhook_endpoint_created_by_fkey FOREIGN KEY (created_by) REFERENCES public.app_user(id);

GRANT USAGE ON SCHEMA public TO cryoledger_app;

REVOKE ALL ON FUNCTION public.custody_checkpoint_boundary() FROM PUBLIC;
GRANT ALL ON FUNCTION public.custody_checkpoint_boundary() TO cryoledger_app;

GRANT SELECT,INSERT ON TABLE public.custody_event TO cryoledger_app;

REVOKE ALL ON FUNCTION public.custody_event_notifies() FROM PUBLIC;

GRANT ALL ON FUNCTION public.tlog_path_nodes(leaf bigint, size bigint) TO cryoledger_app;

REVOKE ALL ON FUNCTION public.vial_serial_keep_ahead() FROM PUBLIC;

GRANT SELECT,INSERT ON TABLE public.administration TO cryoledger_app;

GRANT SELECT,INSERT,UPDATE ON TABLE public.allocation TO cryoledger_app;

GRANT SELECT,USAGE ON SEQUENCE public.allocation_id_seq TO cryoledger_app;

GRANT SELECT,INSERT ON TABLE public.allocation_plan TO cryoledger_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.api_token TO cryoledger_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.app_user TO cryoledger_app;

GRANT SELECT,USAGE ON SEQUENCE public.app_user_id_seq TO cryoledger_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.box TO cryoledger_app;

GRANT SELECT,INSERT,UPDATE ON TABLE public.cohort TO cryoledger_app;

GRANT SELECT,INSERT ON TABLE public.cohort_decision TO cryoledger_app;

GRANT SELECT,USAGE ON SEQUENCE public.cohort_decision_id_seq TO cryoledger_app;

GRANT SELECT,INSERT,UPDATE ON TABLE public.console_session TO cryoledger_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.console_upload TO cryoledger_app;

GRANT SELECT,INSERT ON TABLE public.custody_checkpoint TO cryoledger_app;

GRANT SELECT,USAGE ON SEQUENCE public.custody_checkpoint_id_seq TO cryoledger_app;

GRANT SELECT,USAGE ON SEQUENCE public.custody_event_id_seq TO cryoledger_app;

GRANT SELECT,INSERT,UPDATE ON TABLE public.custody_head TO cryoledger_app;

GRANT SELECT,INSERT ON TABLE public.dlt TO cryoledger_app;

GRANT SELECT,USAGE ON SEQUENCE public.dlt_id_seq TO cryoledger_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.donor TO cryoledger_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.donor_hla TO cryoledger_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.donor_screening_test TO cryoledger_app;

GRANT SELECT,INSERT,UPDATE ON TABLE public.dose_level TO cryoledger_app;

GRANT SELECT,INSERT,UPDATE ON TABLE public.eligibility_criterion TO cryoledger_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.freezer TO cryoledger_app;

GRANT SELECT,INSERT,UPDATE ON TABLE public.hold TO cryoledger_app;

GRANT SELECT,USAGE ON SEQUENCE public.hold_id_seq TO cryoledger_app;

GRANT SELECT,INSERT ON TABLE public.infusion_clearance TO cryoledger_app;

GRANT SELECT,INSERT ON TABLE public.infusion_reschedule TO cryoledger_app;

GRANT SELECT,USAGE ON SEQUENCE public.infusion_reschedule_id_seq TO cryoledger_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.lot TO cryoledger_app;

GRANT SELECT,INSERT ON TABLE public.lot_disposition TO cryoledger_app;

GRANT SELECT ON TABLE public.lot_transition TO cryoledger_app;

GRANT SELECT,INSERT ON TABLE public.lymphodepletion_dose TO cryoledger_app;

GRANT SELECT,INSERT,UPDATE ON TABLE public.mail_message TO cryoledger_app;

GRANT SELECT,USAGE ON SEQUENCE public.mail_message_id_seq TO cryoledger_app;

GRANT SELECT ON TABLE public.notification TO cryoledger_app;

GRANT SELECT,INSERT ON TABLE public.notification_attempt TO cryoledger_app;

GRANT SELECT,USAGE ON SEQUENCE public.notification_attempt_id_seq TO cryoledger_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.notification_audience TO cryoledger_app;

GRANT UPDATE(default_mode) ON TABLE public.notification_audience TO cryoledger_app;

GRANT SELECT,INSERT,UPDATE ON TABLE public.notification_delivery TO cryoledger_app;

GRANT SELECT,USAGE ON SEQUENCE public.notification_delivery_id_seq TO cryoledger_app;

GRANT SELECT,INSERT,UPDATE ON TABLE public.notification_digest TO cryoledger_app;

GRANT SELECT,USAGE ON SEQUENCE public.notification_id_seq TO cryoledger_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.notification_kind_rule TO cryoledger_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.notification_kind_text TO cryoledger_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.notification_read TO cryoledger_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.notification_subscription TO cryoledger_app;

GRANT SELECT,INSERT ON TABLE public.notified_condition TO cryoledger_app;

GRANT SELECT,INSERT,UPDATE ON TABLE public.patient TO cryoledger_app;

GRANT SELECT,INSERT ON TABLE public.patient_eligibility TO cryoledger_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.product TO cryoledger_app;

GRANT SELECT,INSERT ON TABLE public.qc_result TO cryoledger_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.qc_current TO cryoledger_app;

GRANT SELECT,USAGE ON SEQUENCE public.qc_result_id_seq TO cryoledger_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.rack TO cryoledger_app;

GRANT SELECT,INSERT,UPDATE ON TABLE public.reservation TO cryoledger_app;

GRANT SELECT,USAGE ON SEQUENCE public.reservation_id_seq TO cryoledger_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.route TO cryoledger_app;

GRANT SELECT ON TABLE public.schema_migration TO cryoledger_app;

GRANT SELECT,INSERT,UPDATE ON TABLE public.shipment TO cryoledger_app;

GRANT SELECT,USAGE ON SEQUENCE public.shipment_serial TO cryoledger_app;

GRANT SELECT,INSERT ON TABLE public.shipment_vial TO cryoledger_app;

GRANT SELECT,INSERT,UPDATE ON TABLE public.sign_in_throttle TO cryoledger_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.site TO cryoledger_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.spec_test TO cryoledger_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.spec_version TO cryoledger_app;

GRANT SELECT,INSERT,UPDATE ON TABLE public.storage_fullness TO cryoledger_app;

GRANT SELECT,INSERT,UPDATE ON TABLE public.study TO cryoledger_app;

GRANT SELECT,INSERT,UPDATE ON TABLE public.study_arm TO cryoledger_app;

GRANT SELECT,INSERT,UPDATE ON TABLE public.study_indication TO cryoledger_app;

GRANT SELECT,INSERT,UPDATE ON TABLE public.study_site TO cryoledger_app;

GRANT SELECT,INSERT,UPDATE ON TABLE public.supply_forecast TO cryoledger_app;

GRANT SELECT,USAGE ON SEQUENCE public.supply_forecast_id_seq TO cryoledger_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.supply_product_assumption TO cryoledger_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.supply_site_assumption TO cryoledger_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.supply_study_assumption TO cryoledger_app;

GRANT SELECT,INSERT ON TABLE public.temperature_reading TO cryoledger_app;

GRANT SELECT,USAGE ON SEQUENCE public.temperature_reading_id_seq TO cryoledger_app;

GRANT SELECT,INSERT ON TABLE public.tlog_cosignature TO cryoledger_app;

GRANT SELECT,INSERT ON TABLE public.tlog_head TO cryoledger_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.tlog_head_cosigned TO cryoledger_app;

GRANT SELECT,INSERT ON TABLE public.tlog_key TO cryoledger_app;

GRANT SELECT,INSERT ON TABLE public.tlog_leaf TO cryoledger_app;

GRANT SELECT,INSERT ON TABLE public.tlog_node TO cryoledger_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.vial TO cryoledger_app;

GRANT SELECT,INSERT,UPDATE ON TABLE public.vial_checkout TO cryoledger_app;

GRANT SELECT,USAGE ON SEQUENCE public.vial_checkout_id_seq TO cryoledger_app;

GRANT SELECT ON TABLE public.vial_location_history TO cryoledger_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.vial_position TO cryoledger_app;

GRANT SELECT,USAGE ON SEQUENCE public.vial_serial TO cryoledger_app;

GRANT SELECT ON TABLE public.vial_transition TO cryoledger_app;

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.webhook_endpoint TO cryoledger_app;

GRANT SELECT,USAGE ON SEQUENCE public.webhook_endpoint_id_seq TO cryoledger_app;

ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT SELECT,USAGE ON SEQUENCES  TO cryoledger_app;

ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT SELECT,INSERT,DELETE,UPDATE ON TABLES  TO cryoledger_app;
