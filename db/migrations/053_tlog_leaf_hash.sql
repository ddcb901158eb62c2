-- Issue 27, the writers' cost of the transparency log: each leaf's hash is stored with its leaf, and only subtrees
-- from level 4 up in tlog_node (the sealer wrote about three rows per event, now about 1.1). Subtrees below level 4
-- (at most 8 leaves) are computed from the leaves when a proof needs them (Store.tlogNodes). Rows written before
-- this migration keep their lower-level nodes; nothing reads them any more, and history is not deleted.
ALTER TABLE tlog_leaf ADD COLUMN hash bytea CONSTRAINT tlog_leaf_hash CHECK (length(hash) = 32);
ALTER TABLE tlog_leaf DISABLE TRIGGER tlog_leaf_no_update;
UPDATE tlog_leaf l SET hash = n.hash FROM tlog_node n WHERE n.level = 0 AND n.idx = l.idx;
ALTER TABLE tlog_leaf ENABLE TRIGGER tlog_leaf_no_update;
ALTER TABLE tlog_leaf ALTER COLUMN hash SET NOT NULL;
