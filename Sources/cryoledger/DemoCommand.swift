import ArgumentParser
import CryoDomain
import CryoStore
import Foundation
import Logging

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "The demo dataset.", subcommands: [Load.self])

    struct Load: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load a demo modelled on the seeds: ALLO-501 and ALLO-329, donors, a dozen lots, a few hundred vials in two freezers.",
            discussion: "Writes the demo users' tokens to demo-tokens.env in the CRYOLEDGER_HOME directory (or the current one).")
        @Option(help: "Where to write the demo users' tokens.") var tokensFile: String?

        func run() async throws {
            try await runReporting {
                let path = tokensFile ?? EmbeddedPostgres().home.appendingPathComponent("demo-tokens.env").path
                let summary = try await Database.withStore { store, logger in
                    try await DemoData(store: store, logger: logger).load(tokensFile: path)
                }
                print(summary)
            }
        }
    }
}

/// The demo, written through the same Store operations as the API and the CLI.
struct DemoData {
    let store: Store
    let logger: Logger
    static let qaPassword = "demo-qa-signing-pass"
    static let clinicPassword = "demo-clinic-signing-pass"

    func load(tokensFile: String) async throws -> String {
        // Every demo user signs in to the console with its login name and password; QA, clinical and pharmacy
        // sign electronically with the same password (21 CFR 11.200: the signer re-enters it).
        let users: [(String, Role, String, String)] = [
            ("Alex Admin", .admin, "demo-admin-console-pass", "alex"), ("Morgan Maker", .manufacturing, "demo-maker-console-pass", "morgan"),
            ("Quinn Tester", .qc, "demo-qc-console-pass", "quinn"), ("Avery Releaser", .qa, Self.qaPassword, "avery"),
            ("Casey Clinician", .clinical, Self.clinicPassword, "casey"), ("Parker Pharmacist", .pharmacy, Self.clinicPassword, "parker"),
            ("Aubrey Auditor", .auditor, "demo-auditor-console-pass", "aubrey"),
        ]
        var tokens: [Role: String] = [:]
        var principals: [Role: Principal] = [:]
        for (name, role, password, login) in users {
            do {
                let issued = try await store.createUser(name: name, role: role, password: password, login: login, logger: logger)
                tokens[role] = issued.token
                principals[role] = issued.user
            } catch DomainError.conflict {
                return "the demo is already loaded; tokens are in \(tokensFile)"
            }
        }
        let env = Role.allCases.compactMap { role in tokens[role].map { "CRYOLEDGER_TOKEN_\(role.rawValue.uppercased())=\($0)" } }.joined(separator: "\n") + "\n"
        FileManager.default.createFile(atPath: tokensFile, contents: Data(env.utf8), attributes: [.posixPermissions: 0o600])
        let logins = users.map { _, role, password, login in
            "CRYOLEDGER_LOGIN_\(role.rawValue.uppercased())=\(login)\nCRYOLEDGER_PASSWORD_\(role.rawValue.uppercased())=\(password)"
        }.joined(separator: "\n") + "\n"
        let usersFile = URL(fileURLWithPath: tokensFile).deletingLastPathComponent().appendingPathComponent("demo-users.env").path
        FileManager.default.createFile(atPath: usersFile, contents: Data(logins.utf8), attributes: [.posixPermissions: 0o600])

        let qa = principals[.qa]!, mfg = principals[.manufacturing]!
        let today = CalendarDay.today()
        for product in Self.products {
            _ = try await store.createProduct(product, effectiveFrom: today.adding(days: -400), actor: qa, logger: logger)
        }
        try await store.createSite(code: "SSF", name: "South San Francisco manufacturing", kind: .manufacturing, actor: mfg, logger: logger)
        try await store.createSite(code: "EU1", name: "European distribution depot", kind: .depot, actor: mfg, logger: logger)
        let freezers = [("SSF-LN2-01", "SSF", FreezerKind.ln2Dewar, "LN2 vapour dewar 1"), ("EU1-MECH-01", "EU1", .mechanical, "Mechanical freezer 1 (≤ -150 °C)")]
        var boxes: [String] = []
        for (id, site, kind, name) in freezers {
            try await store.createFreezer(id: id, siteCode: site, kind: kind, name: name, maxCelsius: -150, actor: mfg, logger: logger)
            for r in 1...2 {
                let rack = "\(id)-R\(r)"
                try await store.createRack(id: rack, freezerId: id, label: "R\(r)", actor: mfg, logger: logger)
                for b in 1...2 {
                    let box = "\(rack)-B\(b)"
                    try await store.createBox(id: box, rackId: rack, label: "B\(b)", rows: 9, columns: 9, actor: mfg, logger: logger)
                    boxes.append(box)
                }
            }
        }
        for (i, hla) in Self.donorHLA.enumerated() {
            let pending = i == Self.donorHLA.count - 1
            let tests = ["HIV-1/2 NAT", "HBV NAT", "HCV NAT", "HTLV-I/II", "Syphilis", "CMV IgG"].map {
                ScreeningTest(test: $0, result: pending ? "pending" : "non-reactive", testedOn: today.adding(days: -420 + i))
            }
            _ = try await store.registerDonor(DonorRegistration(code: String(format: "DN-%06d", 101 + i), eligibility: pending ? .pending : .eligible,
                                                                screeningTests: pending ? [] : tests, hla: hla), actor: mfg, logger: logger)
        }
        let qc = principals[.qc]!
        // A dozen lots: (product, donor, days ago made, cells per vial, vials, final state)
        let lots: [(String, Int, Int, Int, Int, LotStatus)] = [
            ("ALLO-501", 0, 200, 40_000_000, 30, .released), ("ALLO-501", 0, 180, 60_000_000, 30, .released),
            ("ALLO-501", 1, 150, 40_000_000, 30, .onHold), ("ALLO-501", 1, 120, 120_000_000, 24, .quarantine),
            ("ALLO-501", 2, 10, 40_000_000, 30, .inProcess),
            ("ALLO-329", 2, 220, 50_000_000, 30, .released), ("ALLO-329", 3, 190, 25_000_000, 30, .released),
            ("ALLO-329", 3, 160, 50_000_000, 30, .rejected), ("ALLO-329", 4, 130, 100_000_000, 24, .quarantine),
            ("ALLO-329", 4, 100, 50_000_000, 30, .onHold), ("ALLO-329", 0, 60, 25_000_000, 24, .released),
            ("ALLO-329", 1, 5, 50_000_000, 20, .inProcess),
        ]
        var vialCount = 0
        var boxIndex = 0, boxFree = 81
        for (n, (product, donor, ago, cells, vials, final)) in lots.enumerated() {
            let number = String(format: "%@-%02d%03d", product == "ALLO-501" ? "A501" : "A329", 26, n + 1)
            _ = try await store.registerLot(LotRegistration(lotNumber: number, productCode: product, donorCode: String(format: "DN-%06d", 101 + donor),
                                                            manufacturedOn: today.adding(days: -ago), expiresOn: nil, cellsPerVial: cells, plannedVials: vials),
                                            actor: mfg, logger: logger)
            if vials > boxFree { boxIndex += 1; boxFree = 81 }
            _ = try await store.createVials(lotNumber: number, count: vials, boxId: boxes[boxIndex], actor: mfg, logger: logger)
            boxFree -= vials
            vialCount += vials
            if final == .inProcess { continue }
            _ = try await store.transitionLot(number: number, to: .quarantine, reason: "manufacturing run complete; cryopreserved", actor: mfg, logger: logger)
            switch final {
            case .released:
                for test in Self.passingResults {
                    _ = try await store.recordQcResult(lotNumber: number, QcResultInput(testCode: test.0, numericValue: test.1, textValue: test.2,
                                                                                      method: test.3, analyst: "Quinn Tester"), actor: qc, logger: logger)
                }
                _ = try await store.releaseLot(number: number, kind: .standard, justification: nil, pendingTests: [], restrictedTo: [],
                                               reason: "all release tests within specification",
                                               signature: SignatureInput(password: Self.qaPassword, meaning: "approved for release"), actor: qa, logger: logger)
            case .onHold:
                _ = try await store.transitionLot(number: number, to: .onHold, reason: "deviation DEV-\(n + 100) under investigation", actor: qa, logger: logger)
            case .rejected:
                _ = try await store.transitionLot(number: number, to: .rejected, reason: "viability below specification",
                                                  signature: SignatureInput(password: Self.qaPassword, meaning: "rejected: does not meet specification"),
                                                  actor: qa, logger: logger)
            default: break
            }
        }
        let clinical = try await loadStudies(clinical: principals[.clinical]!, manufacturing: mfg, today: today)
        return """
            demo loaded: 2 products, \(Self.donorHLA.count) donors, \(lots.count) lots, \(vialCount) vials in 2 freezers (\(boxes.count) boxes of 9×9)
            \(clinical)
            users and tokens: \(tokensFile) (QA signing password: \(Self.qaPassword); clinical and pharmacy: \(Self.clinicPassword))
            """
    }

