import CryoDomain
import CryoStore
import Foundation
import PostgresNIO
import Testing

/// Issue 24 item 2 (PRODUCT.md rule 10): wherever a vial is shown — the API record, the freezer map, the lot's list,
/// FHIR — its effective availability comes with its reasons, from one function (`vial_availability`) and its Swift
/// twin (`VialAvailability.reasons`).
@Suite("Vial availability: one function, shown everywhere")
struct AvailabilityTests {
    /// One released lot per case, one vial each, in BOX-1 of FRZ-1 (the freezer-hold case in FRZ-2), and the code
    /// each case must carry. Returns the vial ids by case.
    static func cases(_ f: Fixture) async throws -> [String: String] {
        let mfg = f.user(.manufacturing), qa = f.user(.qa)
        try await f.store.createFreezer(id: "FRZ-2", siteCode: "SSF", kind: .ln2Dewar, name: "Dewar 2", maxCelsius: -150, actor: mfg, logger: Fixture.logger)
        try await f.store.createRack(id: "FRZ-2-R1", freezerId: "FRZ-2", label: "R1", actor: mfg, logger: Fixture.logger)
        try await f.store.createBox(id: "BOX-9", rackId: "FRZ-2-R1", label: "B9", rows: 9, columns: 9, actor: mfg, logger: Fixture.logger)
        _ = try await f.store.registerDonor(DonorRegistration(code: "DN-000002", eligibility: .eligible,
                                                              screeningTests: [ScreeningTest(test: "HIV-1/2 NAT", result: "non-reactive", testedOn: CalendarDay("2025-12-01")!)],
                                                              hla: ["A*02:01", "A*24:02", "B*07:02"]), actor: mfg, logger: Fixture.logger)
        var ids: [String: String] = [:]
        func one(_ lot: String) async throws -> String {
            try await f.client.query("SELECT id FROM vial WHERE lot_number = \(lot)", logger: Fixture.logger).decode(String.self).rows()[0]
        }
        for (name, lot) in [("available", "LOT-OK"), ("lot-on-hold", "LOT-HELD"), ("lot-expired", "LOT-EXP"), ("vial-on-hold", "LOT-VH"),
                            ("freezer-on-hold", "LOT-FH"), ("checked-out", "LOT-CO")] {
            try await f.releasedLot(lot, vials: 1, box: name == "freezer-on-hold" ? "BOX-9" : "BOX-1")
            ids[name] = try await one(lot)
        }
        // Donor hold: a released lot of another donor.
        _ = try await f.store.registerLot(LotRegistration(lotNumber: "LOT-DH", productCode: "ALLO-501", donorCode: "DN-000002",
                                                          manufacturedOn: CalendarDay("2026-01-10")!, expiresOn: nil, cellsPerVial: 40_000_000,
                                                          plannedVials: 1), actor: mfg, logger: Fixture.logger)
        _ = try await f.store.createVials(lotNumber: "LOT-DH", count: 1, boxId: "BOX-2", actor: mfg, logger: Fixture.logger)
        _ = try await f.store.transitionLot(number: "LOT-DH", to: .quarantine, reason: "run complete", actor: mfg, logger: Fixture.logger)
        _ = try await f.store.recordQcResult(lotNumber: "LOT-DH", QcResultInput(testCode: "viability", numericValue: 92, unit: "%", method: "7-AAD", analyst: "A"),
                                             actor: f.user(.qc), logger: Fixture.logger)
        _ = try await f.store.releaseLot(number: "LOT-DH", kind: .standard, justification: nil, pendingTests: [], restrictedTo: [], reason: nil,
                                         signature: SignatureInput(password: Fixture.qaPassword, meaning: "approved for release"), actor: qa, logger: Fixture.logger)
        ids["donor-on-hold"] = try await one("LOT-DH")
        // Rejected; in quarantine (not released).
        try await f.lot("LOT-REJ", vials: 1, box: "BOX-2")
        _ = try await f.store.transitionLot(number: "LOT-REJ", to: .quarantine, reason: "run complete", actor: mfg, logger: Fixture.logger)
        _ = try await f.store.transitionLot(number: "LOT-REJ", to: .rejected, reason: "sterility failure",
                                           signature: SignatureInput(password: Fixture.qaPassword, meaning: "rejected"), actor: qa, logger: Fixture.logger)
        ids["lot-rejected"] = try await one("LOT-REJ")
        try await f.lot("LOT-Q", vials: 1, box: "BOX-2")
        _ = try await f.store.transitionLot(number: "LOT-Q", to: .quarantine, reason: "run complete", actor: mfg, logger: Fixture.logger)
        ids["lot-not-released"] = try await one("LOT-Q")

        _ = try await f.store.placeHold(on: .lot, id: "LOT-HELD", reason: "sterility retest pending", actor: qa, logger: Fixture.logger)
        _ = try await f.store.placeHold(on: .vial, id: ids["vial-on-hold"]!, reason: "label damaged", actor: qa, logger: Fixture.logger)
        _ = try await f.store.placeHold(on: .donor, id: "DN-000002", reason: "donor retest", actor: qa, logger: Fixture.logger)
        _ = try await f.store.placeHold(on: .freezer, id: "FRZ-2", reason: "LN2 level low", actor: qa, logger: Fixture.logger)
        _ = try await f.store.checkOut(.vial(ids["checked-out"]!), purpose: .inventoryCheck, actor: mfg, logger: Fixture.logger)
        try await f.client.query("ALTER TABLE lot DISABLE TRIGGER USER", logger: Fixture.logger)
        try await f.client.query("UPDATE lot SET manufactured_on = current_date - 400, expires_on = current_date - 1 WHERE lot_number = 'LOT-EXP'", logger: Fixture.logger)
        try await f.client.query("ALTER TABLE lot ENABLE TRIGGER USER", logger: Fixture.logger)
        return ids
    }

