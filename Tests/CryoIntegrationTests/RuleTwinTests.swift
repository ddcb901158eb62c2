import CryoDomain
import CryoStore
import Foundation
import PostgresNIO
import Testing

/// Issue 14: each rule has one Swift decision in CryoDomain and one SQL twin named alike. Each test breaks the two
/// separately: with the Swift check bypassed (direct SQL) the database refuses; with the database check dropped the
/// Swift check still refuses first, with its named error.
@Suite("One place per rule: the Swift decision and its SQL twin")
struct RuleTwinTests {
    /// What the database says to a statement in a transaction of its own (deferred triggers included): its SQLSTATE
    /// and message, or nil when it committed.
    static func refusal(_ f: Fixture, _ sql: String) async -> (state: String, message: String)? {
        do {
            try await f.client.withTransaction(logger: Fixture.logger) { conn in
                try await conn.query(PostgresQuery(unsafeSQL: sql), logger: Fixture.logger)
            }
            return nil
        } catch {
            var inner: any Error = error
            if let tx = error as? PostgresTransactionError { inner = tx.closureError ?? tx.commitError ?? error }
            guard let psql = inner as? PSQLError else { return ("?", "\(error)") }
            return (psql.serverInfo?[.sqlState] ?? "?", psql.serverInfo?[.message] ?? "")
        }
    }

    func registerIneligibleDonor(_ f: Fixture) async throws {
        _ = try await f.store.registerDonor(DonorRegistration(code: "DN-000099", eligibility: .ineligible,
                                                              screeningTests: [ScreeningTest(test: "HBV NAT", result: "reactive", testedOn: CalendarDay("2025-12-01")!)],
                                                              hla: ["A*02:01", "A*24:02", "B*07:02"]), actor: f.user(.manufacturing), logger: Fixture.logger)
    }

    func registration(_ number: String, donor: String = "DN-000001", expiresOn: String? = nil) -> LotRegistration {
        LotRegistration(lotNumber: number, productCode: "ALLO-501", donorCode: donor, manufacturedOn: CalendarDay("2026-01-10")!,
                        expiresOn: expiresOn.flatMap(CalendarDay.init), cellsPerVial: 40_000_000, plannedVials: 10)
    }

