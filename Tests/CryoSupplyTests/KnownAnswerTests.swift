import Foundation
import Testing
@testable import CryoSupply

/// The cases of issue 26 whose answers are known without the simulation.
@Suite struct KnownAnswerTests {
    static let hla = ["A*02:01", "A*24:02", "B*07:02", "B*44:02", "C*07:02", "C*05:01", "DRB1*15:01", "DRB1*04:01", "DQB1*06:02", "DQB1*03:02"]

    static func study(rate: Double, antibodies: [String: Double] = [:], dlt: Double = 0) -> StudyAssumptions {
        StudyAssumptions(id: "S", product: "P", doseLevels: [.init(code: "DL1", targetCells: 50_000_000, dltProbability: dlt)],
                         antibodyShare: antibodies, sites: [.init(site: "X", patientsPerMonth: rate)])
    }

    static func lot(_ id: String, vials: Int, expires: Double, at location: String) -> LotSupply {
        LotSupply(id: id, product: "P", donor: "D1", donorHla: hla, cellsPerVial: 50_000_000, vials: vials, expiresInDays: expires, location: location)
    }

    /// Base stock S with lead time L and Poisson(λ) demand, backorders: an arrival finds a vial on hand exactly when
    /// fewer than S orders are outstanding, and the outstanding orders are Poisson(λL) (Palm's theorem).
    @Test func baseStockServiceLevelIsPoisson() throws {
        let perMonth = 15.0, lead = 4.0, s = 3
        let inputs = SupplyInputs(asOf: "2027-01-01", months: 60, depot: "D", targetHours: 0,
                                  studies: [Self.study(rate: perMonth)],
                                  sites: [.init(id: "X", transitDays: lead)],
                                  lots: [Self.lot("central", vials: 1_000_000, expires: 100_000, at: "D"), Self.lot("onsite", vials: s, expires: 100_000, at: "X")],
                                  policy: .init(mode: .site, parLevels: [.init(site: "X", product: "P", min: s, max: s)]))
        let r = try SupplyForecast.run(inputs, runs: 400, seed: 1)
        let mean = perMonth * 12 / 365.25 * lead
        var expected = 0.0, term = exp(-mean)
        for k in 0..<s { expected += term; term *= mean / Double(k + 1) }
        #expect(r.serviceStandardError > 0)
        #expect(abs(r.serviceLevel - expected) <= 3 * r.serviceStandardError,
                "simulated \(r.serviceLevel) ± \(r.serviceStandardError), Poisson \(expected)")
    }

    @Test func zeroArrivalsExpireEverythingAtItsExpiry() throws {
        let inputs = SupplyInputs(asOf: "2027-01-01", months: 6, depot: "D", studies: [Self.study(rate: 0)],
                                  sites: [.init(id: "X", transitDays: 1)],
                                  lots: [Self.lot("L1", vials: 30, expires: 40, at: "D"), Self.lot("L2", vials: 12, expires: 100, at: "X")],
                                  policy: .init(mode: .both))
        let r = try SupplyForecast.run(inputs, runs: 50, seed: 3)
        #expect(r.patientsPerRun == 0)
        #expect(r.cells.allSatisfy { $0.expectedDoses == 0 })
        #expect(r.expiredVialsPerRun == 42)
        // Day 40 from 2027-01-01 is in February, day 100 in April.
        #expect(r.cells.first { $0.month == "2027-02" && $0.location == "D" }?.expectedExpiredVials == 30)
        #expect(r.cells.first { $0.month == "2027-04" && $0.location == "X" }?.expectedExpiredVials == 12)
        #expect(r.cells.filter { $0.expectedExpiredVials > 0 }.count == 2)
    }

    @Test func everyPatientPositiveToEveryDonorAlleleIsMissedForNoCompatibleDonor() throws {
        let all = Dictionary(uniqueKeysWithValues: Self.hla.map { ($0, 1.0) })
        let inputs = SupplyInputs(asOf: "2027-01-01", months: 6, depot: "D", studies: [Self.study(rate: 4, antibodies: all)],
                                  sites: [.init(id: "X", transitDays: 1)],
                                  lots: [Self.lot("L1", vials: 300, expires: 400, at: "D")], policy: .init(mode: .both))
        let r = try SupplyForecast.run(inputs, runs: 100, seed: 5)
        #expect(r.patientsPerRun > 10)
        #expect(r.serviceLevel == 0)
        #expect(r.misses(.noCompatibleDonor) == r.patientsPerRun)
        #expect(r.misses.filter { $0.cause != MissCause.noCompatibleDonor.sentence }.allSatisfy { $0.perRun == 0 })
    }

    @Test func sameSeedSameResultsWhateverTheThreads() throws {
        let inputs = ScaledDemo.inputs(sites: 6, cohorts: 6, months: 6)
        let a = try SupplyForecast.run(inputs, runs: 60, seed: 11)
        let b = try SupplyForecast.run(inputs, runs: 60, seed: 11, workers: 1)
        let c = try SupplyForecast.run(inputs, runs: 60, seed: 12)
        #expect(a == b)
        let json = JSONEncoder()
        json.outputFormatting = .sortedKeys
        #expect(try json.encode(a) == json.encode(b))
        #expect(a != c)
    }
}
