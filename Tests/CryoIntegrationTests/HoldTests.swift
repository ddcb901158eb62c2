import CryoDomain
import CryoStore
import Foundation
import PostgresNIO
import Testing

/// Issue 4: holds, the donor look-back, temperature excursions and automatic expiry.
@Suite("Holds, look-back, excursions, expiry")
struct HoldTests {
    @Test("look-back: lots and vials held, open reservations cancelled, dosed patients listed, each step in the custody log")
    func lookBack() async throws {
        try await withFixture { f in
            try await f.clinical(lots: [("LOT-LB1", 6)])
            try await f.enrol("RES-001"); try await f.enrol("RES-002")
            let dosed = try await f.dispenseToThawed(["RES-001"])[0]
            _ = try await f.store.administerVial(id: dosed.vialIds[0], scannedSubjectId: "RES-001", signature: f.nurseSignature,
                                                 actor: f.user(.pharmacy), logger: Fixture.logger)
            let plan = try await f.store.planAllocation(PlanRequest(patients: ["RES-002"]), actor: f.user(.pharmacy), logger: Fixture.logger)
            let reserved = try await f.store.commitAllocation(planId: plan.id, patients: nil, actor: f.user(.pharmacy), logger: Fixture.logger)[0]
            try await f.lot("LOT-LB2", vials: 2, box: "BOX-2")   // still in process

            let report = try await f.store.recordDonorIneligible(code: "DN-000001", reason: "donor look-back: HBV NAT reactive on retest",
                                                                 actor: f.user(.qa), logger: Fixture.logger)
            #expect(report.lotsHeld == ["LOT-LB1", "LOT-LB2"])
            #expect(report.vialsHeld.count == 5 + 2)
            #expect(report.reservationsCancelled == reserved.vialIds)
            #expect(report.dosedPatients.map(\.subjectId) == ["RES-001"])
            for lot in ["LOT-LB1", "LOT-LB2"] {
                #expect(try await f.store.lot(number: lot, actor: f.user(.auditor), logger: Fixture.logger).status == .onHold)
            }
            #expect(try await f.count("SELECT count(*)::int FROM vial WHERE id = '\(reserved.vialIds[0])' AND status = 'stored'") == 1)
            #expect(try await f.count("SELECT count(*)::int FROM allocation WHERE subject_id = 'RES-002' AND status = 'cancelled'") == 1)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'donor.found-ineligible'") == 1)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'hold.placed' AND details->>'source' = 'look-back'") == 1 + 2 + 7)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'vial.reservation-cancelled'") == 1)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE subject_id = 'RES-001' AND action = 'patient.donor-look-back'") == 1)
            // Nothing of the donor can be allocated any more.
            let again = try await f.store.planAllocation(PlanRequest(patients: ["RES-002"]), actor: f.user(.pharmacy), logger: Fixture.logger)
            #expect(again.assignments.isEmpty)
        }
    }

    @Test("an excursion holds exactly the vials that were in that freezer during it")
    func excursion() async throws {
        try await withFixture { f in
            let mfg = f.user(.manufacturing)
            try await f.store.createFreezer(id: "FRZ-2", siteCode: "SSF", kind: .ln2Dewar, name: "Dewar 2", maxCelsius: -150, actor: mfg, logger: Fixture.logger)
            try await f.store.createRack(id: "FRZ-2-R1", freezerId: "FRZ-2", label: "R1", actor: mfg, logger: Fixture.logger)
            try await f.store.createBox(id: "BOX-9", rackId: "FRZ-2-R1", label: "B9", rows: 9, columns: 9, actor: mfg, logger: Fixture.logger)
            let inOne = try await f.lot("LOT-E1", vials: 4, box: "BOX-1").map(\.id)
            let inTwo = try await f.lot("LOT-E2", vials: 3, box: "BOX-9").map(\.id)
            // Moved out of FRZ-1 before the last good reading: not exposed.
            _ = try await f.store.moveVial(id: inOne[0], to: Position(boxId: "BOX-9", row: 9, column: 9), reason: "consolidation", actor: mfg, logger: Fixture.logger)
            try await Task.sleep(for: .milliseconds(20))
            _ = try await f.store.recordTemperature(freezerId: "FRZ-1", celsius: -180, measuredAt: Date(), probe: "P1", actor: mfg, logger: Fixture.logger)
            try await Task.sleep(for: .milliseconds(20))
            // Moved out after the good reading, during the excursion: exposed.
            _ = try await f.store.moveVial(id: inOne[1], to: Position(boxId: "BOX-9", row: 9, column: 8), reason: "consolidation", actor: mfg, logger: Fixture.logger)
            try await Task.sleep(for: .milliseconds(20))
            let warm = try await f.store.recordTemperature(freezerId: "FRZ-1", celsius: -120, measuredAt: Date(), probe: "P1", actor: mfg, logger: Fixture.logger)
            try await Task.sleep(for: .milliseconds(20))
            #expect(warm.excursion)
            #expect(Set(warm.heldVials) == Set([inOne[1], inOne[2], inOne[3]]))
            // Placed into FRZ-1 after the reading: not exposed by it.
            _ = try await f.store.moveVial(id: inTwo[0], to: Position(boxId: "BOX-1", row: 9, column: 9), reason: "back", actor: mfg, logger: Fixture.logger)
            let heldNow = Set(try await f.client.query("SELECT subject_id FROM hold WHERE subject_type = 'vial' AND lifted_at IS NULL", logger: Fixture.logger)
                .decode(String.self).rows())
            #expect(heldNow == Set([inOne[1], inOne[2], inOne[3]]))
            let cold = try await f.store.recordTemperature(freezerId: "FRZ-2", celsius: -190, measuredAt: Date(), probe: nil, actor: mfg, logger: Fixture.logger)
            #expect(!cold.excursion && cold.heldVials.isEmpty)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'temperature.excursion' AND subject_id = 'FRZ-1'") == 1)
        }
    }

