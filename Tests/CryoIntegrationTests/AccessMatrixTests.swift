import CryoDomain
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// Issue 13 items 5 and 17: the role check of every operation comes from one table (OperationAccess), which
/// the server uses up front and these tests walk in full, so the two cannot differ.
@Suite("Who may call what: every role through every operation")
struct AccessMatrixTests {
    struct Operation: Sendable { let id: String; let method: HTTPRequest.Method; let path: String }

    /// The operations of the served contract, read from `/openapi.yaml` (paths, methods, operationIds).
    static func operations(_ http: any TestClientProtocol) async throws -> [Operation] {
        let (status, _, yaml) = try await http.call(.get, "/openapi.yaml", token: nil)
        #expect(status == .ok)
        var out: [Operation] = [], path: String?, method: HTTPRequest.Method?, inPaths = false
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            if inPaths, !line.hasPrefix(" "), !line.hasPrefix("#"), !line.isEmpty { inPaths = false }
            guard inPaths else { continue }
            if let m = line.wholeMatch(of: #/  (/[^:]*):\s*/#) { path = String(m.1); method = nil }
            if let m = line.wholeMatch(of: #/    (get|put|post|delete|patch):\s*/#) { method = HTTPRequest.Method(String(m.1).uppercased()) }
            if let m = line.wholeMatch(of: #/      operationId:\s*(\w+)\s*/#), let path, let method {
                out.append(Operation(id: String(m.1), method: method, path: path))
            }
        }
        return out
    }

    @Test("every operationId of openapi.yaml is in the table (or public), and the table names no other")
    func tableCoversContract() async throws {
        try await withApp { _, http in
            let ids = Set(try await Self.operations(http).map(\.id))
            #expect(ids.count > 50)
            let known = Set(OperationAccess.table.keys).union(OperationAccess.unauthenticated)
            #expect(ids.subtracting(known).isEmpty, "operations missing from OperationAccess: \(ids.subtracting(known).sorted())")
            #expect(known.subtracting(ids).isEmpty, "OperationAccess names operations the contract lacks: \(known.subtracting(ids).sorted())")
        }
    }

    @Test("role × operation: a forbidden role gets 403 naming the operation and who may, whatever it sends; an allowed one never 403")
    func matrix() async throws {
        try await withApp { f, http in
            let operations = try await Self.operations(http)
            let eventsBefore = try await f.count("SELECT count(*)::int FROM custody_event")
            var checked = 0, forbidden = 0
            for op in operations where !OperationAccess.unauthenticated.contains(op.id) {
                let allowed = try #require(OperationAccess.roles(for: op.id), "\(op.id)")
                // Placeholders: good enough to route; an allowed role then fails on them (400, 404, 409), never on its role.
                let uri = op.path.replacing(/\{[^}]+\}/, with: "1")
                for role in Role.allCases {
                    // A body that cannot even be decoded: the role check must come first.
                    let (status, body, text) = try await http.call(op.method, uri, token: f.tokens[role], json: op.method == .get ? nil : #"{"x":"#)
                    if allowed.contains(role) {
                        #expect(status != .forbidden && status != .unauthorized, "\(op.id) as \(role.rawValue): \(text)")
                    } else {
                        forbidden += 1
                        #expect(status == .forbidden, "\(op.id) as \(role.rawValue): \(text)")
                        #expect(body["detail"] as? String == "\(op.id) is done by \(allowed.spoken); you are \(role.rawValue)", "\(text)")
                    }
                    checked += 1
                }
            }
            #expect(checked == (operations.count - OperationAccess.unauthenticated.count) * Role.allCases.count)
            let expectedForbidden = operations.compactMap { OperationAccess.roles(for: $0.id) }.map { Role.allCases.count - $0.count }.reduce(0, +)
            #expect(forbidden == expectedForbidden && forbidden > 150)
            // Nothing was changed by any of them.
            #expect(try await f.count("SELECT count(*)::int FROM custody_event") == eventsBefore)
        }
    }

    // Issue 13 item 5: `POST /lots/{lot}/reject` as QA was 403 "may not advanceLotManufacturing".
    @Test("QA rejects an in-process lot; manufacturing may not, and is told who may")
    func rejectInProcess() async throws {
        try await withApp { f, http in
            try await f.lot("LOT-J1")
            let sign = #"{"reason":"sterility failure","signature":{"password":"\#(Fixture.qaPassword)","meaning":"rejected"}}"#
            var (status, body, text) = try await http.call(.post, "/lots/LOT-J1/reject", token: f.tokens[.manufacturing], json: sign)
            #expect(status == .forbidden && body["detail"] as? String == "rejectLot is done by qa; you are manufacturing", "\(text)")
            (status, body, text) = try await http.call(.post, "/lots/LOT-J1/status", token: f.tokens[.manufacturing],
                                                       json: #"{"status":"rejected","reason":"x","signature":{"password":"x","meaning":"rejected"}}"#)
            #expect(status == .forbidden && body["detail"] as? String == "changeLotStatus: releasing, rejecting or recalling a lot is done by qa; you are manufacturing", "\(text)")
            (status, body, text) = try await http.call(.post, "/lots/LOT-J1/reject", token: f.tokens[.qa], json: sign)
            #expect(status == .ok && body["status"] as? String == "rejected", "\(text)")
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE subject_id = 'LOT-J1' AND action = 'lot.status-signed' AND to_state = 'rejected'") == 1)
        }
    }
}
