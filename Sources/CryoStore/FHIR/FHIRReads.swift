import CryoDomain
import Foundation
import Logging
import PostgresNIO

extension Store {
    /// Vials for the FHIR API: one by id, those of a lot, or all, in id order, at most `limit` rows.
    public func productFacts(vialId: String?, lotNumber: String?, limit: Int, actor: Principal, logger: Logger,
                             isbt128Facility: String? = Store.isbt128FacilityFromEnvironment) async throws -> [ProductFacts] {
        try actor.require(.readInventory)
        let id = try vialId.map { try VialID(parsing: $0).value }
        return try await read(logger) { conn in
            let rows = try await conn.guardedQuery("""
                SELECT v.id, v.ordinal, l.lot_number, l.status AS lot_status, p.code, p.name, l.donor_code, v.status,
                       to_char(l.expires_on, 'YYYY-MM-DD') AS expires_on, p.storage_max_celsius::float8 AS storage_max_celsius,
                       l.cells_per_vial, v.created_at, to_char(l.manufactured_on, 'YYYY-MM-DD') AS manufactured_on,
                       p.isbt128_product_description IS NOT NULL AS isbt128
                FROM vial v JOIN lot l ON l.lot_number = v.lot_number JOIN product p ON p.code = l.product_code
                WHERE (\(id)::text IS NULL OR v.id = \(id)) AND (\(lotNumber)::text IS NULL OR v.lot_number = \(lotNumber))
                ORDER BY v.id LIMIT \(limit)
                """, logger: logger).named { c in
                (id: try c("id", as: String.self), ordinal: try c("ordinal", as: Int.self), lot: try c("lot_number", as: String.self),
                 lotStatus: try c("lot_status", as: String.self), code: try c("code", as: String.self), name: try c("name", as: String.self),
                 donor: try c("donor_code", as: String.self), status: try VialStatus(stored: c("status")), expires: try c("expires_on", as: String.self),
                 maxCelsius: try c("storage_max_celsius", as: Double.self), cells: try c("cells_per_vial", as: Int64.self),
                 created: try c("created_at", as: Date.self), manufactured: try c("manufactured_on", as: String.self),
                 isbt128: try c("isbt128", as: Bool.self))
            }
            // The reasons of every vial on the page in one set-based call.
            let reasons = try await Self.availabilityReasons(of: rows.map(\.id), on: conn, logger: logger)
            return rows.map { r in
                ProductFacts(vialId: r.id, ordinal: r.ordinal, lotNumber: r.lot, lotStatus: r.lotStatus, productCode: r.code, productName: r.name,
                             donorCode: r.donor, status: r.status, availability: VialAvailability(status: r.status, reasons: reasons[r.id] ?? []),
                             expiresOn: r.expires, storageMaxCelsius: r.maxCelsius, cellsPerVial: r.cells, createdAt: r.created,
                             isbt128DIN: r.isbt128 ? isbt128Facility.flatMap { fin in
                                 try? ISBT128.donationIdentificationNumber(vialId: r.id, manufacturedOn: CalendarDay(r.manufactured)!, fin: fin).body
                             } : nil)
            }
        }
    }

    /// Reservations for the FHIR API: one by id, a patient's, or all, in id order. An auditor's read is logged
    /// against each patient it shows, as for every other read of a patient's record.
    public func dispenseFacts(reservationId: Int64?, subjectId: String?, limit: Int, actor: Principal, logger: Logger) async throws -> [DispenseFacts] {
        try actor.require(.readInventory)
        let rows = try await read(logger) { conn in
            try await conn.guardedQuery("""
                SELECT r.id, r.allocation_id, r.vial_id, r.subject_id, pt.site_code, v.status, r.cancelled_at IS NOT NULL AS cancelled, r.created_at,
                       v.thawed_at, s.received_at, a.administered_at
                FROM reservation r JOIN vial v ON v.id = r.vial_id JOIN patient pt ON pt.subject_id = r.subject_id
                LEFT JOIN shipment_vial sv ON sv.vial_id = r.vial_id LEFT JOIN shipment s ON s.id = sv.shipment_id
                LEFT JOIN administration a ON a.vial_id = r.vial_id
                WHERE (\(reservationId)::bigint IS NULL OR r.id = \(reservationId)) AND (\(subjectId)::text IS NULL OR r.subject_id = \(subjectId))
                ORDER BY r.id LIMIT \(limit)
                """, logger: logger).named { c in
                DispenseFacts(reservationId: try c("id"), allocationId: try c("allocation_id"), vialId: try c("vial_id"), subjectId: try c("subject_id"),
                              siteCode: try c("site_code"), status: try VialStatus(stored: c("status")), cancelled: try c("cancelled"),
                              reservedAt: try c("created_at"), thawedAt: try c("thawed_at"), receivedAt: try c("received_at"),
                              administeredAt: try c("administered_at"))
            }
        }
        try await logAuditorRead(of: Array(Set(rows.map(\.subjectId))).sorted(), what: "FHIR BiologicallyDerivedProductDispense", actor: actor, logger: logger)
        return rows
    }
}
