import CryoDomain
import Foundation
import Logging
import PostgresNIO

extension Store {
    /// The labels of a lot's vials (in ordinal order), or of the vials named, in the order given.
    public func vialLabels(lotNumber: String?, vialIds: [String], actor: Principal, logger: Logger) async throws -> [VialLabel] {
        try actor.require(.readInventory)
        try Validator().require((lotNumber == nil) != vialIds.isEmpty, "vialIds", "give a lot or vial ids, not both")
        let ids = try vialIds.enumerated().map { i, text in try VialID(parsing: text, field: "vialIds[\(i)]").value }
        return try await read(logger) { conn in
            typealias Row = (String, String, String, String, Int, Int, String, String, Double)
            var rows: [Row] = []
            if let lotNumber {
                guard try await conn.guardedQuery("SELECT 1 FROM lot WHERE lot_number = \(lotNumber)", logger: logger).decode(Int.self).all().first != nil else {
                    throw DomainError.notFound(kind: "lot", id: lotNumber)
                }
                rows = try await conn.guardedQuery("""
                    SELECT v.id, p.code, p.name, l.lot_number, v.ordinal, l.planned_vials, to_char(l.expires_on, 'YYYY-MM-DD'),
                           p.storage_condition, p.storage_max_celsius::float8
                    FROM vial v JOIN lot l ON l.lot_number = v.lot_number JOIN product p ON p.code = l.product_code
                    WHERE v.lot_number = \(lotNumber) ORDER BY v.ordinal
                    """, logger: logger).decode(Row.self).all()
            } else {
                rows = try await conn.guardedQuery("""
                    SELECT v.id, p.code, p.name, l.lot_number, v.ordinal, l.planned_vials, to_char(l.expires_on, 'YYYY-MM-DD'),
                           p.storage_condition, p.storage_max_celsius::float8
                    FROM unnest(\(ids)::text[]) WITH ORDINALITY AS q(id, n) JOIN vial v ON v.id = q.id
                    JOIN lot l ON l.lot_number = v.lot_number JOIN product p ON p.code = l.product_code
                    ORDER BY q.n
                    """, logger: logger).decode(Row.self).all()
                if let missing = ids.first(where: { id in !rows.contains { $0.0 == id } }) {
                    throw DomainError.notFound(kind: "vial", id: missing)
                }
            }
            return rows.map { VialLabel(vialId: $0.0, productCode: $0.1, productName: $0.2, lotNumber: $0.3, ordinal: $0.4, vialCount: $0.5,
                                        expiresOn: $0.6, storageCondition: $0.7, storageMaxCelsius: $0.8) }
        }
    }
}
