import CryoDomain
import CryoStore
import Foundation
import PostgresNIO
import Testing

/// Issue 19, part 1: evacuating a box, rack or freezer in one transaction.
@Suite("Evacuation")
struct EvacuationTests {
    /// A second freezer with the same geometry as FRZ-1 (one rack, two 9×9 boxes).
    func backupFreezer(_ f: Fixture, id: String = "FRZ-2", boxRows: Int = 9) async throws {
        let mfg = f.user(.manufacturing)
        try await f.store.createFreezer(id: id, siteCode: "SSF", kind: .ln2Dewar, name: "Backup", maxCelsius: -150, actor: mfg, logger: Fixture.logger)
        try await f.store.createRack(id: "\(id)-R1", freezerId: id, label: "R1", actor: mfg, logger: Fixture.logger)
        try await f.store.createBox(id: "\(id)-B1", rackId: "\(id)-R1", label: "B1", rows: boxRows, columns: 9, actor: mfg, logger: Fixture.logger)
        try await f.store.createBox(id: "\(id)-B2", rackId: "\(id)-R1", label: "B2", rows: 9, columns: 9, actor: mfg, logger: Fixture.logger)
    }

    func evacuate(_ f: Fixture, to target: String = "freezer:FRZ-2", mode: EvacuationMode = .samePositions, dryRun: Bool = false) async throws -> EvacuationResult {
        try await f.store.evacuate(source: StorageRef(level: .freezer, id: "FRZ-1"), target: try StorageRef(parsing: target, field: "target"),
                                   mode: mode, reason: "LN2 level alarm on FRZ-1", dryRun: dryRun, actor: f.user(.manufacturing), logger: Fixture.logger)
    }

