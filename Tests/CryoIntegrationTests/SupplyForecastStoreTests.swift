import CryoDomain
import CryoStore
import CryoSupply
import Foundation
import Testing

/// The forecast's inputs come from today's inventory and patients; a run is stored with its inputs and seed.
@Suite struct SupplyForecastStoreTests {
    @Test func inputsFromTheDatabaseAndARunStoredToBeReproduced() async throws {
        try await withFixture { f in
            try await f.clinical(lots: [("LOT-A1", 12)])
            try await f.enrol("RES-001", antiHla: ["B*44"])
            try await f.enrol("RES-002")
            let pharmacy = f.user(.pharmacy)
            let inputs = try await f.store.supplyInputs(months: 3, today: .today(offset: 0), actor: pharmacy, logger: Fixture.logger)
            #expect(inputs.depot == "SSF")
            #expect(inputs.sites == [SiteSupply(id: "S01", transitDays: 2, dryShipperHoldDays: 10, capacityVials: nil)])
            #expect(inputs.lots.map(\.id) == ["LOT-A1"])
            #expect(inputs.lots.first?.vials == 12 && inputs.lots.first?.location == "SSF" && inputs.lots.first?.releaseInDays == 0)
            #expect(inputs.lots.first?.donorHla.contains("A*02:01") == true)
            #expect(inputs.studies.first?.antibodyShare == ["B*44": 0.5])
            #expect(inputs.studies.first?.doseLevels.map(\.targetCells) == [40_000_000, 120_000_000])

            await #expect(throws: DomainError.self) {
                _ = try await f.store.supplyInputs(months: 3, today: .today(offset: 0), actor: f.user(.clinical), logger: Fixture.logger)
            }

            let id = try await f.store.startSupplyForecast(inputs: inputs, runs: 50, seed: 9, actor: pharmacy, logger: Fixture.logger)
            let running = try await f.store.supplyForecast(id: id, actor: f.user(.auditor), logger: Fixture.logger)
            #expect(running.status == "running" && running.results == nil)
            let result = try SupplyForecast.run(running.inputs, runs: running.runs, seed: running.seed)
            try await f.store.finishSupplyForecast(id: id, result: .success((result, nil)), logger: Fixture.logger)
            let done = try await f.store.supplyForecast(id: id, actor: f.user(.auditor), logger: Fixture.logger)
            #expect(done.status == "done" && done.completed == 50 && done.seed == 9 && done.inputs == inputs)
            // Reproduced from what was stored.
            #expect(try SupplyForecast.run(done.inputs, runs: done.runs, seed: done.seed) == done.results)
            #expect(done.planOptions == nil && done.recommendation == nil)
        }
    }

    @Test func planOptionsFromTheDatabaseAndARecommendationStoredToBeReproduced() async throws {
        try await withFixture { f in
            try await f.clinical(lots: [("LOT-A1", 12)])
            try await f.enrol("RES-001", antiHla: ["A*02:01"])
            let manufacturing = f.user(.manufacturing)
            let inputs = try await f.store.supplyInputs(months: 3, today: .today(offset: 0), actor: manufacturing, logger: Fixture.logger)
            let options = try await f.store.supplyPlanOptions(for: inputs, seed: 4, runs: 40, actor: manufacturing, logger: Fixture.logger)
            #expect(options.searchRuns == 20 && options.validationRuns == 40 && options.seed == 4)
            #expect(!options.donors.isEmpty && options.donors.allSatisfy { !$0.hla.isEmpty }, "eligible donors with their typing")
            let template = try #require(options.campaignTemplates.first)
            #expect(options.campaignTemplates.map(\.product) == inputs.studies.map(\.product))
            #expect(template.leadDays == 60 && template.lots == 2 && template.vialsPerLot == 12 && template.cellsPerVial == inputs.lots[0].cellsPerVial)
            await #expect(throws: DomainError.self) {
                _ = try await f.store.supplyPlanOptions(for: inputs, seed: 4, runs: 40, actor: f.user(.auditor), logger: Fixture.logger)
            }

            let id = try await f.store.startSupplyForecast(inputs: inputs, runs: 40, seed: 4, planOptions: options, actor: manufacturing, logger: Fixture.logger)
            // A planned run cannot be finished without its plan (supply_forecast_plan_complete).
            let result = try SupplyForecast.run(inputs, runs: 40, seed: 4)
            await #expect(throws: (any Error).self) {
                try await f.store.finishSupplyForecast(id: id, result: .success((result, nil)), logger: Fixture.logger)
            }
            let plan = try SupplyPlanner.recommend(inputs, options: options)
            try await f.store.finishSupplyForecast(id: id, result: .success((result, plan)), logger: Fixture.logger)
            let done = try await f.store.supplyForecast(id: id, actor: f.user(.auditor), logger: Fixture.logger)
            #expect(done.planOptions == options && done.recommendation == plan)
            #expect(try SupplyPlanner.recommend(done.inputs, options: try #require(done.planOptions)) == done.recommendation)
        }
    }

    @Test func storedAssumptionsFeedTheForecastAndAreCheckedFirst() async throws {
        try await withFixture { f in
            try await f.clinical(lots: [("LOT-A1", 12)])
            let pharmacy = f.user(.pharmacy)
            let inputs = try await f.store.supplyInputs(months: 3, today: .today(offset: 0), actor: pharmacy, logger: Fixture.logger)
            let study = try #require(inputs.studies.first)
            let site = try #require(study.sites.first)
            try await f.store.setStudySupplyAssumption(study: study.id, .init(dltProbabilities: [0.05, 0.3], screenFailure: 0.4, maxCohorts: 3),
                                                       actor: pharmacy, logger: Fixture.logger)
            try await f.store.setStudySupplyAssumption(study: study.id, .init(qcLeadDays: 10), actor: f.user(.manufacturing), logger: Fixture.logger)
            try await f.store.setSiteSupplyAssumption(study: study.id, site: site.site, .init(patientsPerMonth: 2.5), actor: pharmacy, logger: Fixture.logger)
            try await f.store.setProductSupplyAssumption(product: study.product, .init(campaignLeadDays: 45, vialsPerLot: 30), actor: pharmacy, logger: Fixture.logger)
            let after = try await f.store.supplyInputs(months: 3, today: .today(offset: 0), actor: pharmacy, logger: Fixture.logger)
            let s = try #require(after.studies.first)
            #expect(s.doseLevels.map(\.dltProbability) == [0.05, 0.3] && s.screenFailure == 0.4 && s.maxCohorts == 3, "a later partial update keeps the rest")
            #expect(s.sites.first?.patientsPerMonth == 2.5)
            let options = try await f.store.supplyPlanOptions(for: after, seed: 1, runs: 20, actor: pharmacy, logger: Fixture.logger)
            #expect(options.campaignTemplates.first?.leadDays == 45 && options.campaignTemplates.first?.vialsPerLot == 30 && options.campaignTemplates.first?.lots == 2)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action IN ('supply.assumption-set', 'supply.site-assumption-set')") == 4)

            await #expect(throws: DomainError.invalid(field: "dltProbabilities", rule: "give one probability per dose level (2), lowest level first")) {
                try await f.store.setStudySupplyAssumption(study: study.id, .init(dltProbabilities: [0.1]), actor: pharmacy, logger: Fixture.logger)
            }
            await #expect(throws: DomainError.notFound(kind: "study", id: "NOPE")) {
                try await f.store.setStudySupplyAssumption(study: "NOPE", .init(screenFailure: 0.1), actor: pharmacy, logger: Fixture.logger)
            }
            await #expect(throws: DomainError.self) {
                try await f.store.setSiteSupplyAssumption(study: study.id, site: site.site, .init(patientsPerMonth: -1), actor: pharmacy, logger: Fixture.logger)
            }
            await #expect(throws: DomainError.self) {
                try await f.store.setProductSupplyAssumption(product: study.product, .init(lotsPerCampaign: 0), actor: pharmacy, logger: Fixture.logger)
            }
            await #expect(throws: DomainError.self) {
                try await f.store.setStudySupplyAssumption(study: study.id, .init(screenFailure: 0.1), actor: f.user(.clinical), logger: Fixture.logger)
            }
        }
    }
}
