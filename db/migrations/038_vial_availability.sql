-- Issue 24, item 2 (PRODUCT.md rule 10) and two "one place" fixes of item 8.

-- A vial's effective availability: every reason that stops its use, one row each, with a code for machines and a
-- sentence for people. Twin of VialAvailability.reasons (CryoDomain). Set-based: a freezer map asks once for all its
-- vials. Order per vial: the lot's status, expiry, a check-out, then the holds (vial, lot, donor, freezer) by age.
CREATE FUNCTION vial_availability(v_ids text[]) RETURNS TABLE (vial_id text, code text, detail text) LANGUAGE sql STABLE AS $$
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

-- Rule 3's single text, kept for the triggers that read it (007, 009, 033): now the reasons above, joined.
CREATE OR REPLACE FUNCTION vial_blockers(v_id text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT string_agg(a.detail, '; ' ORDER BY a.n) FROM vial_availability(ARRAY[v_id]) WITH ORDINALITY a(vial_id, code, detail, n)
$$;

-- Which vial statuses may sit in a storage position. Twin of VialStatus.maySitInPosition (CryoDomain).
CREATE FUNCTION vial_status_may_sit_in_position(st text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT st IN ('stored', 'reserved')
$$;

CREATE OR REPLACE FUNCTION check_position_vial_stored() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    st text;
BEGIN
    SELECT status INTO st FROM vial WHERE id = NEW.vial_id;
    IF NOT vial_status_may_sit_in_position(st) THEN
        RAISE EXCEPTION 'a % vial cannot be put into storage', st USING ERRCODE = 'CL409', COLUMN = 'vialId';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION check_vial_checkout_placed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    st text;
BEGIN
    SELECT status INTO st FROM vial WHERE id = NEW.vial_id;
    IF NOT vial_status_may_sit_in_position(st) OR NOT EXISTS (SELECT 1 FROM vial_position p WHERE p.vial_id = NEW.vial_id) THEN
        RAISE EXCEPTION 'vial % is not in storage (%); only a placed vial is checked out', NEW.vial_id, st USING ERRCODE = 'CL409', COLUMN = 'vialId';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION vial_cannot_move(v_id text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN NOT vial_status_may_sit_in_position(v.status) THEN 'vial ' || v.id || ' is ' || v.status
        WHEN EXISTS (SELECT 1 FROM vial_checkout c WHERE c.vial_id = v.id AND c.checked_in_at IS NULL)
            THEN 'vial ' || v.id || ' is checked out of storage'
    END
    FROM vial v WHERE v.id = v_id
$$;

-- The default limit on a vial's time out of storage. Twin of TimeOutOfStorage.defaultLimitMinutes (CryoDomain).
CREATE FUNCTION time_out_of_storage_default_minutes() RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT 30 $$;
ALTER TABLE product ALTER COLUMN max_time_out_minutes SET DEFAULT time_out_of_storage_default_minutes();
