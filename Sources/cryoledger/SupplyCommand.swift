import ArgumentParser
import CryoDomain
import CryoStore
import CryoSupply
import Foundation

struct SupplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "supply", abstract: "Supply forecast and plan (docs/supply.md).", subcommands: [Forecast.self, AssumeStudy.self, AssumeSite.self, AssumeProduct.self])

    struct Forecast: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Forecast on today's inventory and the studies' stored assumptions; the run is stored with its inputs and seed.",
            discussion: "Pharmacy and manufacturing only. Exit 2 when an option or a stored assumption is invalid.")
        @OptionGroup var options: UserOptions
        @Option(help: "Horizon in months (1–60).") var months: Int = 12
        @Option(help: "Replications (1–1,000,000).") var runs: Int = 2_000
        @Option(help: "Seed: the same seed and inputs give the same results.") var seed: UInt64 = 1
        @Flag(help: "Also recommend campaigns and site par levels, judged out of sample against a baseline.") var plan = false

        func run() async throws {
            do { try SupplyForecastRequest.check(months: months, runs: runs) } catch {
                if case .invalid(let field, let rule) = error { throw ValidationError("\(field): \(rule)") }
                throw error
            }
            let (months, runs, seed, format, options, plan) = (months, runs, seed, options.format, options, plan)
            try await Database.withStore { store, logger in
                let actor = try await options.principal(store, logger)
                let inputs = try await store.supplyInputs(months: months, today: .today(), actor: actor, logger: logger)
                let planOptions = plan ? try await store.supplyPlanOptions(for: inputs, seed: seed, runs: runs, actor: actor, logger: logger) : nil
                let id = try await store.startSupplyForecast(inputs: inputs, runs: runs, seed: seed, planOptions: planOptions, actor: actor, logger: logger)
                let result: ForecastResult, recommendation: PlanRecommendation?
                do {
                    result = try SupplyForecast.run(inputs, runs: runs, seed: seed)
                    recommendation = try planOptions.map { try SupplyPlanner.recommend(inputs, options: $0) }
                } catch {
                    try await store.finishSupplyForecast(id: id, result: .failure(error), logger: logger)
                    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                    throw ExitCode(2)
                }
                try await store.finishSupplyForecast(id: id, result: .success((result, recommendation)), logger: logger)
                if format == .json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
                    FileHandle.standardOutput.write(try encoder.encode(ForecastOutput(forecast: result, recommendation: recommendation)))
                    FileHandle.standardOutput.write(Data("\n".utf8))
                } else {
                    print(SupplyText.summary(id: id, inputs: inputs, result))
                    if let recommendation { print(SupplyText.plan(recommendation)) }
                }
            }
        }
    }
}

extension SupplyCommand {
    struct AssumeStudy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "assume-study",
            abstract: "Store a study's planning assumptions (pharmacy, manufacturing); options left out keep their value.")
        @OptionGroup var options: UserOptions
        @Option(help: "The study's code.") var study: String
        @Option(help: "DLT probability per dose level, lowest first, comma-separated (e.g. 0.05,0.1,0.2).") var dlt: String?
        @Option(help: "Share of screened patients never cleared (0–1).") var screenFailure: Double?
        @Option(help: "Gamma shape of the arrival rate's uncertainty (above 0).") var rateShape: Double?
        @Option(help: "Cohorts before escalation ends (1–50).") var maxCohorts: Int?
        @Option(help: "Days from manufacture to release by QC (0–365).") var qcLeadDays: Int?
        func run() async throws {
            let dlt = try dlt.map { text in
                try text.split(separator: ",").map { part in
                    guard let v = Double(part.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("dlt: '\(part)' is not a number") }
                    return v
                }
            }
            let a = StudySupplyAssumption(dltProbabilities: dlt, screenFailure: screenFailure, rateShape: rateShape, maxCohorts: maxCohorts, qcLeadDays: qcLeadDays)
            let study = study
            try await actAsCaller(options.auth, done: "assumptions of \(study) stored") { store, actor, logger in
                try await store.setStudySupplyAssumption(study: study, a, actor: actor, logger: logger)
            }
        }
    }

    struct AssumeSite: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "assume-site",
            abstract: "Store the expected arrivals at one study site (pharmacy, manufacturing).")
        @OptionGroup var options: UserOptions
        @Option(help: "The study's code.") var study: String
        @Option(help: "The site's code.") var site: String
        @Option(help: "Cleared patients expected per month (0 or more).") var patientsPerMonth: Double
        @Option(help: "The day the site starts enrolling, YYYY-MM-DD (default: now).") var activation: String?
        func run() async throws {
            let (study, site, rate, activation) = (study, site, patientsPerMonth, activation)
            try await actAsCaller(options.auth, done: "arrivals at \(study)/\(site) stored") { store, actor, logger in
                let activationOn = try activation.map { try CalendarDay(parsing: $0, field: "activation") }
                try await store.setSiteSupplyAssumption(study: study, site: site, .init(patientsPerMonth: rate, activationOn: activationOn), actor: actor, logger: logger)
            }
        }
    }

    struct AssumeProduct: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "assume-product",
            abstract: "Store a product's campaign template for the plan (pharmacy, manufacturing); options left out keep their value.")
        @OptionGroup var options: UserOptions
        @Option(help: "The product's code.") var product: String
        @Option(help: "Days from a campaign's start to its lots' release (1–730).") var campaignLeadDays: Int?
        @Option(help: "Lots per campaign step (1–50).") var lotsPerCampaign: Int?
        @Option(help: "Vials per lot (1–1,000; default: the median of the product's lots).") var vialsPerLot: Int?
        func run() async throws {
            let a = ProductSupplyAssumption(campaignLeadDays: campaignLeadDays, lotsPerCampaign: lotsPerCampaign, vialsPerLot: vialsPerLot)
            let product = product
            try await actAsCaller(options.auth, done: "campaign template of \(product) stored") { store, actor, logger in
                try await store.setProductSupplyAssumption(product: product, a, actor: actor, logger: logger)
            }
        }
    }
}

