/// The mixed-integer programme of FORMAT.md over a set of (class, lot) pairs.
///
/// Columns: `x[j]` (how many demands of pair j's class the lot serves, integer in
/// `0...min(class size, vials/k)`), then under `soft`/`hard` one binary `y[c, L]` per
/// (cohort, lot) that some pair joins. Rows:
/// - per class: `sum x <= class size`;
/// - per lot whose pairs could overdraw it: `sum k x <= vialsAvailable`;
/// - per pair: `x <= ub * y[c, L]` (the disaggregated link, much tighter than one big-M row per cohort);
/// - per (cohort, lot) that could overdraw the lot: `sum k x <= vialsAvailable * y[c, L]`,
///   which makes the relaxation count lots the way bin packing does;
/// - under `hard`, per cohort: `sum y <= 1`.
struct Formulation {
    let problem: Problem
    /// The pairs modelled (all allowed pairs, or a subset for a restricted model).
    let pairs: [Int]
    var model = MIPModel()
    /// Cohort and lot of each y column, which follow the x columns.
    var yKeys: [(cohort: Int, lot: Int)] = []
    var yColumn: [Int64: Int] = [:]
    var classRow: [Int: Int] = [:]

    /// Above this many allowed pairs the full model is too large for the time goals on two
    /// cores, and a restricted model (`candidatePairs`) is solved instead.
    static let fullModelPairLimit = 60_000

    static func key(_ cohort: Int, _ lot: Int) -> Int64 { Int64(cohort) << 32 | Int64(lot) }

    init(_ p: Problem, pairs: [Int]) {
        problem = p
        self.pairs = pairs
        let policy = p.instance.policy.cohortLots
        var upper = [Int](repeating: 0, count: pairs.count)
        for (col, j) in pairs.enumerated() {
            let q = Int(p.pairClass[j])
            upper[col] = min(p.classMembers[q].count, p.instance.lots[Int(p.pairLot[j])].vialsAvailable / Int(p.pairVials[j]))
            _ = model.addColumn(lower: 0, upper: Double(upper[col]), integer: true)
        }
        if policy != .off {
            for j in pairs {
                let k = Self.key(p.classCohort[Int(p.pairClass[j])], Int(p.pairLot[j]))
                if yColumn[k] == nil {
                    yColumn[k] = model.addColumn(lower: 0, upper: 1, integer: true)
                    yKeys.append((p.classCohort[Int(p.pairClass[j])], Int(p.pairLot[j])))
                }
            }
        }
        // Class rows.
        var colsOfClass: [Int: [Int]] = [:]
        for (col, j) in pairs.enumerated() { colsOfClass[Int(p.pairClass[j]), default: []].append(col) }
        for q in colsOfClass.keys.sorted() {
            classRow[q] = model.rowCount
            model.addRow(colsOfClass[q]!.map { ($0, 1.0) }, lower: -.infinity, upper: Double(p.classMembers[q].count))
        }
        // Lot rows, only where the lot could be overdrawn.
        var colsOfLot: [Int: [Int]] = [:]
        for (col, j) in pairs.enumerated() { colsOfLot[Int(p.pairLot[j]), default: []].append(col) }
        for lot in colsOfLot.keys.sorted() {
            let cols = colsOfLot[lot]!
            let vials = p.instance.lots[lot].vialsAvailable
            if cols.reduce(0, { $0 + upper[$1] * Int(p.pairVials[pairs[$1]]) }) > vials {
                model.addRow(cols.map { ($0, Double(p.pairVials[pairs[$0]])) }, lower: -.infinity, upper: Double(vials))
            }
        }
        guard policy != .off else { return }
        var colsOfY: [Int: [Int]] = [:]
        for (col, j) in pairs.enumerated() {
            let y = yColumn[Self.key(p.classCohort[Int(p.pairClass[j])], Int(p.pairLot[j]))]!
            colsOfY[y, default: []].append(col)
            model.addRow([(col, 1.0), (y, -Double(upper[col]))], lower: -.infinity, upper: 0)
        }
        for y in colsOfY.keys.sorted() {
            let cols = colsOfY[y]!
            let vials = p.instance.lots[yKeys[y - pairs.count].lot].vialsAvailable
            if cols.count > 1, cols.reduce(0, { $0 + upper[$1] * Int(p.pairVials[pairs[$1]]) }) > vials {
                model.addRow(cols.map { ($0, Double(p.pairVials[pairs[$0]])) } + [(y, -Double(vials))],
                             lower: -.infinity, upper: 0)
            }
        }
        if policy == .hard {
            var ysOfCohort: [Int: [Int]] = [:]
            for (i, key) in yKeys.enumerated() { ysOfCohort[key.cohort, default: []].append(pairs.count + i) }
            for c in ysOfCohort.keys.sorted() where ysOfCohort[c]!.count > 1 {
                model.addRow(ysOfCohort[c]!.map { ($0, 1.0) }, lower: -.infinity, upper: 1)
            }
        }
    }

