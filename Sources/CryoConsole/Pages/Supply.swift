import CryoDomain
import CryoStore
import CryoSupply
import Foundation
import Hummingbird

/// The supply page's view model: today's inventory (the forecast's inputs) and the form that starts a run.
struct SupplyPage: Sendable {
    struct Stock: Sendable { let product: String, site: String, lots: Int, vials: Int }
    let stock: [Stock]
    let anyStock: Bool
    let studies: [String]
    let mayStart: Bool
    let form: SupplyForm
}

/// A run's page: progress while it runs, then the charts, each with a table of the same numbers.
struct SupplyRunPage: Sendable {
    struct Row: Sendable { let label: String, cells: [String] }
    struct Chart: Sendable { let id: String, title: String, svg: String, columns: [String], rows: [Row] }
    let id: Int64
    let running: Bool
    let failed: Bool
    let error: String?
    let runs: Int, completed: Int, percent: Int
    let seed: String, months: Int, asOf: String
    let summary: [Row]
    let fans: [Chart]
    let stockouts: [Chart]
    let expiring: Chart?
    let misses: Chart?
    let campaigns: [SupplyPage.Stock]
    let anyCampaigns: Bool
}

extension Console {
    func supplyPage(_ form: SupplyForm, refusal: Refusal? = nil) async throws -> Response {
        let user = try signedIn()
        let mayStart = user.role.may(.forecastSupply)
        var stock: [SupplyPage.Stock] = [], studies: [String] = []
        if mayStart {
            let inputs = try await store.supplyInputs(months: 12, today: .today(), actor: user, logger: logger)
            stock = Self.stock(inputs)
            studies = inputs.studies.map { "\($0.id) (\($0.product))" }
        } else if !user.role.may(.readSupplyForecasts) {
            try user.require(.readSupplyForecasts)
        }
        return try render("supply", title: "Supply forecast",
                          SupplyPage(stock: stock, anyStock: !stock.isEmpty, studies: studies, mayStart: mayStart, form: form),
                          status: refusal?.status ?? .ok, refusal: refusal)
    }

    /// Lots and vials on hand per product and site, as the forecast will see them.
    static func stock(_ inputs: SupplyInputs) -> [SupplyPage.Stock] {
        var byKey: [String: (product: String, site: String, lots: Set<String>, vials: Int)] = [:]
        for lot in inputs.lots {
            let key = lot.product + "\u{0}" + lot.location
            var entry = byKey[key] ?? (lot.product, lot.location, [], 0)
            entry.lots.insert(lot.id); entry.vials += lot.vials
            byKey[key] = entry
        }
        return byKey.values.sorted { ($0.product, $0.site) < ($1.product, $1.site) }
            .map { .init(product: $0.product, site: $0.site, lots: $0.lots.count, vials: $0.vials) }
    }

    func startSupplyForecast(_ form: SupplyForm) async throws -> Response {
        let user = try signedIn()
        guard let starter = startSupplyForecast else { throw DomainError.invalid(field: "form", rule: "forecasts cannot run in this server") }
        do {
            let (months, runs, seed) = try form.numbers()
            let started = try await starter(months, runs, seed, user, logger)
            return Response.redirect(to: "/console/supply/forecasts/\(started.id)", type: .normal)
        } catch let error as DomainError {
            if case .forbidden = error { throw error }
            return try await supplyPage(form, refusal: Refusal(error, fields: ["months": "months", "runs": "runs", "seed": "seed"]))
        }
    }

    func supplyRunPage(_ id: Int64) async throws -> Response {
        let user = try signedIn()
        let record = try await store.supplyForecast(id: id, actor: user, logger: logger)
        let percent = record.runs > 0 ? record.completed * 100 / record.runs : 0
        let r = record.results
        let page = SupplyRunPage(
            id: record.id, running: record.status == "running", failed: record.status == "failed", error: record.error,
            runs: record.runs, completed: record.completed, percent: percent, seed: String(record.seed), months: record.inputs.months,
            asOf: record.inputs.asOf, summary: r.map(SupplyCharts.summary) ?? [],
            fans: r.map(SupplyCharts.fans) ?? [], stockouts: r.map(SupplyCharts.stockouts) ?? [],
            expiring: r.map(SupplyCharts.expiring), misses: r.map(SupplyCharts.misses),
            campaigns: record.inputs.campaigns.map { .init(product: $0.product, site: "day \(Int($0.startDay))", lots: $0.lots, vials: $0.lots * $0.vialsPerLot) },
            anyCampaigns: !record.inputs.campaigns.isEmpty)
        return try render("supply-forecast", title: "Supply forecast \(id)", page)
    }
}