    @Test("the vial record carries its reasons: held lot, rejected, expired, donor hold, freezer hold, own hold, checked out, not released")
    func vialRecord() async throws {
        try await withFixture { f in
            let ids = try await Self.cases(f)
            for (name, id) in ids {
                let v = try await f.store.vial(id: id, actor: f.user(.auditor), logger: Fixture.logger)
                if name == "available" {
                    #expect(v.availability.available && v.availability.reasons.isEmpty)
                } else {
                    #expect(v.availability.reasons.map(\.code.rawValue) == [name], "\(name): \(v.availability.reasons)")
                    #expect(!v.availability.available)
                }
                // vial_blockers() (the triggers' text) is the same reasons, joined.
                let text = try await f.client.query("SELECT vial_blockers(\(id))", logger: Fixture.logger).decode(String?.self).rows()[0]
                #expect(text == v.availability.summary, "\(name)")
            }
            let held = try await f.store.vial(id: ids["lot-on-hold"]!, actor: f.user(.auditor), logger: Fixture.logger).availability
            #expect(held.held && held.reasons[0].detail == "lot LOT-HELD is on hold: sterility retest pending")
            // Several reasons at once, in the twin's order: the lot's status first, the holds last.
            _ = try await f.store.placeHold(on: .vial, id: ids["lot-rejected"]!, reason: "broken cap", actor: f.user(.qa), logger: Fixture.logger)
            let two = try await f.store.vial(id: ids["lot-rejected"]!, actor: f.user(.auditor), logger: Fixture.logger).availability
            #expect(two.reasons.map(\.code) == [.lotRejected, .vialOnHold])
        }
    }

    @Test("VialAvailability.reasons (Swift) and vial_availability() (SQL) agree on every case")
    func twins() async throws {
        try await withFixture { f in
            let ids = try await Self.cases(f)
            _ = try await f.store.placeHold(on: .vial, id: ids["lot-on-hold"]!, reason: "second hold", actor: f.user(.qa), logger: Fixture.logger)
            let today = try await f.client.query("SELECT current_date::text", logger: Fixture.logger).decode(String.self).rows()[0]
            for (name, id) in ids {
                let (lot, status, expires, vialStatus) = try await f.client.query("""
                    SELECT l.lot_number, l.status, l.expires_on::text, v.status FROM vial v JOIN lot l ON l.lot_number = v.lot_number WHERE v.id = \(id)
                    """, logger: Fixture.logger).decode((String, String, String, String).self).rows()[0]
                let purpose = try await f.client.query("SELECT purpose FROM vial_checkout WHERE vial_id = \(id) AND checked_in_at IS NULL",
                                                       logger: Fixture.logger).decode(String.self).rows().first
                let holds = try await f.client.query("""
                    SELECT h.subject_type, h.subject_id, h.reason FROM vial v JOIN lot l ON l.lot_number = v.lot_number
                    LEFT JOIN vial_position p ON p.vial_id = v.id LEFT JOIN box b ON b.id = p.box_id LEFT JOIN rack r ON r.id = b.rack_id
                    JOIN hold h ON h.lifted_at IS NULL AND ((h.subject_type = 'vial' AND h.subject_id = v.id) OR (h.subject_type = 'lot' AND h.subject_id = l.lot_number)
                        OR (h.subject_type = 'donor' AND h.subject_id = l.donor_code) OR (h.subject_type = 'freezer' AND h.subject_id = r.freezer_id))
                    WHERE v.id = \(id) ORDER BY h.id
                    """, logger: Fixture.logger).decode((String, String, String).self).rows()
                let facts = VialAvailability.Facts(vialId: id, lotNumber: lot, lotStatus: try LotStatus(stored: status), expiresOn: CalendarDay(expires)!,
                                                   checkedOutFor: purpose, holds: holds.map { .init(subjectType: $0.0, subjectId: $0.1, reason: $0.2) })
                let swift = VialAvailability(status: try VialStatus(stored: vialStatus), facts: facts, today: CalendarDay(today)!)
                let sql = try await f.store.vial(id: id, actor: f.user(.auditor), logger: Fixture.logger).availability
                #expect(swift == sql, "\(name)")
            }
        }
    }

