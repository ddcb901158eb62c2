-- CryoLedger foundation: users and tokens, products, donors, lots, vials,
-- cryostorage, and the append-only, hash-chained custody log.

CREATE TABLE app_user (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            text NOT NULL UNIQUE CHECK (length(name) BETWEEN 2 AND 100 AND name = btrim(name)),
    role            text NOT NULL CHECK (role IN ('manufacturing', 'qc', 'qa', 'clinical', 'pharmacy', 'auditor', 'admin')),
    password_hash   text,
    failed_signatures integer NOT NULL DEFAULT 0 CHECK (failed_signatures >= 0),
    locked_at       timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- A token is "cl_<id>_<secret>": the id finds the row, the secret is checked against a bcrypt hash.
CREATE TABLE api_token (
    id          uuid PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES app_user(id),
    secret_hash text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
CREATE INDEX api_token_user ON api_token(user_id);

CREATE TABLE product (
    code                      text PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$' AND length(code) <= 32),
    name                      text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    shelf_life_days           integer NOT NULL CHECK (shelf_life_days > 0),
    storage_condition         text NOT NULL CHECK (length(storage_condition) BETWEEN 1 AND 200),
    storage_max_celsius       numeric(5,1) NOT NULL CHECK (storage_max_celsius <= -60),
    thaw_to_infusion_minutes  integer NOT NULL CHECK (thaw_to_infusion_minutes > 0),
    created_at                timestamptz NOT NULL DEFAULT now()
);

-- Release specifications are versioned: a lot is judged against the version in force at manufacture.
CREATE TABLE spec_version (
    product_code    text NOT NULL REFERENCES product(code),
    version         integer NOT NULL CHECK (version > 0),
    effective_from  date NOT NULL,
    PRIMARY KEY (product_code, version),
    UNIQUE (product_code, effective_from)
);

CREATE TABLE spec_test (
    product_code  text NOT NULL,
    version       integer NOT NULL,
    code          text NOT NULL CHECK (code ~ '^[a-z][a-z0-9-]*$'),
    name          text NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('numeric', 'qualitative')),
    unit          text,
    min_value     numeric,
    max_value     numeric,
    expected      text,
    PRIMARY KEY (product_code, version, code),
    FOREIGN KEY (product_code, version) REFERENCES spec_version(product_code, version),
    CHECK ((kind = 'numeric' AND expected IS NULL AND (min_value IS NOT NULL OR max_value IS NOT NULL)
            AND (min_value IS NULL OR max_value IS NULL OR min_value <= max_value))
        OR (kind = 'qualitative' AND expected IS NOT NULL AND min_value IS NULL AND max_value IS NULL))
);

-- Donors are known by a coded id only: never a name or a medical-record number.
CREATE TABLE donor (
    code                   text PRIMARY KEY CHECK (code ~ '^DN-[0-9]{6}$'),
    eligibility            text NOT NULL CHECK (eligibility IN ('eligible', 'ineligible', 'pending')),
    eligibility_decided_at timestamptz,
    registered_at          timestamptz NOT NULL DEFAULT now(),
    registered_by          bigint NOT NULL REFERENCES app_user(id),
    CHECK ((eligibility = 'pending') = (eligibility_decided_at IS NULL))
);

CREATE TABLE donor_screening_test (
    donor_code  text NOT NULL REFERENCES donor(code),
    test        text NOT NULL CHECK (length(test) BETWEEN 1 AND 100),
    result      text NOT NULL CHECK (result IN ('negative', 'positive', 'non-reactive', 'reactive', 'pass', 'fail', 'pending')),
    tested_on   date NOT NULL,
    PRIMARY KEY (donor_code, test)
);

CREATE TABLE donor_hla (
    donor_code  text NOT NULL REFERENCES donor(code),
    locus       text NOT NULL CHECK (locus IN ('A', 'B', 'C', 'DRB1', 'DQB1', 'DPB1')),
    copy        smallint NOT NULL CHECK (copy IN (1, 2)),
    allele      text NOT NULL CHECK (allele ~ '^(A|B|C|DRB1|DQB1|DPB1)\*[0-9]{2,3}(:[0-9]{2,3}){1,3}[NLSCAQ]?$'),
    PRIMARY KEY (donor_code, locus, copy),
    CHECK (split_part(allele, '*', 1) = locus)
);

-- Allowed status changes, one row each; triggers refuse anything else whatever the writer.
CREATE TABLE lot_transition (
    from_status text NOT NULL,
    to_status   text NOT NULL,
    PRIMARY KEY (from_status, to_status)
);
INSERT INTO lot_transition VALUES
    ('in-process', 'quarantine'), ('in-process', 'rejected'),
    ('quarantine', 'released'), ('quarantine', 'rejected'), ('quarantine', 'on-hold'), ('quarantine', 'expired'),
    ('released', 'on-hold'), ('released', 'expired'), ('released', 'recalled'),
    ('on-hold', 'quarantine'), ('on-hold', 'released'), ('on-hold', 'rejected'), ('on-hold', 'expired'), ('on-hold', 'recalled');

CREATE TABLE vial_transition (
    from_status text NOT NULL,
    to_status   text NOT NULL,
    PRIMARY KEY (from_status, to_status)
);
INSERT INTO vial_transition VALUES
    ('stored', 'reserved'), ('stored', 'destroyed'),
    ('reserved', 'stored'), ('reserved', 'shipped'), ('reserved', 'destroyed'),
    ('shipped', 'received'), ('shipped', 'destroyed'),
    ('received', 'thawed'), ('received', 'destroyed'),
    ('thawed', 'administered'), ('thawed', 'destroyed');

CREATE TABLE lot (
    lot_number        text PRIMARY KEY CHECK (lot_number ~ '^[A-Z0-9][A-Z0-9-]{2,31}$'),
    product_code      text NOT NULL REFERENCES product(code),
    donor_code        text NOT NULL REFERENCES donor(code),
    manufactured_on   date NOT NULL,
    expires_on        date NOT NULL,
    cells_per_vial    bigint NOT NULL CHECK (cells_per_vial > 0),
    planned_vials     integer NOT NULL CHECK (planned_vials BETWEEN 1 AND 10000),
    status            text NOT NULL DEFAULT 'in-process'
                      CHECK (status IN ('in-process', 'quarantine', 'released', 'rejected', 'on-hold', 'expired', 'recalled')),
    held_from         text CHECK (held_from IN ('quarantine', 'released')),
    status_changed_at timestamptz NOT NULL DEFAULT now(),
    registered_at     timestamptz NOT NULL DEFAULT now(),
    registered_by     bigint NOT NULL REFERENCES app_user(id),
    CHECK (expires_on > manufactured_on),
    CHECK ((status = 'on-hold') = (held_from IS NOT NULL))
);
CREATE INDEX lot_product_status ON lot(product_code, status, lot_number);
CREATE INDEX lot_status ON lot(status, lot_number);
CREATE INDEX lot_donor ON lot(donor_code);

CREATE FUNCTION check_status_transition() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER lot_status_transition BEFORE UPDATE OF status ON lot
    FOR EACH ROW EXECUTE FUNCTION check_status_transition();

-- ISO 7064 MOD 37-2 over 0-9, A-Z; the check character is 0-9, A-Z or '*'.
CREATE FUNCTION mod37_2_check_char(body text) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT AS $$
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

CREATE SEQUENCE vial_serial AS bigint START 1;

CREATE TABLE vial (
    id          text PRIMARY KEY CHECK (id ~ '^CV[0-9]{10}[0-9A-Z*]$' AND mod37_2_check_char(left(id, 12)) = right(id, 1)),
    lot_number  text NOT NULL REFERENCES lot(lot_number),
    ordinal     integer NOT NULL CHECK (ordinal > 0),
    status      text NOT NULL DEFAULT 'stored'
                CHECK (status IN ('stored', 'reserved', 'shipped', 'received', 'thawed', 'administered', 'destroyed')),
    status_changed_at timestamptz NOT NULL DEFAULT now(),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (lot_number, ordinal)
);
CREATE INDEX vial_lot_status ON vial(lot_number, status);

CREATE TRIGGER vial_status_transition BEFORE UPDATE OF status ON vial
    FOR EACH ROW EXECUTE FUNCTION check_status_transition();

-- Storage: site > freezer > rack > box > position (row, column).
CREATE TABLE site (
    code  text PRIMARY KEY CHECK (code ~ '^[A-Z0-9][A-Z0-9-]{1,31}$'),
    name  text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind  text NOT NULL CHECK (kind IN ('manufacturing', 'depot', 'clinical'))
);

CREATE TABLE freezer (
    id           text PRIMARY KEY CHECK (id ~ '^[A-Z0-9][A-Z0-9-]{1,47}$'),
    site_code    text NOT NULL REFERENCES site(code),
    kind         text NOT NULL CHECK (kind IN ('ln2-dewar', 'mechanical')),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    max_celsius  numeric(5,1) NOT NULL CHECK (max_celsius <= -150)
);

CREATE TABLE rack (
    id          text PRIMARY KEY CHECK (id ~ '^[A-Z0-9][A-Z0-9-]{1,47}$'),
    freezer_id  text NOT NULL REFERENCES freezer(id),
    label       text NOT NULL CHECK (length(label) BETWEEN 1 AND 50),
    UNIQUE (freezer_id, label)
);

CREATE TABLE box (
    id        text PRIMARY KEY CHECK (id ~ '^[A-Z0-9][A-Z0-9-]{1,47}$'),
    rack_id   text NOT NULL REFERENCES rack(id),
    label     text NOT NULL CHECK (length(label) BETWEEN 1 AND 50),
    rows      smallint NOT NULL CHECK (rows BETWEEN 1 AND 26),
    columns   smallint NOT NULL CHECK (columns BETWEEN 1 AND 26),
    UNIQUE (rack_id, label)
);

-- One row per placed vial: the primary key makes "a vial is in at most one place",
-- the unique key makes "a position holds at most one vial".
CREATE TABLE vial_position (
    vial_id    text PRIMARY KEY REFERENCES vial(id),
    box_id     text NOT NULL REFERENCES box(id),
    row_no     smallint NOT NULL CHECK (row_no >= 1),
    column_no  smallint NOT NULL CHECK (column_no >= 1),
    placed_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT vial_position_occupied UNIQUE (box_id, row_no, column_no)
);

CREATE FUNCTION check_position_in_box() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    b box%ROWTYPE;
BEGIN
    SELECT * INTO b FROM box WHERE id = NEW.box_id;
    IF FOUND AND (NEW.row_no > b.rows OR NEW.column_no > b.columns) THEN
        RAISE EXCEPTION 'position (%, %) is outside box % (% x %)', NEW.row_no, NEW.column_no, b.id, b.rows, b.columns
            USING ERRCODE = 'CL422', COLUMN = 'row';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER vial_position_in_box BEFORE INSERT OR UPDATE ON vial_position
    FOR EACH ROW EXECUTE FUNCTION check_position_in_box();

-- Custody log: append-only. Each event is chained to the previous event of the same
-- subject (seq, prev_hash, hash are set here, whatever the writer sends), so appends
-- for different subjects lock different head rows and do not serialise.
CREATE TABLE custody_head (
    subject_type text NOT NULL,
    subject_id   text NOT NULL,
    seq          bigint NOT NULL,
    hash         bytea,
    PRIMARY KEY (subject_type, subject_id)
);

CREATE TABLE custody_event (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject_type  text NOT NULL CHECK (subject_type IN ('user', 'product', 'donor', 'lot', 'vial', 'storage', 'study', 'patient', 'allocation', 'shipment')),
    subject_id    text NOT NULL,
    seq           bigint NOT NULL,
    action        text NOT NULL CHECK (action ~ '^[a-z][a-z0-9.-]*$'),
    actor_id      bigint REFERENCES app_user(id),
    actor_name    text NOT NULL,
    actor_role    text NOT NULL,
    occurred_at   timestamptz NOT NULL DEFAULT now(),
    from_state    text,
    to_state      text,
    from_location text,
    to_location   text,
    reason        text,
    details       jsonb NOT NULL DEFAULT '{}'::jsonb,
    signature     jsonb,
    corrects_event bigint REFERENCES custody_event(id),
    prev_hash     bytea NOT NULL,
    hash          bytea NOT NULL,
    UNIQUE (subject_type, subject_id, seq)
);
CREATE INDEX custody_event_time ON custody_event(occurred_at, id);

CREATE FUNCTION custody_event_digest(e custody_event) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
    SELECT sha256(convert_to(concat_ws(E'\x1f',
        e.subject_type, e.subject_id, e.seq::text, e.action,
        coalesce(e.actor_id::text, ''), e.actor_name, e.actor_role,
        to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        coalesce(e.from_state, ''), coalesce(e.to_state, ''),
        coalesce(e.from_location, ''), coalesce(e.to_location, ''),
        coalesce(e.reason, ''), e.details::text, coalesce(e.signature::text, ''),
        coalesce(e.corrects_event::text, '')), 'UTF8') || e.prev_hash)
$$;

CREATE FUNCTION custody_event_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head_seq  bigint;
    head_hash bytea;
BEGIN
    INSERT INTO custody_head AS h (subject_type, subject_id, seq, hash)
        VALUES (NEW.subject_type, NEW.subject_id, 1, NULL)
        ON CONFLICT (subject_type, subject_id) DO UPDATE SET seq = h.seq + 1
        RETURNING h.seq, h.hash INTO head_seq, head_hash;
    NEW.seq := head_seq;
    NEW.prev_hash := coalesce(head_hash, '\x'::bytea);
    NEW.occurred_at := now();
    NEW.hash := custody_event_digest(NEW);
    UPDATE custody_head SET hash = NEW.hash WHERE subject_type = NEW.subject_type AND subject_id = NEW.subject_id;
    RETURN NEW;
END $$;

CREATE TRIGGER custody_event_chain BEFORE INSERT ON custody_event
    FOR EACH ROW EXECUTE FUNCTION custody_event_chain();

CREATE FUNCTION custody_event_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'custody events cannot be changed or deleted; record a correction instead'
        USING ERRCODE = 'CL403';
END $$;

CREATE TRIGGER custody_event_no_update BEFORE UPDATE OR DELETE ON custody_event
    FOR EACH ROW EXECUTE FUNCTION custody_event_immutable();
CREATE TRIGGER custody_event_no_truncate BEFORE TRUNCATE ON custody_event
    FOR EACH STATEMENT EXECUTE FUNCTION custody_event_immutable();
CREATE TRIGGER custody_head_no_delete BEFORE DELETE ON custody_head
    FOR EACH ROW EXECUTE FUNCTION custody_event_immutable();
CREATE TRIGGER custody_head_no_truncate BEFORE TRUNCATE ON custody_head
    FOR EACH STATEMENT EXECUTE FUNCTION custody_event_immutable();
