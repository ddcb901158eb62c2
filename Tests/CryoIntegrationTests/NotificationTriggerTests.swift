import CryoDomain
import CryoStore
import CryoSupply
import Foundation
import PostgresNIO
import Testing

/// Issue 28, the conditions the system finds (migration 050): each fires once when its condition holds, not again while
/// it holds, and not when it does not hold; each rule in CryoDomain, each claim made once by the database.
@Suite("Notifications: conditions the system finds")
struct NotificationTriggerTests {
    static func events(_ f: Fixture, _ action: String) async throws -> [String] {
        try await f.client.query("SELECT subject_id FROM custody_event WHERE action = \(action) ORDER BY id", logger: Fixture.logger)
            .decode(String.self).rows()
    }

    static func sentences(_ f: Fixture, _ kind: String) async throws -> [String] {
        try await f.client.query("SELECT sentence FROM notification WHERE kind = \(kind) ORDER BY id", logger: Fixture.logger)
            .decode(String.self).rows()
    }

    static func quarantine(_ f: Fixture, _ lot: String) async throws {
        _ = try await f.store.transitionLot(number: lot, to: .quarantine, reason: "run complete", actor: f.user(.manufacturing), logger: Fixture.logger)
    }

    @Test("ExpiryWarning.threshold: 30 days, 7 days, nothing before or after expiry")
    func expiryRule() {
        let expiry = CalendarDay("2027-03-31")!
        func warning(_ daysLeft: Int) -> ExpiryWarning? { ExpiryWarning.threshold(expiry: expiry, today: expiry.adding(days: -daysLeft)) }
        #expect(warning(31) == nil)
        #expect(warning(30) == .thirtyDays && warning(8) == .thirtyDays)
        #expect(warning(7) == .sevenDays && warning(0) == .sevenDays)
        #expect(warning(-1) == nil)
        #expect(ExpiryWarning.sevenDays.action == "lot.expiring-7-days" && ExpiryWarning.horizon == 30)
    }

    @Test("a lot entering its last 30 and its last 7 days is announced once per threshold, even by two sweeps at once")
    func expiryWarnings() async throws {
        try await withFixture { f in
            for (lot, days) in [("LOT-E1", 20), ("LOT-E2", 5), ("LOT-E3", 40), ("LOT-E5", 5)] {
                try await f.lot(lot)
                // Lots still in process are not warned of (nor expired): the warnings are for quarantined, released or held lots.
                if lot != "LOT-E5" { try await Self.quarantine(f, lot) }
                try await f.client.query("UPDATE lot SET expires_on = current_date + \(Int32(days)) WHERE lot_number = \(lot)", logger: Fixture.logger)
            }
            let first = try await f.store.warnOfConditions(logger: Fixture.logger)
            #expect(first.expiringLots.sorted() == ["LOT-E1", "LOT-E2"])
            #expect(try await Self.events(f, "lot.expiring-30-days") == ["LOT-E1"])
            #expect(try await Self.events(f, "lot.expiring-7-days") == ["LOT-E2"], "a lot first seen with 5 days left gets the 7-day warning only")
            #expect(try await Self.sentences(f, "lot.expiring-30-days") == ["Expires within 30 days: lot LOT-E1"])
            #expect(try await Self.sentences(f, "lot.expiring-7-days") == ["Expires within 7 days: lot LOT-E2"])
            #expect(try await f.store.warnOfConditions(logger: Fixture.logger).isEmpty)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action LIKE 'lot.expiring-%'") == 2)

            // A week later for LOT-E1: its 7-day warning, once.
            try await f.client.query("UPDATE lot SET expires_on = current_date + 6 WHERE lot_number = 'LOT-E1'", logger: Fixture.logger)
            #expect(try await f.store.warnOfConditions(logger: Fixture.logger).expiringLots == ["LOT-E1"])
            #expect(try await f.store.warnOfConditions(logger: Fixture.logger).isEmpty)
            #expect(try await Self.events(f, "lot.expiring-7-days") == ["LOT-E2", "LOT-E1"])

            // Two sweeps racing: the claim (lot_expiry_warning_once) makes one of them say it.
            try await f.lot("LOT-E4")
            try await Self.quarantine(f, "LOT-E4")
            try await f.client.query("UPDATE lot SET expires_on = current_date + 3 WHERE lot_number = 'LOT-E4'", logger: Fixture.logger)
            async let a = f.store.warnOfConditions(logger: Fixture.logger)
            async let b = f.store.warnOfConditions(logger: Fixture.logger)
            let both = try await [a, b]
            #expect(both.flatMap(\.expiringLots) == ["LOT-E4"])
            #expect(try await Self.events(f, "lot.expiring-7-days").filter { $0 == "LOT-E4" }.count == 1)
            #expect(try await f.count("SELECT count(*)::int FROM notification WHERE kind = 'lot.expiring-7-days' AND subject_id = 'LOT-E4'") == 1)
            // The database refuses a second claim itself.
            let again = await RuleTwinTests.refusal(f, "INSERT INTO notified_condition (kind, subject_type, subject_id) VALUES ('lot.expiring-7-days', 'lot', 'LOT-E4')")
            #expect(again?.state == "23505")
        }
    }

