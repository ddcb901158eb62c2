import Foundation
import Logging
import PostgresNIO

/// How the tree is stored (migration 053): each leaf's hash with its leaf (`tlog_leaf.hash`), and the complete
/// subtrees from level 4 up (`tlog_node`). A subtree below level 4 covers at most 8 leaves and is computed from them
/// when a proof or a root needs it, so the sealer writes about 1.1 rows per event instead of 3, and a proof still
/// reads one short range of leaves and one node per level above.
extension Store {
    static let tlogFirstStoredLevel = 4

    static func tlogNodes(_ wanted: Set<MerkleTree.Node>, _ conn: PostgresConnection, logger: Logger) async throws -> [MerkleTree.Node: Data] {
        guard !wanted.isEmpty else { return [:] }
        let stored = wanted.filter { $0.level >= tlogFirstStoredLevel }
        let derived = wanted.filter { $0.level < tlogFirstStoredLevel }
        var leafIndices = Set<Int64>()
        for node in derived { leafIndices.formUnion((node.index << node.level)..<((node.index + 1) << node.level)) }
        var out: [MerkleTree.Node: Data] = [:]
        let rows = try await conn.guardedQuery("""
            SELECT n.level::int AS level, n.idx, n.hash FROM unnest(\(stored.map { Int32($0.level) })::int[], \(stored.map(\.index))::bigint[]) AS w(l, i)
            JOIN tlog_node n ON n.level = w.l AND n.idx = w.i
            UNION ALL
            SELECT 0, l.idx, l.hash FROM tlog_leaf l WHERE l.idx = ANY(\(Array(leafIndices))::bigint[])
            """, logger: logger)
        var leaves: [Int64: Data] = [:]
        for try await (level, idx, hash) in rows.decode((Int32, Int64, ByteBuffer).self) {
            if level == 0 { leaves[idx] = Data(buffer: hash) } else { out[MerkleTree.Node(level: Int(level), index: idx)] = Data(buffer: hash) }
        }
        for node in derived {
            if let hash = subtreeHash(node, leaves) { out[node] = hash }
        }
        return out
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
