import CryoDomain
import Logging
import PostgresNIO

/// Importing donors and lots: the same decisions as `registerDonor` and `registerLot`.
extension Store {
    // MARK: Donors

    static func importDonors(_ parsed: ([(CSVRecord, DonorRegistration)], [RowReject]), actor: Principal,
                             on conn: PostgresConnection, logger: Logger) async throws -> BatchOutcome {
        var outcome = BatchOutcome(rejects: parsed.1)
        var rows = parsed.0
        guard !rows.isEmpty else { return outcome }
        var existing: [String: (eligibility: String, hla: [String])] = [:]
        for try await (code, eligibility, hla) in try await conn.guardedQuery("""
            SELECT d.code, d.eligibility, coalesce((SELECT array_agg(h.allele ORDER BY h.allele) FROM donor_hla h WHERE h.donor_code = d.code), '{}')
            FROM donor d WHERE d.code = ANY(\(rows.map(\.1.code))::text[])
            """, logger: logger).decode((String, String, [String]).self) {
            existing[code] = (eligibility, hla)
        }
        rows = rows.filter { record, donor in
            guard let on = existing[donor.code] else { return true }
            if on.eligibility != donor.eligibility.rawValue {
                outcome.rejects.append(RowReject(record, field: "eligibility", rule: "donor \(donor.code) is already registered as \(on.eligibility); change eligibility through its own operation"))
            } else if on.hla != donor.hla.sorted() {
                outcome.rejects.append(RowReject(record, field: "hla", rule: "donor \(donor.code) is already registered with HLA \(on.hla.joined(separator: " "))"))
            } else {
                outcome.unchanged += 1
            }
            return false
        }
        let result = try await writeRows(rows, on: conn, logger: logger) { rows in
            let donors = rows.map(\.1)
            try await conn.guardedQuery("""
                INSERT INTO donor (code, eligibility, eligibility_decided_at, registered_by)
                SELECT c, e, CASE WHEN e = 'pending' THEN NULL ELSE now() END, \(actor.id)
                FROM unnest(\(donors.map(\.code))::text[], \(donors.map(\.eligibility.rawValue))::text[]) AS u(c, e)
                """, logger: logger)
            let tests = donors.flatMap { d in d.screeningTests.map { (d.code, $0) } }
            if !tests.isEmpty {
                try await conn.guardedQuery("""
                    INSERT INTO donor_screening_test (donor_code, test, result, tested_on)
                    SELECT * FROM unnest(\(tests.map(\.0))::text[], \(tests.map(\.1.test))::text[], \(tests.map(\.1.result))::text[],
                                         \(tests.map(\.1.testedOn.description))::date[])
                    """, logger: logger)
            }
            var hla: [(String, String, Int, String)] = []
            for d in donors {
                var copies: [HLALocus: Int] = [:]
                for allele in d.hla {
                    let locus = HLA.locus(of: allele)!
                    copies[locus, default: 0] += 1
                    hla.append((d.code, locus.rawValue, copies[locus]!, allele))
                }
            }
            if !hla.isEmpty {
                try await conn.guardedQuery("""
                    INSERT INTO donor_hla (donor_code, locus, copy, allele)
                    SELECT * FROM unnest(\(hla.map(\.0))::text[], \(hla.map(\.1))::text[], \(hla.map(\.2))::smallint[], \(hla.map(\.3))::text[])
                    """, logger: logger)
            }
            try await Custody.append(donors.map { d in
                CustodyEntry(subjectType: "donor", subjectId: d.code, action: "donor.registered", toState: d.eligibility.rawValue, reason: "bulk import",
                             details: ["hla": d.hla.joined(separator: " "), "screeningTests": String(d.screeningTests.count)])
            }, by: actor, on: conn, logger: logger)
            return donors.count
        }
        outcome.add(result)
        return outcome
    }

    // MARK: Lots

