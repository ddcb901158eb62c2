import CryoDomain
import Foundation
import Logging
import PostgresNIO

extension Store {
    /// One connection, five round trips: BEGIN, the product's shelf life and the donor's eligibility (locked FOR SHARE
    /// until COMMIT) in one statement, the lot row (returning what the database filled in), its custody event, COMMIT.
    /// The answer is built from the row as inserted (a new lot has no vials), not read back on a second connection.
    public func registerLot(_ request: LotRegistration, actor: Principal, logger: Logger) async throws -> LotRecord {
        try actor.require(.registerLot)
        try request.validate()
        return try await transaction(logger) { conn in
            guard let (shelfLife, eligibility) = try await conn.guardedExecute(RegistrationFacts(productCode: request.productCode, donorCode: request.donorCode),
                                                                               logger: logger).first else {
                throw DomainError.invalid(field: "productCode", rule: "no product '\(request.productCode)' is defined")
            }
            guard let shelfLife else {
                throw DomainError.invalid(field: "productCode", rule: "no product '\(request.productCode)' is defined")
            }
            guard let eligibility else {
                throw DomainError.invalid(field: "donorCode", rule: "no donor '\(request.donorCode)' is registered")
            }
            let expires = try LotRules.checkRegistration(donorCode: request.donorCode, donorEligibility: try DonorEligibility(stored: eligibility),
                                                         manufacturedOn: request.manufacturedOn, expiresOn: request.expiresOn, shelfLifeDays: shelfLife)
            guard let (status, changedAt) = try await conn.guardedExecute(InsertLot(request: request, expires: expires, registeredBy: actor.id),
                                                                           logger: logger).first else {
                throw DomainError.conflict(field: "lotNumber", rule: "the lot row was not written")
            }
            try await Custody.append(CustodyEntry(subjectType: "lot", subjectId: request.lotNumber, action: "lot.registered",
                                                  toState: LotStatus.inProcess.rawValue,
                                                  details: ["product": request.productCode, "donor": request.donorCode,
                                                            "cellsPerVial": String(request.cellsPerVial), "expiresOn": expires.description]),
                                     by: actor, on: conn, logger: logger)
            return LotRecord(lotNumber: request.lotNumber, productCode: request.productCode, donorCode: request.donorCode,
                             manufacturedOn: request.manufacturedOn.description, expiresOn: expires.description,
                             cellsPerVial: Int64(request.cellsPerVial), plannedVials: request.plannedVials, status: try LotStatus(stored: status),
                             heldFrom: nil, statusChangedAt: changedAt, vialsByStatus: [:])
        }
    }

    /// The product's shelf life and the donor's eligibility (the donor row locked until COMMIT); nil for either missing.
    struct RegistrationFacts: PostgresPreparedStatement {
        static let name = "cryoledger_lot_registration_facts"
        static let sql = """
            SELECT (SELECT shelf_life_days FROM product WHERE code = $1), (SELECT eligibility FROM donor WHERE code = $2 FOR SHARE)
            """
        static let bindingDataTypes: [PostgresDataType] = [.text, .text]
        typealias Row = (Int?, String?)
        var productCode: String
        var donorCode: String

        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings()
            b.append(productCode)
            b.append(donorCode)
            return b
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode((Int?, String?).self) }
    }

    /// The lot row, under the specification version in force on its manufacturing day; returns what the database set.
    struct InsertLot: PostgresPreparedStatement {
        static let name = "cryoledger_insert_lot"
        static let sql = """
            INSERT INTO lot (lot_number, product_code, donor_code, manufactured_on, expires_on, cells_per_vial, planned_vials, registered_by, spec_version)
            VALUES ($1, $2, $3, $4::date, $5::date, $6, $7, $8,
                    (SELECT max(version) FROM spec_version WHERE product_code = $2 AND effective_from <= $4::date))
            RETURNING status, status_changed_at
            """
        static let bindingDataTypes: [PostgresDataType] = [.text, .text, .text, .text, .text, .int8, .int8, .int8]
        typealias Row = (String, Date)
        var request: LotRegistration
        var expires: CalendarDay
        var registeredBy: Int64

        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings()
            b.append(request.lotNumber)
            b.append(request.productCode)
            b.append(request.donorCode)
            b.append(request.manufacturedOn.description)
            b.append(expires.description)
            b.append(request.cellsPerVial)
            b.append(request.plannedVials)
            b.append(registeredBy)
            return b
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode((String, Date).self) }
    }

    public func lot(number: String, actor: Principal, logger: Logger) async throws -> LotRecord {
        try actor.require(.readInventory)
        return try await read(logger) { conn in
            guard let lot = try await Self.lots(where: "l.lot_number = $1", binds: [number], limit: 1, on: conn, logger: logger).first else {
                throw DomainError.notFound(kind: "lot", id: number)
            }
            return lot
        }
    }

    /// Lots ordered by lot number, filtered by product and status, keyset-paginated.
    public func listLots(product: String?, status: LotStatus?, limit: Int, after: String?, actor: Principal, logger: Logger) async throws -> LotPage {
        try actor.require(.readInventory)
        try Validator().require((1...500).contains(limit), "limit", "must be between 1 and 500")
        let lots = try await read(logger) { conn in
            try await Self.lots(where: "($1::text IS NULL OR l.product_code = $1) AND ($2::text IS NULL OR l.status = $2) AND ($3::text IS NULL OR l.lot_number > $3)",
                                binds: [product, status?.rawValue, after], limit: limit + 1, on: conn, logger: logger)
        }
        let page = Array(lots.prefix(limit))
        return LotPage(lots: page, nextCursor: lots.count > limit ? page.last?.lotNumber : nil)
    }

    static func lots(where condition: String, binds: [String?], limit: Int, on conn: PostgresConnection, logger: Logger) async throws -> [LotRecord] {
        var bindings = PostgresBindings()
        for b in binds { bindings.append(b) }
        bindings.append(limit)
        let sql = """
            SELECT l.lot_number, l.product_code, l.donor_code, to_char(l.manufactured_on, 'YYYY-MM-DD') AS manufactured_on,
                   to_char(l.expires_on, 'YYYY-MM-DD') AS expires_on,
                   l.cells_per_vial, l.planned_vials, l.status, l.held_from, l.status_changed_at,
                   c.statuses, c.counts
            FROM lot l LEFT JOIN LATERAL (SELECT array_agg(status) AS statuses, array_agg(n) AS counts
                                          FROM (SELECT status, count(*) AS n FROM vial v WHERE v.lot_number = l.lot_number GROUP BY status) s) c ON true
            WHERE \(condition) ORDER BY l.lot_number LIMIT $\(binds.count + 1)
            """
        // Vial counts by status as two arrays: decoding a JSON object per row took a JSONDecoder per lot.
        return try await conn.guardedQuery(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger).named { c in
            let counts = Dictionary(zip(try c("statuses", as: [String]?.self) ?? [], try c("counts", as: [Int]?.self) ?? []), uniquingKeysWith: +)
            return LotRecord(lotNumber: try c("lot_number"), productCode: try c("product_code"), donorCode: try c("donor_code"),
                             manufacturedOn: try c("manufactured_on"), expiresOn: try c("expires_on"), cellsPerVial: try c("cells_per_vial"),
                             plannedVials: try c("planned_vials"), status: try LotStatus(stored: c("status")),
                             heldFrom: try c("held_from", as: String?.self).map { try LotStatus(stored: $0) }, statusChangedAt: try c("status_changed_at"),
                             vialsByStatus: counts)
        }
    }
}