/// `--output json`: the forecast, and the plan when one was asked for.
struct ForecastOutput: Encodable {
    var forecast: ForecastResult
    var recommendation: PlanRecommendation?
}

/// The forecast in sentences, for the terminal.
enum SupplyText {
    static func plan(_ r: PlanRecommendation) -> String {
        func pct(_ v: Double) -> String { String(format: "%.1f %%", v * 100) }
        func figures(_ f: PlanFigures) -> String {
            "\(pct(f.serviceLevel)) ± \(pct(f.serviceStandardError)) on time, " + String(format: "%.1f vials expiring, %.1f shipments per run", f.expiredVialsPerRun, f.shipmentsPerRun)
        }
        var lines = ["recommended plan (\(r.evaluations) plans compared): " + (r.meetsTarget ? "meets" : "does NOT meet") + " the target of \(pct(r.serviceTarget))"]
        lines += r.campaigns.map { "  campaign: \($0.lots) lots of \($0.product) from \($0.donor), start day \(Int($0.startDay)), released day \(Int($0.startDay + $0.leadDays))" }
        lines += r.parLevels.map { "  par: \($0.site) \($0.product) reorder below \($0.min), fill up to \($0.max) vials" }
        lines += Array(Set(r.donorEffects.map { "  " + $0.sentence })).sorted()
        lines.append("  out of sample, recommended: " + figures(r.recommended))
        lines.append("  out of sample, baseline:    " + figures(r.baseline) + "; baseline: \(r.baselineDescription)")
        return lines.joined(separator: "\n")
    }

    static func summary(id: Int64, inputs: SupplyInputs, _ r: ForecastResult) -> String {
        var lines = [
            "forecast \(id): \(r.runs) replications of \(r.months.count) months from \(inputs.asOf) (seed \(r.seed)), depot \(inputs.depot), \(r.sites.count) sites",
            String(format: "service level (dosed within %.0f h of clearance): %.1f %% ± %.1f %% (standard error)", inputs.targetHours, r.serviceLevel * 100, r.serviceStandardError * 100),
            String(format: "per run: %.1f patients, %.1f vials expiring unused, %.1f shipments", r.patientsPerRun, r.expiredVialsPerRun, r.shipmentsPerRun),
            "misses per run: " + r.misses.filter { $0.perRun > 0 }.map { String(format: "%@ %.1f", $0.cause, $0.perRun) }.joined(separator: ", "),
            "month     location  product   stock-out  expiring  doses",
        ]
        for c in r.cells where c.stockoutProbability > 0 || c.expectedExpiredVials > 0 || c.expectedDoses > 0 {
            lines.append(String(format: "%@  %@ %@ %8.0f %% %9.1f %6.1f", c.month, c.location.padding(toLength: 9, withPad: " ", startingAt: 0),
                                c.product.padding(toLength: 9, withPad: " ", startingAt: 0), c.stockoutProbability * 100, c.expectedExpiredVials, c.expectedDoses))
        }
        return lines.joined(separator: "\n")
    }
}
