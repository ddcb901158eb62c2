/// What one replication produced, in counts (integers add up the same in any order, so results do not
/// depend on how replications were spread over threads).
struct ReplicationOutcome {
    var patients = 0, onTime = 0, dsaPatients = 0, dsaOnTime = 0
    var causes = [Int](repeating: 0, count: MissCause.allCases.count)
    var waits = [Int](repeating: 0, count: WaitBins.labels.count)
    /// month * cells + location * products + product
    var doses: [Int32], expired: [Int32], stockout: [Int32]
    /// (months + 1) * cells: usable vials at each month boundary.
    var stock: [Int32]
    var shipments = 0, shippedVials = 0, expiredTotal = 0

    init(months: Int, cells: Int) {
        doses = .init(repeating: 0, count: months * cells); expired = doses; stockout = doses
        stock = .init(repeating: 0, count: (months + 1) * cells)
    }
}

/// Time from clearance to a dose at the site, in bins.
public enum WaitBins {
    public static let labels = ["at once", "within 24 h", "within 48 h", "within 72 h", "within 7 days", "within 14 days", "within 30 days", "later", "never in the horizon"]
    static let limitsHours: [Double] = [0, 24, 48, 72, 168, 336, 720]
    static func bin(hours: Double?) -> Int {
        guard let hours else { return labels.count - 1 }
        for (i, l) in limitsHours.enumerated() where hours <= l + 1e-9 { return i }
        return labels.count - 2
    }
}

/// One replication of the whole horizon: an event-driven simulation in continuous time (days from `asOf`).
struct Replication {
    private let m: Model
    private var rng: SupplyRandom
    private var out: ReplicationOutcome
    private let cells: Int, P: Int, L: Int, margin: Double

    // Stock: holdings of a lot at a location.
    private var hLot: [Int] = [], hVials: [Int] = []
    private var byLoc: [[Int]]
    private var lotLeft: [Int]
    private var inTransit: [Int], waitingVials: [Int]
    private var shipments: [(t: Double, site: Int, lot: Int, vials: Int)] = []

    private struct Patient { var study: Int; var site: Int; var level: Int; var mask: UInt64; var clearance: Double; var cause: Int; var doseAt: Double? }
    private var patients: [Patient] = []
    private var waiting: [[Int]]
    private var paths: [StudyPath]

    init(model: Model, seed: UInt64) {
        m = model
        rng = SupplyRandom(seed: seed)
        P = model.products.count; cells = model.locations.count * P; L = model.levelCount
        margin = Double(model.inputs.expiryMarginDays)
        out = ReplicationOutcome(months: model.inputs.months, cells: cells)
        byLoc = Array(repeating: [], count: model.locations.count)
        for lot in model.lotProduct.indices {
            byLoc[model.lotLocation[lot]].append(hLot.count)
            hLot.append(lot); hVials.append(model.lotVials[lot])
        }
        lotLeft = model.lotVials
        inTransit = Array(repeating: 0, count: cells); waitingVials = inTransit
        waiting = Array(repeating: [], count: model.locations.count)
        paths = model.studies.map(StudyPath.init)
    }

    mutating func run() -> ReplicationOutcome {
        let arrivals = drawArrivals()
        snapshot(month: 0, t: 0)
        for s in 1..<m.locations.count { for p in 0..<P { review(site: s, product: p, t: 0) } }
        var ai = 0, ri = 0, mi = 1
        while true {
            let ta = ai < arrivals.count ? arrivals[ai].t : .infinity
            let tr = ri < m.reviewTimes.count ? m.reviewTimes[ri] : .infinity
            let ts = shipments.first?.t ?? .infinity
            let tm = m.monthStart[mi]
            if ts <= min(ta, tr, tm) && ts < m.horizon {
                let s = shipments.removeFirst()
                arrive(s)
            } else if tr <= min(ta, tm) {
                retryAll(t: tr); ri += 1
                for s in 1..<m.locations.count { for p in 0..<P { review(site: s, product: p, t: tr) } }
            } else if ta < tm {
                arrival(arrivals[ai]); ai += 1
            } else {
                snapshot(month: mi, t: tm)
                if mi == m.inputs.months { break }
                mi += 1
            }
        }
        finish()
        return out
    }

    // MARK: demand

    private mutating func drawArrivals() -> [(t: Double, study: Int, site: Int)] {
        var a: [(t: Double, study: Int, site: Int)] = []
        for (i, st) in m.studies.enumerated() {
            for s in st.sites where s.perDay > 0 {
                var rate = s.perDay
                if let shape = st.rateShape { rate = rng.gamma(shape: shape, scale: rate / shape) }
                var t = s.from
                while true {
                    t += rng.exponential(rate: rate)
                    if t >= m.horizon { break }
                    a.append((t, i, s.site))
                }
            }
        }
        a.sort { $0.t < $1.t }
        return a
    }

