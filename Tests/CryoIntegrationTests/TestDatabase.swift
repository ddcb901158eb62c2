import CryoAPI
import CryoStore
import Foundation
import Logging
import PostgresNIO
import Testing

/// A real PostgreSQL per test: one migrated template database per test run, cloned for each test
/// (`CREATE DATABASE … TEMPLATE …` takes a few milliseconds), dropped afterwards.
/// `CRYOLEDGER_TEST_DATABASE_URL` names a server where the tests may create databases.
enum TestDatabase {
    static let logger: Logger = {
        var l = Logger(label: "cryoledger.tests")
        l.logLevel = .warning
        return l
    }()

    static var adminURL: DatabaseURL {
        get throws {
            guard let text = ProcessInfo.processInfo.environment["CRYOLEDGER_TEST_DATABASE_URL"] else {
                throw StoreError.configuration("CRYOLEDGER_TEST_DATABASE_URL is not set: run the tests with deploy/local/test, which starts PostgreSQL and sets it")
            }
            return try DatabaseURL(parsing: text)
        }
    }

    static var migrationsDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("db/migrations")
    }

    private static let template = TemplateOnce()

    /// Runs `body` against a fresh, migrated database of its own.
    static func withDatabase<R: Sendable>(maxConnections: Int = 10, _ body: @Sendable (PostgresClient, DatabaseURL) async throws -> R) async throws -> R {
        let templateName = try await template.name()
        let name = "cl_test_\(UUID().uuidString.prefix(8).lowercased())"
        // The template may still show a closing connection for a moment (SQLSTATE 55006): retry briefly.
        for attempt in 1...20 {
            do {
                try await admin { conn in
                    try await conn.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name) TEMPLATE \(templateName)"), logger: logger)
                }
                break
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "55006" && attempt < 20 {
                try await Task.sleep(for: .milliseconds(50 * attempt))
            }
        }
        let url = try adminURL.with(database: name)
        let result: Result<R, any Error>
        do {
            result = .success(try await withClient(url, maxConnections: maxConnections) { client in try await body(client, url) })
        } catch {
            result = .failure(error)
        }
        try? await admin { conn in
            try await conn.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: logger)
        }
        return try result.get()
    }

    static func withClient<R: Sendable>(_ url: DatabaseURL, maxConnections: Int = 30, _ body: @Sendable (PostgresClient) async throws -> R) async throws -> R {
        // The metrics backend must exist before the store creates its counters, or they stay no-ops.
        _ = PrometheusMetrics.registry
        let client = PostgresClient(configuration: url.clientConfiguration(maxConnections: maxConnections), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    static func admin(_ body: @Sendable (PostgresConnection) async throws -> Void) async throws {
        let url = try adminURL.with(database: "postgres")
        try await withClient(url, maxConnections: 1) { client in
            try await client.withConnection { conn in try await body(conn) }
        }
    }

    actor TemplateOnce {
        private var task: Task<String, any Error>?

        func name() async throws -> String {
            if let task { return try await task.value }
            let task = Task<String, any Error> {
                let name = "cl_template_\(ProcessInfo.processInfo.processIdentifier)_\(UUID().uuidString.prefix(6).lowercased())"
                try await TestDatabase.admin { conn in
                    try await conn.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: TestDatabase.logger)
                }
                let migrator = try Migrator(directory: TestDatabase.migrationsDirectory)
                try await TestDatabase.withClient(try TestDatabase.adminURL.with(database: name), maxConnections: 1) { client in
                    try await migrator.migrate(client: client, logger: TestDatabase.logger)
                }
                return name
            }
            self.task = task
            return try await task.value
        }
    }
}
