import ArgumentParser
import CryoDomain
import CryoStore
import CryoSupply
import Foundation

struct SupplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "supply", abstract: "Supply forecast and plan (docs/supply.md).", subcommands: [Forecast.self])

    struct Forecast: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Forecast on today's inventory and the studies' stored assumptions; the run is stored with its inputs and seed.",
            discussion: "Pharmacy and manufacturing only. Exit 2 when an option or a stored assumption is invalid.")
        @OptionGroup var options: UserOptions
        @Option(help: "Horizon in months (1–60).") var months: Int = 12
        @Option(help: "Replications (1–1,000,000).") var runs: Int = 2_000
        @Option(help: "Seed: the same seed and inputs give the same results.") var seed: UInt64 = 1

        func run() async throws {
            do { try SupplyForecastRequest.check(months: months, runs: runs) } catch {
                if case .invalid(let field, let rule) = error { throw ValidationError("\(field): \(rule)") }
                throw error
            }
            let (months, runs, seed, format, options) = (months, runs, seed, options.format, options)
            try await Database.withStore { store, logger in
                let actor = try await options.principal(store, logger)
                let inputs = try await store.supplyInputs(months: months, today: .today(), actor: actor, logger: logger)
                let id = try await store.startSupplyForecast(inputs: inputs, runs: runs, seed: seed, actor: actor, logger: logger)
                let result: ForecastResult
                do {
                    result = try SupplyForecast.run(inputs, runs: runs, seed: seed)
                } catch {
                    try await store.finishSupplyForecast(id: id, result: .failure(error), logger: logger)
                    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                    throw ExitCode(2)
                }
                try await store.finishSupplyForecast(id: id, result: .success(result), logger: logger)
                if format == .json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
                    FileHandle.standardOutput.write(try encoder.encode(result))
                    FileHandle.standardOutput.write(Data("\n".utf8))
                } else {
                    print(SupplyText.summary(id: id, inputs: inputs, result))
                }
            }
        }
    }
}

/// The forecast in sentences, for the terminal.
enum SupplyText {
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