    @Test("StorageFullness.isNearlyFull and storage_nearly_full() agree: over 90 %, strictly")
    func fullnessRule() async throws {
        #expect(!StorageFullness.isNearlyFull(used: 72, capacity: 81) && StorageFullness.isNearlyFull(used: 73, capacity: 81))
        #expect(!StorageFullness.isNearlyFull(used: 9, capacity: 10) && !StorageFullness.isNearlyFull(used: 0, capacity: 0))
        try await withFixture { f in
            var cases: [(Int, Int)] = []
            for capacity in [0, 1, 10, 81, 162, 676] { for used in Set([0, 1, capacity * 9 / 10, capacity * 9 / 10 + 1, capacity - 1, capacity]) { cases.append((used, capacity)) } }
            let sql = try await f.client.query("""
                SELECT storage_nearly_full(u, c) FROM unnest(\(cases.map { Int64($0.0) })::bigint[], \(cases.map { Int64($0.1) })::bigint[])
                     WITH ORDINALITY AS t(u, c, n) ORDER BY n
                """, logger: Fixture.logger).decode(Bool.self).rows()
            #expect(sql == cases.map { StorageFullness.isNearlyFull(used: $0.0, capacity: $0.1) })
        }
    }

    @Test("a box and a freezer over 90 % full are announced once when they cross, again only after going below")
    func fullness() async throws {
        try await withFixture { f in
            // BOX-1 and BOX-2 are 9 × 9 (81 each) in FRZ-1 (162): 73 makes a box, 146 the freezer, over 90 %.
            let vials = try await f.lot("LOT-F1", vials: 72, box: "BOX-1", planned: 400)
            #expect(try await Self.events(f, "box.nearly-full").isEmpty)
            try await f.store.createVials(lotNumber: "LOT-F1", count: 1, boxId: "BOX-1", actor: f.user(.manufacturing), logger: Fixture.logger)
            #expect(try await Self.events(f, "box.nearly-full") == ["BOX-1"])
            try await f.store.createVials(lotNumber: "LOT-F1", count: 1, boxId: "BOX-1", actor: f.user(.manufacturing), logger: Fixture.logger)
            #expect(try await Self.events(f, "box.nearly-full") == ["BOX-1"], "not again while it stays above")
            #expect(try await Self.sentences(f, "box.nearly-full") == ["Over 90 % full: box BOX-1"])
            #expect(try await f.count("SELECT count(*)::int FROM notification WHERE kind = 'box.nearly-full' AND freezer_id = 'FRZ-1' AND site_code = 'SSF'") == 1)

            // Down to 72 (two destroyed), then one more: it crossed again.
            for v in vials.prefix(2) { _ = try await f.store.destroyVial(id: v.id, reason: "cracked", actor: f.user(.pharmacy), logger: Fixture.logger) }
            #expect(try await f.count("SELECT count(*)::int FROM storage_fullness WHERE subject_id = 'BOX-1' AND NOT nearly_full") == 1)
            try await f.store.createVials(lotNumber: "LOT-F1", count: 1, boxId: "BOX-1", actor: f.user(.manufacturing), logger: Fixture.logger)
            #expect(try await Self.events(f, "box.nearly-full") == ["BOX-1", "BOX-1"])
            #expect(try await Self.events(f, "freezer.nearly-full").isEmpty)

            // 73 at once into BOX-2: that box and the freezer (146 of 162) cross in one statement.
            try await f.store.createVials(lotNumber: "LOT-F1", count: 73, boxId: "BOX-2", actor: f.user(.manufacturing), logger: Fixture.logger)
            #expect(try await Self.events(f, "box.nearly-full") == ["BOX-1", "BOX-1", "BOX-2"])
            #expect(try await Self.events(f, "freezer.nearly-full") == ["FRZ-1"])
            #expect(try await Self.sentences(f, "freezer.nearly-full") == ["Over 90 % full: freezer FRZ-1"])
        }
    }

