import CryoDomain
import CryoSupply
import Foundation
import Logging
import PostgresNIO

/// A stored forecast run: its inputs and seed (enough to reproduce it), status, progress and results.
public struct SupplyForecastRecord: Sendable {
    public var id: Int64
    public var status: String
    public var runs: Int
    public var completed: Int
    public var seed: UInt64
    public var inputs: SupplyInputs
    public var results: ForecastResult?
    public var error: String?
    /// Set when the run was asked to recommend a plan as well.
    public var planOptions: PlanOptions?
    public var recommendation: PlanRecommendation?

    public init(id: Int64, status: String, runs: Int, completed: Int, seed: UInt64, inputs: SupplyInputs, results: ForecastResult? = nil, error: String? = nil,
                planOptions: PlanOptions? = nil, recommendation: PlanRecommendation? = nil) {
        self.id = id; self.status = status; self.runs = runs; self.completed = completed; self.seed = seed
        self.inputs = inputs; self.results = results; self.error = error; self.planOptions = planOptions; self.recommendation = recommendation
    }
}

extension Store {
    public func startSupplyForecast(inputs: SupplyInputs, runs: Int, seed: UInt64, planOptions: PlanOptions? = nil,
                                    actor: Principal, logger: Logger) async throws -> Int64 {
        try actor.require(.forecastSupply)
        try SupplyForecastRequest.check(months: inputs.months, runs: runs)
        let json = String(decoding: try JSONEncoder().encode(inputs), as: UTF8.self)
        let options = try planOptions.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        let seedText = String(seed)
        return try await transaction(logger) { conn in
            let rows = try await conn.guardedQuery("""
                INSERT INTO supply_forecast (requested_by, seed, runs, inputs, plan_options)
                VALUES (\(actor.id), \(seedText)::numeric, \(runs), \(json)::jsonb, \(options)::jsonb) RETURNING id
                """, logger: logger).named { c in try c("id", as: Int64.self) }
            return rows[0]
        }
    }

    public func recordSupplyProgress(id: Int64, completed: Int, logger: Logger) async throws {
        _ = try await transaction(logger) { conn in
            try await conn.guardedQuery("UPDATE supply_forecast SET completed = greatest(completed, least(runs, \(completed))) WHERE id = \(id) AND status = 'running'", logger: logger)
        }
    }

    public func finishSupplyForecast(id: Int64, result: Result<(ForecastResult, PlanRecommendation?), any Error>, logger: Logger) async throws {
        _ = try await transaction(logger) { conn in
            switch result {
            case .success(let (r, plan)):
                let json = String(decoding: try JSONEncoder().encode(r), as: UTF8.self)
                let planJSON = try plan.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
                try await conn.guardedQuery("""
                    UPDATE supply_forecast SET status = 'done', completed = runs, results = \(json)::jsonb, recommendation = \(planJSON)::jsonb,
                           finished_at = now() WHERE id = \(id)
                    """, logger: logger)
                try await Self.announceStockOutRisk(forecast: id, result: r, on: conn, logger: logger)
            case .failure(let e):
                let text = String(describing: e)
                try await conn.guardedQuery("UPDATE supply_forecast SET status = 'failed', error = \(text), finished_at = now() WHERE id = \(id)", logger: logger)
            }
        }
    }

    public func supplyForecast(id: Int64, actor: Principal, logger: Logger) async throws -> SupplyForecastRecord {
        try actor.require(.readSupplyForecasts)
        return try await read(logger) { conn in
            let rows = try await conn.guardedQuery("""
                SELECT id, status, runs, completed, seed::text AS seed, inputs::text AS inputs, results::text AS results, error,
                       plan_options::text AS plan_options, recommendation::text AS recommendation
                FROM supply_forecast WHERE id = \(id)
                """, logger: logger).named { c in
                SupplyForecastRecord(
                    id: try c("id"), status: try c("status"), runs: Int(try c("runs", as: Int32.self)), completed: Int(try c("completed", as: Int32.self)),
                    seed: UInt64(try c("seed", as: String.self)) ?? 0,
                    inputs: try JSONDecoder().decode(SupplyInputs.self, from: Data(try c("inputs", as: String.self).utf8)),
                    results: try c("results", as: String?.self).map { try JSONDecoder().decode(ForecastResult.self, from: Data($0.utf8)) },
                    error: try c("error"),
                    planOptions: try c("plan_options", as: String?.self).map { try JSONDecoder().decode(PlanOptions.self, from: Data($0.utf8)) },
                    recommendation: try c("recommendation", as: String?.self).map { try JSONDecoder().decode(PlanRecommendation.self, from: Data($0.utf8)) })
            }
            guard let r = rows.first else { throw DomainError.notFound(kind: "supply forecast", id: String(id)) }
            return r
        }
    }
}
