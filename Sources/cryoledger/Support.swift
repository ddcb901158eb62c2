import ArgumentParser
import CryoDomain
import CryoStore
import Foundation
import Logging
import PostgresNIO

/// How a command reaches the database: DATABASE_URL, or the embedded cluster started on demand.
enum Database {
    /// The application connects as `cryoledger_app` on the embedded cluster, a role that cannot change
    /// or delete custody events; migrations (`admin`) connect as the cluster's superuser.
    static func url(admin: Bool = false) throws -> DatabaseURL {
        if let text = ProcessInfo.processInfo.environment["DATABASE_URL"], !text.isEmpty {
            return try DatabaseURL(parsing: text)
        }
        let embedded = EmbeddedPostgres()
        try embedded.ensureRunning()
        var url = embedded.url
        if !admin { url.user = EmbeddedPostgres.applicationRole }
        return url
    }

    /// Set when the database is an external one (DATABASE_URL), not the embedded cluster.
    static var isExternal: Bool { !(ProcessInfo.processInfo.environment["DATABASE_URL"] ?? "").isEmpty }

    /// The checkpoint key; only the embedded default may make one up on first use.
    static func auditKey() throws -> AuditKey {
        try AuditKey.load(home: EmbeddedPostgres().home, create: !isExternal)
    }

    /// The transparency log's signing key; only the embedded default may make one up on first use.
    static func logSigner() throws -> LogSigner {
        try LogSigner.load(home: EmbeddedPostgres().home, create: !isExternal)
    }

    static func logger() -> Logger {
        var logger = Logger(label: "cryoledger")
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        return logger
    }

    /// Runs `body` with a running client; the client stops when `body` returns.
    static func withClient<R: Sendable>(maxConnections: Int = 10, admin: Bool = false, _ body: @Sendable @escaping (PostgresClient, Logger) async throws -> R) async throws -> R {
        let logger = logger()
        let client = PostgresClient(configuration: try url(admin: admin).clientConfiguration(maxConnections: maxConnections), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: R?.self) { group in
            group.addTask { await client.run(); return nil }
            group.addTask { try await body(client, logger) }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let value = next { return value }
            }
            throw CancellationError()
        }
    }

    static func withStore<R: Sendable>(_ body: @Sendable @escaping (Store, Logger) async throws -> R) async throws -> R {
        try await withClient { client, logger in try await body(Store(client: client), logger) }
    }
}

/// The acting user's token.
struct TokenOption: ParsableArguments {
    @Option(help: "API token of the acting user (default: $CRYOLEDGER_TOKEN).")
    var token: String?

    func principal(_ store: Store, _ logger: Logger) async throws -> Principal {
        guard let token = token ?? ProcessInfo.processInfo.environment["CRYOLEDGER_TOKEN"], !token.isEmpty else {
            throw DomainError.unauthenticated("give --token or set CRYOLEDGER_TOKEN (cryoledger user create prints one)")
        }
        return try await store.authenticate(token: token, logger: logger)
    }
}

/// Options shared by commands that act for a user and print a result.
struct UserOptions: ParsableArguments {
    @OptionGroup var auth: TokenOption

    @Option(name: .customLong("output"), help: "Output format: text or json.")
    var format: OutputFormat = .text

    func principal(_ store: Store, _ logger: Logger) async throws -> Principal {
        try await auth.principal(store, logger)
    }
}

enum OutputFormat: String, ExpressibleByArgument, Sendable {
    case text, json
}

enum Output {
    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }

    static func emit<T: Encodable>(_ value: T, _ format: OutputFormat, text: (T) -> String) {
        print(format == .json ? json(value) : text(value))
    }
}

/// One change made as the caller (the token's user): the store call, reported like every command, then `done` printed.
func actAsCaller(_ auth: TokenOption, done: String, _ change: @Sendable @escaping (Store, Principal, Logger) async throws -> Void) async throws {
    try await runReporting {
        try await Database.withStore { store, logger in try await change(store, try await auth.principal(store, logger), logger) }
        print(done)
    }
}

/// Every command runs through here so that a domain error becomes one clear line and exit code 1.
func runReporting(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as DomainError {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode(1)
    } catch let error as StoreError {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode(1)
    } catch let error as PSQLError {
        let message = error.serverInfo?[.message] ?? "cannot reach the database (\(error.code))"
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        throw ExitCode(1)
    } catch let error as PostgresTransactionError {
        // BEGIN, the body or COMMIT failed: report the first cause as if it had been thrown alone.
        if let cause = error.beginError ?? error.closureError ?? error.commitError {
            try await runReporting { throw cause }
        }
        throw error
    }
}

func day(_ text: String, _ field: String) throws -> CalendarDay {
    try CalendarDay(parsing: text, field: field)
}
