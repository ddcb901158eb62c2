import CryoDomain
import CryoStore
import CryoSupply
import Dispatch
import Logging

/// Runs stored forecasts in the background of the server, one at a time on their own queue (the replications of
/// that one run use both cores), so forecasts never occupy the threads that answer requests.
/// Progress is written every hundred replications; the result or the failure ends the run.
final class SupplyForecastRunner: Sendable {
    private let queue = DispatchQueue(label: "cryoledger.supply-forecast", qos: .utility)

    /// Checks the request, reads today's inputs (and, when a plan is asked for, the plan's options), stores the run
    /// and starts it: the one path of the API and the console.
    func begin(months: Int, runs: Int, seed: Int64?, plan: Bool, store: Store, actor: Principal, logger: Logger) async throws -> (id: Int64, inputs: SupplyInputs, seed: UInt64) {
        try SupplyForecastRequest.check(months: months, runs: runs)
        if let seed { try SupplyForecastRequest.check(seed: seed) }
        let seed = seed.map { UInt64($0) } ?? UInt64.random(in: 0...UInt64(Int64.max))
        let inputs = try await store.supplyInputs(months: months, today: .today(), actor: actor, logger: logger)
        do { try SupplyForecast.validate(inputs) } catch { throw DomainError.invalid(field: error.field, rule: error.rule) }
        let options = plan ? try await store.supplyPlanOptions(for: inputs, seed: seed, runs: runs, actor: actor, logger: logger) : nil
        let id = try await store.startSupplyForecast(inputs: inputs, runs: runs, seed: seed, planOptions: options, actor: actor, logger: logger)
        start(id: id, inputs: inputs, runs: runs, seed: seed, planOptions: options, store: store, logger: logger)
        return (id, inputs, seed)
    }

    func start(id: Int64, inputs: SupplyInputs, runs: Int, seed: UInt64, planOptions: PlanOptions?, store: Store, logger: Logger) {
        queue.async {
            let result: Result<(ForecastResult, PlanRecommendation?), any Error>
            do {
                let forecast = try SupplyForecast.run(inputs, runs: runs, seed: seed) { done in
                    Task { try? await store.recordSupplyProgress(id: id, completed: done, logger: logger) }
                }
                result = .success((forecast, try planOptions.map { try SupplyPlanner.recommend(inputs, options: $0) }))
            } catch {
                result = .failure(error)
            }
            let finished = DispatchSemaphore(value: 0)
            Task {
                do { try await store.finishSupplyForecast(id: id, result: result, logger: logger) } catch {
                    logger.error("supply forecast could not be stored", metadata: ["forecast": "\(id)", "error": "\(String(describing: type(of: error)))"])
                }
                finished.signal()
            }
            // Keep the queue serial: the next run starts after this one is stored.
            finished.wait()
        }
    }
}
