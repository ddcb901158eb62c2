import Foundation
import Testing
@testable import CryoSupply

/// How sites keep their par stock: replaced before it expires, filled with the lots the most patients can take.
@Suite struct SiteStockTests {
    static let otherHla = ["A*11:01", "A*02:05", "B*51:01", "B*15:01", "C*03:04", "C*16:01", "DRB1*11:01", "DRB1*13:01", "DQB1*03:01", "DQB1*06:03"]

    static func inputs(lots: [LotSupply], antibodies: [String: Double] = [:], activation: Double = 0) -> SupplyInputs {
        let study = StudyAssumptions(id: "S", product: "P", doseLevels: [.init(code: "DL1", targetCells: 50_000_000, dltProbability: 0)],
                                     antibodyShare: antibodies, sites: [.init(site: "X", patientsPerMonth: 2, activationDay: activation)])
        return SupplyInputs(asOf: "2027-01-01", months: 4, depot: "D", targetHours: 0, studies: [study],
                            sites: [.init(id: "X", transitDays: 4)], lots: lots,
                            policy: .init(mode: .site, parLevels: [.init(site: "X", product: "P", min: 5, max: 5)]))
    }

    static func lot(_ id: String, hla: [String] = KnownAnswerTests.hla, vials: Int, expires: Double, at location: String) -> LotSupply {
        LotSupply(id: id, product: "P", donor: id, donorHla: hla, cellsPerVial: 50_000_000, vials: vials, expiresInDays: expires, location: location)
    }

    /// The site's first stock expires on day 30; the replacement is ordered when it could still arrive in time (day 26),
    /// so no patient finds the site empty. Reviewing only when a patient comes missed the first patient after day 30.
    @Test func stockIsReplacedBeforeItExpires() throws {
        let x = Self.inputs(lots: [Self.lot("onsite", vials: 5, expires: 30, at: "X"), Self.lot("central", vials: 10_000, expires: 10_000, at: "D")])
        let r = try SupplyForecast.run(x, runs: 200, seed: 21)
        #expect(r.patientsPerRun > 5)
        #expect(r.serviceLevel == 1, "service \(r.serviceLevel); misses \(r.misses)")
        #expect(r.cells.first { $0.location == "X" && $0.month == "2027-01" }?.expectedExpiredVials ?? 0 > 0)
    }

    /// Every patient carries an antibody against A*02:01. The depot's first-expiring lot carries it; another does not.
    /// The site is filled from the lot the patients can take, so all are dosed at once.
    @Test func siteStockComesFromTheLotsMostPatientsCanTake() throws {
        let x = Self.inputs(lots: [Self.lot("first-expiring", vials: 500, expires: 200, at: "D"),
                                   Self.lot("compatible", hla: Self.otherHla, vials: 500, expires: 400, at: "D")],
                            antibodies: ["A*02:01": 1], activation: 10)
        let r = try SupplyForecast.run(x, runs: 200, seed: 22)
        #expect(r.patientsPerRun > 5)
        #expect(r.serviceLevel == 1, "service \(r.serviceLevel); misses \(r.misses)")
    }
}

/// The plan search on a small scaled demo: it must beat the baseline out of sample, keep site stock only where the
/// depot cannot reach in time, and give the same plan for the same seed.
@Suite struct PlannerTests {
    @Test func theRecommendationBeatsTheBaselineOutOfSampleAndIsReproducible() throws {
        let x = ScaledDemo.inputs(sites: 8, cohorts: 4, months: 6)
        let options = PlanOptions(searchRuns: 60, validationRuns: 200, seed: 3, donors: ScaledDemo.donors, campaignTemplates: ScaledDemo.templates)
        let plan = try SupplyPlanner.recommend(x, options: options)
        #expect(plan.recommended.serviceLevel > plan.baseline.serviceLevel + 2 * plan.baseline.serviceStandardError)
        #expect(plan.recommended.seed != options.seed, "judged on seeds the search never saw")
        let slow = Set(x.sites.filter { $0.transitDays * 24 > x.targetHours }.map(\.id))
        #expect(plan.parLevels.allSatisfy { slow.contains($0.site) })
        #expect(plan.meetsTarget == (plan.recommended.serviceLevel >= x.serviceTarget))
        #expect(Set(plan.donorEffects.map(\.product)) == Set(plan.campaigns.map(\.product)), "a donor effect only for products the plan makes")
        #expect(try SupplyPlanner.recommend(x, options: options) == plan)
    }
}