    @Test("a move and a bulk evacuation across 90 % are announced; the emptied box is re-armed, so a bulk refill crosses again")
    func fullnessByMoves() async throws {
        try await withFixture { f in
            let mfg = f.user(.manufacturing)
            try await f.lot("LOT-F3", vials: 72, box: "BOX-1", planned: 200)
            let small = try await f.lot("LOT-F4", vials: 3, box: "BOX-2")
            _ = try await f.store.moveVial(id: small[0].id, to: Position(boxId: "BOX-1", row: 9, column: 1), reason: "consolidate", actor: mfg, logger: Fixture.logger)
            #expect(try await Self.events(f, "box.nearly-full") == ["BOX-1"])
            // BOX-1 (73) into BOX-2 (2): BOX-2 crosses; BOX-1 is emptied and its flag goes down in the same transaction.
            _ = try await f.store.evacuate(source: StorageRef(level: .box, id: "BOX-1"), target: StorageRef(level: .box, id: "BOX-2"), mode: .freePositions,
                                           reason: "defrost", dryRun: false, actor: mfg, logger: Fixture.logger)
            #expect(try await Self.events(f, "box.nearly-full") == ["BOX-1", "BOX-2"])
            #expect(try await f.count("SELECT count(*)::int FROM storage_fullness WHERE subject_id = 'BOX-1' AND NOT nearly_full") == 1)
            _ = try await f.store.evacuate(source: StorageRef(level: .box, id: "BOX-2"), target: StorageRef(level: .box, id: "BOX-1"), mode: .freePositions,
                                           reason: "defrost done", dryRun: false, actor: mfg, logger: Fixture.logger)
            #expect(try await Self.events(f, "box.nearly-full") == ["BOX-1", "BOX-2", "BOX-1"])
            #expect(try await Self.events(f, "freezer.nearly-full").isEmpty, "75 of 162")
        }
    }

    @Test("two placements racing across 90 % announce the box once: the second waits for the first's flag, then finds it set")
    func fullnessRace() async throws {
        try await withFixture { f in
            try await f.lot("LOT-F2", vials: 72, box: "BOX-1", planned: 200)
            let loose = try await f.store.createVials(lotNumber: "LOT-F2", count: 2, boxId: nil, actor: f.user(.manufacturing), logger: Fixture.logger)
            // Each transaction alone sees 72 + its own vial = 73 of 81, over 90 %; both try to flip the flag.
            try await f.client.withConnection { a in
                try await f.client.withConnection { b in
                    let log = Fixture.logger
                    try await a.query("BEGIN", logger: log)
                    try await a.query("INSERT INTO vial_position (vial_id, box_id, row_no, column_no) VALUES (\(loose[0].id), 'BOX-1', 9, 8)", logger: log)
                    let first = try await a.query("SELECT subject_id FROM storage_fullness_crossings(ARRAY['BOX-1'])", logger: log).decode(String.self).rows()
                    try await b.query("BEGIN", logger: log)
                    try await b.query("INSERT INTO vial_position (vial_id, box_id, row_no, column_no) VALUES (\(loose[1].id), 'BOX-1', 9, 9)", logger: log)
                    async let second = b.query("SELECT subject_id FROM storage_fullness_crossings(ARRAY['BOX-1'])", logger: log).decode(String.self).rows()
                    try await Task.sleep(for: .milliseconds(300))
                    try await a.query("COMMIT", logger: log)
                    let secondCrossings = try await second
                    try await b.query("COMMIT", logger: log)
                    #expect(first == ["BOX-1"])
                    #expect(secondCrossings.isEmpty, "the second placement found the flag already set: \(secondCrossings)")
                }
            }
            #expect(try await f.count("SELECT count(*)::int FROM vial_position WHERE box_id = 'BOX-1'") == 74)
        }
    }

