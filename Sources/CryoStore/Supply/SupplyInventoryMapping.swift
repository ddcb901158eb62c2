import CryoDomain
import CryoSupply

/// From the rows the store reads to the forecast's inputs; pure, so the choices (depot, defaults) are testable.
public enum SupplyInventoryMapping {
    public struct LotRow: Sendable { var lot, product, donor: String; var cellsPerVial: Int; var released: Bool; var expiresInDays: Int
        var site: String; var vials: Int; var hla: [String]; var qcLeadDays: Int }
    public struct LevelRow: Sendable { var code: String; var targetCells: Int; var perKg: Bool; var open: Bool }
    public struct SiteRow: Sendable { var site: String; var patientsPerMonth: Double?; var activationDay: Int? }
    public struct StudyRow: Sendable { var code, product: String; var dltProbabilities: [Double]; var screenFailure: Double?; var rateShape: Double?
        var maxCohorts: Int?; var levels: [LevelRow]; var sites: [SiteRow]; var antibodyShare: [String: Double] }

    /// The depot is the route origin holding the most stored vials (ties: the first by name); lots stored at a place
    /// that is neither the depot nor a study site count as the depot's. A site without a route from the depot cannot be
    /// supplied (its transit is set beyond the dry shipper's hold).
    static func inputs(today: CalendarDay, months: Int, lots: [LotRow], studies: [StudyRow], routes: [(String, String, Int)]) -> SupplyInputs {
        let origins = Set(routes.map(\.0))
        var stock: [String: Int] = [:]
        for l in lots { stock[l.site, default: 0] += l.vials }
        let depot = origins.sorted().max { (stock[$0] ?? 0, $1) < (stock[$1] ?? 0, $0) } ?? lots.first?.site ?? "DEPOT"
        let siteIds = Array(Set(studies.flatMap { $0.sites.map(\.site) })).filter { $0 != depot }.sorted()
        let sites = siteIds.map { id in
            let days = routes.filter { $0.0 == depot && $0.1 == id }.map(\.2).min()
            return SiteSupply(id: id, transitDays: Double(days ?? 99), dryShipperHoldDays: 10, capacityVials: SupplyDefaults.storageSiteCapacity)
        }
        let supplyLots = lots.map { l in
            LotSupply(id: l.lot, product: l.product, donor: l.donor, donorHla: l.hla, cellsPerVial: l.cellsPerVial, vials: l.vials,
                      expiresInDays: Double(l.expiresInDays), releaseInDays: l.released ? 0 : Double(l.qcLeadDays),
                      location: siteIds.contains(l.site) ? l.site : depot)
        }
        let assumptions = studies.filter { !$0.levels.isEmpty }.map { s in
            StudyAssumptions(
                id: s.code, product: s.product,
                doseLevels: s.levels.enumerated().map { i, l in
                    .init(code: l.code, targetCells: l.perKg ? Int((Double(l.targetCells) * SupplyDefaults.referenceWeightKg).rounded()) : l.targetCells,
                          dltProbability: i < s.dltProbabilities.count ? s.dltProbabilities[i] : SupplyDefaults.dltProbability) },
                currentLevel: s.levels.lastIndex { $0.open } ?? 0,
                maxCohorts: s.maxCohorts ?? 6, screenFailure: s.screenFailure ?? 0.2, rateShape: s.rateShape, antibodyShare: s.antibodyShare,
                sites: s.sites.filter { $0.site != depot }.map { .init(site: $0.site, patientsPerMonth: $0.patientsPerMonth ?? SupplyDefaults.patientsPerMonth,
                                                                      activationDay: Double($0.activationDay ?? 0)) })
        }
        return SupplyInputs(asOf: today.description, months: months, depot: depot, studies: assumptions, sites: sites, lots: supplyLots,
                            policy: SupplyPolicy(mode: .both))
    }
}