    /// Level `l` (0-based) as `value = offset + scale * u` with `u = coefficients · columns`,
    /// and `range`, an upper bound on how far `u` can differ between two plans.
    func level(_ l: Int) -> LevelTerms {
        let p = problem
        var c = [Double](repeating: 0, count: model.columnCount)
        switch l {
        case 0, 1:
            let patients = l == 0
            var servable = Set<Int>()
            for (col, j) in pairs.enumerated() where p.classIsPatient[Int(p.pairClass[j])] == patients {
                c[col] = -1
                servable.insert(Int(p.pairClass[j]))
            }
            let total = p.instance.demands.filter { ($0.kind == .patient) == patients }.count
            return LevelTerms(coefficients: c, offset: total, scale: 1,
                              range: servable.reduce(0) { $0 + p.classMembers[$1].count })
        case 2:
            if p.instance.policy.cohortLots == .soft {
                for y in yKeys.indices { c[pairs.count + y] = 1 }
            }
            return LevelTerms(coefficients: c, offset: 0, scale: 1, range: yKeys.count)
        case 3:
            var most: [Int: Int] = [:]
            for (col, j) in pairs.enumerated() {
                c[col] = Double(p.pairSlack[j])
                most[Int(p.pairClass[j]), default: 0] = max(most[Int(p.pairClass[j])] ?? 0, Int(p.pairSlack[j]))
            }
            return LevelTerms(coefficients: c, offset: 0, scale: 1,
                              range: most.reduce(0) { $0 + $1.value * p.classMembers[$1.key].count })
        default:
            // Overage in units of the gcd of all overages keeps the coefficients small and exact.
            var g = 0
            for j in pairs { g = gcd(g, p.pairOver[j]) }
            g = max(g, 1)
            var most: [Int: Int] = [:]
            for (col, j) in pairs.enumerated() {
                c[col] = Double(p.pairOver[j] / g)
                most[Int(p.pairClass[j]), default: 0] = max(most[Int(p.pairClass[j])] ?? 0, p.pairOver[j] / g)
            }
            return LevelTerms(coefficients: c, offset: 0, scale: g,
                              range: most.reduce(0) { $0 + $1.value * p.classMembers[$1.key].count })
        }
    }

    /// Adds `value(level) <= value`.
    mutating func fix(level l: Int, atMost value: Int) {
        let t = level(l)
        let (c, offset, scale) = (t.coefficients, t.offset, t.scale)
        let entries = c.enumerated().filter { $0.element != 0 }.map { ($0.offset, $0.element) }
        guard !entries.isEmpty else { return }
        model.addRow(entries, lower: -.infinity, upper: Double((value - offset) / scale) + 0.5)
    }

    /// With the cohort level settled at `total` lots and each cohort needing at least
    /// `least[c]`, no cohort can use more than `least[c] + total - sum(least)`: rows that keep
    /// the relaxation of the later levels from spreading cohorts thinly over many lots.
    mutating func limitLotsPerCohort(total: Int, least: [Int]) {
        let spare = total - least.reduce(0, +)
        guard spare >= 0 else { return }
        var ysOfCohort: [Int: [Int]] = [:]
        for (i, key) in yKeys.enumerated() { ysOfCohort[key.cohort, default: []].append(pairs.count + i) }
        for c in ysOfCohort.keys.sorted() where ysOfCohort[c]!.count > least[c] + spare {
            model.addRow(ysOfCohort[c]!.map { ($0, 1.0) }, lower: -.infinity, upper: Double(least[c] + spare))
        }
    }

    /// The column values of a plan (which must only use modelled pairs).
    func columns(of plan: Plan) -> [Double]? {
        let p = problem
        var colOfPair: [Int: Int] = [:]
        for (col, j) in pairs.enumerated() { colOfPair[j] = col }
        var v = [Double](repeating: 0, count: model.columnCount)
        for (i, lot) in plan.lotOfDemand.enumerated() where lot >= 0 {
            guard let j = p.pair(demand: i, lot: lot), let col = colOfPair[j] else { return nil }
            v[col] += 1
            if let y = yColumn[Self.key(p.classCohort[Int(p.pairClass[j])], lot)] { v[y] = 1 }
        }
        return v
    }

    /// The plan of a solution: each class's demands, in instance order, take its pairs' counts.
    func plan(from values: [Double]) -> Plan {
        let p = problem
        var plan = Plan(demandCount: p.instance.demands.count)
        var nextMember: [Int: Int] = [:]
        for (col, j) in pairs.enumerated() {
            let count = Int(values[col].rounded())
            guard count > 0 else { continue }
            let q = Int(p.pairClass[j])
            let members = p.classMembers[q]
            var at = nextMember[q, default: 0]
            for _ in 0..<count where at < members.count {
                plan.lotOfDemand[members[at]] = Int(p.pairLot[j])
                at += 1
            }
            nextMember[q] = at
        }
        return plan
    }
}

func gcd(_ a: Int, _ b: Int) -> Int {
    var (x, y) = (abs(a), abs(b))
    while y != 0 { (x, y) = (y, x % y) }
    return x
}

struct LevelTerms {
    var coefficients: [Double]
    var offset: Int
    var scale: Int
    var range: Int

    func units(ofValue value: Int) -> Int { (value - offset) / scale }
    func value(ofUnits units: Int) -> Int { offset + scale * units }
}
