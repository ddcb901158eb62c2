import ArgumentParser
import CryoDomain
import CryoStore
import Foundation

extension LotStatus: ExpressibleByArgument {}

struct LotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lot", abstract: "Manufactured lots.",
                                                    subcommands: [Register.self, Show.self, List.self, Status.self, Release.self, Reject.self, Certificate.self])

    static func describe(_ l: LotRecord) -> String {
        let vials = l.vialsByStatus.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        return "\(l.lotNumber)  \(l.productCode)  donor \(l.donorCode)  made \(l.manufacturedOn)  expires \(l.expiresOn)  \(l.status)  \(l.cellsPerVial) cells/vial  vials: \(vials.isEmpty ? "none" : vials)"
    }

    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register a lot (in-process).")
        @OptionGroup var user: UserOptions
        @Option var lotNumber: String
        @Option var product: String
        @Option var donor: String
        @Option(help: "YYYY-MM-DD") var manufacturedOn: String
        @Option(help: "YYYY-MM-DD (default: manufacture + shelf life)") var expiresOn: String?
        @Option(help: "Viable CAR+ T cells per vial.") var cellsPerVial: Int
        @Option(help: "Planned number of vials.") var vials: Int

        func run() async throws {
            try await runReporting {
                let request = LotRegistration(lotNumber: lotNumber, productCode: product, donorCode: donor,
                                              manufacturedOn: try day(manufacturedOn, "manufacturedOn"),
                                              expiresOn: try expiresOn.map { try day($0, "expiresOn") },
                                              cellsPerVial: cellsPerVial, plannedVials: vials)
                let lot = try await Database.withStore { store, logger in
                    try await store.registerLot(request, actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(lot, user.format) { "registered \(LotCommand.describe($0))" }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a lot.")
        @OptionGroup var user: UserOptions
        @Argument var lotNumber: String
        func run() async throws {
            try await runReporting {
                let lot = try await Database.withStore { store, logger in
                    try await store.lot(number: lotNumber, actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(lot, user.format) { LotCommand.describe($0) }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List lots by lot number.")
        @OptionGroup var user: UserOptions
        @Option var product: String?
        @Option var status: LotStatus?
        @Option var limit = 50
        @Option(help: "Cursor from the previous page.") var after: String?
        func run() async throws {
            try await runReporting {
                let page = try await Database.withStore { store, logger in
                    try await store.listLots(product: product, status: status, limit: limit, after: after,
                                             actor: try await user.principal(store, logger), logger: logger)
                }
                struct Out: Encodable { let lots: [LotRecord]; let nextCursor: String? }
                Output.emit(Out(lots: page.lots, nextCursor: page.nextCursor), user.format) { out in
                    (out.lots.map(LotCommand.describe) + (out.nextCursor.map { ["more: --after \($0)"] } ?? [])).joined(separator: "\n")
                }
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move a lot along its status machine.",
            discussion: "Hold lifts, rejections and recalls are electronic signatures: give --meaning and the password on standard input.")
        @OptionGroup var user: UserOptions
        @Argument var lotNumber: String
        @Option(help: "The new status.") var to: LotStatus
        @Option(help: "Why.") var reason: String
        @Option(help: "Meaning of the electronic signature, for signing steps.") var meaning: String?
        func run() async throws {
            try await runReporting {
                let signature = meaning.map { SignatureInput(password: readLine(strippingNewline: true) ?? "", meaning: $0) }
                let lot = try await Database.withStore { store, logger in
                    try await store.transitionLot(number: lotNumber, to: to, reason: reason, signature: signature,
                                                  actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(lot, user.format) { LotCommand.describe($0) }
            }
        }
    }
}