    @Test("the freezer map gives each vial its reasons, computed in one query for the whole freezer")
    func freezerMap() async throws {
        try await withFixture { f in
            let ids = try await Self.cases(f)
            var byVial: [String: [VialAvailability.Reason]] = [:]
            for freezer in ["FRZ-1", "FRZ-2"] {
                let map = try await f.store.freezerMap(id: freezer, actor: f.user(.auditor), logger: Fixture.logger)
                for rack in map.racks { for box in rack.boxes { for slot in box.slots { if let v = slot.vialId { byVial[v] = slot.reasons } } } }
            }
            for (name, id) in ids {
                #expect(byVial[id]?.map(\.code.rawValue) == (name == "available" ? [] : [name]), "\(name)")
            }
        }
    }

    @Test("the lot's vials are listed with their availability")
    func lotVials() async throws {
        try await withFixture { f in
            _ = try await Self.cases(f)
            let held = try await f.store.lotVials(lotNumber: "LOT-HELD", actor: f.user(.auditor), logger: Fixture.logger)
            #expect(held.count == 1 && held[0].availability.held && held[0].location != nil)
            #expect(held[0].availability.reasons.map(\.code) == [.lotOnHold])
            let ok = try await f.store.lotVials(lotNumber: "LOT-OK", actor: f.user(.auditor), logger: Fixture.logger)
            #expect(ok.count == 1 && ok[0].availability.available)
        }
    }

    @Test("FHIR productStatus is unavailable for every blocked vial, with a coded reason; available for the good one")
    func fhir() async throws {
        try await withFixture { f in
            let ids = try await Self.cases(f)
            for (name, id) in ids {
                let p = try await f.store.productFacts(vialId: id, lotNumber: nil, limit: 1, actor: f.user(.auditor), logger: Fixture.logger)[0]
                #expect(FHIRMapping.productStatus(p.availability) == (name == "available" ? "available" : "unavailable"), "\(name)")
                #expect(p.availability.reasons.map(\.code.rawValue) == (name == "available" ? [] : [name]), "\(name)")
            }
        }
    }

    @Test("the API vial record carries blockers as code and sentence")
    func api() async throws {
        try await withApp { f, http in
            let ids = try await Self.cases(f)
            let token = f.tokens[.auditor]!
            let (status, held, _) = try await http.call(.get, "/vials/\(ids["lot-on-hold"]!)", token: token)
            #expect(status == .ok)
            let blockers = held["blockers"] as? [[String: Any]] ?? []
            #expect(blockers.count == 1 && blockers[0]["code"] as? String == "lot-on-hold")
            #expect(blockers[0]["detail"] as? String == "lot LOT-HELD is on hold: sterility retest pending")
            #expect(held["available"] as? Bool == false)
            let (_, ok, _) = try await http.call(.get, "/vials/\(ids["available"]!)", token: token)
            #expect((ok["blockers"] as? [Any])?.isEmpty == true && ok["available"] as? Bool == true)
            let (_, map, _) = try await http.call(.get, "/freezers/FRZ-2/map", token: token)
            let slots = ((map["racks"] as? [[String: Any]])?.first?["boxes"] as? [[String: Any]])?.first?["slots"] as? [[String: Any]] ?? []
            let slot = slots.first { $0["vialId"] as? String == ids["freezer-on-hold"]! }
            #expect(((slot?["blockers"] as? [[String: Any]])?.first?["code"]) as? String == "freezer-on-hold")
        }
    }

    @Test("one rule for the statuses a position holds, and one default time-out limit: Swift and SQL agree")
    func oneplace() async throws {
        try await withFixture { f in
            for s in VialStatus.allCases {
                let sql = try await f.client.query("SELECT vial_status_may_sit_in_position(\(s.rawValue))", logger: Fixture.logger).decode(Bool.self).rows()[0]
                #expect(sql == s.maySitInPosition, "\(s)")
            }
            #expect(try await f.count("SELECT time_out_of_storage_default_minutes()") == TimeOutOfStorage.defaultLimitMinutes)
            try await f.client.query("""
                INSERT INTO product (code, name, shelf_life_days, storage_condition, storage_max_celsius, thaw_to_infusion_minutes)
                VALUES ('ALLO-999', 'Test', 365, 'LN2 vapour', -135, 30)
                """, logger: Fixture.logger)
            #expect(try await f.count("SELECT max_time_out_minutes FROM product WHERE code = 'ALLO-999'") == TimeOutOfStorage.defaultLimitMinutes)
        }
    }
}
