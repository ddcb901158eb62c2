import CryoAPI
import CryoDomain
@testable import CryoStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The console's "verify this export" upload (issue 27): the independent verifier's checks run in the server.
@Suite("Console: verify this export")
struct AuditExportCheckTests {
    static let signer = try! LogSigner(origin: "test.cryoledger/log", seed: Data(repeating: 7, count: 32))

    static func upload(_ http: any TestClientProtocol, _ session: ConsolePageTests.Session, _ file: Data,
                       witnessKeys: String = "") async throws -> (HTTPResponse.Status, String) {
        let boundary = "----check-\(UUID().uuidString)"
        var body = Data()
        func field(_ name: String, _ value: String) {
            body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        field("_csrf", session.csrf)
        field("witnessKeys", witnessKeys)
        body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"export.json\"\r\nContent-Type: application/json\r\n\r\n".utf8)
        body += file + Data("\r\n--\(boundary)--\r\n".utf8)
        var headers = HTTPFields()
        headers[.cookie] = "cl_session=\(session.cookie)"
        headers[.contentType] = "multipart/form-data; boundary=\(boundary)"
        return try await http.execute(uri: "/console/audit/check-export", method: .post, headers: headers, body: ByteBuffer(bytes: body)) {
            ($0.status, String(buffer: $0.body))
        }
    }

    static func edit(_ data: Data, _ change: (inout [String: Any]) -> Void) throws -> Data {
        var doc = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        change(&doc)
        return try JSONSerialization.data(withJSONObject: doc)
    }

    @Test("a good export is verified; an edited event, a forged head and a head the log no longer extends are refused with their reason")
    func uploads() async throws {
        try await TestDatabase.withDatabase { client, _ in
            let f = try await Fixture.make(client)
            let router = try buildRouter(store: f.store, auditKey: AuditKey(Data("test-audit-key-0123456789abcdef0123".utf8)), logSigner: Self.signer)
            try await f.store.tlogRegisterKey(Self.signer, logger: Fixture.logger)
            _ = try await f.lot("LOT-X1", vials: 3, box: "BOX-1")
            try await f.store.tlogSealNow(logger: Fixture.logger)
            try await Application(router: router, logger: TestDatabase.logger).test(.router) { http in
                let auditor = try await ConsolePageTests.signIn(f, .auditor)
                var headers = HTTPFields()
                headers[.cookie] = "cl_session=\(auditor.cookie)"
                let export = try await http.execute(uri: "/console/audit/export.json?kind=lot&id=LOT-X1", method: .get, headers: headers, body: nil) {
                    Data(buffer: $0.body)
                }

                let (ok, good) = try await Self.upload(http, auditor, export)
                #expect(ok == .ok)
                #expect(good.contains("✓ Verified"), "\(good)")
                #expect(good.contains("signed by this log&#39;s key") || good.contains("signed by this log's key"))

                let edited = try Self.edit(export) { doc in
                    var events = doc["events"] as! [[String: Any]]
                    events[1]["reason"] = "nothing happened"
                    doc["events"] = events
                }
                let id = ((try JSONSerialization.jsonObject(with: export) as! [String: Any])["events"] as! [[String: Any]])[1]["id"] as! NSNumber
                let (_, bad) = try await Self.upload(http, auditor, edited)
                #expect(bad.contains("✕ Not verified"))
                #expect(bad.contains("Event \(id): the readable field &#39;reason&#39; differs from what was hashed") ||
                        bad.contains("Event \(id): the readable field 'reason' differs from what was hashed"), "\(bad)")

                // A head re-signed with a key this log never used.
                let stranger = try LogSigner(origin: Self.signer.origin, seed: Data(repeating: 9, count: 32))
                let forged = try Self.edit(export) { doc in
                    var t = doc["transparency"] as! [String: Any]
                    let note = SignedNote(t["checkpoint"] as! String)!
                    t["checkpoint"] = try! stranger.sign(Checkpoint(text: note.text)!).serialized
                    doc["transparency"] = t
                }
                let (_, unknown) = try await Self.upload(http, auditor, forged)
                #expect(unknown.contains("not by a key of this log"), "\(unknown)")

                // The same events re-signed by our own key as a head of a different history: the latest head does not extend it.
                let rewritten = try Self.edit(export) { doc in
                    var t = doc["transparency"] as! [String: Any]
                    var checkpoint = Checkpoint(text: SignedNote(t["checkpoint"] as! String)!.text)!
                    checkpoint.size += 1
                    checkpoint.rootHash = Data(repeating: 3, count: 32)
                    t["checkpoint"] = try! Self.signer.sign(checkpoint).serialized
                    doc["transparency"] = t
                    doc["events"] = [] as [Any]
                }
                let (_, split) = try await Self.upload(http, auditor, rewritten)
                #expect(split.contains("truncated") || split.contains("split view"), "\(split)")

                let (refusedStatus, refused) = try await Self.upload(http, auditor, Data())
                #expect(refusedStatus == .badRequest || refusedStatus == .unprocessableContent)
                #expect(refused.contains("choose the export file"))
            }
        }
    }
}
