import CryoDomain
import CryoStore
import Foundation
import PostgresNIO
import Synchronization
import Testing

/// A clock the test moves forward instead of sleeping.
final class TestClock: Sendable {
    private let now = Mutex(Date())
    func read() -> Date { now.withLock { $0 } }
    func advance(minutes: Double) { now.withLock { $0 = $0.addingTimeInterval(minutes * 60) } }
}

/// Issue 19, part 2: time out of storage.
@Suite("Time out of storage")
struct TimeOutTests {
    func vialIds(_ f: Fixture, lot: String) async throws -> [String] {
        try await f.client.query("SELECT id FROM vial WHERE lot_number = \(lot) ORDER BY ordinal", logger: Fixture.logger).decode(String.self).rows()
    }

    func plannedVials(_ f: Fixture) async throws -> [String] {
        try await f.store.planAllocation(PlanRequest(patients: ["RES-001"]), actor: f.user(.pharmacy), logger: Fixture.logger)
            .assignments.flatMap(\.vialIds)
    }

    @Test("two check-outs that together exceed the product's limit hold the vial; the held vial is not planned; QA lifts the hold with a signature")
    func limitHolds() async throws {
        try await withFixture { f in
            try await f.clinical(lots: [("LOT-T1", 2)])
            try await f.enrol("RES-001")
            let clock = TestClock()
            let store = Store(client: f.client, clock: { clock.read() })
            let mfg = f.user(.manufacturing)
            let ids = try await vialIds(f, lot: "LOT-T1")
            let (v, other) = (ids[0], ids[1])
            #expect(try await store.product(code: "ALLO-501", actor: mfg, logger: Fixture.logger).maxTimeOutMinutes == 30)

            let out = try await store.checkOut(.vial(v), purpose: .inventoryCheck, actor: mfg, logger: Fixture.logger)
            #expect(out.map(\.position) == ["BOX-1:A1"])
            let record = try await store.vial(id: v, actor: f.user(.auditor), logger: Fixture.logger)
            #expect(record.checkedOutSince != nil && record.location?.label == "BOX-1:A1")
            #expect(try await plannedVials(f) == [other])   // checked out: not allocatable
            clock.advance(minutes: 20)
            let first = try await store.checkIn(.vial(v), actor: mfg, logger: Fixture.logger)
            #expect(first[0].minutesOut == 20 && first[0].totalMinutesOut == 20 && first[0].holdId == nil)

            _ = try await store.checkOut(.vial(v), purpose: .shipmentPick, actor: mfg, logger: Fixture.logger)
            clock.advance(minutes: 15)
            let second = try await store.checkIn(.vial(v), actor: mfg, logger: Fixture.logger)
            #expect(second[0].minutesOut == 15 && second[0].totalMinutesOut == 35 && second[0].limitMinutes == 30)
            let holdId = try #require(second[0].holdId)
            let hold = try await f.store.hold(id: holdId, actor: f.user(.qa), logger: Fixture.logger)
            #expect(hold.source == "time-out" && hold.subjectId == v && hold.reason == "time out of storage 35 min exceeds the product's limit of 30 min")
            let after = try await store.vial(id: v, actor: f.user(.auditor), logger: Fixture.logger)
            #expect(after.checkedOutSince == nil && after.minutesOutOfStorage == 35)
            // The hold shows in allocation: the held vial is not planned, the other one is.
            #expect(try await plannedVials(f) == [other])
            #expect(try await f.count("SELECT count(*)::int FROM vial WHERE id = '\(v)' AND vial_blockers(id) LIKE '%time out of storage 35 min%'") == 1)
            // Shown in the custody record (and so in every custody export): both trips with their minutes.
            #expect(try await f.count("""
                SELECT count(*)::int FROM custody_event WHERE subject_id = '\(v)' AND action = 'vial.checked-in'
                  AND details->>'totalMinutesOut' IN ('20', '35') AND details->>'limitMinutes' = '30'
                """) == 2)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE subject_id = '\(v)' AND action = 'vial.checked-out'") == 2)
            // A hold like any other: QA lifts it with a signature, and the vial can be allocated again.
            _ = try await f.store.liftHold(id: holdId, reason: "stability data cover 35 min at -80 °C",
                                           signature: SignatureInput(password: Fixture.qaPassword, meaning: "hold lifted after review"),
                                           actor: f.user(.qa), logger: Fixture.logger)
            #expect(try await plannedVials(f).count == 1)
            #expect(try await f.count("SELECT count(*)::int FROM vial WHERE id = '\(v)' AND vial_blockers(id) IS NULL") == 1)
        }
    }

    @Test("a checked-out vial keeps its position and cannot move, be evacuated or be checked out twice")
    func positionKept() async throws {
        try await withFixture { f in
            let mfg = f.user(.manufacturing)
            let vials = try await f.lot("LOT-T2", vials: 3, box: "BOX-1")
            let other = try await f.lot("LOT-T3", vials: 1)
            let out = try await f.store.checkOut(.box("BOX-1"), purpose: .rackMaintenance, actor: mfg, logger: Fixture.logger)
            #expect(out.map(\.vialId) == vials.map(\.id))
            await #expect(throws: DomainError.conflict(field: "position", rule: "that position already holds a vial")) {
                _ = try await f.store.placeVial(id: other[0].id, at: Position(boxId: "BOX-1", row: 1, column: 1), actor: mfg, logger: Fixture.logger)
            }
            await #expect(throws: DomainError.conflict(field: "vialId", rule: "vial \(vials[0].id) may not move: vial \(vials[0].id) is checked out of storage")) {
                _ = try await f.store.moveVial(id: vials[0].id, to: Position(boxId: "BOX-2", row: 1, column: 1), reason: "tidy", actor: mfg, logger: Fixture.logger)
            }
            await #expect(throws: DomainError.conflict(field: "source", rule: "vial \(vials[0].id) at BOX-1:A1 may not move: vial \(vials[0].id) is checked out of storage")) {
                _ = try await f.store.evacuate(source: StorageRef(level: .box, id: "BOX-1"), target: StorageRef(level: .box, id: "BOX-2"), mode: .samePositions,
                                               reason: "alarm", dryRun: false, actor: mfg, logger: Fixture.logger)
            }
            await #expect(throws: DomainError.conflict(field: "vialId", rule: "vial \(vials[1].id) is already checked out; check it in first")) {
                _ = try await f.store.checkOut(.vial(vials[1].id), purpose: .inventoryCheck, actor: mfg, logger: Fixture.logger)
            }
            let back = try await f.store.checkIn(.box("BOX-1"), actor: mfg, logger: Fixture.logger)
            #expect(back.count == 3 && back.allSatisfy { $0.holdId == nil && $0.checkedInAt != nil })
            await #expect(throws: DomainError.conflict(field: "boxId", rule: "no vial of box BOX-1 is checked out")) {
                _ = try await f.store.checkIn(.box("BOX-1"), actor: mfg, logger: Fixture.logger)
            }
            _ = try await f.store.moveVial(id: vials[0].id, to: Position(boxId: "BOX-2", row: 1, column: 1), reason: "tidy", actor: mfg, logger: Fixture.logger)
        }
    }

    @Test("the database refuses a check-in past the limit without a time-out hold (twin of TimeOutOfStorage.exceeded)")
    func databaseTwin() async throws {
        try await withFixture { f in
            let v = try await f.lot("LOT-T4", vials: 1, box: "BOX-1")[0].id
            let mfgId = f.user(.manufacturing).id
            try await f.client.query("""
                INSERT INTO vial_checkout (vial_id, purpose, checked_out_at, checked_out_by) VALUES (\(v), 'inventory-check', now() - interval '31 minutes', \(mfgId))
                """, logger: Fixture.logger)
            #expect(try await f.count("SELECT count(*)::int FROM vial WHERE id = '\(v)' AND vial_cannot_move(id) IS NOT NULL") == 1)
            let refused = await RuleTwinTests.refusal(f, "UPDATE vial_checkout SET checked_in_at = now(), checked_in_by = \(mfgId) WHERE vial_id = '\(v)'")
            #expect(refused?.state == "CL409")
            #expect(refused?.message == "vial \(v) has exceeded its time out of storage; it must be held")
            #expect(TimeOutOfStorage.exceeded(totalSeconds: 31 * 60, limitMinutes: 30))
            #expect(!TimeOutOfStorage.exceeded(totalSeconds: 30 * 60, limitMinutes: 30))
        }
    }

    @Test("the API: check a box out and in; the vial shows its time out; one of vialId and boxId")
    func api() async throws {
        try await withApp { f, http in
            let vials = try await f.lot("LOT-T5", vials: 2, box: "BOX-2")
            let token = f.tokens[.manufacturing]!
            let (status, _, text) = try await http.call(.post, "/storage/check-outs", token: token, json: #"{"boxId":"BOX-2","purpose":"inventory-check"}"#)
            #expect(status == .ok && text.contains(vials[1].id))
            let (_, vial, _) = try await http.call(.get, "/vials/\(vials[0].id)", token: token)
            #expect(vial["checkedOutSince"] is String && vial["minutesOutOfStorage"] as? Int == 0)
            let (inStatus, _, inText) = try await http.call(.post, "/storage/check-ins", token: token, json: #"{"vialId":"\#(vials[0].id)"}"#)
            #expect(inStatus == .ok && inText.contains("\"totalMinutesOut\""))
            let (bad, problem, _) = try await http.call(.post, "/storage/check-ins", token: token, json: #"{"vialId":"\#(vials[1].id)","boxId":"BOX-2"}"#)
            #expect(bad == .badRequest && problem["field"] as? String == "boxId")
            let (forbidden, _, _) = try await http.call(.post, "/storage/check-ins", token: f.tokens[.auditor]!, json: #"{"boxId":"BOX-2"}"#)
            #expect(forbidden == .forbidden)
        }
    }
}
