import CryoAPI
import CryoDomain
import CryoStore
import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing

/// `/metrics` and the settings operations rely on. The metrics backend is one per process and other
/// suites run in parallel, so the checks compare before and after and never expect exact totals.
@Suite("Observability and configuration")
struct ObservabilityTests {
    /// The sum of the samples of `name` whose labels contain every one of `labels`.
    static func sample(_ page: String, _ name: String, _ labels: [String] = []) -> Double {
        page.split(separator: "\n").reduce(0.0) { sum, line in
            guard line.hasPrefix(name + "{") || line.hasPrefix(name + " ") else { return sum }
            guard labels.allSatisfy({ line.contains($0) }), let value = line.split(separator: " ").last.flatMap({ Double($0) }) else { return sum }
            return sum + value
        }
    }

    func metricsPage(_ http: any TestClientProtocol) async throws -> String {
        try await http.execute(uri: "/metrics", method: .get) { response in
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            return String(buffer: response.body)
        }
    }

    @Test("/metrics on its own listener, not the API's: requests per route and status, latency histograms, pool use, committed custody events")
    func metricsPage() async throws {
        try await TestDatabase.withDatabase { client, _ in
            let f = try await Fixture.make(client)
            let router = try buildRouter(store: f.store, auditKey: nil)
            let app = Application(router: router, logger: TestDatabase.logger)
            let metricsApp = Application(router: buildMetricsRouter(registry: PrometheusMetrics.registry), logger: TestDatabase.logger)
            try await metricsApp.test(.router) { metrics in
            try await app.test(.router) { http in
                let (onAPI, _, _) = try await http.call(.get, "/metrics", token: nil)
                #expect(onAPI == .unauthorized, "the API port must not serve /metrics")
                let (onAPIWithToken, _, _) = try await http.call(.get, "/metrics", token: f.tokens[.admin])
                #expect(onAPIWithToken == .notFound)
                let before = try await metricsPage(metrics)
                let eventsBefore = try await f.count("SELECT count(*) FROM custody_event")
                var (status, _, text) = try await http.call(.post, "/lots", token: f.tokens[.manufacturing], json: """
                    {"lotNumber":"A501-M1","productCode":"ALLO-501","donorCode":"DN-000001","manufacturedOn":"2026-03-01","cellsPerVial":40000000,"vialCount":20}
                    """)
                #expect(status == .created, "\(text)")
                (status, _, text) = try await http.call(.post, "/lots/A501-M1/vials", token: f.tokens[.manufacturing], json: #"{"count":5,"boxId":"BOX-1"}"#)
                #expect(status == .created, "\(text)")
                let vial = ((try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])?.first?["id"] as? String) ?? "?"
                (status, _, _) = try await http.call(.get, "/vials/\(vial)", token: f.tokens[.auditor])
                #expect(status == .ok)
                (status, _, _) = try await http.call(.get, "/vials/\(vial)", token: nil)
                #expect(status == .unauthorized)
                let committed = try await f.count("SELECT count(*) FROM custody_event") - eventsBefore
                #expect(committed >= 6)

                let after = try await metricsPage(metrics)
                let created = Self.sample(after, "http_server_requests_total", [#"method="POST""#, #"status="201""#])
                    - Self.sample(before, "http_server_requests_total", [#"method="POST""#, #"status="201""#])
                #expect(created >= 2)
                let reads = after.split(separator: "\n").filter { $0.hasPrefix("http_server_requests_total{") && $0.contains(#"method="GET""#) && $0.contains("/vials/") }
                #expect(reads.contains { $0.contains(#"status="200""#) } && reads.contains { $0.contains(#"status="401""#) }, "\(reads)")
                #expect(!after.contains(vial), "a concrete vial id reached a metric label: routes must be templates")
                #expect(Self.sample(after, "http_server_request_duration_seconds_bucket", [#"le="+Inf""#, "/vials/"]) >= 2)
                #expect(Self.sample(after, "http_server_request_duration_seconds_count", ["/lots"]) >= 2)
                #expect(Self.sample(after, "cryoledger_custody_events_committed_total")
                        - Self.sample(before, "cryoledger_custody_events_committed_total") >= Double(committed))
                #expect(Self.sample(after, "cryoledger_db_lease_wait_seconds_count", [#"pool="primary""#])
                        > Self.sample(before, "cryoledger_db_lease_wait_seconds_count", [#"pool="primary""#]))
                #expect(after.contains("cryoledger_db_connections_in_use{pool=\"primary\"}"))
            }
            }
        }
    }

    @Test("an allocation plan records the optimizer's solve time")
    func solveTime() async throws {
        try await TestDatabase.withDatabase { client, _ in
            let f = try await Fixture.make(client)
            try await f.clinical()
            try await f.enrol("RES-SLE-M01")
            let before = Self.sample(PrometheusMetrics.registry.emitToString(), "cryoledger_optimizer_solve_seconds_count")
            _ = try await f.store.planAllocation(PlanRequest(patients: ["RES-SLE-M01"]), actor: f.user(.pharmacy), logger: Fixture.logger)
            let after = Self.sample(PrometheusMetrics.registry.emitToString(), "cryoledger_optimizer_solve_seconds_count")
            #expect(after >= before + 1)
        }
    }

    @Test("sslmode in DATABASE_URL: libpq's modes are accepted and kept, anything else is refused naming the setting")
    func sslMode() throws {
        let url = try DatabaseURL(parsing: "postgres://app:pw@db.example:5432/cryo?sslmode=verify-full&sslrootcert=/etc/ca.pem")
        #expect(url.sslMode == .verifyFull)
        #expect(url.sslRootCert == "/etc/ca.pem")
        #expect(url.description.contains("sslmode=verify-full"))
        #expect(try DatabaseURL(parsing: "postgres://app@db.example/cryo").sslMode == .prefer)
        #expect(try DatabaseURL(parsing: url.description).sslMode == .verifyFull)
        #expect(throws: StoreError.self) { try DatabaseURL(parsing: "postgres://app@db.example/cryo?sslmode=sometimes") }
    }

    @Test("against an external database the audit key must be given, never made up")
    func auditKeyRequired() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("cl-key-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        guard ProcessInfo.processInfo.environment["CRYOLEDGER_AUDIT_KEY"] == nil else { return }
        #expect(throws: StoreError.self) { try AuditKey.load(home: home, create: false) }
        #expect(!FileManager.default.fileExists(atPath: home.appendingPathComponent("audit.key").path))
        let made = try AuditKey.load(home: home, create: true)
        #expect(try AuditKey.load(home: home, create: false).id == made.id)
    }
}

@Suite("Read replica")
struct ReadReplicaTests {
    @Test("with a read replica, custody exports read there and only there; the auditor-read log still goes to the primary")
    func exportsOnReplica() async throws {
        try await TestDatabase.withDatabase { client, url in
            let f = try await Fixture.make(client)
            try await f.clinical()
            try await f.enrol("RES-SLE-R01")
            // A pool whose sessions are read-only stands in for a hot standby: any write on it fails.
            var config = url.clientConfiguration(maxConnections: 2)
            config.options.additionalStartupParameters = [("default_transaction_read_only", "on")]
            let replica = PostgresClient(configuration: config, backgroundLogger: Fixture.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await replica.run() }
                defer { group.cancelAll() }
                let store = Store(client: client, readClient: replica)
                let replicaLeases = { ObservabilityTests.sample(PrometheusMetrics.registry.emitToString(), "cryoledger_db_lease_wait_seconds_count", [#"pool="replica""#]) }
                let before = replicaLeases()
                let readsBefore = try await f.count("SELECT count(*) FROM custody_event WHERE action = 'record.read-by-auditor' AND subject_type = 'patient'")
                var csv: [UInt8] = []
                let rows = try await store.exportCustodyCSV(scope: .patient("RES-SLE-R01"), actor: f.user(.auditor), logger: Fixture.logger) { csv += $0 }
                #expect(rows > 0)
                var events = 0
                _ = try await store.exportCustody(scope: .lot("LOT-A1"), actor: f.user(.auditor), logger: Fixture.logger) { _ in events += 1 }
                #expect(events > 0)
                #expect(replicaLeases() >= before + 2, "the exports did not read from the replica pool")
                #expect(try await f.count("SELECT count(*) FROM custody_event WHERE action = 'record.read-by-auditor' AND subject_type = 'patient'") == readsBefore + 1)
                // Writes never go to the replica.
                let lot = try await store.registerLot(LotRegistration(lotNumber: "LOT-R9", productCode: "ALLO-501", donorCode: "DN-000001",
                                                                      manufacturedOn: CalendarDay("2026-01-10")!, expiresOn: nil, cellsPerVial: 40_000_000,
                                                                      plannedVials: 10), actor: f.user(.manufacturing), logger: Fixture.logger)
                #expect(lot.lotNumber == "LOT-R9")
            }
        }
    }
}