    @Test("lot registration: LotRules.checkRegistration and check_lot_registration() (trigger lot_registration)")
    func lotRegistration() async throws {
        try await withFixture { f in
            try await registerIneligibleDonor(f)
            let by = f.user(.manufacturing).id
            // Swift bypassed: the database refuses.
            let ineligible = await Self.refusal(f, """
                INSERT INTO lot (lot_number, product_code, donor_code, manufactured_on, expires_on, cells_per_vial, planned_vials, registered_by)
                VALUES ('LOT-R1', 'ALLO-501', 'DN-000099', '2026-01-10', '2026-06-01', 1, 1, \(by))
                """)
            #expect(ineligible?.state == "CL409" && ineligible?.message.contains("ineligible") == true)
            let late = await Self.refusal(f, """
                INSERT INTO lot (lot_number, product_code, donor_code, manufactured_on, expires_on, cells_per_vial, planned_vials, registered_by)
                VALUES ('LOT-R2', 'ALLO-501', 'DN-000001', '2026-01-10', '2027-06-01', 1, 1, \(by))
                """)
            #expect(late?.state == "CL422" && late?.message.contains("shelf life (2027-01-10)") == true)
            // The database check dropped: the Swift decision refuses with the named error.
            try await f.client.query("DROP TRIGGER lot_registration ON lot", logger: Fixture.logger)
            await #expect(throws: DomainError.conflict(field: "donorCode", rule: "donor DN-000099 is ineligible; no lot may be made from it")) {
                _ = try await f.store.registerLot(registration("LOT-R1", donor: "DN-000099"), actor: f.user(.manufacturing), logger: Fixture.logger)
            }
            await #expect(throws: DomainError.invalid(field: "expiresOn", rule: "must not be later than manufacture + shelf life (2027-01-10)")) {
                _ = try await f.store.registerLot(registration("LOT-R2", expiresOn: "2027-06-01"), actor: f.user(.manufacturing), logger: Fixture.logger)
            }
            #expect(try await f.count("SELECT count(*)::int FROM lot WHERE lot_number IN ('LOT-R1', 'LOT-R2')") == 0)
        }
    }

    @Test("vial filling: LotRules.checkVialFilling and check_vial_filling() (trigger vial_filling)")
    func vialFilling() async throws {
        try await withFixture { f in
            try await f.lot("LOT-F1", vials: 2, planned: 2)
            try await f.releasedLot("LOT-F2", vials: 1)
            func insert(_ serial: Int, _ lot: String) -> String {
                "INSERT INTO vial (id, lot_number, ordinal) VALUES ('\(VialID(serial: serial).value)', '\(lot)', \(serial))"
            }
            let beyond = await Self.refusal(f, insert(900_001, "LOT-F1"))
            #expect(beyond?.state == "CL409" && beyond?.message.contains("plans 2 vials and has 2; 1 more would exceed it") == true)
            let released = await Self.refusal(f, insert(900_002, "LOT-F2"))
            #expect(released?.state == "CL409" && released?.message.contains("lot LOT-F2 is released") == true)
            try await f.client.query("DROP TRIGGER vial_filling ON vial", logger: Fixture.logger)
            await #expect(throws: DomainError.conflict(field: "count", rule: "lot LOT-F1 plans 2 vials and has 2; 1 more would exceed it")) {
                _ = try await f.store.createVials(lotNumber: "LOT-F1", count: 1, boxId: nil, actor: f.user(.manufacturing), logger: Fixture.logger)
            }
            await #expect(throws: DomainError.conflict(field: "lotNumber", rule: "vials are filled while a lot is in-process or in quarantine; lot LOT-F2 is released")) {
                _ = try await f.store.createVials(lotNumber: "LOT-F2", count: 1, boxId: nil, actor: f.user(.manufacturing), logger: Fixture.logger)
            }
            #expect(try await f.count("SELECT count(*)::int FROM vial") == 3)
        }
    }

    @Test("the lot-number pattern: LotNumber (Swift), lot_number_valid() (SQL) and openapi.yaml accept and refuse the same samples")
    func lotNumberPattern() async throws {
        let yaml = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/CryoAPI/openapi.yaml"), encoding: .utf8)
        let line = try #require(yaml.split(separator: "\n").first { $0.contains("lotNumber: {") && $0.contains("pattern:") })
        let match = try #require(line.firstMatch(of: /pattern: '([^']+)'/))
        let openAPI = try NSRegularExpression(pattern: String(match.1))
        #expect(String(match.1) == LotNumber.pattern)
        let samples = ["A501-26100", "ABC", "A-1", "123", "0-0", "A5-", String(repeating: "A", count: 32),
                       "", "AB", "-AB", "a501", "A501_1", "A5 01", "ÄBC", String(repeating: "A", count: 33), "LOT-ß1", "A٣45"]
        try await withFixture { f in
            for s in samples {
                let swift = LotNumber.isValid(s)
                let api = openAPI.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
                let sql = try await f.client.query("SELECT lot_number_valid(\(s))", logger: Fixture.logger).decode(Bool.self).rows().first
                #expect(swift == api && api == sql, "\(s.debugDescription): Swift \(swift), OpenAPI \(api), SQL \(String(describing: sql))")
            }
            #expect(LotNumber.isValid("A501-26100") && !LotNumber.isValid("a501"))
            let check = await Self.refusal(f, """
                INSERT INTO lot (lot_number, product_code, donor_code, manufactured_on, expires_on, cells_per_vial, planned_vials, registered_by)
                VALUES ('a501', 'ALLO-501', 'DN-000001', '2026-01-10', '2026-06-01', 1, 1, \(f.user(.manufacturing).id))
                """)
            #expect(check?.state == "23514")
        }
    }

    @Test("signing steps: one SQL function, signed_event_in_transaction(), behind every signing trigger")
    func signedEventFunction() async throws {
        try await withFixture { f in
            let copies = try await f.client.query("""
                SELECT proname FROM pg_proc WHERE prosrc LIKE '%signature IS NOT NULL%' AND proname <> 'signed_event_in_transaction' ORDER BY proname
                """, logger: Fixture.logger).decode(String.self).rows()
            #expect(copies.isEmpty, "still written inline in: \(copies)")
            let callers = try await f.client.query("""
                SELECT proname FROM pg_proc WHERE prosrc LIKE '%signed_event_in_transaction(%' ORDER BY proname
                """, logger: Fixture.logger).decode(String.self).rows()
            #expect(callers == ["check_signed_administration", "check_signed_clearance", "check_signed_cohort_decision", "check_signed_hold_lift", "check_signed_lot_transition"])
            // Swift bypassed: a rejection without its signed event is refused at commit.
            try await f.lot("LOT-S1")
            let unsigned = await Self.refusal(f, "UPDATE lot SET status = 'rejected' WHERE lot_number = 'LOT-S1'")
            #expect(unsigned?.state == "CL409" && unsigned?.message.contains("signing step") == true, "\(String(describing: unsigned))")
        }
    }

    @Test("administration: every refusal is logged, also one only the database makes (check_administration() and Administration.check)")
    func administrationRefusalsLogged() async throws {
        try await withFixture { f in
            try await f.clinical()
            try await f.enrol("RES-001")
            let vial = try await f.dispenseToThawed(["RES-001"])[0].vialIds[0]
            func refusals() async throws -> [CustodyEventRecord] {
                try await f.store.custodyEvents(subjectType: "vial", subjectId: vial, actor: f.user(.auditor), logger: Fixture.logger)
                    .filter { $0.action == "vial.administration-refused" }
            }
            // The database check dropped: the Swift check refuses the wrong patient, and logs it.
            try await f.client.query("DROP TRIGGER administration_rules ON administration", logger: Fixture.logger)
            await #expect { try await f.store.administerVial(id: vial, scannedSubjectId: "RES-002", signature: f.nurseSignature,
                                                             actor: f.user(.pharmacy), logger: Fixture.logger) } throws: { error in
                (error as? DomainError)?.description.contains("chain of identity") == true
            }
            #expect(try await refusals().count == 1)
            // A refusal only the database makes (here a stand-in trigger, as a change between the check and the write would):
            // the transaction rolls back, and the refusal is logged in one of its own.
            try await f.client.query("""
                CREATE FUNCTION refuse_for_test() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'refused by the database' USING ERRCODE = 'CL409', COLUMN = 'vialId'; END $$
                """, logger: Fixture.logger)
            try await f.client.query("CREATE TRIGGER refuse_for_test BEFORE INSERT ON administration FOR EACH ROW EXECUTE FUNCTION refuse_for_test()",
                                     logger: Fixture.logger)
            await #expect(throws: DomainError.conflict(field: "vialId", rule: "refused by the database")) {
                _ = try await f.store.administerVial(id: vial, scannedSubjectId: "RES-001", signature: f.nurseSignature,
                                                     actor: f.user(.pharmacy), logger: Fixture.logger)
            }
            let logged = try await refusals()
            #expect(logged.count == 2 && logged.last?.reason == "refused by the database")
            #expect(try await f.count("SELECT count(*)::int FROM vial WHERE id = '\(vial)' AND status = 'thawed'") == 1)
            #expect(try await f.count("SELECT count(*)::int FROM administration") == 0)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'vial.administered'") == 0)
        }
    }
}
