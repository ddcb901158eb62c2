-- Faster custody appends: one UPDATE of the subject's chain head both reads the previous hash and
-- stores the new one (the right-hand sides of SET see the old row), instead of an upsert and an update.
-- The hashed content is unchanged: custody_event_digest(e) = custody_event_digest_with(e, e.seq, e.prev_hash).

ALTER TABLE custody_head ADD COLUMN prev_hash bytea;

CREATE FUNCTION custody_event_digest_with(e custody_event, seq bigint, prev_hash bytea) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
    SELECT sha256(convert_to(concat_ws(E'\x1f',
        e.subject_type, e.subject_id, seq::text, e.action,
        coalesce(e.actor_id::text, ''), e.actor_name, e.actor_role,
        to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        coalesce(e.from_state, ''), coalesce(e.to_state, ''),
        coalesce(e.from_location, ''), coalesce(e.to_location, ''),
        coalesce(e.reason, ''), e.details::text, coalesce(e.signature::text, ''),
        coalesce(e.corrects_event::text, '')), 'UTF8') || prev_hash)
$$;

CREATE OR REPLACE FUNCTION custody_event_digest(e custody_event) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
    SELECT custody_event_digest_with(e, e.seq, e.prev_hash)
$$;

CREATE OR REPLACE FUNCTION custody_event_chain() RETURNS trigger LANGUAGE plpgsql AS $$
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
