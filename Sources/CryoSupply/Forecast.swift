import Foundation
import Synchronization

/// Runs replications over the machine's cores with one seed per replication (`SplitMix64.replicationSeed`),
/// so a run is reproduced exactly from its inputs, runs and seed.
public enum SupplyForecast {
    public static func run(_ inputs: SupplyInputs, runs: Int, seed: UInt64, workers: Int = 2,
                           progress: (@Sendable (Int) -> Void)? = nil) throws(SupplyInputError) -> ForecastResult {
        guard (1...1_000_000).contains(runs) else { throw .init(field: "runs", rule: "must be from 1 to 1,000,000 replications") }
        let model = try Model(inputs)
        return aggregate(model, outcomes(model, runs: runs, seed: seed, workers: workers, progress: progress), runs: runs, seed: seed)
    }

    /// Throws the field and rule the model cannot run on, without running it (to refuse a request before it starts).
    public static func validate(_ inputs: SupplyInputs) throws(SupplyInputError) { _ = try Model(inputs) }

    static func outcomes(_ model: Model, runs: Int, seed: UInt64, workers: Int, progress: (@Sendable (Int) -> Void)?) -> [ReplicationOutcome] {
        let box = OutcomeBox(runs)
        let done = Atomic<Int>(0)
        let w = max(1, min(workers, runs))
        DispatchQueue.concurrentPerform(iterations: w) { worker in
            var r = worker
            while r < runs {
                var rep = Replication(model: model, seed: SplitMix64.replicationSeed(seed, r))
                box.set(r, rep.run())
                let n = done.add(1, ordering: .relaxed).newValue
                if let progress, n % 100 == 0 || n == runs { progress(n) }
                r += w
            }
        }
        return box.values()
    }

    static func aggregate(_ m: Model, _ reps: [ReplicationOutcome], runs: Int, seed: UInt64) -> ForecastResult {
        let P = m.products.count, cells = m.locations.count * P, months = m.inputs.months
        var patients = 0, onTime = 0, dsa = 0, dsaOn = 0, expired = 0, shipments = 0, shipped = 0
        var causes = [Int](repeating: 0, count: MissCause.allCases.count)
        var waits = [Int](repeating: 0, count: WaitBins.labels.count)
        var doses = [Int](repeating: 0, count: months * cells), exp = doses, out = doses
        for r in reps {
            patients += r.patients; onTime += r.onTime; dsa += r.dsaPatients; dsaOn += r.dsaOnTime
            expired += r.expiredTotal; shipments += r.shipments; shipped += r.shippedVials
            for i in causes.indices { causes[i] += r.causes[i] }
            for i in waits.indices { waits[i] += r.waits[i] }
            for i in doses.indices { doses[i] += Int(r.doses[i]); exp[i] += Int(r.expired[i]); out[i] += Int(r.stockout[i]) }
        }
        let n = Double(runs)
        let level = patients == 0 ? 1.0 : Double(onTime) / Double(patients)
        // Ratio estimator over replications: patients of one replication share its stock, so they are not independent.
        var se = 0.0
        if runs > 1 && patients > 0 {
            let meanPatients = Double(patients) / n
            var ss = 0.0
            for r in reps { let d = Double(r.onTime) - level * Double(r.patients); ss += d * d }
            se = (ss / (n * (n - 1))).squareRoot() / meanPatients
        }
        var cellRows: [ForecastResult.MonthCell] = []
        for mo in 0..<months {
            for loc in 0..<m.locations.count {
                for p in 0..<P {
                    let i = mo * cells + loc * P + p
                    if loc == 0 && exp[i] == 0 { continue }
                    cellRows.append(.init(month: m.monthLabels[mo], location: m.locations[loc], product: m.products[p],
                                          stockoutProbability: Double(out[i]) / n, expectedExpiredVials: Double(exp[i]) / n,
                                          expectedDoses: Double(doses[i]) / n))
                }
            }
        }
        var fan: [ForecastResult.FanSeries] = []
        var column = [Int32](repeating: 0, count: runs)
        for loc in 0..<m.locations.count {
            for p in 0..<P {
                var s = ForecastResult.FanSeries(location: m.locations[loc], product: m.products[p], p5: [], p50: [], p95: [])
                for mo in 0...months {
                    let i = mo * cells + loc * P + p
                    for (r, rep) in reps.enumerated() { column[r] = rep.stock[i] }
                    column.sort()
                    s.p5.append(Double(column[quantileIndex(0.05, runs)]))
                    s.p50.append(Double(column[quantileIndex(0.5, runs)]))
                    s.p95.append(Double(column[quantileIndex(0.95, runs)]))
                }
                if s.p95.contains(where: { $0 > 0 }) { fan.append(s) }
            }
        }
        return ForecastResult(
            runs: runs, seed: seed, months: m.monthLabels, sites: Array(m.locations.dropFirst()), products: m.products,
            serviceLevel: level, serviceStandardError: se,
            dsaServiceLevel: dsa == 0 ? nil : Double(dsaOn) / Double(dsa),
            patientsPerRun: Double(patients) / n, dsaPatientsPerRun: Double(dsa) / n,
            expiredVialsPerRun: Double(expired) / n, shipmentsPerRun: Double(shipments) / n, shippedVialsPerRun: Double(shipped) / n,
            misses: MissCause.allCases.map { .init(cause: $0.sentence, perRun: Double(causes[$0.rawValue]) / n) },
            waits: WaitBins.labels.enumerated().map { .init(wait: $1, share: patients == 0 ? 0 : Double(waits[$0]) / Double(patients)) },
            cells: cellRows, fan: fan)
    }

    /// The nearest-rank percentile.
    static func quantileIndex(_ q: Double, _ n: Int) -> Int { min(n - 1, max(0, Int((q * Double(n)).rounded(.up)) - 1)) }
}

/// Per-replication slots written by the workers, each slot by exactly one of them.
private final class OutcomeBox: @unchecked Sendable {
    private var slots: [ReplicationOutcome?]
    private let lock = NSLock()
    init(_ n: Int) { slots = Array(repeating: nil, count: n) }
    func set(_ i: Int, _ o: ReplicationOutcome) { lock.lock(); slots[i] = o; lock.unlock() }
    func values() -> [ReplicationOutcome] { slots.map { $0! } }
}
