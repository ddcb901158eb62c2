import CryoDomain
import Foundation
import Hummingbird

/// Issue 26 in the console: the forecast's inputs and its "Run forecast" form, and a run's page.
struct SupplyController<Context: RequestContext>: Sendable {
    let console: Console

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("supply", use: show)
        group.post("supply/forecasts", use: start)
        group.get("supply/forecasts/{id}", use: run)
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> Response {
        try await console.supplyPage(SupplyForm())
    }

    @Sendable func start(_ request: Request, context: Context) async throws -> Response {
        try console.signedIn().require(.forecastSupply)
        return try await console.startSupplyForecast(try await Form.decode(SupplyForm.self, from: request))
    }

    @Sendable func run(_ request: Request, context: Context) async throws -> Response {
        try await console.supplyRunPage(try context.parameters.require("id", as: Int64.self))
    }
}

/// The "Run forecast" form, as typed (kept on a refusal); numbers are read by `SupplyForm.numbers`.
struct SupplyForm: Decodable, Sendable {
    var months: String = "12"
    var runs: String = "2000"
    var seed: String = ""
    /// "on" when the "also recommend a plan" box is ticked (a form leaves an unticked box out).
    var plan: String = "on"

    init() {}

    /// A field left out of the body keeps its default (a blank seed: a random one).
    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        months = try c.decodeIfPresent(String.self, forKey: .months) ?? "12"
        runs = try c.decodeIfPresent(String.self, forKey: .runs) ?? "2000"
        seed = try c.decodeIfPresent(String.self, forKey: .seed) ?? ""
        plan = try c.decodeIfPresent(String.self, forKey: .plan) ?? ""
    }

    enum CodingKeys: String, CodingKey { case months, runs, seed, plan }

    var wantsPlan: Bool { !plan.isEmpty }

    /// Months and runs as whole numbers, seed optional; a field that is not a number is refused by name.
    func numbers() throws -> (months: Int, runs: Int, seed: Int64?) {
        func whole(_ text: String, _ field: String) throws -> Int64 {
            guard let n = Int64(text.trimmingCharacters(in: .whitespaces)) else {
                throw DomainError.invalid(field: field, rule: "must be a whole number")
            }
            return n
        }
        let months = try whole(months, "months"), runs = try whole(runs, "runs")
        let seed = seed.trimmingCharacters(in: .whitespaces).isEmpty ? nil : try whole(seed, "seed")
        guard let m = Int(exactly: months), let r = Int(exactly: runs) else { throw DomainError.invalid(field: "runs", rule: "is too large") }
        return (m, r, seed)
    }
}
