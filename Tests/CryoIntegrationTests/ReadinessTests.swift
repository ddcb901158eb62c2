import CryoDomain
import CryoStore
import Foundation
import PostgresNIO
import Testing

/// Issue 24: rule 8 (infusion readiness) and rule 9 (a scan at every hand-off), each refusal logged on the vial and the patient.
@Suite("Infusion readiness and hand-off scans")
struct ReadinessTests {
    /// Enrols, plans, commits and dispenses to the site: the vial is received, nothing else is done for readiness.
    func received(_ f: Fixture, _ subject: String, cohort: String = Fixture.cohort, ldStartOn: CalendarDay? = nil) async throws -> String {
        try await f.enrol(subject, cohort: cohort, ldStartOn: ldStartOn)
        let plan = try await f.store.planAllocation(PlanRequest(patients: [subject]), actor: f.user(.pharmacy), logger: Fixture.logger)
        let done = try await f.store.commitAllocation(planId: plan.id, patients: nil, actor: f.user(.pharmacy), logger: Fixture.logger)
        try await f.dispenseToReceived(done)
        return done[0].vialIds[0]
    }

    func thaw(_ f: Fixture, _ vial: String, band: String, scanned: String? = nil) async throws {
        _ = try await f.store.thawVial(id: vial, scannedVialId: scanned ?? vial, scannedSubjectId: band, actor: f.user(.pharmacy), logger: Fixture.logger)
    }

    func events(_ f: Fixture, _ type: String, _ id: String, _ action: String) async throws -> [CustodyEventRecord] {
        try await f.store.custodyEvents(subjectType: type, subjectId: id, actor: f.user(.auditor), logger: Fixture.logger).filter { $0.action == action }
    }

    func refusal(_ error: any Error, contains text: String) -> Bool {
        (error as? DomainError)?.description.contains(text) == true
    }

    @Test("thaw before the infusion day, and on the day without a signed clearance, is refused and logged on the vial and the patient")
    func thawBeforeDayAndWithoutClearance() async throws {
        try await withFixture { f in
            try await f.clinical()
            let vial = try await received(f, "RES-001")
            await #expect { try await thaw(f, vial, band: "RES-001") } throws: { refusal($0, contains: "infusion is planned for \(CalendarDay.today(offset: 10)), not today") }
            _ = try await f.store.rescheduleInfusion(subjectId: "RES-001", to: .today(offset: 0), reason: "bed free today", actor: f.user(.clinical), logger: Fixture.logger)
            await #expect { try await thaw(f, vial, band: "RES-001") } throws: { refusal($0, contains: "no signed pre-infusion clearance for today") }
            #expect(try await events(f, "vial", vial, "vial.thaw-refused").count == 2)
            #expect(try await events(f, "patient", "RES-001", "patient.thaw-refused").count == 2)
            #expect(try await f.count("SELECT count(*)::int FROM vial WHERE id = '\(vial)' AND status = 'received'") == 1)
            // The database refuses it too, whoever writes: rule 8 before the scans.
            let direct = "UPDATE vial SET status = 'thawed', thawed_at = now() WHERE id = '\(vial)'"
            let early = await RuleTwinTests.refusal(f, direct)
            #expect(early?.state == "CL409" && early?.message.contains("no signed pre-infusion clearance") == true, "\(String(describing: early))")
            try await f.clear("RES-001")
            // Ready now, but a thaw written without its scans is refused by the database at commit (rule 9).
            let unscanned = await RuleTwinTests.refusal(f, direct)
            #expect(unscanned?.state == "CL409" && unscanned?.message.contains("without the scans") == true, "\(String(describing: unscanned))")
            try await thaw(f, vial, band: "RES-001")
            let administered = try await f.store.administerVial(id: vial, scannedSubjectId: "RES-001", signature: f.nurseSignature, actor: f.user(.pharmacy), logger: Fixture.logger)
            #expect(administered.status == .administered)
        }
    }

