import Foundation
import CryoDomain
import Testing

/// The rules issue 14 gathered in CryoDomain, decided without a database.
@Suite("Rule decisions")
struct RuleDecisionTests {
    let made = CalendarDay("2026-01-10")!

    @Test("LotRules.checkRegistration: no lot from an ineligible donor; expiry at most manufacture + shelf life, defaulting to it")
    func registration() throws {
        #expect(throws: DomainError.conflict(field: "donorCode", rule: "donor DN-000009 is ineligible; no lot may be made from it")) {
            _ = try LotRules.checkRegistration(donorCode: "DN-000009", donorEligibility: .ineligible, manufacturedOn: made, expiresOn: nil, shelfLifeDays: 365)
        }
        #expect(throws: DomainError.invalid(field: "expiresOn", rule: "must not be later than manufacture + shelf life (2027-01-10)")) {
            _ = try LotRules.checkRegistration(donorCode: "DN-000001", donorEligibility: .eligible, manufacturedOn: made,
                                               expiresOn: CalendarDay("2027-01-11"), shelfLifeDays: 365)
        }
        #expect(try LotRules.checkRegistration(donorCode: "DN-000001", donorEligibility: .pending, manufacturedOn: made, expiresOn: nil,
                                               shelfLifeDays: 365) == CalendarDay("2027-01-10"))
    }

    @Test("LotRules.checkVialFilling: only in-process or quarantine, never beyond the plan")
    func filling() throws {
        try LotRules.checkVialFilling(lotNumber: "L-1", status: .quarantine, plannedVials: 3, existingVials: 1, adding: 2)
        #expect(throws: DomainError.conflict(field: "count", rule: "lot L-1 plans 3 vials and has 1; 3 more would exceed it")) {
            try LotRules.checkVialFilling(lotNumber: "L-1", status: .inProcess, plannedVials: 3, existingVials: 1, adding: 3)
        }
        for status in LotStatus.allCases where ![.inProcess, .quarantine].contains(status) {
            #expect(throws: DomainError.self) { try LotRules.checkVialFilling(lotNumber: "L-1", status: status, plannedVials: 3, existingVials: 0, adding: 1) }
        }
    }

    @Test("Administration.check: identity, thawed, thaw limit, rule 3, then the tests a conditional release left pending")
    func administration() throws {
        let ok = AdministrationFacts(vialId: "V", status: .thawed, reservedFor: "P-1", scannedSubjectId: "P-1", thawLimitMinutes: 30,
                                     thawWindowClosesAt: Date(timeIntervalSince1970: 1_000), now: Date(timeIntervalSince1970: 900), readiness: nil,
                                     blockers: nil, lotNumber: "L-1", pendingTests: [])
        try Administration.check(ok)
        var pending = ok
        pending.pendingTests = ["sterility", "viability"]
        #expect(throws: DomainError.conflict(field: "vialId", rule: "lot L-1 was released conditionally; administration waits for: sterility, viability")) {
            try Administration.check(pending)
        }
        var wrong = pending
        wrong.scannedSubjectId = "P-2"
        #expect { try Administration.check(wrong) } throws: { ($0 as? DomainError)?.description.hasPrefix("subjectId: chain of identity") == true }
    }

    @Test("values the database holds are read strictly: an unknown one is an error, not a default")
    func storedValues() throws {
        #expect(try LotStatus(stored: "on-hold") == .onHold)
        #expect(throws: UnknownStoredValue.self) { try LotStatus(stored: "in_process") }
    }
}
