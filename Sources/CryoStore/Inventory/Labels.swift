import CryoDomain
import Foundation
import Logging
import PostgresNIO

extension Store {
    /// This installation's ISBT 128 facility identification number, from `CRYOLEDGER_ISBT128_FIN` (unset: none).
    public static var isbt128FacilityFromEnvironment: String? {
        ProcessInfo.processInfo.environment["CRYOLEDGER_ISBT128_FIN"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The labels of a lot's vials (in ordinal order), or of the vials named, in the order given. Vials of a product
    /// that opted in to ISBT 128 carry its codes, built with this installation's facility identification number.
    public func vialLabels(lotNumber: String?, vialIds: [String], actor: Principal, logger: Logger,
                           isbt128Facility: String? = Store.isbt128FacilityFromEnvironment) async throws -> [VialLabel] {
        try actor.require(.readInventory)
        try Validator().require((lotNumber == nil) != vialIds.isEmpty, "vialIds", "give a lot or vial ids, not both")
        let ids = try vialIds.enumerated().map { i, text in try VialID(parsing: text, field: "vialIds[\(i)]").value }
        let columns = """
            SELECT v.id AS vial_id, p.code AS product_code, p.name AS product_name, l.lot_number, v.ordinal, l.planned_vials AS vial_count,
                   to_char(l.expires_on, 'YYYY-MM-DD') AS expires_on, to_char(l.manufactured_on, 'YYYY-MM-DD') AS manufactured_on,
                   p.storage_condition, p.storage_max_celsius::float8 AS storage_max_celsius, l.cells_per_vial,
                   p.isbt128_product_description, p.isbt128_donation_type
            """
        return try await read(logger) { conn in
            func label(_ c: NamedColumns) throws -> VialLabel {
                var label = VialLabel(vialId: try c("vial_id"), productCode: try c("product_code"), productName: try c("product_name"), lotNumber: try c("lot_number"),
                                      ordinal: try c("ordinal"), vialCount: try c("vial_count"), expiresOn: try c("expires_on"),
                                      storageCondition: try c("storage_condition"), storageMaxCelsius: try c("storage_max_celsius"),
                                      cellsPerVial: try c("cells_per_vial"))
                let description: String? = try c("isbt128_product_description"), donationType: String? = try c("isbt128_donation_type")
                if let description, let donationType {
                    guard let isbt128Facility else {
                        throw DomainError.conflict(field: "isbt128Facility", rule: "product \(label.productCode) prints ISBT 128 codes on its labels: set CRYOLEDGER_ISBT128_FIN to this installation's facility identification number")
                    }
                    let manufactured: String = try c("manufactured_on")
                    label.isbt128 = try ISBT128.vialCodes(vialId: label.vialId, manufacturedOn: CalendarDay(manufactured)!, expiresOn: CalendarDay(label.expiresOn)!,
                                                          fin: isbt128Facility, productDescription: description, donationType: donationType)
                }
                return label
            }
            var rows: [VialLabel] = []
            if let lotNumber {
                guard try await conn.guardedQuery("SELECT 1 FROM lot WHERE lot_number = \(lotNumber)", logger: logger).decode(Int.self).all().first != nil else {
                    throw DomainError.notFound(kind: "lot", id: lotNumber)
                }
                rows = try await conn.guardedQuery("""
                    \(unescaped: columns)
                    FROM vial v JOIN lot l ON l.lot_number = v.lot_number JOIN product p ON p.code = l.product_code
                    WHERE v.lot_number = \(lotNumber) ORDER BY v.ordinal
                    """, logger: logger).named(label)
            } else {
                rows = try await conn.guardedQuery("""
                    \(unescaped: columns)
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
