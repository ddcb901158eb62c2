@testable import CryoAPI
import CryoDomain
@testable import CryoStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PostgresNIO
import Testing

/// What the server does across a database failover, provoked on one real PostgreSQL: the primary turning
/// read-only under it (as a demoted primary does; SQLSTATE 25006) and its connections terminated by the server
/// (57P01, as when a node shuts down). Every answer is 2xx or 503 problem+json with Retry-After, never a 500;
/// the availability gate closes and reopens by itself; the pool replaces the dead connections.
@Suite("Failover: read-only primary and terminated connections")
struct FailoverTests {
    static let key = AuditKey(Data("test-audit-key-0123456789abcdef0123".utf8))
    static let logger = TestDatabase.logger
    /// The suite runs beside the others, on a loaded machine: a probe gets more time than the server's default
    /// 1 s, and the bounds below are generous (the full suite on a loaded machine: up to 17.5 s for the first 503).
    /// What they tell apart is an answer from a hang, which is for good.
    static var gateOptions: DatabaseAvailability.Options {
        var o = DatabaseAvailability.Options()
        o.probeTimeout = .seconds(5)
        return o
    }
    static let answerWithin: Duration = .seconds(60)
    static let settleWithin: Duration = .seconds(60)

    /// A store with the availability gate on `url`, over a client of its own, and its router.
    static func withGatedApp(_ url: DatabaseURL, _ body: @Sendable @escaping (Store, DatabaseAvailability, any TestClientProtocol) async throws -> Void) async throws {
        try await TestDatabase.withClient(url, maxConnections: 4) { client in
            let availability = try DatabaseAvailability(url: url, options: gateOptions, logger: logger)
            let store = Store(client: client, availability: availability)
            let app = Application(router: try buildRouter(store: store, auditKey: key), logger: logger)
            try await app.test(.router) { http in try await body(store, availability, http) }
        }
    }

    static func admin(_ sql: String) async throws {
        try await TestDatabase.admin { conn in try await conn.query(PostgresQuery(unsafeSQL: sql), logger: logger) }
    }

