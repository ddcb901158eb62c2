/// Why a lot may not serve a demand: the first rule of FORMAT.md that forbids it,
/// checked in the order of ../shared/allocation/alloc_rules.py `why_not`.
public enum Exclusion: Sendable, Hashable, CustomStringConvertible {
    /// Rule 1: the lot is not released.
    case notReleased(status: String)
    /// Rule 1: the lot is of another product.
    case otherProduct(String)
    /// Rule 2: `expiry < infusionDate + expiryMarginDays`.
    case expiresTooEarly(expiry: Day, latestAllowed: Day)
    /// Rule 3: no route from the lot's depot to the demand's site.
    case noRoute(depot: String, site: String)
    /// Rule 3: `asOf + days > infusionDate`.
    case arrivesTooLate(arrival: Day, infusionDate: Day)
    /// Rule 4: an antibody of the demand matches an allele of the donor.
    case donorSpecificAntibody(antibody: String, allele: String)
    /// Rule 5: the lot is in the demand's `excludedLots`.
    case excludedForDemand
    /// Rule 6: no whole number of vials lands in the dose window.
    case noVialCount(cellsPerVial: Int)
    /// Rules 1–6 allow the pair, but the lot holds fewer vials than the dose.
    case tooFewVials(needed: Int, available: Int)

    public var rule: Int {
        switch self {
        case .notReleased, .otherProduct: 1
        case .expiresTooEarly: 2
        case .noRoute, .arrivesTooLate: 3
        case .donorSpecificAntibody: 4
        case .excludedForDemand: 5
        case .noVialCount, .tooFewVials: 6
        }
    }

    public var description: String {
        switch self {
        case .notReleased(let s): "not released (\(s))"
        case .otherProduct(let p): "other product (\(p))"
        case .expiresTooEarly(let e, let needed): "expires \(e), before \(needed)"
        case .noRoute(let depot, let site): "no route from depot \(depot) to site \(site)"
        case .arrivesTooLate(let arrival, let infusion): "cannot arrive before \(arrival), after infusion on \(infusion)"
        case .donorSpecificAntibody(let a, let h): "donor-specific antibody \(a) (\(h))"
        case .excludedForDemand: "excluded for this demand"
        case .noVialCount(let c): "no whole number of \(c)-cell vials fits the dose window"
        case .tooFewVials(let k, let v): "dose needs \(k) vials, lot holds \(v)"
        }
    }
}

/// A dose of one lot for one demand: rule 6's vial count and the pair's terms in levels 4 and 5.
public struct Dose: Sendable, Hashable {
    public var vials: Int
    /// `L.expiry - d.infusionDate` in days (level 4).
    public var slackDays: Int
    /// `|vials * cellsPerVial - targetCells|` (level 5).
    public var overageCells: Int

    public init(vials: Int, slackDays: Int, overageCells: Int) {
        self.vials = vials
        self.slackDays = slackDays
        self.overageCells = overageCells
    }
}

public struct AntibodyHit: Sendable, Hashable {
    public var antibody: String
    public var allele: String

    public init(antibody: String, allele: String) {
        self.antibody = antibody
        self.allele = allele
    }
}

/// The rules of FORMAT.md for one instance's as-of date, policy and routes.
public struct AllocationRules: Sendable {
    public let asOf: Day
    public let policy: AllocationPolicy
    private let routeDays: [String: [String: Int]]

    public init(asOf: Day, policy: AllocationPolicy, routes: [Route]) {
        self.asOf = asOf
        self.policy = policy
        var days: [String: [String: Int]] = [:]
        for r in routes {
            // Several routes between the same places: the fastest counts.
            days[r.from, default: [:]][r.to] = min(r.days, days[r.from]?[r.to] ?? Int.max)
        }
        self.routeDays = days
    }

    public init(_ instance: AllocationInstance) {
        self.init(asOf: instance.asOf, policy: instance.policy, routes: instance.routes)
    }

    /// Days of the fastest route from a depot to a site, if any.
    public func routeDays(from depot: String, to site: String) -> Int? { routeDays[depot]?[site] }