    static let passingResults: [(String, Double?, String?, String)] = [
        ("viability", 88.5, nil, "7-AAD flow cytometry"), ("car-positive", 41.2, nil, "flow cytometry, anti-idiotype"),
        ("sterility", nil, "no growth", "USP <71> direct inoculation, 14 days"), ("mycoplasma", nil, "not detected", "qPCR"),
        ("endotoxin", 0.8, nil, "kinetic chromogenic LAL"), ("vcn", 2.1, nil, "ddPCR"), ("residual-tcr", 0.3, nil, "flow cytometry"),
        ("identity", nil, "conforms", "CAR transgene PCR"), ("potency", 1850, nil, "IFN-γ release, CD19+ targets"),
    ]

    static let donorHLA: [[String]] = [
        ["A*02:01", "A*24:02", "B*07:02", "B*44:02", "C*07:02", "C*05:01", "DRB1*15:01", "DRB1*04:01", "DQB1*06:02", "DQB1*03:02"],
        ["A*01:01", "A*03:01", "B*08:01", "B*35:01", "C*07:01", "C*04:01", "DRB1*03:01", "DRB1*01:01", "DQB1*02:01", "DQB1*05:01"],
        ["A*11:01", "A*02:05", "B*51:01", "B*15:01", "C*03:04", "C*16:01", "DRB1*11:01", "DRB1*13:01", "DQB1*03:01", "DQB1*06:03"],
        ["A*23:01", "A*30:01", "B*57:01", "B*13:02", "C*06:02", "C*06:02", "DRB1*07:01", "DRB1*07:01", "DQB1*02:02", "DQB1*02:02"],
        ["A*26:01", "A*68:01", "B*40:01", "B*27:05", "C*03:03", "C*12:03", "DRB1*16:01", "DRB1*13:02", "DQB1*05:02", "DQB1*06:04"],
        ["A*29:02", "A*31:01", "B*18:01", "B*44:03", "C*16:01", "C*04:01", "DRB1*04:01", "DRB1*15:01", "DQB1*03:02", "DQB1*06:02"],
    ]

