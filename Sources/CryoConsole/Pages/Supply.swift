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
    /// Asked for a plan; `planning` while the forecast is done and the plan is being searched.
    let planned: Bool, planning: Bool
    let plan: SupplyPlanView?
}

/// A recommended plan as the run page shows it: campaigns, par levels, the donor's effect, and the out-of-sample
/// comparison with the baseline, each as a table.
struct SupplyPlanView: Sendable {
    struct Campaign: Sendable { let product: String, donor: String, starts: String, released: String, lots: Int, vials: Int }
    struct Par: Sendable { let site: String, product: String, min: Int, max: Int }
    let verdict: String
    let meets: Bool
    let campaigns: [Campaign]
    let anyCampaigns: Bool
    let pars: [Par]
    let anyPars: Bool
    let donorSentences: [String]
    let comparison: [SupplyRunPage.Row]
    let evaluations: Int

    init(_ r: PlanRecommendation, asOf: String) {
        let start = CalendarDay(asOf)
        func day(_ d: Double) -> String { start.map { $0.adding(days: Int(d)).description } ?? "day \(Int(d))" }
        func pct(_ v: Double) -> String { String(format: "%.1f %%", v * 100) }
        meets = r.meetsTarget
        verdict = (r.meetsTarget ? "Meets" : "Does not meet") + " the target of \(pct(r.serviceTarget)) dosed on time: "
            + "\(pct(r.recommended.serviceLevel)) ± \(pct(r.recommended.serviceStandardError)) on \(r.recommended.runs) fresh replications, "
            + "against \(pct(r.baseline.serviceLevel)) for the baseline: \(r.baselineDescription)."
        campaigns = r.campaigns.map { .init(product: $0.product, donor: $0.donor, starts: day($0.startDay), released: day($0.startDay + $0.leadDays),
                                           lots: $0.lots, vials: $0.lots * $0.vialsPerLot) }
        anyCampaigns = !campaigns.isEmpty
        pars = r.parLevels.map { .init(site: $0.site, product: $0.product, min: $0.min, max: $0.max) }
        anyPars = !pars.isEmpty
        donorSentences = Array(Set(r.donorEffects.map(\.sentence))).sorted()
        comparison = [("Recommended", r.recommended), ("Baseline", r.baseline)].map { name, f in
            SupplyRunPage.Row(label: name, cells: [pct(f.serviceLevel) + " ± " + pct(f.serviceStandardError),
                                                   String(format: "%.1f", f.expiredVialsPerRun), String(format: "%.1f", f.shipmentsPerRun)])
        }
        evaluations = r.evaluations
    }
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
            let started = try await starter(months, runs, seed, form.wantsPlan, user, logger)
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
            anyCampaigns: !record.inputs.campaigns.isEmpty,
            planned: record.planOptions != nil,
            planning: record.planOptions != nil && record.status == "running" && record.completed >= record.runs,
            plan: record.recommendation.map { SupplyPlanView($0, asOf: record.inputs.asOf) })
        return try render("supply-forecast", title: "Supply forecast \(id)", page)
    }
}