    /// Rule 6: the `k >= 1` with `100*k*cellsPerVial` inside
    /// `[(100-tol)*targetCells, (100+tol)*targetCells]` nearest to the target, the smaller on a tie.
    public static func vialCount(targetCells: Int, cellsPerVial: Int, tolerancePct: Int) -> Int? {
        guard targetCells > 0, cellsPerVial > 0 else { return nil }
        // Int128 so that no input can overflow the products of the window.
        let t = Int128(targetCells), c = Int128(cellsPerVial), tol = Int128(tolerancePct)
        let low = (100 - tol) * t, high = (100 + tol) * t, step = 100 * c
        guard high >= 0 else { return nil }
        let kLow = low <= step ? Int128(1) : (low + step - 1) / step
        let kHigh = high / step
        guard kLow <= kHigh else { return nil }
        // |k*c - t| is convex in k with its minimum at t/c: the best k is floor or ceil of t/c, clamped.
        let q = t / c
        var best: Int128 = 0
        var bestGap: Int128 = -1
        for candidate in [q, q + 1] {
            let k = min(max(candidate, kLow), kHigh)
            let gap = abs(k * c - t)
            if bestGap < 0 || gap < bestGap || (gap == bestGap && k < best) {
                best = k
                bestGap = gap
            }
        }
        return best > Int128(Int.max) ? nil : Int(best)
    }

    /// Rule 4: antibody `a` matches allele `h` when `h == a` or `h` starts with `a + ":"`.
    public static func antibodyMatches(_ antibody: String, allele: String) -> Bool {
        if allele == antibody { return true }
        let a = antibody.utf8, h = allele.utf8
        guard h.count > a.count, h.starts(with: a) else { return false }
        return h[h.index(h.startIndex, offsetBy: a.count)] == UInt8(ascii: ":")
    }

    /// Every (antibody, allele) pair of rule 4 between a demand and a donor.
    public static func antibodyHits(antiHla: [String], donorHla: [String]) -> [AntibodyHit] {
        var out: [AntibodyHit] = []
        for a in antiHla {
            for h in donorHla where antibodyMatches(a, allele: h) {
                out.append(AntibodyHit(antibody: a, allele: h))
            }
        }
        return out
    }

    /// The first rule of 1–6 that forbids the pair, or nil when the lot may serve the demand.
    /// Like FORMAT.md, this ignores `vialsAvailable`; see `whyNotUsable`.
    public func whyNot(_ demand: Demand, _ lot: Lot) -> Exclusion? {
        if lot.status != "released" { return .notReleased(status: lot.status) }
        if lot.product != demand.product { return .otherProduct(lot.product) }
        let latest = demand.infusionDate + policy.expiryMarginDays
        if lot.expiry < latest { return .expiresTooEarly(expiry: lot.expiry, latestAllowed: latest) }
        guard let days = routeDays(from: lot.depot, to: demand.site) else {
            return .noRoute(depot: lot.depot, site: demand.site)
        }
        if asOf + days > demand.infusionDate {
            return .arrivesTooLate(arrival: asOf + days, infusionDate: demand.infusionDate)
        }
        if let hit = Self.antibodyHits(antiHla: demand.antiHla, donorHla: lot.donorHla).first {
            return .donorSpecificAntibody(antibody: hit.antibody, allele: hit.allele)
        }
        if demand.excludedLots.contains(lot.id) { return .excludedForDemand }
        if Self.vialCount(targetCells: demand.targetCells, cellsPerVial: lot.cellsPerVial,
                          tolerancePct: policy.doseTolerancePct) == nil {
            return .noVialCount(cellsPerVial: lot.cellsPerVial)
        }
        return nil
    }

    /// `whyNot`, or `.tooFewVials` when the lot cannot hold a single dose.
    public func whyNotUsable(_ demand: Demand, _ lot: Lot) -> Exclusion? {
        if let reason = whyNot(demand, lot) { return reason }
        let k = Self.vialCount(targetCells: demand.targetCells, cellsPerVial: lot.cellsPerVial,
                               tolerancePct: policy.doseTolerancePct)!
        return k > lot.vialsAvailable ? .tooFewVials(needed: k, available: lot.vialsAvailable) : nil
    }

    /// The dose of an allowed pair (rules 1–6), or nil when the pair is not allowed.
    public func dose(_ demand: Demand, _ lot: Lot) -> Dose? {
        guard whyNot(demand, lot) == nil else { return nil }
        return Self.dose(targetCells: demand.targetCells, infusionDate: demand.infusionDate, lot: lot,
                         tolerancePct: policy.doseTolerancePct)
    }

    static func dose(targetCells: Int, infusionDate: Day, lot: Lot, tolerancePct: Int) -> Dose? {
        guard let k = vialCount(targetCells: targetCells, cellsPerVial: lot.cellsPerVial, tolerancePct: tolerancePct)
        else { return nil }
        return Dose(vials: k, slackDays: lot.expiry - infusionDate, overageCells: abs(k * lot.cellsPerVial - targetCells))
    }
}