    @Test("DryShipperHold.isRunningOut: 20 % of the validated hold, at most 12 hours, before its end")
    func holdRule() {
        let shipped = Date(timeIntervalSince1970: 1_800_000_000)
        func runningOut(_ hold: Int, after hours: Double) -> Bool {
            DryShipperHold.isRunningOut(shippedAt: shipped, validatedHoldHours: hold, now: shipped.addingTimeInterval(hours * 3600))
        }
        #expect(!runningOut(240, after: 227) && runningOut(240, after: 228.5) && runningOut(240, after: 300))
        #expect(!runningOut(24, after: 19) && runningOut(24, after: 19.5))
    }

    @Test("a shipment whose dry shipper is running out of hold time is announced once; a fresh one and a received one are not")
    func shipperHold() async throws {
        try await withFixture { f in
            try await f.clinical()
            try await f.enrol("RES-001")
            try await f.enrol("RES-002")
            let pharmacy = f.user(.pharmacy)
            let plan = try await f.store.planAllocation(PlanRequest(patients: ["RES-001", "RES-002"]), actor: pharmacy, logger: Fixture.logger)
            let done = try await f.store.commitAllocation(planId: plan.id, patients: nil, actor: pharmacy, logger: Fixture.logger)
            var shipments: [String] = []
            for a in done {
                _ = try await f.store.pickAllocation(allocationId: a.allocationId, scannedVialIds: a.vialIds, actor: pharmacy, logger: Fixture.logger)
                shipments.append(try await f.store.shipVials(ShipmentInput(vialIds: a.vialIds, toSite: "S01", dryShipperId: "DS-7", dataLoggerId: "LOG-9",
                                                                           validatedHoldHours: 240, scannedVialIds: a.vialIds, scannedDryShipperId: "DS-7"),
                                                             actor: pharmacy, logger: Fixture.logger).id)
            }
            #expect(try await f.store.warnOfConditions(logger: Fixture.logger).shipments.isEmpty, "240 hours left")
            _ = try await f.store.receiveShipment(id: shipments[1], loggerMaxCelsius: -170, scannedVialIds: done[1].vialIds, actor: pharmacy, logger: Fixture.logger)
            try await f.client.withConnection { conn in
                // shipment_history keeps shipments from being rewritten; the test moves the clock back behind its back:
                // 229 hours since shipping, 11 hours of hold left, under the 12-hour warning.
                try await conn.query("ALTER TABLE shipment DISABLE TRIGGER shipment_history", logger: Fixture.logger)
                try await conn.query("""
                    UPDATE shipment SET shipped_at = shipped_at - interval '229 hours', expected_arrival = expected_arrival - interval '229 hours'
                    """, logger: Fixture.logger)
                try await conn.query("ALTER TABLE shipment ENABLE TRIGGER shipment_history", logger: Fixture.logger)
            }
            #expect(try await f.store.warnOfConditions(logger: Fixture.logger).shipments == [shipments[0]], "the received one is not warned of")
            #expect(try await f.store.warnOfConditions(logger: Fixture.logger).shipments.isEmpty)
            #expect(try await Self.events(f, "shipment.hold-running-out") == [shipments[0]])
            #expect(try await Self.sentences(f, "shipment.hold-running-out") == ["Dry shipper hold time running out, not yet received: shipment \(shipments[0])"])
            #expect(try await f.count("SELECT count(*)::int FROM notification WHERE kind = 'shipment.hold-running-out' AND site_code = 'S01'") == 1)
        }
    }

    @Test("InfusionDoseWarning.isDue: today to 2 days ahead, only without a reserved dose")
    func infusionRule() {
        let today = CalendarDay("2027-05-10")!
        #expect(InfusionDoseWarning.isDue(infusionOn: today, today: today, hasReservedDose: false))
        #expect(InfusionDoseWarning.isDue(infusionOn: today.adding(days: 2), today: today, hasReservedDose: false))
        #expect(!InfusionDoseWarning.isDue(infusionOn: today.adding(days: 3), today: today, hasReservedDose: false))
        #expect(!InfusionDoseWarning.isDue(infusionOn: today.adding(days: -1), today: today, hasReservedDose: false))
        #expect(!InfusionDoseWarning.isDue(infusionOn: today, today: today, hasReservedDose: true))
    }

