@testable import CryoAPI
import CryoAPIGenerated
import CryoStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import OpenAPIRuntime
import Testing

/// Issue 13, item 2: a streamed export whose response is never sent, or whose client goes away, used to keep its
/// database connection for good (the producer task waited on a channel nobody drained).
@Suite("Streamed exports release their database connection")
struct ExportLeakTests {
    @Test("100 failing and 100 aborted CSV and NDJSON exports: afterwards no connection is in use")
    func noLeak() async throws {
        // A pool larger than the number of exports, so that a leak shows as connections in use rather than as a hang.
        try await TestDatabase.withDatabase(maxConnections: 150) { client, _ in
            let f = try await Fixture.make(client)
            try await f.lot("LOT-S1", vials: 1000, planned: 1000)  // about 300 kB of CSV: several chunks
            let auditor = try #require(f.tokens[.auditor])

            // Failing: the client accepts only JSON, so the CSV response is never sent and its body never read.
            let router = try buildRouter(store: f.store, auditKey: nil)
            try await Application(router: router, logger: TestDatabase.logger).test(.router) { http in
                for i in 0..<100 {
                    var headers = HTTPFields()
                    headers[.authorization] = "Bearer \(auditor)"
                    headers[.accept] = "application/json"
                    let format = i % 2 == 0 ? "csv" : "ndjson"
                    try await http.execute(uri: "/audit/export/\(format)?lot=LOT-S1", method: .get, headers: headers) { response in
                        #expect(response.status != .ok)
                    }
                }
            }
            try await settle(f.store)
            #expect(f.store.connectionsInUse == 0, "failing exports left \(f.store.connectionsInUse) connections in use")
            // Leaked connections would leave too few for what follows: stop here rather than wait for the pool.
            guard f.store.connectionsInUse == 0 else { return }

            // Aborted: the client reads the first chunk and goes away (the body's iterator is dropped), or the
            // task sending the response is cancelled while it waits for the next chunk.
            let service = APIService(store: f.store, auditKey: nil)
            for i in 0..<100 {
                let body = try await RequestScope.$principal.withValue(f.user(.auditor)) { () async throws -> HTTPBody in
                    if i % 2 == 0 {
                        guard case .ok(let ok) = try await service.exportCustodyCSV(.init(query: .init(lot: "LOT-S1"))),
                              case .textCsvCharsetUtf8(let body) = ok.body else { throw CancellationError() }
                        return body
                    }
                    guard case .ok(let ok) = try await service.exportCustodyNDJSON(.init(query: .init(lot: "LOT-S1"))),
                          case .applicationXNdjson(let body) = ok.body else { throw CancellationError() }
                    return body
                }
                if i % 4 < 2 {
                    var iterator = body.makeAsyncIterator()
                    let first = try await iterator.next()
                    #expect((first?.count ?? 0) > 0)
                } else {
                    let reader = Task {
                        var n = 0
                        for try await chunk in body { n += chunk.count; try await Task.sleep(for: .milliseconds(20)) }
                        return n
                    }
                    try await Task.sleep(for: .milliseconds(5))
                    reader.cancel()
                    _ = try? await reader.value
                }
            }
            try await settle(f.store)
            #expect(f.store.connectionsInUse == 0, "aborted exports left \(f.store.connectionsInUse) connections in use")
            guard f.store.connectionsInUse == 0 else { return }

            // And an export read to the end still works, with every event.
            let body = try await RequestScope.$principal.withValue(f.user(.auditor)) { () async throws -> HTTPBody in
                guard case .ok(let ok) = try await service.exportCustodyCSV(.init(query: .init(lot: "LOT-S1"))),
                      case .textCsvCharsetUtf8(let body) = ok.body else { throw CancellationError() }
                return body
            }
            let csv = try await String(collecting: body, upTo: 10 << 20)
            #expect(csv.split(separator: "\n").count == 1 + 1 + 1000)
            try await settle(f.store)
            #expect(f.store.connectionsInUse == 0)
        }
    }

    /// Gives abandoned producers a moment to notice (at most 5 s).
    func settle(_ store: Store) async throws {
        for _ in 0..<50 where store.connectionsInUse > 0 { try await Task.sleep(for: .milliseconds(100)) }
    }
}
