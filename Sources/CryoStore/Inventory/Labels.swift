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
            func label(_ c: NamedColumns) throws -> VialLabel {
                VialLabel(vialId: try c("vial_id"), productCode: try c("product_code"), productName: try c("product_name"), lotNumber: try c("lot_number"),
                          ordinal: try c("ordinal"), vialCount: try c("vial_count"), expiresOn: try c("expires_on"),
                          storageCondition: try c("storage_condition"), storageMaxCelsius: try c("storage_max_celsius"))
            }
            var rows: [VialLabel] = []
            if let lotNumber {
                guard try await conn.guardedQuery("SELECT 1 FROM lot WHERE lot_number = \(lotNumber)", logger: logger).decode(Int.self).all().first != nil else {
                    throw DomainError.notFound(kind: "lot", id: lotNumber)
                }
                rows = try await conn.guardedQuery("""
                    SELECT v.id AS vial_id, p.code AS product_code, p.name AS product_name, l.lot_number, v.ordinal, l.planned_vials AS vial_count,
                           to_char(l.expires_on, 'YYYY-MM-DD') AS expires_on, p.storage_condition, p.storage_max_celsius::float8 AS storage_max_celsius
                    FROM vial v JOIN lot l ON l.lot_number = v.lot_number JOIN product p ON p.code = l.product_code
                    WHERE v.lot_number = \(lotNumber) ORDER BY v.ordinal
                    """, logger: logger).named(label)
            } else {
                rows = try await conn.guardedQuery("""
                    SELECT v.id AS vial_id, p.code AS product_code, p.name AS product_name, l.lot_number, v.ordinal, l.planned_vials AS vial_count,
                           to_char(l.expires_on, 'YYYY-MM-DD') AS expires_on, p.storage_condition, p.storage_max_celsius::float8 AS storage_max_celsius
                    FROM unnest(\(ids)::text[]) WITH ORDINALITY AS q(id, n) JOIN vial v ON v.id = q.id
                    JOIN lot l ON l.lot_number = v.lot_number JOIN product p ON p.code = l.product_code
                    ORDER BY q.n
                    """, logger: logger).named(label)
                if let missing = ids.first(where: { id in !rows.contains { $0.vialId == id } }) {
                    throw DomainError.notFound(kind: "vial", id: missing)
                }
            }
            return rows
        }
    }
}
