import AllocationOptimizer
import Testing

@Suite("Rule 6: vial count")
struct VialCountTests {
    @Test("both ends of the dose window are inclusive")
    func windowEdgesInclusive() {
        // Window for target 100 at ±20 %: [80, 120] cells.
        #expect(AllocationRules.vialCount(targetCells: 100, cellsPerVial: 80, tolerancePct: 20) == 1)
        #expect(AllocationRules.vialCount(targetCells: 100, cellsPerVial: 120, tolerancePct: 20) == 1)
        #expect(AllocationRules.vialCount(targetCells: 100, cellsPerVial: 79, tolerancePct: 20) == nil)  // 79 < 80, 158 > 120
        #expect(AllocationRules.vialCount(targetCells: 100, cellsPerVial: 121, tolerancePct: 20) == nil)
        // 3 vials of 40 = 120, exactly the upper edge, against 2 vials = 80, exactly the lower edge.
        #expect(AllocationRules.vialCount(targetCells: 100, cellsPerVial: 40, tolerancePct: 20) == 2)
    }

    @Test("a tie in |k*c - target| goes to the smaller count")
    func tieGoesToSmallerCount() {
        #expect(AllocationRules.vialCount(targetCells: 100, cellsPerVial: 40, tolerancePct: 20) == 2)  // 80 vs 120
        #expect(AllocationRules.vialCount(targetCells: 150, cellsPerVial: 100, tolerancePct: 50) == 1)  // 100 vs 200
        #expect(AllocationRules.vialCount(targetCells: 150, cellsPerVial: 60, tolerancePct: 20) == 2)  // 120 vs 180
    }

    @Test("the count nearest the target wins")
    func nearestWins() {
        #expect(AllocationRules.vialCount(targetCells: 120_000_000, cellsPerVial: 40_000_000, tolerancePct: 20) == 3)
        #expect(AllocationRules.vialCount(targetCells: 360_000_000, cellsPerVial: 83_000_000, tolerancePct: 20) == 4)
        #expect(AllocationRules.vialCount(targetCells: 100, cellsPerVial: 30, tolerancePct: 20) == 3)  // 90 beats 120
    }

    @Test("no count fits: tolerance 0 needs an exact multiple")
    func noFittingCount() {
        #expect(AllocationRules.vialCount(targetCells: 100, cellsPerVial: 50, tolerancePct: 0) == 2)
        #expect(AllocationRules.vialCount(targetCells: 100, cellsPerVial: 30, tolerancePct: 0) == nil)
        #expect(AllocationRules.vialCount(targetCells: 100, cellsPerVial: 300, tolerancePct: 20) == nil)
    }

    @Test("large counts do not overflow")
    func largeValues() {
        #expect(AllocationRules.vialCount(targetCells: 1_000_000_000_000, cellsPerVial: 1, tolerancePct: 20) == 1_000_000_000_000)
        #expect(AllocationRules.vialCount(targetCells: Int.max / 2, cellsPerVial: 3, tolerancePct: 100) != nil)
    }

    @Test("agrees with a scan over every k on 20,000 random cases")
    func agreesWithScan() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<20_000 {
            let target = Int(rng.next() % 1000) + 1, perVial = Int(rng.next() % 400) + 1, tol = Int(rng.next() % 60)
            var best: (k: Int, gap: Int)? = nil
            for k in 1...(3 * target / perVial + 2) where (100 - tol) * target <= 100 * k * perVial && 100 * k * perVial <= (100 + tol) * target {
                let gap = abs(k * perVial - target)
                if best == nil || gap < best!.gap { best = (k, gap) }
            }
            #expect(AllocationRules.vialCount(targetCells: target, cellsPerVial: perVial, tolerancePct: tol) == best?.k,
                    "target \(target), per vial \(perVial), tolerance \(tol)")
        }
    }
}

@Suite("Rule 4: donor-specific antibodies")
struct AntibodyTests {
    @Test("an antigen-level antibody matches every allele of that antigen")
    func antigenLevel() {
        #expect(AllocationRules.antibodyMatches("A*02", allele: "A*02:01"))
        #expect(AllocationRules.antibodyMatches("A*02", allele: "A*02:05"))
        #expect(AllocationRules.antibodyMatches("A*02", allele: "A*02"))
        #expect(!AllocationRules.antibodyMatches("A*02", allele: "A*024:01"))  // a different antigen, not a field
        #expect(!AllocationRules.antibodyMatches("A*02", allele: "A*03:01"))
        #expect(!AllocationRules.antibodyMatches("A*2", allele: "A*24:02"))
    }

    @Test("an allele-level antibody matches only that allele (and its longer fields)")
    func alleleLevel() {
        #expect(AllocationRules.antibodyMatches("A*02:01", allele: "A*02:01"))
        #expect(!AllocationRules.antibodyMatches("A*02:01", allele: "A*02:05"))
        #expect(!AllocationRules.antibodyMatches("A*02:01", allele: "A*02"))
        #expect(!AllocationRules.antibodyMatches("A*02:01", allele: "A*02:011"))
        #expect(AllocationRules.antibodyMatches("A*02:01", allele: "A*02:01:02"))
    }

    @Test("whyNot names the antibody and the allele")
    func whyNotNamesHit() {
        let rules = Fixture.rules()
        let lot = Fixture.lot("L1", hla: ["A*01:01", "A*02:01", "B*44:02"])
        #expect(rules.whyNot(Fixture.demand("d", anti: ["A*02"]), lot) == .donorSpecificAntibody(antibody: "A*02", allele: "A*02:01"))
        #expect(rules.whyNot(Fixture.demand("d", anti: ["B*44:03"]), lot) == nil)
        #expect(rules.whyNot(Fixture.demand("d", anti: ["B*44:02"]), lot) == .donorSpecificAntibody(antibody: "B*44:02", allele: "B*44:02"))
        #expect(AllocationRules.antibodyHits(antiHla: ["A*02", "B*44"], donorHla: lot.donorHla).count == 2)
    }
}

