/// The demo's two studies (ALPHA on ALLO-501, RESOLUTION on ALLO-329, their dose levels and donors) scaled to
/// `sites` sites and `cohorts` cohorts: the benchmark's and the plan check's scenario. Sites alternate between
/// one and four days from the depot, like UCLA/MDA and Charité from SSF.
public enum ScaledDemo {
    public static let donors: [CandidateDonor] = [
        .init(donor: "DN-000101", hla: ["A*02:01", "A*24:02", "B*07:02", "B*44:02", "C*07:02", "C*05:01", "DRB1*15:01", "DRB1*04:01", "DQB1*06:02", "DQB1*03:02"]),
        .init(donor: "DN-000102", hla: ["A*01:01", "A*03:01", "B*08:01", "B*35:01", "C*07:01", "C*04:01", "DRB1*03:01", "DRB1*01:01", "DQB1*02:01", "DQB1*05:01"]),
        .init(donor: "DN-000103", hla: ["A*11:01", "A*02:05", "B*51:01", "B*15:01", "C*03:04", "C*16:01", "DRB1*11:01", "DRB1*13:01", "DQB1*03:01", "DQB1*06:03"]),
        .init(donor: "DN-000104", hla: ["A*23:01", "A*30:01", "B*57:01", "B*13:02", "C*06:02", "C*06:02", "DRB1*07:01", "DRB1*07:01", "DQB1*02:02", "DQB1*02:02"]),
    ]

    public static func inputs(sites n: Int = 20, cohorts: Int = 6, asOf: String = "2026-12-07", months: Int = 12) -> SupplyInputs {
        let sites = (1...n).map { i in
            SiteSupply(id: String(format: "S%02d", i), transitDays: i % 4 == 0 ? 4 : (i % 2 == 0 ? 2 : 1), dryShipperHoldDays: 10, capacityVials: 60)
        }
        let antibodies = ["A*02:01": 0.10, "B*44": 0.05, "DRB1*15:01": 0.04, "A*01:01": 0.03]
        let alpha = StudyAssumptions(
            id: "ALPHA", product: "ALLO-501",
            doseLevels: [.init(code: "DL1", targetCells: 40_000_000, dltProbability: 0.05), .init(code: "DL2", targetCells: 120_000_000, dltProbability: 0.10),
                         .init(code: "DL3", targetCells: 360_000_000, dltProbability: 0.20), .init(code: "DL4", targetCells: 480_000_000, dltProbability: 0.35)],
            maxCohorts: cohorts, screenFailure: 0.2, rateShape: 4, antibodyShare: antibodies,
            sites: sites.enumerated().filter { $0.offset % 3 != 2 }.map { .init(site: $0.element.id, patientsPerMonth: 0.5, activationDay: Double($0.offset % 5) * 20) })
        let resolution = StudyAssumptions(
            id: "RESOLUTION", product: "ALLO-329",
            doseLevels: [.init(code: "DL1", targetCells: 50_000_000, dltProbability: 0.05), .init(code: "DL2", targetCells: 100_000_000, dltProbability: 0.10)],
            maxCohorts: cohorts, screenFailure: 0.3, rateShape: 4, antibodyShare: antibodies,
            sites: sites.enumerated().filter { $0.offset % 3 != 0 }.map { .init(site: $0.element.id, patientsPerMonth: 0.4, activationDay: Double($0.offset % 4) * 30) })
        let demoLots: [LotSupply] = [
            .init(id: "A501-26001", product: "ALLO-501", donor: "DN-000101", donorHla: donors[0].hla, cellsPerVial: 40_000_000, vials: 30, expiresInDays: 160, location: "SSF"),
            .init(id: "A501-26002", product: "ALLO-501", donor: "DN-000101", donorHla: donors[0].hla, cellsPerVial: 60_000_000, vials: 30, expiresInDays: 180, location: "SSF"),
            .init(id: "A501-26004", product: "ALLO-501", donor: "DN-000102", donorHla: donors[1].hla, cellsPerVial: 120_000_000, vials: 24, expiresInDays: 240, releaseInDays: 21, location: "SSF"),
            .init(id: "A329-26006", product: "ALLO-329", donor: "DN-000103", donorHla: donors[2].hla, cellsPerVial: 50_000_000, vials: 30, expiresInDays: 145, location: "SSF"),
            .init(id: "A329-26007", product: "ALLO-329", donor: "DN-000104", donorHla: donors[3].hla, cellsPerVial: 25_000_000, vials: 30, expiresInDays: 175, location: "SSF"),
            .init(id: "A329-26009", product: "ALLO-329", donor: "DN-000102", donorHla: donors[1].hla, cellsPerVial: 100_000_000, vials: 24, expiresInDays: 235, releaseInDays: 21, location: "SSF"),
            .init(id: "A329-26011", product: "ALLO-329", donor: "DN-000101", donorHla: donors[0].hla, cellsPerVial: 25_000_000, vials: 24, expiresInDays: 305, location: "SSF"),
        ]
        // The demo's released and quarantined lots stock 3 sites: one copy per 3 sites.
        let copies = max(1, (n + 2) / 3)
        let lots = (0..<copies).flatMap { c in demoLots.map { l in var l = l; l.id += c == 0 ? "" : "-\(c)"; return l } }
        return SupplyInputs(asOf: asOf, months: months, depot: "SSF", serviceTarget: 0.95, studies: [alpha, resolution], sites: sites, lots: lots,
                            policy: SupplyPolicy(mode: .both))
    }

    public static let templates: [Campaign] = [
        .init(product: "ALLO-501", startDay: 0, leadDays: 60, lots: 2, vialsPerLot: 60, cellsPerVial: 40_000_000, shelfLifeDays: 365, donor: "", donorHla: []),
        .init(product: "ALLO-329", startDay: 0, leadDays: 60, lots: 2, vialsPerLot: 60, cellsPerVial: 25_000_000, shelfLifeDays: 365, donor: "", donorHla: []),
    ]
}
