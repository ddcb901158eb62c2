import Testing
@testable import CryoSupply

@Suite struct ModelTests {
    @Test func badInputNamesTheFieldAndTheRule() {
        var x = ScaledDemo.inputs(sites: 2)
        x.studies[0].screenFailure = 1.5
        #expect(throws: SupplyInputError(field: "studies[0].screenFailure", rule: "must be a share from 0 to 1")) {
            try SupplyForecast.run(x, runs: 10, seed: 1)
        }
        var y = ScaledDemo.inputs(sites: 2)
        y.lots[0].location = "nowhere"
        #expect(throws: SupplyInputError(field: "lots[0].location", rule: "must be the depot or one of the sites")) {
            try SupplyForecast.run(y, runs: 10, seed: 1)
        }
    }

    @Test func poissonAndGammaSamplersHaveTheirMeans() {
        var g = SupplyRandom(seed: 9)
        let n = 20_000
        var sum = 0.0, sumBig = 0.0, sumGamma = 0.0
        for _ in 0..<n { sum += Double(g.poisson(mean: 3.5)); sumBig += Double(g.poisson(mean: 40)); sumGamma += g.gamma(shape: 0.7, scale: 2) }
        #expect(abs(sum / Double(n) - 3.5) < 0.05)
        #expect(abs(sumBig / Double(n) - 40) < 0.3)
        #expect(abs(sumGamma / Double(n) - 1.4) < 0.05)
    }

    /// A DLT at every dose: the 3+3 engine stops the study after the first cohort, so no later patient is cleared.
    @Test func theDosePathStopsWhenEveryPatientHasADlt() throws {
        var x = ScaledDemo.inputs(sites: 4, months: 12)
        for i in x.studies.indices { for j in x.studies[i].doseLevels.indices { x.studies[i].doseLevels[j].dltProbability = 1 } }
        x.studies[0].antibodyShare = [:]; x.studies[1].antibodyShare = [:]
        let stopped = try SupplyForecast.run(x, runs: 40, seed: 2)
        var y = x
        for i in y.studies.indices { for j in y.studies[i].doseLevels.indices { y.studies[i].doseLevels[j].dltProbability = 0 } }
        let open = try SupplyForecast.run(y, runs: 40, seed: 2)
        // Two DLTs at the lowest dose close a study: at most 2 dosed (plus those cleared while they waited) per study.
        #expect(stopped.patientsPerRun < 8)
        #expect(open.patientsPerRun > stopped.patientsPerRun * 2)
    }
}
