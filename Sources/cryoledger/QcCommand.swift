import ArgumentParser
import CryoDomain
import CryoStore
import Foundation

struct QcCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "qc", abstract: "QC results against the product specification.",
                                                    subcommands: [Record.self, Results.self])

    struct Record: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record a QC result for a lot (qc role).")
        @OptionGroup var user: UserOptions
        @Option var lot: String
        @Option var test: String
        @Option(help: "Numeric result.") var value: Double?
        @Option(help: "Qualitative result, e.g. \"no growth\".") var text: String?
        @Option var unit: String?
        @Option var method: String
        @Option var instrument: String?
        @Option var analyst: String
        @Option(help: "Id of the result this one corrects.") var supersedes: Int64?
        @Option(help: "Why the earlier result is corrected.") var reason: String?

        func run() async throws {
            try await runReporting {
                let input = QcResultInput(testCode: test, numericValue: value, textValue: text, unit: unit, method: method, instrument: instrument,
                                          analyst: analyst, supersedes: supersedes, correctionReason: reason)
                let r = try await Database.withStore { store, logger in
                    try await store.recordQcResult(lotNumber: lot, input, actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(r, user.format) { "result \($0.id): \($0.testCode) = \($0.numericValue.map { String($0) } ?? $0.textValue ?? "") \($0.unit ?? "") → \($0.outcome)" }
            }
        }
    }

    struct Results: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a lot's QC results.")
        @OptionGroup var user: UserOptions
        @Argument var lot: String
        func run() async throws {
            try await runReporting {
                let list = try await Database.withStore { store, logger in
                    try await store.qcResults(lotNumber: lot, actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(list, user.format) { rs in
                    rs.map { "\($0.current ? " " : "~")\($0.id) \($0.testCode): \($0.numericValue.map { String($0) } ?? $0.textValue ?? "") \($0.unit ?? "") \($0.outcome) (\($0.analyst), \($0.method))" }.joined(separator: "\n")
                }
            }
        }
    }
}

extension ReleaseKind: ExpressibleByArgument {}

extension LotCommand {
    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "QA release of a lot: an electronic signature (password on standard input).",
            discussion: "Refused unless every specified test passed (or --kind conditional/out-of-specification applies) and you recorded none of the results.")
        @OptionGroup var user: UserOptions
        @Argument var lotNumber: String
        @Option var kind: ReleaseKind = .standard
        @Option(help: "Meaning of the signature.") var meaning = "approved for release"
        @Option var reason: String?
        @Option(help: "OOS justification.") var justification: String?
        @Option(name: .customLong("pending"), help: "Conditional release: a test still pending; repeat.") var pendingTests: [String] = []
        @Option(name: .customLong("patient"), help: "OOS release: a patient the lot is restricted to; repeat.") var patients: [String] = []
        func run() async throws {
            try await runReporting {
                let signature = SignatureInput(password: readLine(strippingNewline: true) ?? "", meaning: meaning)
                let lot = try await Database.withStore { store, logger in
                    try await store.releaseLot(number: lotNumber, kind: kind, justification: justification, pendingTests: pendingTests,
                                               restrictedTo: patients, reason: reason, signature: signature,
                                               actor: try await user.principal(store, logger), logger: logger)
                }
                Output.emit(lot, user.format) { LotCommand.describe($0) }
            }
        }
    }
}
