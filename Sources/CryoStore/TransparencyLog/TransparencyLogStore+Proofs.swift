import CryoDomain
import Foundation
import Logging
import PostgresNIO

/// Inclusion and consistency proofs. Each is one prepared statement (planned once per connection; planning the
/// statement cost more than running it): the head or heads and the stored rows the proof needs (`tlog_path_nodes`).
extension Store {
    /// The inclusion proof of event `eventId` in the head of `size` (the latest head when nil).
    public func tlogInclusion(eventId: Int64, size: Int64?, logger: Logger) async throws -> (TreeHead, InclusionProof) {
        try await read(logger) { conn in
            guard let (head, index, prefetched) = try await conn.guardedExecute(TLogInclusion(eventId: eventId, size: size), logger: logger).first else {
                throw DomainError.notFound(kind: "signed tree head", id: size.map(String.init) ?? "latest")
            }
            guard let index, index < head.size else {
                throw DomainError.invalid(field: "eventId", rule: "event \(eventId) is not in the signed head of size \(head.size) (heads are signed at least every minute)")
            }
            let path = MerkleTree.inclusionRanges(index: index, size: head.size)
            let nodes = try await Self.tlogNodes(MerkleTree.nodes(for: path), prefetched: prefetched, conn, logger: logger)
            return (head, InclusionProof(leafIndex: index, treeSize: head.size, path: try Self.inclusionPath(path, nodes)))
        }
    }

    static func tlogInclusionProofs(indices: [Int64], size: Int64, _ conn: PostgresConnection, logger: Logger) async throws -> [InclusionProof] {
        let ranges = indices.map { MerkleTree.inclusionRanges(index: $0, size: size) }
        let nodes = try await tlogNodes(MerkleTree.nodes(for: ranges.flatMap { $0 }), conn, logger: logger)
        return try zip(indices, ranges).map { index, path in
            InclusionProof(leafIndex: index, treeSize: size, path: try inclusionPath(path, nodes))
        }
    }

    /// An inclusion proof's path as the API and the exports carry it: each range's hash, base64.
    static func inclusionPath(_ ranges: [Range<Int64>], _ nodes: [MerkleTree.Node: Data]) throws -> [String] {
        try ranges.map { try MerkleTree.rangeHash($0, nodes).base64EncodedString() }
    }

    /// The consistency proof between the heads of sizes `from` and `to` (both signed).
    public func tlogConsistency(from: Int64, to: Int64, logger: Logger) async throws -> (TreeHead, TreeHead, [Data]) {
        try Validator().require(from <= to, "from", "must not be larger than to")
        return try await read(logger) { conn in
            let rows = try await conn.guardedExecute(TLogConsistency(from: from, to: to), logger: logger)
            guard let old = rows.first(where: { $0.0.size == from })?.0 else { throw DomainError.notFound(kind: "signed tree head", id: String(from)) }
            guard let (new, prefetched) = rows.first(where: { $0.0.size == to }) else { throw DomainError.notFound(kind: "signed tree head", id: String(to)) }
            return (old, new, try await Self.tlogConsistencyProof(from: from, to: to, prefetched: prefetched, conn, logger: logger))
        }
    }

    static func tlogConsistencyProof(from: Int64, to: Int64, prefetched: TLogRows = TLogRows(), _ conn: PostgresConnection, logger: Logger) async throws -> [Data] {
        let ranges = MerkleTree.consistencyRanges(from: from, to: to)
        let nodes = try await tlogNodes(MerkleTree.nodes(for: ranges), prefetched: prefetched, conn, logger: logger)
        return try ranges.map { try MerkleTree.rangeHash($0, nodes) }
    }

    /// The head of `size` (the latest when NULL), the event's leaf index and the rows of its path.
    struct TLogInclusion: PostgresPreparedStatement {
        static let name = "cryoledger_tlog_inclusion"
        static let sql = """
            WITH h AS (SELECT * FROM tlog_head_cosigned WHERE size = coalesce($2::bigint, (SELECT max(size) FROM tlog_head))),
                 l AS (SELECT idx FROM tlog_leaf WHERE event_id = $1::bigint)
            SELECT h.size, h.root_hash, h.signed_at, h.key_id, h.note, h.witnesses, h.lines, (SELECT idx FROM l) AS leaf, p.levels, p.idxs, p.hashes
            FROM h LEFT JOIN LATERAL (
                SELECT array_agg(n.level) AS levels, array_agg(n.idx) AS idxs, array_agg(n.hash) AS hashes
                FROM l, tlog_path_nodes(l.idx, h.size) n WHERE l.idx < h.size) p ON true
            """
        static let bindingDataTypes: [PostgresDataType] = [.int8, .int8]
        typealias Row = (TreeHead, Int64?, TLogRows)
        var eventId: Int64
        var size: Int64?

        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings()
            b.append(eventId)
            if let size { b.append(size) } else { b.appendNull() }
            return b
        }

        func decodeRow(_ row: PostgresRow) throws -> Row {
            let c = NamedColumns(row)
            return (try Store.treeHead(c), try c("leaf", as: Int64?.self), try Store.tlogRows(c))
        }
    }

    /// The heads of sizes `from` and `to`, the latter with the rows of the proof between them (a consistency proof
    /// from m to n needs no more than the paths of leaf m - 1 in the trees of n and of m leaves).
    struct TLogConsistency: PostgresPreparedStatement {
        static let name = "cryoledger_tlog_consistency"
        static let sql = """
            SELECT h.size, h.root_hash, h.signed_at, h.key_id, h.note, h.witnesses, h.lines, p.levels, p.idxs, p.hashes
            FROM tlog_head_cosigned h LEFT JOIN LATERAL (
                SELECT array_agg(n.level) AS levels, array_agg(n.idx) AS idxs, array_agg(n.hash) AS hashes FROM (
                    SELECT * FROM tlog_path_nodes($1 - 1, $2) UNION SELECT * FROM tlog_path_nodes($1 - 1, $1)) n
                WHERE 0 < $1 AND $1 < $2 AND h.size = $2) p ON true
            WHERE h.size IN ($1, $2)
            """
        static let bindingDataTypes: [PostgresDataType] = [.int8, .int8]
        typealias Row = (TreeHead, TLogRows)
        var from: Int64
        var to: Int64

        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings()
            b.append(from)
            b.append(to)
            return b
        }

        func decodeRow(_ row: PostgresRow) throws -> Row {
            let c = NamedColumns(row)
            return (try Store.treeHead(c), try Store.tlogRows(c))
        }
    }

    /// The `levels`, `idxs` and `hashes` arrays of a row (from `tlog_path_nodes`), absent when the proof needs none.
    static func tlogRows(_ c: NamedColumns) throws -> TLogRows {
        var rows = TLogRows()
        guard let levels = try c("levels", as: [Int32]?.self), let idxs = try c("idxs", as: [Int64]?.self),
              let hashes = try c("hashes", as: [ByteBuffer]?.self) else { return rows }
        for (level, (index, hash)) in zip(levels, zip(idxs, hashes)) { rows.add(level: level, index: index, hash: hash) }
        return rows
    }
}
