import CryoDomain
import CryoStore
import CryoSupply
import Logging

/// Starts a stored forecast run in the background (months, runs, seed or nil for a random one, whether to recommend a
/// plan too, who asks):
/// the application passes the API's runner, so the console and the API share one path.
public typealias SupplyForecastStarter = @Sendable (Int, Int, Int64?, Bool, Principal, Logger) async throws -> (id: Int64, inputs: SupplyInputs, seed: UInt64)
