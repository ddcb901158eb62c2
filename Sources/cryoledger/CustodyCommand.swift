import ArgumentParser
import CryoStore
import Foundation

struct CustodyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "custody", abstract: "Chain-of-custody history.", subcommands: [History.self])

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The ordered events of one subject.")
        @OptionGroup var user: UserOptions
        @Option(help: "vial, lot, donor, product, storage, user") var type: String
        @Option var id: String
        func run() async throws {
            try await runReporting {
                let events = try await Database.withStore { store, logger in
                    try await store.custodyEvents(subjectType: type, subjectId: id, actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(events, user.format) { list in
                    list.map { e in
                        "#\(e.seq) \(e.occurredAt) \(e.action) by \(e.actorName) (\(e.actorRole)) \(e.fromState ?? "-")→\(e.toState ?? "-") \(e.fromLocation ?? "")→\(e.toLocation ?? "") \(e.reason ?? "") [\(e.hash.prefix(12))]"
                    }.joined(separator: "\n")
                }
            }
        }
    }
}
