import ArgumentParser
import CryoDomain
import CryoStore
import Foundation

/// Rule 8 from the command line: readiness, lymphodepletion as given, the signed clearance, rescheduling (clinical).
extension PatientCommand {
    static func describe(_ r: InfusionReadinessRecord) -> String {
        var lines = ["\(r.subjectId): infusion \(r.infusionOn)\(r.infusionOn == r.plannedInfusionOn ? " (planned)" : " (rescheduled from \(r.plannedInfusionOn))"), today \(r.today)"]
        lines.append("  lymphodepletion \(r.lymphodepletion.spoken)\(r.ldStartOn.map { " from \($0)" } ?? "")")
        for d in r.plannedDoses {
            let given = r.dosesGiven.first { $0.agent == d.agent && $0.givenOn == d.givenOn }
            lines.append("    \(d.givenOn) \(d.agent): \(given.map { "given (recorded by \($0.recordedBy))" } ?? "not recorded")")
        }
        for c in r.clearances { lines.append("  cleared for infusion on \(c.clearedOn), signed by \(c.signedBy)") }
        for s in r.reschedules { lines.append("  rescheduled \(s.fromOn) -> \(s.toOn): \(s.reason) (\(s.recordedBy))") }
        lines.append(r.notReady.map { "  NOT READY: \($0)" } ?? "  ready for infusion today")
        return lines.joined(separator: "\n")
    }

    struct Readiness: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Is the patient ready for infusion today? The planned day, lymphodepletion and clearance.")
        @OptionGroup var user: UserOptions
        @Argument var subject: String
        func run() async throws {
            try await runReporting {
                let r = try await Database.withStore { store, logger in
                    try await store.infusionReadiness(subjectId: subject, actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(r, user.format) { PatientCommand.describe($0) }
            }
        }
    }

    struct LymphodepletionGiven: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "lymphodepletion", abstract: "Record one lymphodepletion agent as given on a planned day (clinical).")
        @OptionGroup var user: UserOptions
        @Argument var subject: String
        @Option(help: "fludarabine or cyclophosphamide.") var agent: String
        @Option(help: "The day it was given.") var givenOn: String
        func run() async throws {
            try await runReporting {
                let on = try day(givenOn, "givenOn")
                let r = try await Database.withStore { store, logger in
                    try await store.recordLymphodepletion(subjectId: subject, agent: agent, givenOn: on, actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(r, user.format) { PatientCommand.describe($0) }
            }
        }
    }

    struct Clear: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign that the patient is cleared for infusion today (clinical): every checklist item confirmed, password on standard input.")
        @OptionGroup var user: UserOptions
        @Argument var subject: String
        @Option(name: .customLong("item"), help: "A checklist item confirmed; repeat. Default: every item of the arm's checklist.") var items: [String] = []
        @Option(help: "Meaning of the signature.") var meaning: String = "patient cleared for infusion"
        func run() async throws {
            try await runReporting {
                let signature = readSignature(meaning)
                let r = try await Database.withStore { store, logger in
                    let actor = try await user.principal(store, logger)
                    let confirmed = items.isEmpty ? try await store.infusionReadiness(subjectId: subject, actor: actor, logger: logger).clearanceItems : items
                    return try await store.clearForInfusion(subjectId: subject, items: confirmed, signature: signature, actor: actor, logger: logger)
                }
                Output.emit(r, user.format) { PatientCommand.describe($0) }
            }
        }
    }

    struct Reschedule: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record a new infusion day with its reason (clinical); the reserved vials follow the patient.")
        @OptionGroup var user: UserOptions
        @Argument var subject: String
        @Option(help: "The new infusion day.") var infusionOn: String
        @Option var reason: String
        func run() async throws {
            try await runReporting {
                let on = try day(infusionOn, "infusionOn")
                let r = try await Database.withStore { store, logger in
                    try await store.rescheduleInfusion(subjectId: subject, to: on, reason: reason, actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(r, user.format) { PatientCommand.describe($0) }
            }
        }
    }
}
