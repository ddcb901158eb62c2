-- A transparency log over the custody events (issue 27): an append-only Merkle tree with RFC 9162 hashing
-- (leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right)), signed tree heads in the C2SP
-- checkpoint / signed-note format (Ed25519, key outside the database), and witnesses' co-signatures.
-- A sealer appends the leaves a moment after the events commit (docs/audit-log.md says why), in event-id order.

-- Which event is which leaf. Leaf data = the event id (8 bytes, big-endian) || the event's hash, so a leaf
-- binds both the event's content (through its hash) and its id.
CREATE TABLE tlog_leaf (
    idx       bigint PRIMARY KEY CHECK (idx >= 0),
    event_id  bigint NOT NULL UNIQUE REFERENCES custody_event(id)
);

-- Every complete subtree of the tree: level L, index i covers leaves [i * 2^L, (i + 1) * 2^L); level 0 are the
-- leaf hashes. A proof or a root needs at most two nodes per level, whatever the size of the log.
CREATE TABLE tlog_node (
    level  smallint NOT NULL CHECK (level BETWEEN 0 AND 62),
    idx    bigint NOT NULL CHECK (idx >= 0),
    hash   bytea NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
);

-- Signed tree heads. `note` is the checkpoint as signed (origin, size, base64 root hash, a time extension line,
-- a blank line, the log's signature line); `key_id` the 4-byte key hash in hex.
CREATE TABLE tlog_head (
    size       bigint PRIMARY KEY CHECK (size >= 0),
    root_hash  bytea NOT NULL CHECK (length(root_hash) = 32),
    signed_at  timestamptz NOT NULL,
    key_id     text NOT NULL CHECK (key_id ~ '^[0-9a-f]{8}$'),
    note       text NOT NULL
);
CREATE INDEX tlog_head_signed ON tlog_head(signed_at);

-- Co-signatures a witness returned for a head: its signature line, verbatim.
CREATE TABLE tlog_cosignature (
    size         bigint NOT NULL REFERENCES tlog_head(size),
    witness      text NOT NULL,
    line         text NOT NULL CHECK (line LIKE '— %'),
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (size, witness)
);

-- The log's signing keys, in the order they were used; each rotation is also a custody event.
CREATE TABLE tlog_key (
    key_id      text PRIMARY KEY CHECK (key_id ~ '^[0-9a-f]{8}$'),
    vkey        text NOT NULL UNIQUE,
    first_used  timestamptz NOT NULL DEFAULT now()
);

-- History: none of it is changed or removed.
CREATE TRIGGER tlog_leaf_no_update BEFORE UPDATE OR DELETE ON tlog_leaf FOR EACH ROW EXECUTE FUNCTION custody_event_immutable();
CREATE TRIGGER tlog_node_no_update BEFORE UPDATE OR DELETE ON tlog_node FOR EACH ROW EXECUTE FUNCTION custody_event_immutable();
CREATE TRIGGER tlog_head_no_update BEFORE UPDATE OR DELETE ON tlog_head FOR EACH ROW EXECUTE FUNCTION custody_event_immutable();
CREATE TRIGGER tlog_cosignature_no_update BEFORE UPDATE OR DELETE ON tlog_cosignature FOR EACH ROW EXECUTE FUNCTION custody_event_immutable();
CREATE TRIGGER tlog_key_no_update BEFORE UPDATE OR DELETE ON tlog_key FOR EACH ROW EXECUTE FUNCTION custody_event_immutable();
CREATE TRIGGER tlog_leaf_no_truncate BEFORE TRUNCATE ON tlog_leaf FOR EACH STATEMENT EXECUTE FUNCTION custody_event_immutable();
CREATE TRIGGER tlog_node_no_truncate BEFORE TRUNCATE ON tlog_node FOR EACH STATEMENT EXECUTE FUNCTION custody_event_immutable();
CREATE TRIGGER tlog_head_no_truncate BEFORE TRUNCATE ON tlog_head FOR EACH STATEMENT EXECUTE FUNCTION custody_event_immutable();
CREATE TRIGGER tlog_cosignature_no_truncate BEFORE TRUNCATE ON tlog_cosignature FOR EACH STATEMENT EXECUTE FUNCTION custody_event_immutable();
CREATE TRIGGER tlog_key_no_truncate BEFORE TRUNCATE ON tlog_key FOR EACH STATEMENT EXECUTE FUNCTION custody_event_immutable();

GRANT SELECT, INSERT ON tlog_leaf, tlog_node, tlog_head, tlog_cosignature, tlog_key TO cryoledger_app;
REVOKE UPDATE, DELETE, TRUNCATE ON tlog_leaf, tlog_node, tlog_head, tlog_cosignature, tlog_key FROM cryoledger_app;

-- The sealer's boundary without a lock: the highest committed event id, and the transactions still running
-- (any of them may yet commit a lower id). Once all of those have ended, every event up to max_id is final.
CREATE FUNCTION tlog_boundary_candidate(OUT max_id bigint, OUT running text[]) LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT max(id) FROM custody_event), 0),
           array(SELECT x::text FROM pg_snapshot_xip(pg_current_snapshot()) x)
$$;

-- True when none of the given transactions is still in progress.
CREATE FUNCTION tlog_all_ended(xids text[]) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT coalesce(bool_and(pg_xact_status(x::xid8) IS DISTINCT FROM 'in progress'), true) FROM unnest(xids) x
$$;
