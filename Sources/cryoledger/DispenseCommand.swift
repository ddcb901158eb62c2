import AllocationOptimizer
import ArgumentParser
import CryoDomain
import CryoStore
import Foundation

extension CohortLotsPolicy {
    /// The option's text, refused as the API refuses it.
    init(parsing text: String) throws(DomainError) {
        guard let policy = Self(rawValue: text) else { throw .invalid(field: "cohortLots", rule: "soft, hard or off") }
        self = policy
    }
}

extension AllocateCommand {
    struct Plan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Plan allocations from the live inventory (pharmacy); prints the plan with its explanations and keeps it for commit.")
        @OptionGroup var user: UserOptions
        @Option(name: .customLong("patient"), help: "Plan only for these patients; repeat. Default: every patient awaiting a dose, and the open cohort places.")
        var patients: [String] = []
        @Option(help: "soft, hard or off.") var cohortLots: String = "soft"
        @Option(help: "Dose tolerance, percent.") var doseTolerancePct: Int = 20
        @Option(help: "Expiry margin, days.") var expiryMarginDays: Int = 1
        @Option(help: "Solver time limit, seconds.") var timeLimit: Double?
        @Option(help: "Also write the plan's instance (FORMAT.md v1) here, for `allocate solve` or the reference solver.") var instanceOutput: String?
        func run() async throws {
            try await runReporting {
                var request = PlanRequest(patients: patients.isEmpty ? nil : patients)
                request.cohortLots = try CohortLotsPolicy(parsing: cohortLots); request.doseTolerancePct = doseTolerancePct; request.expiryMarginDays = expiryMarginDays
                request.timeLimitSeconds = timeLimit
                let (plan, instance) = try await Database.withStore { [request] store, logger in
                    let actor = try await user.principal(store, logger)
                    let plan = try await store.planAllocation(request, actor: actor, logger: logger)
                    return (plan, try await store.allocationPlanInstance(id: plan.id, actor: actor, logger: logger))
                }
                if let instanceOutput { try instance.write(to: URL(fileURLWithPath: instanceOutput)) }
                Output.emit(plan, user.format) { p in
                    var lines = ["plan \(p.id.uuidString.lowercased()) as of \(p.asOf): objective \(p.objective)\(p.provenOptimal ? " (proven optimal)" : "") in \(String(format: "%.2f", p.solveSeconds)) s"]
                    for a in p.assignments {
                        lines.append("  \(a.demand) [\(a.kind)] <- \(a.lot) x\(a.vials)\(a.vialIds.isEmpty ? "" : " (\(a.vialIds.joined(separator: ", ")))")")
                        lines.append("      \(a.explanation)")
                    }
                    for u in p.unassigned { lines.append("  \(u["demand"] ?? "") [\(u["kind"] ?? "")] unassigned: \(u["reason"] ?? "")") }
                    return lines.joined(separator: "\n")
                }
            }
        }
    }

    struct Commit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reserve a plan's vials, atomically; refused with every change if the inventory moved.")
        @OptionGroup var user: UserOptions
        @Argument(help: "The plan id.") var planId: String
        @Option(name: .customLong("patient"), help: "Commit only these patients' assignments; repeat.") var patients: [String] = []
        func run() async throws {
            try await runReporting {
                guard let id = UUID(uuidString: planId) else { throw DomainError.invalid(field: "planId", rule: "must be a UUID") }
                let done = try await Database.withStore { store, logger in
                    try await store.commitAllocation(planId: id, patients: patients.isEmpty ? nil : patients,
                                                     actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(done, user.format) { list in
                    list.map { "allocation \($0.allocationId): \($0.subjectId) <- lot \($0.lotNumber), vials \($0.vialIds.joined(separator: ", "))" }.joined(separator: "\n")
                }
            }
        }
    }
}

