import Foundation
import Logging
import PostgresNIO

/// How the tree is stored (migration 053): each leaf's hash with its leaf (`tlog_leaf.hash`), and the complete
/// subtrees from level 4 up (`tlog_node`). A subtree below level 4 covers at most 8 leaves and is computed from them
/// when a proof or a root needs it, so the sealer writes about 1.1 rows per event instead of 3, and a proof still
/// reads one short range of leaves and one node per level above.
extension Store {
    static let tlogFirstStoredLevel = 4

    /// The hashes of `wanted`, read in one statement.
    static func tlogNodes(_ wanted: Set<MerkleTree.Node>, _ conn: PostgresConnection, logger: Logger) async throws -> [MerkleTree.Node: Data] {
        guard !wanted.isEmpty else { return [:] }
        let stored = wanted.filter { $0.level >= tlogFirstStoredLevel }
        var leafIndices = Set<Int64>()
        for node in wanted where node.level < tlogFirstStoredLevel {
            leafIndices.formUnion((node.index << node.level)..<((node.index + 1) << node.level))
        }
        let rows = try await conn.guardedQuery("""
            SELECT n.level::int AS level, n.idx, n.hash FROM unnest(\(stored.map { Int32($0.level) })::int[], \(stored.map(\.index))::bigint[]) AS w(l, i)
            JOIN tlog_node n ON n.level = w.l AND n.idx = w.i
            UNION ALL
            SELECT 0, l.idx, l.hash FROM tlog_leaf l WHERE l.idx = ANY(\(Array(leafIndices))::bigint[])
            """, logger: logger)
        var read = TLogRows()
        for try await (level, idx, hash) in rows.decode((Int32, Int64, ByteBuffer).self) { read.add(level: level, index: idx, hash: hash) }
        return read.resolve(wanted).found
    }

    /// The hashes of `wanted` from rows read ahead with the head (`tlog_path_nodes`), asking the database only for
    /// what they do not cover (nothing, when that function and MerkleTree agree).
    static func tlogNodes(_ wanted: Set<MerkleTree.Node>, prefetched: TLogRows, _ conn: PostgresConnection, logger: Logger) async throws -> [MerkleTree.Node: Data] {
        var (found, missing) = prefetched.resolve(wanted)
        if !missing.isEmpty {
            logger.debug("tlog proof read \(missing.count) nodes beyond tlog_path_nodes")
            found.merge(try await tlogNodes(missing, conn, logger: logger)) { a, _ in a }
        }
        return found
    }
}

/// Rows of `tlog_node` (level ≥ 4) and `tlog_leaf` (level 0) as a proof reads them.
struct TLogRows {
    var nodes: [MerkleTree.Node: Data] = [:]
    var leaves: [Int64: Data] = [:]

    mutating func add(level: Int32, index: Int64, hash: ByteBuffer) {
        if level == 0 { leaves[index] = Data(buffer: hash) } else { nodes[MerkleTree.Node(level: Int(level), index: index)] = Data(buffer: hash) }
    }

    /// The wanted nodes these rows hold or from which they can be computed, and the ones they cannot give.
    func resolve(_ wanted: Set<MerkleTree.Node>) -> (found: [MerkleTree.Node: Data], missing: Set<MerkleTree.Node>) {
        var found: [MerkleTree.Node: Data] = [:]
        var missing = Set<MerkleTree.Node>()
        for node in wanted {
            let hash = node.level >= Store.tlogFirstStoredLevel ? nodes[node] : Self.subtreeHash(node, leaves)
            if let hash { found[node] = hash } else { missing.insert(node) }
        }
        return (found, missing)
    }

    /// The hash of a complete subtree from its leaves' hashes; nil when a leaf is missing.
    static func subtreeHash(_ node: MerkleTree.Node, _ leaves: [Int64: Data]) -> Data? {
        var hashes: [Data] = []
        for index in (node.index << node.level)..<((node.index + 1) << node.level) {
            guard let hash = leaves[index] else { return nil }
            hashes.append(hash)
        }
        while hashes.count > 1 {
            hashes = stride(from: 0, to: hashes.count, by: 2).map { MerkleTree.nodeHash(hashes[$0], hashes[$0 + 1]) }
        }
        return hashes.first
    }
}