    @Test("a held vial cannot be reserved, even by direct SQL; lifting needs a signature and lets it through; a lot hold returns it to released")
    func holdAndLift() async throws {
        try await withFixture { f in
            try await f.clinical(lots: [("LOT-H1", 2)])
            let vial = try await f.client.query("SELECT id FROM vial WHERE lot_number = 'LOT-H1' ORDER BY id LIMIT 1", logger: Fixture.logger).decode(String.self).rows()[0]
            let hold = try await f.store.placeHold(on: .vial, id: vial, reason: "label smudged; identity check", actor: f.user(.qa), logger: Fixture.logger)
            await #expect(throws: (any Error).self) {
                try await f.client.query(PostgresQuery(unsafeSQL: "UPDATE vial SET status = 'reserved' WHERE id = '\(vial)'"), logger: Fixture.logger)
            }
            await #expect { _ = try await f.store.liftHold(id: hold.id, reason: "checked", signature: nil, actor: f.user(.qa), logger: Fixture.logger) } throws: { error in
                (error as? DomainError)?.description.contains("signature") == true
            }
            await #expect { _ = try await f.store.liftHold(id: hold.id, reason: "checked", signature: nil, actor: f.user(.pharmacy), logger: Fixture.logger) } throws: { error in
                if case .forbidden? = error as? DomainError { return true } else { return false }
            }
            let lifted = try await f.store.liftHold(id: hold.id, reason: "identity confirmed against batch record",
                                                    signature: SignatureInput(password: Fixture.qaPassword, meaning: "hold lifted after investigation"),
                                                    actor: f.user(.qa), logger: Fixture.logger)
            #expect(lifted.liftedBy == "Test qa")
            let lotHold = try await f.store.placeHold(on: .lot, id: "LOT-H1", reason: "deviation DEV-12", actor: f.user(.qa), logger: Fixture.logger)
            #expect(try await f.store.lot(number: "LOT-H1", actor: f.user(.auditor), logger: Fixture.logger).status == .onHold)
            _ = try await f.store.liftHold(id: lotHold.id, reason: "DEV-12 closed", signature: SignatureInput(password: Fixture.qaPassword, meaning: "hold lifted"),
                                           actor: f.user(.qa), logger: Fixture.logger)
            #expect(try await f.store.lot(number: "LOT-H1", actor: f.user(.auditor), logger: Fixture.logger).status == .released)
            // A lifted hold cannot be edited or deleted.
            await #expect(throws: (any Error).self) {
                try await f.client.query(PostgresQuery(unsafeSQL: "DELETE FROM hold WHERE id = \(hold.id)"), logger: Fixture.logger)
            }
        }
    }

    @Test("lots past expiry become expired by the sweep, and are unallocatable even before it")
    func expiry() async throws {
        try await withFixture { f in
            try await f.clinical(lots: [("LOT-X1", 2)])
            try await f.enrol("RES-001")
            try await f.client.query("ALTER TABLE lot DISABLE TRIGGER USER", logger: Fixture.logger)
            try await f.client.query("UPDATE lot SET manufactured_on = current_date - 400, expires_on = current_date - 1 WHERE lot_number = 'LOT-X1'", logger: Fixture.logger)
            try await f.client.query("ALTER TABLE lot ENABLE TRIGGER USER", logger: Fixture.logger)
            let vial = try await f.client.query("SELECT id FROM vial WHERE lot_number = 'LOT-X1' LIMIT 1", logger: Fixture.logger).decode(String.self).rows()[0]
            await #expect(throws: (any Error).self) {
                try await f.client.query(PostgresQuery(unsafeSQL: "UPDATE vial SET status = 'reserved' WHERE id = '\(vial)'"), logger: Fixture.logger)
            }
            let expired = try await f.store.expireDueLots(logger: Fixture.logger)
            #expect(expired == ["LOT-X1"])
            #expect(try await f.store.lot(number: "LOT-X1", actor: f.user(.auditor), logger: Fixture.logger).status == .expired)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'lot.expired' AND actor_role = 'system' AND actor_id IS NULL") == 1)
            #expect(try await f.store.expireDueLots(logger: Fixture.logger).isEmpty)
        }
    }
}
