-- Issue 27, a proof in one statement: the stored rows an inclusion proof of leaf `leaf` in the tree of `size` leaves
-- may need, fetched in the same statement as the head and the leaf's index (Store.tlogInclusion), so a proof is one
-- round trip after the token check instead of two. Store.tlogNodes stays the one place that decides which subtrees
-- a proof needs (MerkleTree); this function only has to return a superset of them, and the Store falls back to
-- asking for anything it did not return.
-- A proof's ranges are, at each level k, the sibling of the leaf's ancestor, clipped to the tree's size; a clipped
-- range is made of the tree's right-edge subtrees (one per set bit of the size). So the superset is: the complete
-- siblings from level 4 up, the right-edge subtrees of the size from level 4 up, and the leaves of the two aligned
-- blocks of 16 that hold everything below level 4 (the leaf's own and the tree's last, partial one).
-- A consistency proof from m to n needs no more than the path of leaf m - 1 in trees of n and of m leaves.
-- Written as joins from small generated sets of (level, index) and leaf indices so that the planner's estimates stay
-- small and it keeps one generic plan for the prepared proof statements instead of planning each call again.
CREATE FUNCTION tlog_path_nodes(leaf bigint, size bigint) RETURNS TABLE (level int, idx bigint, hash bytea)
LANGUAGE sql STABLE AS $$
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
GRANT EXECUTE ON FUNCTION tlog_path_nodes(bigint, bigint) TO cryoledger_app;
