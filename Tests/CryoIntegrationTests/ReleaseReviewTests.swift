import CryoDomain
import CryoStore
import Foundation
import Testing

/// The reads behind the console's QC page, release workbench and donor page (issue 16).
@Suite("Release review reads")
struct ReleaseReviewTests {
    @Test("a lot is reviewed against the specification in force at its manufacture, not a later one")
    func specificationAtManufacture() async throws {
        try await withFixture { f in
            try await f.lot("LOT-S1", vials: 1, box: "BOX-1")
            // A later version, effective after the lot's manufacture, adds a test the lot is not judged on.
            _ = try await f.client.query("""
                INSERT INTO spec_version (product_code, version, effective_from) VALUES ('ALLO-501', 2, '2026-06-01');
                """, logger: Fixture.logger)
            _ = try await f.client.query("""
                INSERT INTO spec_test (product_code, version, code, name, kind, unit, min_value) VALUES ('ALLO-501', 2, 'potency', 'Potency', 'numeric', 'pg/mL', 500)
                """, logger: Fixture.logger)
            let spec = try await f.store.lotSpecification(lotNumber: "LOT-S1", actor: f.user(.auditor), logger: Fixture.logger)
            #expect(spec.version == 1 && spec.effectiveFrom == "2025-01-01")
            #expect(spec.tests.map(\.code) == ["viability"])
            #expect(spec.tests.first?.min == 70 && spec.tests.first?.unit == "%")
            await #expect(throws: DomainError.notFound(kind: "lot", id: "NO-SUCH")) {
                try await f.store.lotSpecification(lotNumber: "NO-SUCH", actor: f.user(.auditor), logger: Fixture.logger)
            }
        }
    }

    @Test("the vial holds of a lot are the active holds on its own vials only")
    func vialHoldsOfALot() async throws {
        try await withFixture { f in
            let mine = try await f.lot("LOT-V1", vials: 2, box: "BOX-1")
            let other = try await f.lot("LOT-V2", vials: 1, box: "BOX-1")
            let qa = f.user(.qa)
            let held = try await f.store.placeHold(on: .vial, id: mine[0].id, reason: "seal", actor: qa, logger: Fixture.logger)
            let lifted = try await f.store.placeHold(on: .vial, id: mine[1].id, reason: "label", actor: qa, logger: Fixture.logger)
            _ = try await f.store.liftHold(id: lifted.id, reason: "relabelled", signature: SignatureInput(password: Fixture.qaPassword, meaning: "hold lifted"),
                                           actor: qa, logger: Fixture.logger)
            _ = try await f.store.placeHold(on: .vial, id: other[0].id, reason: "other lot", actor: qa, logger: Fixture.logger)
            _ = try await f.store.placeHold(on: .lot, id: "LOT-V1", reason: "lot hold", actor: qa, logger: Fixture.logger)
            let holds = try await f.store.vialHolds(lotNumber: "LOT-V1", actor: f.user(.auditor), logger: Fixture.logger)
            #expect(holds.map(\.id) == [held.id])
        }
    }

    @Test("a donor's look-back standing: its active look-back holds and the dosed patients; an auditor's read is logged")
    func lookBackStanding() async throws {
        try await withFixture { f in
            try await f.clinical(lots: [("LOT-LB1", 3)])
            _ = try await f.enrol("RES-001")
            let dosed = try await f.dispenseToThawed(["RES-001"])[0]
            _ = try await f.store.administerVial(id: dosed.vialIds[0], scannedSubjectId: "RES-001", signature: f.nurseSignature,
                                                 actor: f.user(.pharmacy), logger: Fixture.logger)
            let report = try await f.store.recordDonorIneligible(code: "DN-000001", reason: "HBV NAT reactive on retest", actor: f.user(.qa), logger: Fixture.logger)
            let standing = try await f.store.lookBackStatus(donorCode: "DN-000001", actor: f.user(.auditor), logger: Fixture.logger)
            #expect(standing.lotHolds.map(\.subjectId) == report.lotsHeld)
            #expect(standing.vialHolds.map(\.subjectId) == report.vialsHeld)
            #expect(standing.dosedPatients == report.dosedPatients)
            #expect(standing.dosedPatients.map(\.subjectId) == ["RES-001"])
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE subject_id = 'RES-001' AND action = 'record.read-by-auditor'") == 1)
        }
    }
}
