import CryoAPI
import CryoDomain
import CryoStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Issue 13, items 3, 4, 6 (framing), 8 and 10: what the contract says of the transport is enforced before
/// any operation runs, so a refused request changes nothing.
@Suite("Transport: negotiation, methods, body limits, headers")
struct TransportTests {
    func send(_ http: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, token: String? = nil,
              headers extra: HTTPFields = [:], body: String? = nil, contentLength: Bool = true) async throws -> (HTTPResponse, [String: Any], String) {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        if let body {
            if headers[.contentType] == nil { headers[.contentType] = "application/json" }
            if contentLength { headers[.contentLength] = "\(body.utf8.count)" }
        }
        return try await http.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
            let text = String(buffer: response.body)
            let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
            #expect(response.status.code < 500, "server error: \(text)")
            if response.status.code >= 400 { #expect(response.headers[.contentType] == "application/problem+json", "\(text)") }
            return (response.head, object, text)
        }
    }

    static func accept(_ value: String) -> HTTPFields { var h = HTTPFields(); h[.accept] = value; return h }

    @Test("an Accept that excludes the response type is a 406 problem+json, with or without a token")
    func notAcceptable() async throws {
        try await withApp { f, http in
            var (response, body, _) = try await send(http, .get, "/health", headers: Self.accept("text/html"))
            #expect(response.status == .notAcceptable)
            #expect(body["field"] as? String == "Accept")
            (response, _, _) = try await send(http, .get, "/lots", token: f.tokens[.auditor], headers: Self.accept("text/html, application/xml;q=0.9"))
            #expect(response.status == .notAcceptable)
            // q=0 refuses a type even under a wildcard that would accept it.
            (response, _, _) = try await send(http, .get, "/lots", token: f.tokens[.auditor], headers: Self.accept("*/*, application/json;q=0"))
            #expect(response.status == .notAcceptable)
            for ok in ["application/json", "application/*", "*/*", "text/html, */*;q=0.1", "application/json; charset=utf-8"] {
                (response, _, _) = try await send(http, .get, "/lots", token: f.tokens[.auditor], headers: Self.accept(ok))
                #expect(response.status == .ok, "Accept: \(ok)")
            }
        }
    }

    @Test("a signed step with an unacceptable Accept is refused before it runs: the hold stays, no event is written")
    func negotiateBeforeExecuting() async throws {
        try await withApp { f, http in
            try await f.lot("LOT-N1")
            let hold = try await f.store.placeHold(on: .lot, id: "LOT-N1", reason: "deviation under review", actor: f.user(.qa), logger: Fixture.logger)
            let events = try await f.count("SELECT count(*)::int FROM custody_event")
            let body = #"{"reason":"investigation closed","signature":{"password":"\#(Fixture.qaPassword)","meaning":"hold lifted"}}"#
            var (response, _, _) = try await send(http, .post, "/holds/\(hold.id)/lift", token: f.tokens[.qa], headers: Self.accept("text/html"), body: body)
            #expect(response.status == .notAcceptable)
            #expect(try await f.count("SELECT count(*)::int FROM hold WHERE lifted_at IS NULL AND id = \(hold.id)") == 1)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event") == events)
            (response, _, _) = try await send(http, .post, "/holds/\(hold.id)/lift", token: f.tokens[.qa], headers: Self.accept("application/json"), body: body)
            #expect(response.status == .ok)
            #expect(try await f.count("SELECT count(*)::int FROM hold WHERE lifted_at IS NULL AND id = \(hold.id)") == 0)
        }
    }

    @Test("a method the path does not define is a 405 naming the allowed ones in Allow")
    func methodNotAllowed() async throws {
        try await withApp { f, http in
            var (response, body, _) = try await send(http, .delete, "/lots", token: f.tokens[.admin])
            #expect(response.status == .methodNotAllowed)
            #expect(response.headerFields[.allow] == "GET, HEAD, POST")
            #expect(body["field"] as? String == "method")
            (response, _, _) = try await send(http, .put, "/vials/CV0000000001O", token: f.tokens[.admin])
            #expect(response.status == .methodNotAllowed)
            #expect(response.headerFields[.allow] == "GET, HEAD")
            (response, _, _) = try await send(http, .get, "/no-such-path", token: f.tokens[.admin])
            #expect(response.status == .notFound)
        }
    }

    @Test("a JSON body over 1 MiB is a 413, by Content-Length or, unframed, as soon as it passes the limit; nothing is written")
    func bodyLimit() async throws {
        try await withApp { f, http in
            let filler = String(repeating: "x", count: 1024 * 1024 + 10)
            let body = #"{"lotNumber":"A501-BIG","productCode":"ALLO-501","donorCode":"DN-000001","manufacturedOn":"2026-03-01","cellsPerVial":40000000,"vialCount":20,"note":"\#(filler)"}"#
            var (response, problem, _) = try await send(http, .post, "/lots", token: f.tokens[.manufacturing], body: body)
            #expect(response.status == .contentTooLarge)
            #expect(problem["field"] as? String == "body")
            (response, _, _) = try await send(http, .post, "/lots", token: f.tokens[.manufacturing], body: body, contentLength: false)
            #expect(response.status == .contentTooLarge)
            #expect(try await f.count("SELECT count(*)::int FROM lot WHERE lot_number = 'A501-BIG'") == 0)
        }
    }

    @Test("a NUL in a JSON string is refused whatever the framing, naming the field; the password is never compared up to it")
    func nulInUnframedBody() async throws {
        try await withApp { f, http in
            try await f.lot("LOT-N2")
            let hold = try await f.store.placeHold(on: .lot, id: "LOT-N2", reason: "deviation under review", actor: f.user(.qa), logger: Fixture.logger)
            let body = #"{"reason":"closed","signature":{"password":"\#(Fixture.qaPassword)\u0000zzz","meaning":"hold lifted"}}"#
            for framed in [true, false] {
                let (response, problem, _) = try await send(http, .post, "/holds/\(hold.id)/lift", token: f.tokens[.qa], body: body, contentLength: framed)
                #expect(response.status == .badRequest)
                #expect(problem["field"] as? String == "signature.password")
            }
            #expect(try await f.count("SELECT count(*)::int FROM hold WHERE lifted_at IS NULL AND id = \(hold.id)") == 1)
        }
    }

    @Test("headers: no-store, nosniff and a strict CSP on every answer; WWW-Authenticate: Bearer on a 401")
    func securityHeaders() async throws {
        try await withApp { f, http in
            var (response, _, _) = try await send(http, .get, "/lots", token: f.tokens[.auditor])
            #expect(response.status == .ok)
            #expect(response.headerFields[.cacheControl] == "no-store")
            #expect(response.headerFields[.xContentTypeOptions] == "nosniff")
            #expect(response.headerFields[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            (response, _, _) = try await send(http, .get, "/lots")
            #expect(response.status == .unauthorized)
            #expect(response.headerFields[.wwwAuthenticate] == #"Bearer realm="cryoledger""#)
            (response, _, _) = try await send(http, .get, "/lots", token: "cl_00000000000000000000000000000000_wrong")
            #expect(response.status == .unauthorized)
            #expect(response.headerFields[.wwwAuthenticate]?.contains(#"error="invalid_token""#) == true)
            #expect(response.headerFields[.cacheControl] == "no-store")
        }
    }
}