    @Test("same positions: a dry run writes nothing; the real run moves every vial to its row and column with one event each")
    func samePositions() async throws {
        try await withFixture { f in
            let a = try await f.lot("LOT-EV1", vials: 10, box: "BOX-1")
            let b = try await f.lot("LOT-EV2", vials: 5, box: "BOX-2")
            try await backupFreezer(f)
            let dry = try await evacuate(f, dryRun: true)
            #expect(dry.dryRun && dry.moves.count == 15)
            #expect(dry.moves.first { $0.vialId == a[0].id }?.to == "FRZ-2-B1:A1")
            #expect(dry.moves.first { $0.vialId == b[4].id }?.to == "FRZ-2-B2:A5")
            #expect(try await f.count("SELECT count(*)::int FROM vial_position WHERE box_id LIKE 'FRZ-2-%'") == 0)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'vial.moved'") == 0)

            let done = try await evacuate(f)
            #expect(!done.dryRun && done.moves == dry.moves)
            #expect(try await f.count("SELECT count(*)::int FROM vial_position WHERE box_id = 'FRZ-2-B1' AND row_no = 1 AND column_no = 1") == 1)
            #expect(try await f.count("SELECT count(*)::int FROM vial_position WHERE box_id IN ('BOX-1', 'BOX-2')") == 0)
            #expect(try await f.count("""
                SELECT count(*)::int FROM custody_event WHERE action = 'vial.moved' AND reason = 'LN2 level alarm on FRZ-1'
                  AND details->>'evacuation' = 'freezer:FRZ-1 -> freezer:FRZ-2' AND from_location LIKE 'BOX-%' AND to_location LIKE 'FRZ-2-%'
                """) == 15)
            let vial = try await f.store.vial(id: b[4].id, actor: f.user(.auditor), logger: Fixture.logger)
            #expect(vial.location?.label == "FRZ-2-B2:A5")
            let report = try await f.store.verifyAuditTrail(key: nil, actor: f.user(.auditor), logger: Fixture.logger)
            #expect(report.intact)
        }
    }

    @Test("a half-free target is refused naming the first occupied position, and nothing moves")
    func halfFreeTarget() async throws {
        try await withFixture { f in
            try await f.lot("LOT-EV1", vials: 10, box: "BOX-1")
            try await backupFreezer(f)
            let squatter = try await f.lot("LOT-EV3", vials: 40, box: "FRZ-2-B1")
            await #expect(throws: DomainError.conflict(field: "target", rule: "position FRZ-2-B1:A1 already holds vial \(squatter[0].id); the target is not free")) {
                _ = try await evacuate(f)
            }
            #expect(try await f.count("SELECT count(*)::int FROM vial_position WHERE box_id = 'BOX-1'") == 10)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'vial.moved'") == 0)
            // Free positions: the same target takes them after the squatter's 40.
            let done = try await evacuate(f, mode: .freePositions)
            #expect(done.moves.first?.to == "FRZ-2-B1:E5")
            #expect(try await f.count("SELECT count(*)::int FROM vial_position WHERE box_id = 'FRZ-2-B1'") == 50)
        }
    }

    @Test("free positions: the lot expiring first fills first, each lot together; too little room is refused")
    func freePositionsFEFO() async throws {
        try await withFixture { f in
            try await f.lot("LOT-LATE", vials: 3, box: "BOX-1")
            try await f.lot("LOT-SOON", vials: 2, box: "BOX-2")
            try await f.client.query("UPDATE lot SET expires_on = expires_on - 100 WHERE lot_number = 'LOT-SOON'", logger: Fixture.logger)
            try await backupFreezer(f)
            let small = "box:FRZ-2-B1"
            let plan = try await evacuate(f, to: small, mode: .freePositions, dryRun: true)
            #expect(plan.moves.map(\.lotNumber) == ["LOT-SOON", "LOT-SOON", "LOT-LATE", "LOT-LATE", "LOT-LATE"])
            #expect(plan.moves.map(\.to) == ["FRZ-2-B1:A1", "FRZ-2-B1:A2", "FRZ-2-B1:A3", "FRZ-2-B1:A4", "FRZ-2-B1:A5"])
            try await f.lot("LOT-FILL", vials: 79, box: "FRZ-2-B1")
            await #expect(throws: DomainError.conflict(field: "target", rule: "box FRZ-2-B1 has 2 free positions, 5 needed")) {
                _ = try await evacuate(f, to: small, mode: .freePositions)
            }
        }
    }

    @Test("a different geometry, an overlapping target and a vial that may not move are refused")
    func refusals() async throws {
        try await withFixture { f in
            try await f.lot("LOT-EV1", vials: 3, box: "BOX-1")
            try await backupFreezer(f, id: "FRZ-3", boxRows: 10)
            await #expect(throws: DomainError.conflict(field: "target", rule: "freezer FRZ-3 has a different geometry: box FRZ-3-B1 is 10×9, box BOX-1 is 9×9")) {
                _ = try await evacuate(f, to: "freezer:FRZ-3")
            }
            await #expect(throws: DomainError.invalid(field: "target", rule: "box BOX-2 overlaps freezer FRZ-1 (box BOX-2); the target must be another container")) {
                _ = try await evacuate(f, to: "box:BOX-2", mode: .freePositions)
            }
            await #expect(throws: DomainError.invalid(field: "target", rule: "no freezer 'FRZ-9' exists")) {
                _ = try await evacuate(f, to: "freezer:FRZ-9")
            }
            await #expect(throws: DomainError.forbidden(role: .auditor, action: .placeVial)) {
                _ = try await f.store.evacuate(source: StorageRef(level: .freezer, id: "FRZ-1"), target: StorageRef(level: .box, id: "FRZ-3-B2"),
                                               mode: .freePositions, reason: "x", dryRun: true, actor: f.user(.auditor), logger: Fixture.logger)
            }
        }
    }

    @Test("the API: a dry run, then the evacuation; bad input is a 400 naming the field")
    func api() async throws {
        try await withApp { f, http in
            try await f.lot("LOT-EV1", vials: 4, box: "BOX-1")
            try await backupFreezer(f)
            let token = f.tokens[.manufacturing]!
            let body = #"{"source":"freezer:FRZ-1","target":"freezer:FRZ-2","mode":"same-positions","reason":"compressor failure","dryRun":true}"#
            let (status, json, _) = try await http.call(.post, "/storage/evacuations", token: token, json: body)
            #expect(status == .ok)
            #expect(json["dryRun"] as? Bool == true && (json["moves"] as? [Any])?.count == 4)
            #expect(try await f.count("SELECT count(*)::int FROM vial_position WHERE box_id = 'FRZ-2-B1'") == 0)
            let (done, doneJSON, _) = try await http.call(.post, "/storage/evacuations", token: token, json: body.replacingOccurrences(of: "true", with: "false"))
            #expect(done == .ok && doneJSON["dryRun"] as? Bool == false)
            #expect(try await f.count("SELECT count(*)::int FROM vial_position WHERE box_id = 'FRZ-2-B1'") == 4)
            let (bad, problem, _) = try await http.call(.post, "/storage/evacuations", token: token,
                                                        json: #"{"source":"freezer:FRZ-2","target":"freezer:FRZ-1","mode":"same-positions","reason":" "}"#)
            #expect(bad == .badRequest && problem["field"] as? String == "reason")
            let (forbidden, _, _) = try await http.call(.post, "/storage/evacuations", token: f.tokens[.auditor]!, json: body)
            #expect(forbidden == .forbidden)
        }
    }
}
