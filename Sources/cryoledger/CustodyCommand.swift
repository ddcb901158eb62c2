import ArgumentParser
import CryoDomain
import CryoStore
import Foundation

struct CustodyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "custody", abstract: "Chain-of-custody history.", subcommands: [History.self, Correct.self])

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

    struct Correct: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record a correction of a custody event (QA): a new event naming it, with a reason.")
        @OptionGroup var user: UserOptions
        @Option(help: "Id of the event being corrected.") var event: Int64
        @Option(help: "Why the correction is needed.") var reason: String
        @Option(name: .customLong("set"), help: "FIELD=RIGHT_VALUE; repeat.") var fields: [String]
        func run() async throws {
            try await runReporting {
                var corrected: [String: String] = [:]
                for f in fields {
                    let parts = f.split(separator: "=", maxSplits: 1)
                    guard parts.count == 2 else { throw DomainError.invalid(field: "set", rule: "must be FIELD=VALUE") }
                    corrected[String(parts[0])] = String(parts[1])
                }
                let fieldsToCorrect = corrected
                let e = try await Database.withStore { store, logger in
                    try await store.correctCustodyEvent(eventId: event, reason: reason, corrected: fieldsToCorrect, actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(e, user.format) { "recorded correction #\($0.seq) of \($0.subjectType) \($0.subjectId): \($0.reason ?? "")" }
            }
        }
    }
}
