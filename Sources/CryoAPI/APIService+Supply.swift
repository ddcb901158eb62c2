import CryoAPIGenerated
import CryoDomain
import CryoStore
import CryoSupply
import Foundation
import OpenAPIRuntime

/// Issue 26: forecast runs start here and run in the background (SupplyForecastRunner); docs/supply.md.
extension APIService {
    func startSupplyForecast(_ input: Operations.StartSupplyForecast.Input) async throws -> Operations.StartSupplyForecast.Output {
        guard case .json(let b) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        let actor = try caller()
        let months = b.months ?? 12, runs = b.runs ?? 2_000
        let (id, _, _) = try await forecasts.begin(months: months, runs: runs, seed: b.seed, plan: b.plan ?? false,
                                                 store: store, actor: actor, logger: logger)
        let record = try await store.supplyForecast(id: id, actor: actor, logger: logger)
        return .accepted(.init(headers: .init(location: "/supply/forecasts/\(id)"), body: .json(try Mapping.supplyForecast(record))))
    }

    func getSupplyForecast(_ input: Operations.GetSupplyForecast.Input) async throws -> Operations.GetSupplyForecast.Output {
        .ok(.init(body: .json(try Mapping.supplyForecast(try await store.supplyForecast(id: input.path.forecastId, actor: caller(), logger: logger)))))
    }
}

extension Mapping {
    static func supplyForecast(_ r: SupplyForecastRecord) throws -> Components.Schemas.SupplyForecast {
        .init(id: r.id, status: .init(rawValue: r.status) ?? .failed, runs: r.runs, completed: r.completed, seed: String(r.seed),
              inputs: try container(r.inputs), results: try r.results.map { try container($0) }, error: r.error,
              plan: r.planOptions != nil, planOptions: try r.planOptions.map { try container($0) },
              recommendation: try r.recommendation.map { try container($0) })
    }

    /// A model value as the contract's free-form object, through its JSON.
    private static func container<T: Decodable>(_ value: some Encodable) throws -> T {
        try JSONDecoder().decode(T.self, from: JSONEncoder().encode(value))
    }
}
