import ArgumentParser
import CryoDomain
import CryoStore
import Foundation

/// The transparency log's commands (docs/audit-log.md): its public key, heads and proofs.
extension AuditCommand {
    static func logSigner() throws -> LogSigner { try Database.logSigner() }

    struct PublicKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "public-key",
            abstract: "Print the transparency log's public key (a C2SP verifier key) for inspectors.",
            discussion: "Inspectors save it to a file and run: python3 tools/verify_export.py EXPORT.json --public-key FILE")
        func run() async throws {
            try await runReporting { print(try AuditCommand.logSigner().vkey) }
        }
    }

    struct Head: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Seal every committed event into the tree, sign a head if it grew, and print the latest signed head (a checkpoint).")
        @OptionGroup var auth: TokenOption
        @Option(help: "Print the head of this size instead of the latest.") var size: Int64?
        func run() async throws {
            try await runReporting {
                let signer = try AuditCommand.logSigner()
                let note = try await Database.withStore { store, logger in
                    try await auth.principal(store, logger).require(.readCustody)
                    if size == nil {
                        try await store.tlogRegisterKey(signer, logger: logger)
                        try await store.tlogSealNow(logger: logger)
                        try await store.tlogSignHead(signer, logger: logger)
                    }
                    guard let head = try await store.tlogHead(size: size, logger: logger) else {
                        throw DomainError.notFound(kind: "signed tree head", id: size.map(String.init) ?? "latest")
                    }
                    return head.note
                }
                print(note, terminator: "")
            }
        }
    }

    struct Inclusion: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the inclusion proof of a custody event in a signed head, as JSON.")
        @OptionGroup var auth: TokenOption
        @Option(help: "The custody event's id.") var event: Int64
        @Option(help: "The signed head's size (default: the latest).") var size: Int64?
        func run() async throws {
            try await runReporting {
                let (head, proof) = try await Database.withStore { store, logger in
                    try await auth.principal(store, logger).require(.readCustody)
                    return try await store.tlogInclusion(eventId: event, size: size, logger: logger)
                }
                let json: [String: Any] = ["checkpoint": head.note, "leafIndex": proof.leafIndex, "treeSize": proof.treeSize, "path": proof.path]
                print(String(decoding: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys, .prettyPrinted]), as: UTF8.self))
            }
        }
    }

    struct Consistency: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the consistency proof between two signed heads, as JSON.")
        @OptionGroup var auth: TokenOption
        @Option(help: "The older head's size.") var from: Int64
        @Option(help: "The newer head's size.") var to: Int64
        func run() async throws {
            try await runReporting {
                let (old, new, proof) = try await Database.withStore { store, logger in
                    try await auth.principal(store, logger).require(.readCustody)
                    return try await store.tlogConsistency(from: from, to: to, logger: logger)
                }
                let json: [String: Any] = ["from": old.note, "to": new.note, "proof": proof.map { $0.base64EncodedString() }]
                print(String(decoding: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys, .prettyPrinted]), as: UTF8.self))
            }
        }
    }
}
