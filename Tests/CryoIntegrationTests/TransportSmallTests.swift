@testable import CryoAPI
import CryoDomain
import CryoStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Issue 24, item 7: HEAD, duplicate JSON keys, the words of a chunked 413, the console's own 404/405 pages and
/// /favicon.ico.
@Suite("Transport: HEAD, duplicate keys, chunked 413, console 404/405, favicon")
struct TransportSmallTests {
    struct Answer { var head: HTTPResponse; var body: String; var json: [String: Any] }

    func send(_ http: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, cookie: String? = nil,
              body: String? = nil, contentLength: Bool = true) async throws -> Answer {
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer \(token)" }
        if let cookie { headers[.cookie] = cookie }
        if let body {
            headers[.contentType] = "application/json"
            if contentLength { headers[.contentLength] = "\(body.utf8.count)" }
        }
        return try await http.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
            let text = String(buffer: response.body)
            #expect(response.status.code < 500, "\(method) \(uri): \(text)")
            return Answer(head: response.head, body: text, json: (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:])
        }
    }

    @Test("HEAD on GET paths (API, contract, health, FHIR, console) answers like GET, without the body")
    func head() async throws {
        try await withApp { f, http in
            let vials = try await f.lot("LOT-HEAD", vials: 1)
            let paths = ["/health", "/openapi.yaml", "/lots", "/lots/LOT-HEAD", "/vials/\(vials[0].id)", "/fhir/BiologicallyDerivedProduct/\(vials[0].id)",
                         "/console/sign-in", "/console/assets/console.css", "/lots/NO-SUCH-LOT"]
            for path in paths {
                let get = try await send(http, .get, path, token: f.tokens[.auditor])
                let head = try await send(http, .head, path, token: f.tokens[.auditor])
                #expect(head.head.status == get.head.status, "HEAD \(path): \(head.head.status) \(head.body)")
                #expect(head.body.isEmpty, "HEAD \(path) sent a body")
                #expect(head.head.headerFields[.contentType] == get.head.headerFields[.contentType], "HEAD \(path)")
                if let length = head.head.headerFields[.contentLength] { #expect(Int(length) == get.body.utf8.count, "HEAD \(path)") }
            }
            // Without a token HEAD is refused like GET; on a path with no GET it is a 405 naming the methods.
            #expect(try await send(http, .head, "/lots").head.status == .unauthorized)
            let post = try await send(http, .head, "/allocation-plans", token: f.tokens[.pharmacy])
            #expect(post.head.status == .methodNotAllowed && post.body.isEmpty)
            #expect(try await send(http, .get, "/lots", token: f.tokens[.auditor]).head.headerFields[.allow] == nil)
            let put = try await send(http, .put, "/lots", token: f.tokens[.auditor])
            #expect(put.head.headerFields[.allow]?.contains("HEAD") == true, "\(put.head.headerFields)")
        }
    }

    @Test("a key given twice in a JSON object is a 400 naming the key, however deep; nothing is written")
    func duplicateKeys() async throws {
        try await withApp { f, http in
            let lot = #"{"lotNumber":"A501-DUP","productCode":"ALLO-501","donorCode":"DN-000001","manufacturedOn":"2026-03-01","cellsPerVial":40000000,"vialCount":10"#
            for (body, field) in [(lot + #","lotNumber":"A501-DUP2"}"#, "lotNumber"),
                                  (lot + #","cells\u0050erVial":1}"#, "cellsPerVial")] {
                for framed in [true, false] {
                    let a = try await send(http, .post, "/lots", token: f.tokens[.manufacturing], body: body, contentLength: framed)
                    #expect(a.head.status == .badRequest, "\(a.body)")
                    #expect(a.json["field"] as? String == field && (a.json["rule"] as? String)?.contains("twice") == true, "\(a.body)")
                }
            }
            #expect(try await f.count("SELECT count(*)::int FROM lot WHERE lot_number LIKE 'A501-DUP%'") == 0)
            // Nested: the screen for NUL and the decoder must not read different copies of the password.
            try await f.lot("LOT-DUP")
            let hold = try await f.store.placeHold(on: .lot, id: "LOT-DUP", reason: "deviation", actor: f.user(.qa), logger: Fixture.logger)
            let lift = #"{"reason":"closed","signature":{"password":"x\u0000","meaning":"hold lifted","password":"\#(Fixture.qaPassword)"}}"#
            let a = try await send(http, .post, "/holds/\(hold.id)/lift", token: f.tokens[.qa], body: lift)
            #expect(a.head.status == .badRequest && a.json["field"] as? String == "signature.password", "\(a.body)")
            // The same key in different objects is fine.
            #expect(JSONDuplicateKeys.firstDuplicate(in: Array(#"{"a":{"b":1},"c":{"b":2},"d":[{"b":1},{"b":2}]}"#.utf8)) == nil)
            #expect(JSONDuplicateKeys.firstDuplicate(in: Array(#"{"d":[{"b":1},{"b":2,"x":"\"b\"","b":3}]}"#.utf8)) == "d[1].b")
        }
    }

    @Test("a chunked body over the limit is a 413 that names the limit in words, not an internal type")
    func chunkedTooLarge() async throws {
        try await withApp { f, http in
            let filler = String(repeating: "x", count: 1024 * 1024 + 10)
            let body = #"{"lotNumber":"A501-BIG","note":"\#(filler)"}"#
            let a = try await send(http, .post, "/lots", token: f.tokens[.manufacturing], body: body, contentLength: false)
            #expect(a.head.status == .contentTooLarge)
            #expect(a.head.headerFields[.contentType] == "application/problem+json")
            #expect(a.json["field"] as? String == "body")
            #expect((a.json["rule"] as? String)?.contains("1 MiB") == true, "\(a.body)")
            #expect(!a.body.contains("NIO") && !a.body.contains("Error("), "\(a.body)")
        }
    }

    @Test("/console: an unknown page is the console's 404 page, a known page with another method its 405 page; /favicon.ico is served")
    func consoleFallback() async throws {
        try await withApp { f, http in
            for (method, path, status) in [(HTTPRequest.Method.get, "/console/no-such-page", HTTPResponse.Status.notFound),
                                           (.get, "/console/lots/LOT-1/no-such-tab", .notFound),
                                           (.post, "/console/no-such-page", .notFound),
                                           (.delete, "/console/lots", .methodNotAllowed),
                                           (.post, "/console/lots", .methodNotAllowed),
                                           (.put, "/console/sign-in", .methodNotAllowed)] {
                let a = try await send(http, method, path)
                #expect(a.head.status == status, "\(method) \(path): \(a.head.status)")
                #expect(a.head.headerFields[.contentType]?.hasPrefix("text/html") == true, "\(method) \(path): \(a.head.headerFields)")
                #expect(a.body.contains("id=\"error-message\""), "\(method) \(path): \(a.body.prefix(300))")
                #expect(a.head.headerFields[.wwwAuthenticate] == nil)
            }
            #expect(try await send(http, .post, "/console/lots").head.headerFields[.allow] == "GET, HEAD")
            #expect(try await send(http, .put, "/console/sign-in").head.headerFields[.allow] == "GET, HEAD, POST")
            // The API outside /console keeps its problem+json.
            #expect(try await send(http, .get, "/no-such-path").head.headerFields[.contentType] == "application/problem+json")
            let icon = try await send(http, .get, "/favicon.ico")
            #expect(icon.head.status == .ok && icon.head.headerFields[.contentType] == "image/x-icon")
            #expect(icon.body.utf8.starts(with: [0, 0, 1, 0]), "an ICO file")
        }
    }
}
