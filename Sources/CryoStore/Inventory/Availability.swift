import CryoDomain
import Foundation
import Logging
import PostgresNIO

/// Rule 10: every read that shows a vial takes its availability from `vial_availability` (migration 038), the SQL twin
/// of `VialAvailability.reasons`.
extension Store {
    /// Reasons read as two parallel arrays (codes, details), as `vialSelect` aggregates them; NULL arrays are none.
    static func reasons(codes: [String]?, details: [String]?) throws -> [VialAvailability.Reason] {
        guard let codes, let details else { return [] }
        return try zip(codes, details).map { try VialAvailability.Reason(code: .init(stored: $0.0), detail: $0.1) }
    }

    /// The reasons of many vials in one set-based call; a vial nothing stops has no entry.
    static func availabilityReasons(of ids: [String], on conn: PostgresConnection, logger: Logger) async throws -> [String: [VialAvailability.Reason]] {
        var out: [String: [VialAvailability.Reason]] = [:]
        for try await (vial, code, detail) in try await conn.guardedQuery("""
            SELECT a.vial_id, a.code, a.detail FROM vial_availability(\(ids)::text[]) WITH ORDINALITY a(vial_id, code, detail, n) ORDER BY a.n
            """, logger: logger).decode((String, String, String).self) {
            out[vial, default: []].append(VialAvailability.Reason(code: try .init(stored: code), detail: detail))
        }
        return out
    }

    /// A lot's vials in ordinal order, each with its location and availability.
    public func lotVials(lotNumber: String, actor: Principal, logger: Logger) async throws -> [VialRecord] {
        try actor.require(.readInventory)
        return try await read(logger) { conn in
            try await conn.guardedQuery("\(unescaped: Self.vialSelect) WHERE v.lot_number = \(lotNumber) ORDER BY v.ordinal", logger: logger)
                .named(Self.vialRecord)
        }
    }
}
