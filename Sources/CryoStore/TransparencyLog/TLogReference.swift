import Foundation
import PostgresNIO

/// What the reference server of Benchmarks/audit (a bare Hummingbird + PostgresNIO server) runs for an inclusion
/// proof: the same two statements and the same folding as the API, without the API around them (generated
/// OpenAPI layer, middlewares, the database-availability guard), so the benchmark can report the API's cost as a
/// ratio to it.
public enum TLogReference {
    public static var tokenLookupSQL: String { Store.TokenLookup.sql }
    public static var inclusionSQL: String { Store.TLogInclusion.sql }

    /// The proof from one row of `inclusionSQL`: the head's size, the leaf's index and the path (base64), or nil
    /// when the event is not in the head or the row does not cover the path.
    public static func inclusionProof(_ row: PostgresRow) throws -> (size: Int64, leafIndex: Int64, path: [String])? {
        let c = NamedColumns(row)
        let head = try Store.treeHead(c)
        guard let index = try c("leaf", as: Int64?.self), index < head.size else { return nil }
        let ranges = MerkleTree.inclusionRanges(index: index, size: head.size)
        let (nodes, missing) = try Store.tlogRows(c).resolve(MerkleTree.nodes(for: ranges))
        guard missing.isEmpty else { return nil }
        return (head.size, index, try Store.inclusionPath(ranges, nodes))
    }
}