    private mutating func arrival(_ a: (t: Double, study: Int, site: Int)) {
        let st = m.studies[a.study]
        if rng.bernoulli(st.screenFailure) { return }
        guard paths[a.study].open else { return }
        var mask: UInt64 = 0
        for (bit, share) in st.antibodies where rng.bernoulli(share) { mask |= 1 << UInt64(bit) }
        let level = paths[a.study].current
        patients.append(Patient(study: a.study, site: a.site, level: level, mask: mask, clearance: a.t, cause: -1, doseAt: nil))
        let i = patients.count - 1
        if !serve(i, t: a.t) {
            patients[i].cause = classify(i, t: a.t).rawValue
            waiting[a.site].append(i)
            waitingVials[a.site * P + st.product] += m.referenceVials[st.levels[level]]
        }
        review(site: a.site, product: st.product, t: a.t)
    }

    // MARK: dosing

    /// Doses patient `i` from site stock, or (policies with a depot) by a shipment from the depot. FEFO.
    private mutating func serve(_ i: Int, t: Double) -> Bool {
        let p = patients[i]
        let st = m.studies[p.study]
        let g = st.levels[p.level]
        if let (h, k) = pick(at: p.site, product: st.product, level: g, mask: p.mask, t: t, usableUntil: t + margin) {
            take(h, k); dosed(i, at: t); return true
        }
        if m.inputs.policy.mode != .site && m.siteRoute[p.site] {
            let arrival = t + m.siteTransit[p.site]
            if let (h, k) = pick(at: 0, product: st.product, level: g, mask: p.mask, t: t, usableUntil: arrival + margin) {
                take(h, k); out.shipments += 1; out.shippedVials += k
                if patients[i].cause < 0 && (arrival - p.clearance) * 24 > m.inputs.targetHours + 1e-9 {
                    patients[i].cause = MissCause.wrongSite.rawValue
                }
                dosed(i, at: arrival); return true
            }
        }
        return false
    }

    private func pick(at loc: Int, product: Int, level g: Int, mask: UInt64, t: Double, usableUntil: Double) -> (Int, Int)? {
        var best = -1, bestK = 0, bestExpiry = Double.infinity
        for h in byLoc[loc] {
            let lot = hLot[h]
            guard m.lotProduct[lot] == product, m.lotMask[lot] & mask == 0, m.lotRelease[lot] <= t,
                  m.lotExpiry[lot] > usableUntil else { continue }
            let k = Int(m.vialsPerDose[lot * L + g])
            guard k > 0, hVials[h] >= k, m.lotExpiry[lot] < bestExpiry else { continue }
            best = h; bestK = k; bestExpiry = m.lotExpiry[lot]
        }
        return best < 0 ? nil : (best, bestK)
    }

    private mutating func take(_ h: Int, _ k: Int) { hVials[h] -= k; lotLeft[hLot[h]] -= k }

    private mutating func dosed(_ i: Int, at t: Double) {
        patients[i].doseAt = t
        let p = patients[i]
        let st = m.studies[p.study]
        if t < m.horizon { out.doses[m.month(of: t) * cells + p.site * P + st.product] += 1 }
        paths[p.study].dosed(level: p.level, dlt: rng.bernoulli(st.dlt[p.level]))
    }

    private mutating func retry(site s: Int, t: Double) {
        guard !waiting[s].isEmpty else { return }
        var still: [Int] = []
        for i in waiting[s] {
            if serve(i, t: t) {
                let st = m.studies[patients[i].study]
                waitingVials[s * P + st.product] -= m.referenceVials[st.levels[patients[i].level]]
            } else { still.append(i) }
        }
        waiting[s] = still
    }

    private mutating func retryAll(t: Double) { for s in 1..<m.locations.count { retry(site: s, t: t) } }

    // MARK: replenishment

    /// Released vials of the product at `loc` still usable at `until` (after the margin).
    private func usableVials(at loc: Int, product: Int, t: Double, until: Double) -> Int {
        var n = 0
        for h in byLoc[loc] {
            let lot = hLot[h]
            if m.lotProduct[lot] == product && m.lotRelease[lot] <= t && m.lotExpiry[lot] > until + margin { n += hVials[h] }
        }
        return n
    }