struct DispenseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dispense", abstract: "The dispense chain (pharmacy): pick, ship, receive, thaw, administer, destroy.",
        subcommands: [PickList.self, Pick.self, Ship.self, Receive.self, Thaw.self, Administer.self, Destroy.self])

    static func lines(_ l: [PickListLine]) -> String {
        l.map { "\($0.vialId)\t\($0.subjectId)\tlot \($0.lotNumber)\t\($0.status)\t\($0.location ?? "picked")" }.joined(separator: "\n")
    }

    struct PickList: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "pick-list", abstract: "Which vial to take from which position.")
        @OptionGroup var user: UserOptions
        @Argument var allocationId: Int64
        func run() async throws {
            try await runReporting {
                let l = try await Database.withStore { store, logger in
                    try await store.pickList(allocationId: allocationId, actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(l, user.format) { DispenseCommand.lines($0) }
            }
        }
    }

    struct Pick: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take an allocation's vials out of storage for dispatch, each vial scanned.")
        @OptionGroup var user: UserOptions
        @Argument var allocationId: Int64
        @Option(name: .customLong("scan"), help: "A vial id as scanned leaving its position; repeat for each vial.") var scanned: [String] = []
        func run() async throws {
            try await runReporting {
                let l = try await Database.withStore { store, logger in
                    try await store.pickAllocation(allocationId: allocationId, scannedVialIds: scanned, actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(l, user.format) { DispenseCommand.lines($0) }
            }
        }
    }

    struct Ship: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Ship reserved vials in a dry shipper to their patients' site.")
        @OptionGroup var user: UserOptions
        @Option(name: .customLong("vial"), help: "Vial id; repeat.") var vials: [String]
        @Option(help: "Clinical site.") var to: String
        @Option(help: "Dry shipper id.") var dryShipper: String
        @Option(help: "Temperature data logger id.") var dataLogger: String
        @Option(help: "The dry shipper's validated hold time, hours.") var holdHours: Int
        @Option(name: .customLong("scan"), help: "A vial id as scanned into the dry shipper; repeat for each vial.") var scanned: [String] = []
        @Option(help: "The dry shipper's label as scanned.") var scanShipper: String = ""
        func run() async throws {
            try await runReporting {
                let s = try await Database.withStore { store, logger in
                    try await store.shipVials(ShipmentInput(vialIds: vials, toSite: to, dryShipperId: dryShipper, dataLoggerId: dataLogger, validatedHoldHours: holdHours,
                                                            scannedVialIds: scanned, scannedDryShipperId: scanShipper),
                                              actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(s, user.format) { "shipment \($0.id): \($0.vialIds.count) vials \($0.fromSite) -> \($0.toSite), expected \($0.expectedArrival)" }
            }
        }
    }

    struct Receive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Receive a shipment at the site with its data logger's maximum temperature.")
        @OptionGroup var user: UserOptions
        @Argument var shipmentId: String
        @Option(help: "The data logger's maximum, °C.") var loggerMax: Double
        @Option(name: .customLong("scan"), help: "A vial id as scanned out of the dry shipper; repeat for each vial.") var scanned: [String] = []
        func run() async throws {
            try await runReporting {
                let s = try await Database.withStore { store, logger in
                    try await store.receiveShipment(id: shipmentId, loggerMaxCelsius: loggerMax, scannedVialIds: scanned,
                                                    actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(s, user.format) { "shipment \($0.id) received at \($0.toSite)\($0.receiptExcursion == true ? ": EXCURSION, vials on hold" : ", logger in range")" }
            }
        }
    }

    struct Thaw: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Thaw a received vial for a patient ready today (infusion day, lymphodepletion given, cleared); the thaw-to-infusion clock starts.")
        @OptionGroup var user: UserOptions
        @Argument var vialId: String
        @Option(name: .customLong("scan"), help: "The vial id as scanned.") var scanned: String = ""
        @Option(help: "The patient band as scanned.") var band: String = ""
        func run() async throws {
            try await runReporting {
                let v = try await Database.withStore { store, logger in
                    try await store.thawVial(id: vialId, scannedVialId: scanned, scannedSubjectId: band, actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(v, user.format) { "vial \($0.id) \($0.status)" }
            }
        }
    }

    struct Administer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Administer a thawed vial: bedside check of patient and vial ids, an electronic signature (password on standard input).")
        @OptionGroup var user: UserOptions
        @Argument(help: "The vial id scanned.") var vialId: String
        @Option(help: "The patient id scanned.") var patient: String
        @Option(help: "Meaning of the signature.") var meaning: String = "administered to the patient identified at the bedside"
        func run() async throws {
            try await runReporting {
                let signature = readSignature(meaning)
                let v = try await Database.withStore { store, logger in
                    try await store.administerVial(id: vialId, scannedSubjectId: patient, signature: signature,
                                                   actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(v, user.format) { "vial \($0.id) \($0.status) to \(patient)" }
            }
        }
    }

    struct Destroy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Destroy a vial, with a reason.")
        @OptionGroup var user: UserOptions
        @Argument var vialId: String
        @Option var reason: String
        func run() async throws {
            try await runReporting {
                let v = try await Database.withStore { store, logger in
                    try await store.destroyVial(id: vialId, reason: reason, actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(v, user.format) { "vial \($0.id) \($0.status)" }
            }
        }
    }
}
