@testable import CryoStore
import Foundation
import Logging
import PostgresNIO

/// A transparency-log tree of `n` synthetic leaves, stored as the sealer stores it (leaf hashes with their leaves,
/// subtrees from level 4 up), built level by level in the database: leaf data = an id (8 bytes) and a 32-byte hash,
/// leaf hash SHA-256(0x00 ‖ data), node SHA-256(0x01 ‖ l ‖ r). The leaves stand for events the throwaway database
/// does not hold, so the leaf → event foreign key is dropped first. Returns the number of levels.
@discardableResult
func loadSyntheticTree(leaves n: Int64, _ f: Fixture) async throws -> Int16 {
    let logger = Fixture.logger
    try await f.client.query("ALTER TABLE tlog_leaf DROP CONSTRAINT tlog_leaf_event_id_fkey", logger: logger)
    try await f.client.query("CREATE UNLOGGED TABLE bench_tree (level smallint, idx bigint, hash bytea, PRIMARY KEY (level, idx))", logger: logger)
    try await f.client.query("""
        INSERT INTO bench_tree (level, idx, hash)
        SELECT 0, i, sha256('\\x00'::bytea || int8send(i + 1) || sha256(int8send(i))) FROM generate_series(0, \(n - 1)) i
        """, logger: logger)
    var level: Int16 = 1
    while true {
        let rows = try await f.client.query("""
            WITH ins AS (
                INSERT INTO bench_tree (level, idx, hash)
                SELECT \(level), a.idx / 2, sha256('\\x01'::bytea || a.hash || b.hash)
                  FROM bench_tree a JOIN bench_tree b ON b.level = a.level AND b.idx = a.idx + 1
                 WHERE a.level = \(level - 1) AND a.idx % 2 = 0
                RETURNING 1)
            SELECT count(*)::bigint FROM ins
            """, logger: logger).decode(Int64.self).all().first ?? 0
        if rows == 0 { break }
        level += 1
    }
    try await f.client.query("INSERT INTO tlog_leaf (idx, event_id, hash) SELECT idx, idx + 1, hash FROM bench_tree WHERE level = 0", logger: logger)
    try await f.client.query("INSERT INTO tlog_node (level, idx, hash) SELECT level, idx, hash FROM bench_tree WHERE level >= \(Store.tlogFirstStoredLevel)", logger: logger)
    try await f.client.query("ANALYZE tlog_leaf", logger: logger)
    try await f.client.query("ANALYZE tlog_node", logger: logger)
    return level
}