@Suite("Rules 1, 2, 3 and 5")
struct EligibilityTests {
    @Test("expiry must reach the infusion date plus the margin")
    func expiryMargin() {
        let rules = Fixture.rules(margin: 1)
        let d = Fixture.demand("d", infusion: "2026-06-10")
        #expect(rules.whyNot(d, Fixture.lot("L", expiry: "2026-06-11")) == nil)
        #expect(rules.whyNot(d, Fixture.lot("L", expiry: "2026-06-10"))
                == .expiresTooEarly(expiry: Fixture.day("2026-06-10"), latestAllowed: Fixture.day("2026-06-11")))
        let noMargin = Fixture.rules(margin: 0)
        #expect(noMargin.whyNot(d, Fixture.lot("L", expiry: "2026-06-10")) == nil)
        #expect(noMargin.whyNot(d, Fixture.lot("L", expiry: "2026-06-09")) != nil)
    }

    @Test("a route must exist and arrive by the infusion date; the fastest duplicate route counts")
    func routesAndArrival() {
        let rules = Fixture.rules(routes: [Route(from: "D", to: "S", days: 5), Route(from: "D", to: "S", days: 2)])
        #expect(rules.routeDays(from: "D", to: "S") == 2)
        // asOf 2026-06-01 + 2 days = 2026-06-03.
        #expect(rules.whyNot(Fixture.demand("d", infusion: "2026-06-03"), Fixture.lot("L")) == nil)
        #expect(rules.whyNot(Fixture.demand("d", infusion: "2026-06-02"), Fixture.lot("L"))
                == .arrivesTooLate(arrival: Fixture.day("2026-06-03"), infusionDate: Fixture.day("2026-06-02")))
        #expect(rules.whyNot(Fixture.demand("d", site: "S2"), Fixture.lot("L")) == .noRoute(depot: "D", site: "S2"))
        #expect(rules.whyNot(Fixture.demand("d"), Fixture.lot("L", depot: "E")) == .noRoute(depot: "E", site: "S"))
    }

    @Test("rules are checked in FORMAT.md order: status, product, expiry, route, antibodies, exclusion, dose")
    func order() {
        let rules = Fixture.rules()
        let d = Fixture.demand("d", product: "P", anti: ["A*01"], excluded: ["L"])
        #expect(rules.whyNot(d, Fixture.lot("L", product: "Q", status: "quarantine")) == .notReleased(status: "quarantine"))
        #expect(rules.whyNot(d, Fixture.lot("L", product: "Q", expiry: "2026-06-01")) == .otherProduct("Q"))
        #expect(rules.whyNot(d, Fixture.lot("L", expiry: "2026-06-01", depot: "E")).map(\.rule) == 2)
        #expect(rules.whyNot(d, Fixture.lot("L", depot: "E", hla: ["A*01:01"])).map(\.rule) == 3)
        #expect(rules.whyNot(d, Fixture.lot("L", cellsPerVial: 130, hla: ["A*01:01"])).map(\.rule) == 4)
        #expect(rules.whyNot(d, Fixture.lot("L", cellsPerVial: 130)) == .excludedForDemand)
        #expect(rules.whyNot(Fixture.demand("d"), Fixture.lot("L", cellsPerVial: 130)) == .noVialCount(cellsPerVial: 130))
    }

    @Test("a lot with fewer vials than one dose cannot be used, though rules 1–6 allow it")
    func tooFewVials() {
        let rules = Fixture.rules()
        let lot = Fixture.lot("L", cellsPerVial: 25, vials: 3)  // dose = 4 vials
        #expect(rules.whyNot(Fixture.demand("d"), lot) == nil)
        #expect(rules.whyNotUsable(Fixture.demand("d"), lot) == .tooFewVials(needed: 4, available: 3))
        let result = AllocationSolver.solve(Fixture.instance(lots: [lot], demands: [Fixture.demand("d")]), options: SolveOptions())
        #expect(result.assignments.isEmpty)
        #expect(result.unassigned.first?.reason.contains("fewer than the 4 vials") == true)
    }

    @Test("the dose of an allowed pair carries its vials, slack and overage")
    func dose() {
        let rules = Fixture.rules()
        let dose = rules.dose(Fixture.demand("d", target: 100, infusion: "2026-06-10"), Fixture.lot("L", expiry: "2026-06-20", cellsPerVial: 30))
        #expect(dose == Dose(vials: 3, slackDays: 10, overageCells: 10))
    }
}

@Suite("Days")
struct DayTests {
    @Test("parses and prints ISO days, counts whole days across months and leap years")
    func isoDays() {
        #expect(Day(iso: "2024-02-29")!.description == "2024-02-29")
        #expect(Day(iso: "2023-02-29") == nil)
        #expect(Day(iso: "2026-6-01") == nil)
        #expect(Day(iso: "2026-13-01") == nil)
        #expect(Day(iso: "2024-03-01")! - Day(iso: "2024-02-28")! == 2)
        #expect(Day(iso: "2027-01-01")! - Day(iso: "2026-01-01")! == 365)
        #expect((Day(iso: "2026-12-31")! + 1).description == "2027-01-01")
    }
}

/// A small seeded generator, so that random tests are the same on every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