    /// Continuous review: below the par minimum (counting stock in transit and owed to waiting patients), ship up to the
    /// maximum: the lots the most patients can take first, first-expiring among equals.
    private mutating func review(site s: Int, product p: Int, t: Double) {
        let k = s * P + p
        guard m.inputs.policy.mode != .central, m.parMax[k] > 0, m.siteRoute[s] else { return }
        // Stock that expires before a shipment ordered now could arrive does not count: it is replaced ahead.
        let position = usableVials(at: s, product: p, t: t, until: t + m.siteTransit[s]) + inTransit[k] - waitingVials[k]
        guard position < m.parMin[k] else { return }
        var need = m.parMax[k] - position
        if m.siteCapacity[s] != Int.max {
            var held = 0
            for q in 0..<P { held += inTransit[s * P + q] }
            for h in byLoc[s] { held += hVials[h] }
            need = min(need, m.siteCapacity[s] - held)
        }
        guard need > 0 else { return }
        let arrival = t + m.siteTransit[s]
        let candidates = byLoc[0].filter { h in
            let lot = hLot[h]
            return hVials[h] > 0 && m.lotProduct[lot] == p && m.lotRelease[lot] <= t && m.lotExpiry[lot] > arrival + margin
        }.sorted {
            let a = m.lotCompatibleShare[hLot[$0]], b = m.lotCompatibleShare[hLot[$1]]
            return a != b ? a > b : m.lotExpiry[hLot[$0]] < m.lotExpiry[hLot[$1]]
        }
        var shipped = 0
        for h in candidates where need > 0 {
            let n = min(need, hVials[h])
            hVials[h] -= n; need -= n; shipped += n
            let s1 = (t: arrival, site: s, lot: hLot[h], vials: n)
            let at = shipments.firstIndex { $0.t > arrival } ?? shipments.count
            shipments.insert(s1, at: at)
        }
        if shipped > 0 { inTransit[k] += shipped; out.shipments += 1; out.shippedVials += shipped }
    }

    private mutating func arrive(_ s: (t: Double, site: Int, lot: Int, vials: Int)) {
        let p = m.lotProduct[s.lot]
        inTransit[s.site * P + p] -= s.vials
        if let h = byLoc[s.site].first(where: { hLot[$0] == s.lot }) { hVials[h] += s.vials } else {
            byLoc[s.site].append(hLot.count); hLot.append(s.lot); hVials.append(s.vials)
        }
        retry(site: s.site, t: s.t)
        review(site: s.site, product: p, t: s.t)
    }

    // MARK: misses and outputs

    /// The first constraint no lot of the product gets past, for patient `i` at time `t`.
    private func classify(_ i: Int, t: Double) -> MissCause {
        let p = patients[i]
        let st = m.studies[p.study]
        let g = st.levels[p.level]
        var compatible = false, unexpired = false, fits = false, left = false, released = false
        for lot in m.lotProduct.indices where m.lotProduct[lot] == st.product {
            guard m.lotMask[lot] & p.mask == 0 else { continue }
            compatible = true
            guard m.lotExpiry[lot] > t + margin else { continue }
            unexpired = true
            let k = Int(m.vialsPerDose[lot * L + g])
            guard k > 0 else { continue }
            fits = true
            guard lotLeft[lot] >= k else { continue }
            left = true
            if m.lotRelease[lot] <= t { released = true }
        }
        if !compatible { return .noCompatibleDonor }
        if !unexpired { return .expired }
        if !fits { return .doseLevelChanged }
        if !left { return .stockUsedUp }
        if !released { return .notReleasedYet }
        return .wrongSite
    }

    private mutating func snapshot(month: Int, t: Double) {
        for loc in 0..<m.locations.count {
            for h in byLoc[loc] {
                let lot = hLot[h]
                if m.lotRelease[lot] <= t && m.lotExpiry[lot] > t {
                    out.stock[month * cells + loc * P + m.lotProduct[lot]] += Int32(hVials[h])
                }
            }
        }
    }

    private mutating func finish() {
        for p in patients {
            let st = m.studies[p.study]
            let hours = p.doseAt.map { ($0 - p.clearance) * 24 }
            let onTime = hours.map { $0 <= m.inputs.targetHours + 1e-9 } ?? false
            out.patients += 1
            out.waits[WaitBins.bin(hours: hours)] += 1
            if p.mask != 0 { out.dsaPatients += 1 }
            if onTime {
                out.onTime += 1
                if p.mask != 0 { out.dsaOnTime += 1 }
            } else {
                let cause = p.cause >= 0 ? p.cause : MissCause.wrongSite.rawValue
                out.causes[cause] += 1
                out.stockout[m.month(of: p.clearance) * cells + p.site * P + st.product] = 1
            }
        }
        for loc in 0..<m.locations.count {
            for h in byLoc[loc] where hVials[h] > 0 {
                let lot = hLot[h]
                guard m.lotExpiry[lot] <= m.horizon else { continue }
                out.expired[m.month(of: m.lotExpiry[lot]) * cells + loc * P + m.lotProduct[lot]] += Int32(hVials[h])
                out.expiredTotal += hVials[h]
            }
        }
    }
}