    static func importLots(_ parsed: ([(CSVRecord, LotRegistration)], [RowReject]), actor: Principal,
                           on conn: PostgresConnection, logger: Logger) async throws -> BatchOutcome {
        var outcome = BatchOutcome(rejects: parsed.1)
        let rows = parsed.0
        guard !rows.isEmpty else { return outcome }
        var products: [String: Int] = [:]
        for try await (code, days) in try await conn.guardedQuery("SELECT code, shelf_life_days FROM product WHERE code = ANY(\(Array(Set(rows.map(\.1.productCode))))::text[])",
                                                            logger: logger).decode((String, Int).self) {
            products[code] = days
        }
        var existing: [String: (product: String, donor: String, made: String, expires: String, cells: Int64, planned: Int)] = [:]
        for (number, lot) in try await conn.guardedQuery("""
            SELECT lot_number, product_code, donor_code, to_char(manufactured_on, 'YYYY-MM-DD') AS manufactured_on,
                   to_char(expires_on, 'YYYY-MM-DD') AS expires_on, cells_per_vial, planned_vials
            FROM lot WHERE lot_number = ANY(\(rows.map(\.1.lotNumber))::text[])
            """, logger: logger).named({ c in
                (try c("lot_number", as: String.self),
                 (product: try c("product_code", as: String.self), donor: try c("donor_code", as: String.self), made: try c("manufactured_on", as: String.self),
                  expires: try c("expires_on", as: String.self), cells: try c("cells_per_vial", as: Int64.self), planned: try c("planned_vials", as: Int.self)))
            }) {
            existing[number] = lot
        }
        var donors: [String: String] = [:]
        for try await (code, eligibility) in try await conn.guardedQuery("""
            SELECT code, eligibility FROM donor WHERE code = ANY(\(Array(Set(rows.map(\.1.donorCode))).sorted())::text[]) ORDER BY code FOR SHARE
            """, logger: logger).decode((String, String).self) {
            donors[code] = eligibility
        }
        var accepted: [(CSVRecord, (LotRegistration, expires: CalendarDay))] = []
        for (record, lot) in rows {
            func reject(_ field: String, _ rule: String) { outcome.rejects.append(RowReject(record, field: field, rule: rule)) }
            guard let shelfLife = products[lot.productCode] else { reject("productCode", "no product '\(lot.productCode)' is defined"); continue }
            let expires = lot.expiresOn ?? lot.manufacturedOn.adding(days: shelfLife)
            if let on = existing[lot.lotNumber] {
                let differing: [(String, String, String)] = [
                    ("productCode", on.product, lot.productCode), ("donorCode", on.donor, lot.donorCode),
                    ("manufacturedOn", on.made, lot.manufacturedOn.description), ("expiresOn", on.expires, expires.description),
                    ("cellsPerVial", String(on.cells), String(lot.cellsPerVial)), ("vialCount", String(on.planned), String(lot.plannedVials)),
                ].filter { $0.1 != $0.2 }
                if let (field, was, _) = differing.first {
                    reject(field, "lot \(lot.lotNumber) is already registered with \(field) \(was)")
                } else {
                    outcome.unchanged += 1
                }
                continue
            }
            guard let eligibility = donors[lot.donorCode] else { reject("donorCode", "no donor '\(lot.donorCode)' is registered"); continue }
            let donorEligibility = try DonorEligibility(stored: eligibility)
            do {
                let checked = try LotRules.checkRegistration(donorCode: lot.donorCode, donorEligibility: donorEligibility, manufacturedOn: lot.manufacturedOn,
                                                             expiresOn: lot.expiresOn, shelfLifeDays: shelfLife)
                accepted.append((record, (lot, checked)))
            } catch {
                outcome.rejects.append(RowReject(record, error))
            }
        }
        let result = try await writeRows(accepted, on: conn, logger: logger) { rows in
            let lots = rows.map(\.1.0)
            try await conn.guardedQuery("""
                INSERT INTO lot (lot_number, product_code, donor_code, manufactured_on, expires_on, cells_per_vial, planned_vials, registered_by, spec_version)
                SELECT n, p, d, m, e, c, v, \(actor.id),
                       (SELECT max(s.version) FROM spec_version s WHERE s.product_code = p AND s.effective_from <= m)
                FROM unnest(\(lots.map(\.lotNumber))::text[], \(lots.map(\.productCode))::text[], \(lots.map(\.donorCode))::text[],
                            \(lots.map(\.manufacturedOn.description))::date[], \(rows.map(\.1.expires.description))::date[],
                            \(lots.map { Int64($0.cellsPerVial) })::bigint[], \(lots.map(\.plannedVials))::int[]) AS u(n, p, d, m, e, c, v)
                """, logger: logger)
            try await Custody.append(rows.map { _, l in
                CustodyEntry(subjectType: "lot", subjectId: l.0.lotNumber, action: "lot.registered", toState: LotStatus.inProcess.rawValue, reason: "bulk import",
                             details: ["product": l.0.productCode, "donor": l.0.donorCode, "cellsPerVial": String(l.0.cellsPerVial),
                                       "expiresOn": l.expires.description])
            }, by: actor, on: conn, logger: logger)
            return lots.count
        }
        outcome.add(result)
        return outcome
    }
}
