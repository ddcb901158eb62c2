import CryoStore
import CryoSupply
import Dispatch
import Logging

/// Runs stored forecasts in the background of the server, one at a time on their own queue (the replications of
/// that one run use both cores), so forecasts never occupy the threads that answer requests.
/// Progress is written every hundred replications; the result or the failure ends the run.
final class SupplyForecastRunner: Sendable {
    static let shared = SupplyForecastRunner()
    private let queue = DispatchQueue(label: "cryoledger.supply-forecast", qos: .utility)

    func start(id: Int64, inputs: SupplyInputs, runs: Int, seed: UInt64, store: Store, logger: Logger) {
        queue.async {
            let result: Result<ForecastResult, any Error>
            do {
                result = .success(try SupplyForecast.run(inputs, runs: runs, seed: seed) { done in
                    Task { try? await store.recordSupplyProgress(id: id, completed: done, logger: logger) }
                })
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
