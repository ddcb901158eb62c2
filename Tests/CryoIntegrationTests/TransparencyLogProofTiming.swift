@testable import CryoStore
import Foundation
import PostgresNIO
import Testing

/// Store-level proof timing for Benchmarks/audit/proofs.sh (issue 27): runs only when TLOG_BENCH_LEAVES is set,
/// prints p50/p99 and asserts only that every proof verifies (never on time).
@Suite("Transparency log proof timing")
struct TransparencyLogProofTiming {
    static let leaves = ProcessInfo.processInfo.environment["TLOG_BENCH_LEAVES"].flatMap(Int64.init)

    @Test("inclusion and consistency proofs on a tree of TLOG_BENCH_LEAVES leaves", .enabled(if: leaves != nil))
    func proofs() async throws {
        let n = Self.leaves!
        let samples = Int(ProcessInfo.processInfo.environment["TLOG_BENCH_SAMPLES"] ?? "") ?? 2000
        try await withFixture { f in
            let logger = Fixture.logger
            // The tree as the sealer stores it (leaf hashes with their leaves, subtrees from level 4 up), built level by
            // level in the database: leaf data = an id (8 bytes) and a 32-byte hash, leaf hash SHA-256(0x00 ‖ data),
            // node SHA-256(0x01 ‖ l ‖ r). The leaves stand for events this throwaway database does not hold.
            let load = ContinuousClock.now
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
            print("tlog bench: loaded \(n) leaves (\(level) levels) in \(ContinuousClock.now - load)")

            let root = try await f.store.read(logger) { try await Store.tlogRoot(size: n, $0, logger: logger) }
            var rng = SystemRandomNumberGenerator()
            var inclusion: [Duration] = [], consistency: [Duration] = []
            for _ in 0..<samples {
                let index = Int64.random(in: 0..<n, using: &rng)
                let start = ContinuousClock.now
                let proof = try await f.store.read(logger) { try await Store.tlogInclusionProofs(indices: [index], size: n, $0, logger: logger) }[0]
                inclusion.append(ContinuousClock.now - start)
                let leaf = try await f.store.read(logger) { try await Store.tlogNodes([MerkleTree.Node(level: 0, index: index)], $0, logger: logger) }
                let path = proof.path.compactMap { Data(base64Encoded: $0) }
                #expect(MerkleTree.rootFromInclusion(index: index, size: n, leafHash: leaf.values.first!, path: path) == root)
            }
            for _ in 0..<samples {
                let m = Int64.random(in: 1..<n, using: &rng)
                let start = ContinuousClock.now
                let proof = try await f.store.read(logger) { try await Store.tlogConsistencyProof(from: m, to: n, $0, logger: logger) }
                consistency.append(ContinuousClock.now - start)
                let old = try await f.store.read(logger) { try await Store.tlogRoot(size: m, $0, logger: logger) }
                #expect(MerkleTree.verifyConsistency(from: m, old, to: n, root, proof: proof))
            }
            func report(_ name: String, _ d: [Duration]) {
                let ms = d.map { Double($0.components.attoseconds) / 1e15 + Double($0.components.seconds) * 1000 }.sorted()
                func p(_ q: Double) -> String { String(format: "%.3f", ms[min(ms.count - 1, Int(Double(ms.count) * q))]) }
                print("tlog bench: \(name) proof, \(n) leaves, \(ms.count) samples: p50 \(p(0.50)) ms, p99 \(p(0.99)) ms, max \(p(1.0)) ms")
            }
            report("inclusion", inclusion)
            report("consistency", consistency)
        }
    }
}