    /// Polls `condition` every 50 ms for at most `limit`.
    static func eventually(_ limit: Duration, _ condition: @Sendable () async throws -> Bool) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: limit)
        while ContinuousClock.now < deadline {
            if (try? await condition()) == true { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    struct Answer: Sendable {
        var status: Int
        var contentType: String?
        var retryAfter: String?
        var body: String
        /// 503 application/problem+json with Retry-After and a problem of status 503.
        var isUnavailable: Bool {
            status == 503 && contentType == "application/problem+json" && retryAfter != nil && body.contains(#""status":503"#)
        }
    }

    static func send(_ http: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, token: String?, json: String? = nil) async throws -> Answer {
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer \(token)" }
        if json != nil { headers[.contentType] = "application/json" }
        return try await http.execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) }) { response in
            Answer(status: Int(response.status.code), contentType: response.headers[.contentType],
                   retryAfter: response.headers[.retryAfter], body: String(buffer: response.body))
        }
    }

    static func lotJSON(_ number: String) -> String {
        #"{"lotNumber":"\#(number)","productCode":"ALLO-501","donorCode":"DN-000001","manufacturedOn":"2026-03-01","cellsPerVial":40000000,"vialCount":10}"#
    }

    @Test("a write meeting 25006 (read-only) is a 503 with Retry-After; the gate closes, and reopens once the database takes writes")
    func readOnlyPrimary() async throws {
        try await TestDatabase.withDatabase { client, url in
            let f = try await Fixture.make(client)
            let token = f.tokens[.manufacturing]
            // Every connection opened from now on is read-only, as on a primary demoted under the application.
            try await Self.admin("ALTER DATABASE \(url.database) SET default_transaction_read_only = on")
            try await Self.withGatedApp(url) { _, availability, http in
                let started = ContinuousClock.now
                let first = try await Self.send(http, .post, "/lots", token: token, json: Self.lotJSON("A501-RO1"))
                #expect(first.isUnavailable, "\(first)")
                #expect(started.duration(to: .now) < Self.answerWithin)
                #expect(await Self.eventually(Self.settleWithin) { availability.isDown }, "the gate did not close on a read-only server")
                // Closed: every call answers 503 at once, reads too, and /health/ready says so.
                let read = try await Self.send(http, .get, "/lots/A501-RO1", token: f.tokens[.auditor])
                #expect(read.isUnavailable, "\(read)")
                let ready = try await Self.send(http, .get, "/health/ready", token: nil)
                #expect(ready.status == 503)
                #expect(try await f.count("SELECT count(*) FROM lot WHERE lot_number = 'A501-RO1'") == 0)

                // Writable again: the gate reopens by itself, and writes go through (a pooled connection still
                // read-only may refuse one more write, as 503, and is closed; never a 500).
                try await Self.admin("ALTER DATABASE \(url.database) RESET default_transaction_read_only")
                #expect(await Self.eventually(Self.settleWithin) { !availability.isDown }, "the gate did not reopen")
                var created = false
                let deadline = ContinuousClock.now.advanced(by: Self.settleWithin)
                var attempt = 1
                while !created, ContinuousClock.now < deadline {
                    attempt += 1
                    let answer = try await Self.send(http, .post, "/lots", token: token, json: Self.lotJSON("A501-RO\(attempt)"))
                    #expect(answer.status == 201 || answer.isUnavailable, "\(answer)")
                    created = answer.status == 201
                    if !created { try await Task.sleep(for: .milliseconds(300)) }
                }
                #expect(created, "no write went through after the database became writable again")
            }
        }
    }

    @Test("the probe counts a read-only server as down and a writable one as up")
    func probeChecksWritability() async throws {
        try await TestDatabase.withDatabase { _, url in
            try await Self.admin("ALTER DATABASE \(url.database) SET default_transaction_read_only = on")
            let gate = try DatabaseAvailability(url: url, options: Self.gateOptions, logger: Self.logger)
            #expect(await gate.probe(fresh: true) == false)
            #expect(gate.isDown)
            try await Self.admin("ALTER DATABASE \(url.database) RESET default_transaction_read_only")
            #expect(await Self.eventually(Self.settleWithin) { !gate.isDown })
            #expect(await gate.probe(fresh: true) == true)
        }
    }

    @Test("a transaction whose backend is terminated (57P01) fails as unavailability, without hanging; the pool replaces the dead connections")
    func terminatedConnections() async throws {
        try await TestDatabase.withDatabase { client, url in
            let f = try await Fixture.make(client)
            try await Self.withGatedApp(url) { store, _, http in
                let token = f.tokens[.manufacturing]
                let warm = try await Self.send(http, .post, "/lots", token: token, json: Self.lotJSON("A501-T01"))
                #expect(warm.status == 201, "\(warm)")
                // A transaction in flight, waiting on the server.
                let sleeping = Task {
                    try await store.transaction(Self.logger) { conn in
                        try await conn.query("SELECT pg_sleep(30)", logger: Self.logger)
                    }
                }
                let db = url.database
                #expect(await Self.eventually(Self.settleWithin) {
                    try await f.count("SELECT count(*) FROM pg_stat_activity WHERE datname = '\(db)' AND query = 'SELECT pg_sleep(30)'") == 1
                })
                let terminatedAt = ContinuousClock.now
                // Every backend of this database, the idle pooled ones included, as a node shutting down does.
                try await Self.admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(db)' AND pid <> pg_backend_pid()")
                let outcome = await sleeping.result
                #expect(terminatedAt.duration(to: .now) < Self.answerWithin, "the terminated transaction hung")
                switch outcome {
                case .success: Issue.record("a transaction whose backend was terminated succeeded")
                case .failure(let error):
                    #expect(DatabaseAvailability.isUnavailable(error), "\(String(reflecting: error))")
                    #expect(Problem(error).status == 503)
                }
                // The API: 2xx or 503 problem+json, never a 500, and writes go through again on new connections.
                var created = 0
                let deadline = ContinuousClock.now.advanced(by: Self.settleWithin)
                var attempt = 10
                while created < 3, ContinuousClock.now < deadline {
                    attempt += 1
                    let answer = try await Self.send(http, .post, "/lots", token: token, json: Self.lotJSON("A501-T\(attempt)"))
                    #expect(answer.status == 201 || answer.isUnavailable, "\(answer)")
                    if answer.status == 201 { created += 1 } else { try await Task.sleep(for: .milliseconds(200)) }
                }
                #expect(created == 3, "writes did not come back after the connections were terminated")
                #expect(await Self.eventually(Self.settleWithin) {
                    try await Self.send(http, .get, "/health/ready", token: nil).status == 200
                })
            }
        }
    }

    @Test("every query of the store goes through guardedQuery (a plain conn.query can hang on a connection closed under it)")
    func storeQueriesAreGuarded() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/CryoStore")
        var plain: [String] = []
        let files = (FileManager.default.enumerator(atPath: sources.path)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".swift") }
        #expect(files.count > 20, "the store's sources were not found under \(sources.path)")
        for name in files {
            // The migrator runs outside server calls, on a transaction of its own.
            guard !name.hasSuffix("Migrator.swift") else { continue }
            let text = try String(contentsOf: sources.appendingPathComponent(name), encoding: .utf8)
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where line.contains("conn.query(") {
                plain.append("\(name):\(n + 1)")
            }
        }
        #expect(plain.isEmpty, "use conn.guardedQuery at \(plain)")
    }

    @Test("libpq's multi-host DATABASE_URL is refused with a message naming the hosts and what to use instead, never the password")
    func multiHostURL() throws {
        #expect(throws: StoreError.self) {
            try DatabaseURL(parsing: "postgres://app:s3cret@10.0.0.1:5432,10.0.0.2:5433/cryoledger?target_session_attrs=read-write")
        }
        do {
            _ = try DatabaseURL(parsing: "postgres://app:s3cret@10.0.0.1:5432,10.0.0.2:5433/cryoledger?target_session_attrs=read-write")
        } catch {
            let text = "\(error)"
            #expect(text.contains("10.0.0.1:5432, 10.0.0.2:5433"), "\(text)")
            #expect(text.contains("/primary") && text.contains("-rw"), "\(text)")
            #expect(!text.contains("s3cret"))
        }
        let one = try DatabaseURL(parsing: "postgres://app@127.0.0.1:15440/cryoledger?target_session_attrs=read-write&sslmode=disable")
        #expect(one.host == "127.0.0.1" && one.port == 15440 && one.database == "cryoledger")
        #expect(throws: StoreError.self) { try DatabaseURL(parsing: "postgres://app@127.0.0.1/db?target_session_attrs=writable") }
        #expect(throws: StoreError.self) { try DatabaseURL(parsing: "mysql://app:s3cret@127.0.0.1/db") }
    }
}
