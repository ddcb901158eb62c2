import CryoSupply
import Foundation

// The supply forecast's benchmark (Benchmarks/supply/run.sh): the demo scaled to 20 sites and 6 cohorts.
let args = CommandLine.arguments
func option(_ name: String, _ fallback: Int) -> Int {
    guard let i = args.firstIndex(of: name), i + 1 < args.count, let v = Int(args[i + 1]) else { return fallback }
    return v
}
let runs = option("--runs", 10_000), months = option("--months", 12), sites = option("--sites", 20)
let searchRuns = option("--search-runs", 1_000), validationRuns = option("--validation-runs", 2_000)
let inputs = ScaledDemo.inputs(sites: sites, cohorts: 6, months: months)

let t0 = Date()
let forecast = try SupplyForecast.run(inputs, runs: runs, seed: 42)
let seconds = Date().timeIntervalSince(t0)
print(String(format: "forecast: %d replications of %d months, %d sites, 2 studies, 6 cohorts in %.2f s: %.0f replications/s",
             runs, months, sites, seconds, Double(runs) / seconds))
print(String(format: "  service level %.4f, standard error %.5f; %.1f patients, %.1f expired vials, %.1f shipments per run",
             forecast.serviceLevel, forecast.serviceStandardError, forecast.patientsPerRun, forecast.expiredVialsPerRun, forecast.shipmentsPerRun))

let t1 = Date()
let plan = try SupplyPlanner.recommend(inputs, options: PlanOptions(searchRuns: searchRuns, validationRuns: validationRuns, seed: 7,
                                                                     donors: ScaledDemo.donors, campaignTemplates: ScaledDemo.templates))
let planSeconds = Date().timeIntervalSince(t1)
print(String(format: "plan: %d evaluations in %.1f s (including the out-of-sample runs)", plan.evaluations, planSeconds))
for c in plan.campaigns { print("  campaign: \(c.lots) lots of \(c.product) from \(c.donor), start day \(Int(c.startDay)), released day \(Int(c.startDay + c.leadDays))") }
for p in plan.parLevels { print("  par: \(p.site) \(p.product) min \(p.min) max \(p.max) vials") }
for sentence in Set(plan.donorEffects.map(\.sentence)).sorted() { print("  \(sentence)") }
func line(_ name: String, _ f: PlanFigures) -> String {
    String(format: "  %@: service %.4f ± %.4f, expired vials %.1f, shipments %.1f per run (%d fresh replications)",
           name, f.serviceLevel, f.serviceStandardError, f.expiredVialsPerRun, f.shipmentsPerRun, f.runs)
}
print("out of sample (target \(plan.serviceTarget)):")
print(line("recommended", plan.recommended))
print(line("baseline   ", plan.baseline) + " — " + plan.baselineDescription)
for (name, f) in [("recommended", plan.recommended), ("baseline", plan.baseline)] {
    print("  misses per run, \(name): " + f.misses.map { String(format: "%@ %.1f", $0.cause, $0.perRun) }.joined(separator: ", "))
}
print("misses per run (forecast on today's plan): " + forecast.misses.map { String(format: "%@ %.1f", $0.cause, $0.perRun) }.joined(separator: ", "))
print("waits: " + forecast.waits.map { String(format: "%@ %.3f", $0.wait, $0.share) }.joined(separator: ", "))
