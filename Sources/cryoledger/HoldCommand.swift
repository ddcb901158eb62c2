import ArgumentParser
import CryoDomain
import CryoStore
import Foundation

extension HoldSubject: ExpressibleByArgument {}

func readSignature(_ meaning: String?) -> SignatureInput? {
    meaning.map { SignatureInput(password: readLine(strippingNewline: true) ?? "", meaning: $0) }
}

struct HoldCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hold", abstract: "QA holds on lots, vials, donors and freezers.",
                                                    subcommands: [Place.self, Lift.self, List.self])

    struct Place: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Place a hold (QA).")
        @OptionGroup var user: UserOptions
        @Option(help: "lot, vial, donor or freezer.") var on: HoldSubject
        @Option(help: "Lot number, vial id, donor code or freezer id.") var id: String
        @Option(help: "Why.") var reason: String
        func run() async throws {
            try await runReporting {
                let hold = try await Database.withStore { store, logger in
                    try await store.placeHold(on: on, id: id, reason: reason, actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(hold, user.format) { "hold \($0.id) placed on \($0.subjectType) \($0.subjectId): \($0.reason)" }
            }
        }
    }

    struct Lift: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lift a hold (QA): an electronic signature, password on standard input.")
        @OptionGroup var user: UserOptions
        @Argument(help: "The hold's id.") var holdId: Int64
        @Option(help: "Why it can be lifted.") var reason: String
        @Option(help: "Meaning of the signature, e.g. \"hold lifted after investigation\".") var meaning: String
        func run() async throws {
            try await runReporting {
                let signature = readSignature(meaning)
                let hold = try await Database.withStore { store, logger in
                    try await store.liftHold(id: holdId, reason: reason, signature: signature, actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(hold, user.format) { "hold \($0.id) on \($0.subjectType) \($0.subjectId) lifted by \($0.liftedBy ?? "?")" }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Holds on one subject (with --on and --id), or every active hold.")
        @OptionGroup var user: UserOptions
        @Option(help: "lot, vial, donor or freezer.") var on: HoldSubject?
        @Option(help: "The subject's id.") var id: String?
        @Flag(help: "Active holds only.") var active = false
        func run() async throws {
            try await runReporting {
                let holds = try await Database.withStore { store, logger in
                    try await store.listHolds(subject: on, id: id, activeOnly: active, actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(holds, user.format) { list in
                    list.isEmpty ? "no holds" : list.map {
                        "\($0.id)\t\($0.subjectType) \($0.subjectId)\t\($0.liftedAt == nil ? "ACTIVE" : "lifted")\t\($0.source)\t\($0.reason)"
                    }.joined(separator: "\n")
                }
            }
        }
    }
}

extension DonorCommand {
    struct LookBack: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "look-back",
            abstract: "Record a donor found ineligible after the fact (QA): holds its lots and vials, cancels reservations, lists dosed patients.")
        @OptionGroup var user: UserOptions
        @Argument var code: String
        @Option(help: "Why the donor is ineligible.") var reason: String
        func run() async throws {
            try await runReporting {
                let r = try await Database.withStore { store, logger in
                    try await store.recordDonorIneligible(code: code, reason: reason, actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(r, user.format) { r in
                    """
                    donor \(r.donorCode) is ineligible; look-back done
                    lots held: \(r.lotsHeld.isEmpty ? "none" : r.lotsHeld.joined(separator: ", "))
                    vials held: \(r.vialsHeld.count)
                    reservations cancelled: \(r.reservationsCancelled.isEmpty ? "none" : r.reservationsCancelled.joined(separator: ", "))
                    vials outside storage (shipped, received, thawed): \(r.vialsOutsideStorage.isEmpty ? "none" : r.vialsOutsideStorage.joined(separator: ", "))
                    patients already dosed: \(r.dosedPatients.isEmpty ? "none" : r.dosedPatients.map { "\($0.subjectId) (vial \($0.vialId), lot \($0.lotNumber))" }.joined(separator: ", "))
                    """
                }
            }
        }
    }
}

extension StorageCommand {
    struct Temperature: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a freezer temperature; an excursion holds the vials that were in the freezer since the previous reading.")
        @OptionGroup var user: UserOptions
        @Option(help: "Freezer id.") var freezer: String
        @Option(help: "Degrees Celsius.") var celsius: Double
        @Option(help: "When it was measured, ISO 8601 (default: now).") var at: String?
        @Option(help: "Probe or monitoring system id.") var probe: String?
        func run() async throws {
            try await runReporting {
                var when = Date()
                if let at {
                    guard let parsed = ISO8601DateFormatter().date(from: at) else {
                        throw DomainError.invalid(field: "at", rule: "must be an ISO 8601 time such as 2026-11-22T08:00:00Z")
                    }
                    when = parsed
                }
                let r = try await Database.withStore { [when] store, logger in
                    try await store.recordTemperature(freezerId: freezer, celsius: celsius, measuredAt: when, probe: probe,
                                                      actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(r, user.format) { r in
                    r.excursion ? "EXCURSION in \(r.freezerId) at \(r.celsius) °C: \(r.heldVials.count) vials put on hold" : "reading \(r.id): \(r.freezerId) \(r.celsius) °C, in range"
                }
            }
        }
    }
}

extension LotCommand {
    struct Reject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reject a lot (QA): an electronic signature, password on standard input.")
        @OptionGroup var user: UserOptions
        @Argument var lotNumber: String
        @Option(help: "Why.") var reason: String
        @Option(help: "Meaning of the signature.") var meaning: String = "rejected: does not meet specification"
        func run() async throws {
            try await runReporting {
                let signature = readSignature(meaning)
                let lot = try await Database.withStore { store, logger in
                    try await store.transitionLot(number: lotNumber, to: .rejected, reason: reason, signature: signature,
                                                  actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(lot, user.format) { "lot \($0.lotNumber) is \($0.status)" }
            }
        }
    }
}
