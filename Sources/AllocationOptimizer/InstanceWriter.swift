import Foundation

/// Encodes an instance in the `cryoledger.allocation/v1` format that `AllocationInstanceParser` reads back.
public enum AllocationInstanceWriter {
    public static func json(_ instance: AllocationInstance) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(Wire(instance))
    }

    private struct Wire: Encodable {
        let format = AllocationInstanceParser.format
        let asOf: String
        let policy: Policy
        let lots: [LotWire]
        let demands: [DemandWire]
        let routes: [RouteWire]

        init(_ i: AllocationInstance) {
            asOf = i.asOf.description
            policy = Policy(doseTolerancePct: i.policy.doseTolerancePct, expiryMarginDays: i.policy.expiryMarginDays, cohortLots: i.policy.cohortLots.rawValue)
            lots = i.lots.map { LotWire(id: $0.id, product: $0.product, status: $0.status, expiry: $0.expiry.description, cellsPerVial: $0.cellsPerVial,
                                        vialsAvailable: $0.vialsAvailable, depot: $0.depot, donorHla: $0.donorHla) }
            demands = i.demands.map { DemandWire(id: $0.id, kind: $0.kind.rawValue, product: $0.product, cohort: $0.cohort, targetCells: $0.targetCells,
                                                 site: $0.site, infusionDate: $0.infusionDate.description, antiHla: $0.antiHla, excludedLots: $0.excludedLots) }
            routes = i.routes.map { RouteWire(from: $0.from, to: $0.to, days: $0.days) }
        }
    }

    private struct Policy: Encodable { let doseTolerancePct: Int, expiryMarginDays: Int, cohortLots: String }
    private struct LotWire: Encodable {
        let id, product, status, expiry: String
        let cellsPerVial, vialsAvailable: Int
        let depot: String
        let donorHla: [String]
    }
    private struct DemandWire: Encodable {
        let id, kind, product, cohort: String
        let targetCells: Int
        let site, infusionDate: String
        let antiHla, excludedLots: [String]
    }
    private struct RouteWire: Encodable { let from, to: String; let days: Int }
}
