import CryoDomain
import Foundation
import Testing

/// Rule 8 and 9 decided in CryoDomain, without a database.
struct InfusionReadinessTests {
    let today = CalendarDay("2026-12-07")!

    func facts(_ arm: Lymphodepletion = .fluCy) -> ReadinessFacts {
        ReadinessFacts(subjectId: "ALPHA-103", lymphodepletion: arm, ldStartOn: arm == .none ? nil : today.adding(days: -5),
                       plannedInfusionOn: today, rescheduledTo: nil,
                       dosesGiven: InfusionReadiness.plannedDoses(arm, startOn: arm == .none ? nil : today.adding(days: -5)), clearedOn: [today], today: today)
    }

    @Test("ready: the infusion day, lymphodepletion given as planned, cleared today; each missing part refuses with a sentence")
    func readiness() throws {
        try InfusionReadiness.check(facts())
        try InfusionReadiness.check(facts(.none))
        var early = facts()
        early.plannedInfusionOn = today.adding(days: 12)
        #expect(InfusionReadiness.refusal(early) == "patient ALPHA-103's infusion is planned for 2026-12-19, not today (2026-12-07); thaw on that day or record a rescheduled day with its reason")
        var moved = early
        moved.rescheduledTo = today
        try InfusionReadiness.check(moved)
        var noLd = facts()
        noLd.dosesGiven.removeAll { $0.agent == .fludarabine && $0.givenOn == today.adding(days: -4) }
        #expect(InfusionReadiness.refusal(noLd) == "patient ALPHA-103's lymphodepletion (Flu/Cy) is not recorded as given as planned: missing fludarabine on 2026-12-03")
        var uncleared = facts()
        uncleared.clearedOn = [today.adding(days: -1)]
        #expect(InfusionReadiness.refusal(uncleared) == "patient ALPHA-103 has no signed pre-infusion clearance for today (2026-12-07)")
        #expect(InfusionReadiness.plannedDoses(.fluCy, startOn: today).count == 6)
        #expect(InfusionReadiness.plannedDoses(.cy, startOn: today).count == 3)
    }

    @Test("clearance confirms every item of the arm's checklist; a dose is an agent of the arm on a planned day; a reschedule is refused after a thaw")
    func clearanceDoseReschedule() throws {
        let items = InfusionReadiness.minimumClearanceItems
        try InfusionReadiness.checkClearance(required: items, confirmed: items)
        #expect(throws: DomainError.self) { try InfusionReadiness.checkClearance(required: items, confirmed: Array(items.dropLast())) }
        #expect(throws: DomainError.self) { try InfusionReadiness.checkClearance(required: items, confirmed: items + ["afebrile"]) }
        try InfusionReadiness.checkDose(.cy, startOn: today, dose: .init(agent: .cyclophosphamide, givenOn: today), today: today)
        #expect(throws: DomainError.self) { try InfusionReadiness.checkDose(.cy, startOn: today, dose: .init(agent: .fludarabine, givenOn: today), today: today) }
        #expect(throws: DomainError.self) { try InfusionReadiness.checkDose(.none, startOn: nil, dose: .init(agent: .fludarabine, givenOn: today), today: today) }
        #expect(throws: DomainError.self) { try InfusionReadiness.checkDose(.cy, startOn: today, dose: .init(agent: .cyclophosphamide, givenOn: today.adding(days: 1)), today: today) }
        #expect(throws: DomainError.self) { try InfusionReadiness.checkDose(.cy, startOn: today, dose: .init(agent: .cyclophosphamide, givenOn: today.adding(days: 3)), today: today.adding(days: 5)) }
        try InfusionReadiness.checkReschedule(to: today, reason: "bed free", ldStartOn: nil, today: today, thawedVial: nil)
        #expect(throws: DomainError.self) { try InfusionReadiness.checkReschedule(to: today, reason: "", ldStartOn: nil, today: today, thawedVial: nil) }
        #expect(throws: DomainError.self) { try InfusionReadiness.checkReschedule(to: today.adding(days: -1), reason: "x", ldStartOn: nil, today: today, thawedVial: nil) }
        #expect(throws: DomainError.self) { try InfusionReadiness.checkReschedule(to: today, reason: "x", ldStartOn: today.adding(days: -1), today: today, thawedVial: nil) }
        #expect(throws: DomainError.self) { try InfusionReadiness.checkReschedule(to: today, reason: "x", ldStartOn: nil, today: today, thawedVial: "CV1") }
    }

    @Test("hand-off: exactly what is handed over is scanned; missing, wrong and twice-scanned ids are named")
    func handOff() throws {
        try HandOff.check(.pick, field: "scannedVialIds", what: "vial", expected: ["A", "B"], scanned: ["B", "A"])
        #expect(throws: DomainError.conflict(field: "scannedVialIds", rule: "pick refused, chain of identity: vial B not scanned")) {
            try HandOff.check(.pick, field: "scannedVialIds", what: "vial", expected: ["A", "B"], scanned: ["A"])
        }
        #expect(throws: DomainError.conflict(field: "scannedDryShipperId", rule: "ship refused, chain of identity: scanned dry shipper DS-9 is not what is handed over (DS-1); dry shipper DS-1 not scanned")) {
            try HandOff.check(.ship, field: "scannedDryShipperId", what: "dry shipper", expected: ["DS-1"], scanned: ["DS-9"])
        }
        #expect(throws: DomainError.self) { try HandOff.check(.receive, field: "scannedVialIds", what: "vial", expected: ["A"], scanned: ["A", "A"]) }
        #expect(throws: DomainError.self) { try HandOff.check(.receive, field: "scannedVialIds", what: "vial", expected: ["A"], scanned: []) }
    }

    @Test("the thaw window closes at thaw + limit; thaw checks the scans, the band, then readiness")
    func thawWindowAndThaw() throws {
        let thawed = Date(timeIntervalSince1970: 0)
        let closes = ThawWindow.closesAt(thawedAt: thawed, limitMinutes: 30)
        #expect(closes == Date(timeIntervalSince1970: 1800))
        #expect(!ThawWindow.hasClosed(closesAt: closes, now: Date(timeIntervalSince1970: 1800)))
        #expect(ThawWindow.hasClosed(closesAt: closes, now: Date(timeIntervalSince1970: 1801)))
        #expect(!ThawWindow.hasClosed(closesAt: nil, now: Date()))
        let ok = ThawFacts(vialId: "V1", status: .received, reservedFor: "ALPHA-103", scannedSubjectId: "ALPHA-103", scannedVialId: "V1",
                           readiness: facts(), blockers: nil)
        try Thaw.check(ok)
        var wrongVial = ok; wrongVial.scannedVialId = "V2"
        #expect { try Thaw.check(wrongVial) } throws: { ($0 as? DomainError)?.description.hasPrefix("scannedVialId: thaw refused") == true }
        var noBand = ok; noBand.scannedSubjectId = ""
        #expect { try Thaw.check(noBand) } throws: { ($0 as? DomainError)?.description.hasPrefix("subjectId: thaw refused") == true }
        var early = ok; early.readiness!.plannedInfusionOn = today.adding(days: 12)
        #expect { try Thaw.check(early) } throws: { ($0 as? DomainError)?.description.contains("infusion is planned for 2026-12-19") == true }
    }
}