    @Test("a Flu/Cy patient is not thawed for until each agent of each planned day is recorded as given; clearance waits for it too")
    func lymphodepletionRequired() async throws {
        try await withFixture { f in
            try await f.clinical()
            let start = CalendarDay.today(offset: -5)
            let vial = try await received(f, "RES-FC1", cohort: "RES/SLE/DL1/FC", ldStartOn: start)
            let clin = f.user(.clinical)
            _ = try await f.store.rescheduleInfusion(subjectId: "RES-FC1", to: .today(offset: 0), reason: "lymphodepletion done, day 0", actor: clin, logger: Fixture.logger)
            await #expect { try await thaw(f, vial, band: "RES-FC1") } throws: {
                refusal($0, contains: "lymphodepletion (Flu/Cy) is not recorded as given as planned: missing fludarabine on \(start)")
            }
            await #expect { try await f.clear("RES-FC1") } throws: { refusal($0, contains: "lymphodepletion is not recorded as completed as planned") }
            for d in 0..<3 {
                _ = try await f.store.recordLymphodepletion(subjectId: "RES-FC1", agent: "fludarabine", givenOn: start.adding(days: d), actor: clin, logger: Fixture.logger)
            }
            _ = try await f.store.recordLymphodepletion(subjectId: "RES-FC1", agent: "cyclophosphamide", givenOn: start, actor: clin, logger: Fixture.logger)
            _ = try await f.store.recordLymphodepletion(subjectId: "RES-FC1", agent: "cyclophosphamide", givenOn: start.adding(days: 1), actor: clin, logger: Fixture.logger)
            await #expect { try await thaw(f, vial, band: "RES-FC1") } throws: { refusal($0, contains: "missing cyclophosphamide on \(start.adding(days: 2))") }
            // Not an agent of the arm's regimen day, nor a day of it: refused, naming the field.
            await #expect { _ = try await f.store.recordLymphodepletion(subjectId: "RES-FC1", agent: "cyclophosphamide", givenOn: .today(offset: -1), actor: clin, logger: Fixture.logger) } throws: {
                refusal($0, contains: "givenOn:")
            }
            _ = try await f.store.recordLymphodepletion(subjectId: "RES-FC1", agent: "cyclophosphamide", givenOn: start.adding(days: 2), actor: clin, logger: Fixture.logger)
            try await f.clear("RES-FC1")
            let r = try await f.store.infusionReadiness(subjectId: "RES-FC1", actor: f.user(.pharmacy), logger: Fixture.logger)
            #expect(r.ready && r.dosesGiven.count == 6)
            try await thaw(f, vial, band: "RES-FC1")
            #expect(try await events(f, "patient", "RES-FC1", "patient.thaw-refused").count == 2)
            #expect(try await events(f, "patient", "RES-FC1", "patient.lymphodepletion-given").count == 6)
        }
    }

    @Test("a rescheduled day replaces the planned one: thaw on it, not on the old day; the reserved vial follows the patient")
    func rescheduledDay() async throws {
        try await withFixture { f in
            try await f.clinical()
            let vial = try await received(f, "RES-001")
            let clin = f.user(.clinical)
            _ = try await f.store.rescheduleInfusion(subjectId: "RES-001", to: .today(offset: 0), reason: "bed free today", actor: clin, logger: Fixture.logger)
            try await f.clear("RES-001")
            _ = try await f.store.rescheduleInfusion(subjectId: "RES-001", to: .today(offset: 1), reason: "fever this morning", actor: clin, logger: Fixture.logger)
            await #expect { try await thaw(f, vial, band: "RES-001") } throws: { refusal($0, contains: "infusion is rescheduled for \(CalendarDay.today(offset: 1)), not today") }
            #expect(try await events(f, "vial", vial, "vial.infusion-rescheduled").count == 2)
            #expect(try await f.count("SELECT count(*)::int FROM reservation WHERE vial_id = '\(vial)' AND subject_id = 'RES-001' AND cancelled_at IS NULL") == 1)
            await #expect { _ = try await f.store.rescheduleInfusion(subjectId: "RES-001", to: .today(offset: 2), reason: "  ", actor: clin, logger: Fixture.logger) } throws: {
                refusal($0, contains: "reason:")
            }
            _ = try await f.store.rescheduleInfusion(subjectId: "RES-001", to: .today(offset: 0), reason: "fever gone", actor: clin, logger: Fixture.logger)
            try await thaw(f, vial, band: "RES-001")
            // Once thawed, the dose cannot wait for another day.
            await #expect { _ = try await f.store.rescheduleInfusion(subjectId: "RES-001", to: .today(offset: 1), reason: "x", actor: clin, logger: Fixture.logger) } throws: {
                refusal($0, contains: "already thawed")
            }
            // Only clinical staff reschedule, record lymphodepletion and sign clearance.
            await #expect(throws: DomainError.self) {
                _ = try await f.store.rescheduleInfusion(subjectId: "RES-001", to: .today(offset: 1), reason: "x", actor: f.user(.pharmacy), logger: Fixture.logger)
            }
        }
    }

    @Test("administration is refused without the day's clearance, even for a thawed vial, and logged on vial and patient")
    func administrationNeedsReadiness() async throws {
        try await withFixture { f in
            try await f.clinical()
            try await f.enrol("RES-001")
            let vial = try await f.dispenseToThawed(["RES-001"])[0].vialIds[0]
            // The clearance is for today; move the day away after the thaw by direct SQL (the application refuses it).
            try await f.client.query(PostgresQuery(unsafeSQL: "ALTER TABLE infusion_reschedule DISABLE TRIGGER USER"), logger: Fixture.logger)
            try await f.client.query(PostgresQuery(unsafeSQL: "INSERT INTO infusion_reschedule (subject_id, from_on, to_on, reason, recorded_by) VALUES ('RES-001', current_date, current_date + 1, 'test', \(f.user(.clinical).id))"), logger: Fixture.logger)
            try await f.client.query(PostgresQuery(unsafeSQL: "ALTER TABLE infusion_reschedule ENABLE TRIGGER USER"), logger: Fixture.logger)
            await #expect { try await f.store.administerVial(id: vial, scannedSubjectId: "RES-001", signature: f.nurseSignature, actor: f.user(.pharmacy), logger: Fixture.logger) } throws: {
                refusal($0, contains: "infusion is rescheduled for")
            }
            #expect(try await events(f, "vial", vial, "vial.administration-refused").count == 1)
            #expect(try await events(f, "patient", "RES-001", "patient.administration-refused").count == 1)
            await #expect(throws: (any Error).self) {
                try await f.client.query(PostgresQuery(unsafeSQL: "INSERT INTO administration (vial_id, subject_id, administered_by) VALUES ('\(vial)', 'RES-001', \(f.user(.pharmacy).id))"), logger: Fixture.logger)
            }
        }
    }

    @Test("pick, ship, receive and thaw are each refused without their scans and with a wrong scan, logged on the vials and the patient")
    func handOffScans() async throws {
        try await withFixture { f in
            try await f.clinical()
            try await f.enrol("RES-001"); try await f.enrol("RES-002")
            let ph = f.user(.pharmacy)
            let plan = try await f.store.planAllocation(PlanRequest(patients: ["RES-001", "RES-002"]), actor: ph, logger: Fixture.logger)
            let done = try await f.store.commitAllocation(planId: plan.id, patients: nil, actor: ph, logger: Fixture.logger)
            let a = done.first { $0.subjectId == "RES-001" }!, b = done.first { $0.subjectId == "RES-002" }!
            let mine = a.vialIds[0], other = b.vialIds[0]
            // Pick: nothing scanned, then the other patient's vial scanned.
            await #expect { _ = try await f.store.pickAllocation(allocationId: a.allocationId, scannedVialIds: [], actor: ph, logger: Fixture.logger) } throws: {
                refusal($0, contains: "scannedVialIds: pick refused, chain of identity: vial \(mine) not scanned")
            }
            await #expect { _ = try await f.store.pickAllocation(allocationId: a.allocationId, scannedVialIds: [other], actor: ph, logger: Fixture.logger) } throws: {
                refusal($0, contains: "scanned vial \(other) is not what is handed over")
            }
            #expect(try await events(f, "vial", mine, "vial.pick-refused").count == 2)
            #expect(try await events(f, "patient", "RES-001", "patient.pick-refused").count == 2)
            #expect(try await f.count("SELECT count(*)::int FROM vial_position WHERE vial_id = '\(mine)'") == 1)
            // The database refuses a pick written without its scan.
            let unscanned = await RuleTwinTests.refusal(f, "DELETE FROM vial_position WHERE vial_id = '\(mine)'")
            #expect(unscanned?.state == "CL409" && unscanned?.message.contains("picked without being scanned") == true, "\(String(describing: unscanned))")
            for x in done { _ = try await f.store.pickAllocation(allocationId: x.allocationId, scannedVialIds: x.vialIds, actor: ph, logger: Fixture.logger) }
            // Ship: a vial missing, then the wrong dry shipper.
            let vials = done.flatMap(\.vialIds)
            func ship(_ scanned: [String], shipper: String) async throws -> ShipmentRecord {
                try await f.store.shipVials(ShipmentInput(vialIds: vials, toSite: "S01", dryShipperId: "DS-7", dataLoggerId: "LOG-9", validatedHoldHours: 240,
                                                          scannedVialIds: scanned, scannedDryShipperId: shipper), actor: ph, logger: Fixture.logger)
            }
            await #expect { _ = try await ship([mine], shipper: "DS-7") } throws: { refusal($0, contains: "ship refused, chain of identity: vial \(other) not scanned") }
            await #expect { _ = try await ship(vials, shipper: "DS-8") } throws: { refusal($0, contains: "scannedDryShipperId: ship refused, chain of identity: scanned dry shipper DS-8") }
            await #expect { _ = try await ship(vials, shipper: "") } throws: { refusal($0, contains: "dry shipper DS-7 not scanned") }
            #expect(try await events(f, "vial", other, "vial.ship-refused").count == 3)
            #expect(try await events(f, "patient", "RES-002", "patient.ship-refused").count == 3)
            #expect(try await f.count("SELECT count(*)::int FROM shipment") == 0)
            let shipment = try await ship(vials, shipper: "DS-7")
            // Receive: nothing scanned, then a vial that is not in the shipper.
            await #expect { _ = try await f.store.receiveShipment(id: shipment.id, loggerMaxCelsius: -170, scannedVialIds: [], actor: ph, logger: Fixture.logger) } throws: {
                refusal($0, contains: "receive refused")
            }
            await #expect { _ = try await f.store.receiveShipment(id: shipment.id, loggerMaxCelsius: -170, scannedVialIds: vials + ["CV9999999999X"], actor: ph, logger: Fixture.logger) } throws: {
                refusal($0, contains: "scanned vial CV9999999999X is not what is handed over")
            }
            #expect(try await events(f, "vial", mine, "vial.receive-refused").count == 2)
            #expect(try await events(f, "patient", "RES-001", "patient.receive-refused").count == 2)
            _ = try await f.store.receiveShipment(id: shipment.id, loggerMaxCelsius: -170, scannedVialIds: vials.reversed(), actor: ph, logger: Fixture.logger)
            // Thaw: patient ready, but the wrong vial scanned, no band, and the other patient's band.
            try await f.ready("RES-001")
            await #expect { try await thaw(f, mine, band: "RES-001", scanned: other) } throws: { refusal($0, contains: "scannedVialId: thaw refused") }
            await #expect { try await thaw(f, mine, band: "", scanned: mine) } throws: { refusal($0, contains: "scan the patient's band") }
            await #expect { try await thaw(f, mine, band: "RES-002", scanned: mine) } throws: { refusal($0, contains: "reserved for RES-001, not for the patient scanned (RES-002)") }
            #expect(try await events(f, "vial", mine, "vial.thaw-refused").count == 3)
            #expect(try await events(f, "patient", "RES-001", "patient.thaw-refused").count == 3)
            try await thaw(f, mine, band: "RES-001")
            let thawed = try await events(f, "vial", mine, "vial.thawed")
            #expect(thawed.count == 1)
        }
    }

    @Test("a reschedule and a thaw at the same moment: one wins; never a vial thawed for a day that is not today")
    func rescheduleAgainstThaw() async throws {
        try await withFixture { f in
            try await f.clinical(lots: [("LOT-A1", 12)])
            let subjects = ["RES-001", "RES-002", "RES-003"]
            var vials: [String: String] = [:]
            for s in subjects { vials[s] = try await received(f, s); try await f.ready(s) }
            for s in subjects {
                async let thawed: Bool = (try? await thaw(f, vials[s]!, band: s)) != nil
                async let moved: Bool = (try? await f.store.rescheduleInfusion(subjectId: s, to: .today(offset: 1), reason: "ward full",
                                                                                actor: f.user(.clinical), logger: Fixture.logger)) != nil
                let (t, m) = await (thawed, moved)
                #expect(t != m, "\(s): thaw \(t), reschedule \(m)")
                let status = try await f.client.query(PostgresQuery(unsafeSQL: "SELECT status FROM vial WHERE id = '\(vials[s]!)'"), logger: Fixture.logger)
                    .decode(String.self).rows().first
                let day = try await f.client.query(PostgresQuery(unsafeSQL: "SELECT patient_infusion_day('\(s)') = (now() AT TIME ZONE 'UTC')::date"), logger: Fixture.logger)
                    .decode(Bool.self).rows().first
                #expect(status == "thawed" ? day == true : true)
            }
        }
    }

    @Test("the thaw window is one computation: the database's thaw_window_closes_at is ThawWindow.closesAt")
    func thawWindowTwin() async throws {
        try await withFixture { f in
            try await f.clinical()
            try await f.enrol("RES-001")
            let vial = try await f.dispenseToThawed(["RES-001"])[0].vialIds[0]
            let row = try await f.client.query(PostgresQuery(unsafeSQL: """
                SELECT v.thawed_at, p.thaw_to_infusion_minutes, thaw_window_closes_at(v.id) FROM vial v JOIN lot l ON l.lot_number = v.lot_number
                JOIN product p ON p.code = l.product_code WHERE v.id = '\(vial)'
                """), logger: Fixture.logger).decode((Date, Int, Date).self).rows()[0]
            #expect(abs(ThawWindow.closesAt(thawedAt: row.0, limitMinutes: row.1).timeIntervalSince(row.2)) < 0.001)
            let bedside = try await f.store.bedsideVials(actor: f.user(.pharmacy), logger: Fixture.logger).first { $0.vialId == vial }!
            #expect(bedside.infuseBy.map { abs($0.timeIntervalSince(row.2)) < 0.001 } == true)
            #expect(bedside.readiness?.ready == true)
        }
    }
}