    @Test("an infusion day near with no vial reserved is announced once per patient and day; a patient with a reserved vial is not")
    func infusionWithoutDose() async throws {
        try await withFixture { f in
            try await f.clinical()
            for s in ["RES-001", "RES-002", "RES-003"] { try await f.enrol(s) }
            let pharmacy = f.user(.pharmacy)
            let plan = try await f.store.planAllocation(PlanRequest(patients: ["RES-002"]), actor: pharmacy, logger: Fixture.logger)
            _ = try await f.store.commitAllocation(planId: plan.id, patients: nil, actor: pharmacy, logger: Fixture.logger)
            #expect(try await f.store.warnOfConditions(logger: Fixture.logger).patients.isEmpty, "infusions 10 days ahead")
            try await f.client.query("UPDATE patient SET infusion_on = current_date + 2 WHERE subject_id IN ('RES-001', 'RES-002')", logger: Fixture.logger)
            try await f.client.query("UPDATE patient SET infusion_on = current_date + 3 WHERE subject_id = 'RES-003'", logger: Fixture.logger)
            #expect(try await f.store.warnOfConditions(logger: Fixture.logger).patients == ["RES-001"])
            #expect(try await f.store.warnOfConditions(logger: Fixture.logger).patients.isEmpty)
            #expect(try await Self.sentences(f, "patient.infusion-without-dose") == ["Infusion day near and no vial reserved: patient RES-001"])
            #expect(try await f.count("SELECT count(*)::int FROM notification WHERE kind = 'patient.infusion-without-dose' AND study_code = 'RES'") == 1)
            // Moved to another day: a new occasion.
            try await f.client.query("UPDATE patient SET infusion_on = current_date + 1 WHERE subject_id = 'RES-001'", logger: Fixture.logger)
            #expect(try await f.store.warnOfConditions(logger: Fixture.logger).patients == ["RES-001"])
            #expect(try await Self.events(f, "patient.infusion-without-dose") == ["RES-001", "RES-001"])
        }
    }

    @Test("a finished forecast with a stock-out probability above 20 % is announced once, in the transaction that stores it")
    func stockOutRisk() async throws {
        #expect(StockOutRisk.isAtRisk(stockoutProbabilities: [0.05, 0.21]) && !StockOutRisk.isAtRisk(stockoutProbabilities: [0.2, 0.1]))
        #expect(!StockOutRisk.isAtRisk(stockoutProbabilities: []))
        try await withFixture { f in
            try await f.clinical()
            try await f.enrol("RES-001")
            let pharmacy = f.user(.pharmacy)
            let inputs = try await f.store.supplyInputs(months: 3, today: .today(offset: 0), actor: pharmacy, logger: Fixture.logger)
            var result = try SupplyForecast.run(inputs, runs: 20, seed: 3)
            try #require(!result.cells.isEmpty)
            for i in result.cells.indices { result.cells[i].stockoutProbability = 0.2 }
            let calm = try await f.store.startSupplyForecast(inputs: inputs, runs: 20, seed: 3, actor: pharmacy, logger: Fixture.logger)
            try await f.store.finishSupplyForecast(id: calm, result: .success((result, nil)), logger: Fixture.logger)
            #expect(try await Self.events(f, "supply.stock-out-risk").isEmpty, "20 % is not above the threshold")

            result.cells[result.cells.count - 1].stockoutProbability = 0.35
            let risky = try await f.store.startSupplyForecast(inputs: inputs, runs: 20, seed: 3, actor: pharmacy, logger: Fixture.logger)
            try await f.store.finishSupplyForecast(id: risky, result: .success((result, nil)), logger: Fixture.logger)
            try await f.store.finishSupplyForecast(id: risky, result: .success((result, nil)), logger: Fixture.logger)
            #expect(try await Self.events(f, "supply.stock-out-risk") == [String(risky)])
            #expect(try await Self.sentences(f, "supply.stock-out-risk") == ["Stock-out risk above 20 % in supply forecast \(risky)"])
        }
    }
}