    static var products: [ProductRecord] {
        func spec(_ vcnMax: Double) -> [SpecTest] {
            [
                SpecTest(code: "viability", name: "Viability", kind: "numeric", unit: "%", min: 70),
                SpecTest(code: "car-positive", name: "CAR+ T cells", kind: "numeric", unit: "%", min: 20),
                SpecTest(code: "sterility", name: "Sterility (USP <71>)", kind: "qualitative", expected: "no growth"),
                SpecTest(code: "mycoplasma", name: "Mycoplasma", kind: "qualitative", expected: "not detected"),
                SpecTest(code: "endotoxin", name: "Endotoxin", kind: "numeric", unit: "EU/mL", max: 5),
                SpecTest(code: "vcn", name: "Vector copy number", kind: "numeric", unit: "copies/cell", max: vcnMax),
                SpecTest(code: "residual-tcr", name: "Residual TCRαβ+ cells", kind: "numeric", unit: "%", max: 1),
                SpecTest(code: "identity", name: "Identity (CAR transgene)", kind: "qualitative", expected: "conforms"),
                SpecTest(code: "potency", name: "Potency (IFN-γ release on target cells)", kind: "numeric", unit: "pg/mL", min: 500),
            ]
        }
        return [
            ProductRecord(code: "ALLO-501", name: "ALLO-501 anti-CD19 AlloCAR T", shelfLifeDays: 365,
                          storageCondition: "vapour phase of liquid nitrogen", storageMaxCelsius: -135, thawToInfusionMinutes: 30, specification: spec(5)),
            ProductRecord(code: "ALLO-329", name: "ALLO-329 CD19/CD70 dual CAR AlloCAR T", shelfLifeDays: 365,
                          storageCondition: "vapour phase of liquid nitrogen", storageMaxCelsius: -135, thawToInfusionMinutes: 30, specification: spec(5)),
        ]
    }
}
