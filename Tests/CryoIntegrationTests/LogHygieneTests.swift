import CryoAPI
import CryoDomain
import CryoStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import OpenAPIRuntime
import Synchronization
import Testing

/// Every line a logger is given, message and metadata flattened, at every level.
final class CapturedLog: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    func append(_ line: String) { lines.withLock { $0.append(line) } }

    var logger: Logger {
        var logger = Logger(label: "cryoledger.captured") { _ in CapturingHandler(log: self) }
        logger.logLevel = .trace
        return logger
    }

    struct CapturingHandler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
            let all = self.metadata.merging(extra ?? [:]) { $1 }
            log.append("\(level) \(message) \(all.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "))")
        }
    }
}

/// Issue 13, item 1: no log line ever holds a token, a password or a request or response body,
/// whichever error path a request takes.
@Suite("Log hygiene")
struct LogHygieneTests {
    @Test("every error path, logged at trace level: no token, password, body field or patient record in any line")
    func noSecretsInLogs() async throws {
        let captured = CapturedLog()
        try await TestDatabase.withDatabase { client, _ in
            let f = try await Fixture.make(client)
            let router = try buildRouter(store: f.store, auditKey: AuditKey(Data("test-audit-key-0123456789abcdef0123".utf8)))
            let app = Application(router: router, logger: captured.logger)
            try await f.lot("LOT-LOG1")
            let hold = try await f.store.placeHold(on: .lot, id: "LOT-LOG1", reason: "deviation under review", actor: f.user(.qa), logger: Fixture.logger)
            let marker = "BODY-MARKER-\(UUID().uuidString)"
            let qa = f.tokens[.qa]!
            try await app.test(.router) { http in
                func send(_ method: HTTPRequest.Method, _ uri: String, token: String?, accept: String? = nil, body: String? = nil) async throws {
                    var headers = HTTPFields()
                    if let token { headers[.authorization] = "Bearer \(token)" }
                    if let accept { headers[.accept] = accept }
                    if body != nil { headers[.contentType] = "application/json" }
                    try await http.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
                        #expect(response.status.code < 500, "\(method) \(uri): \(String(buffer: response.body))")
                    }
                }
                let signed = #"{"reason":"\#(marker)","signature":{"password":"\#(Fixture.qaPassword)","meaning":"\#(marker)"}}"#
                let wrong = #"{"reason":"\#(marker)","signature":{"password":"wrong-\#(marker)","meaning":"\#(marker)"}}"#
                try await send(.get, "/lots/LOT-LOG1", token: qa, accept: "text/html")                      // 406
                try await send(.post, "/holds/\(hold.id)/lift", token: qa, accept: "text/html", body: signed) // 406 on a signed step
                try await send(.post, "/holds/\(hold.id)/lift", token: qa, body: wrong)                        // signature refused
                try await send(.post, "/holds/\(hold.id)/lift", token: qa, body: "{\"reason\": \"\(marker)\", ")  // malformed JSON
                try await send(.post, "/holds/\(hold.id)/lift", token: qa, body: #"{"reason":\#(marker.count)}"#) // wrong type
                try await send(.post, "/holds/99999/lift", token: qa, body: signed)                           // unknown id
                try await send(.post, "/lots", token: f.tokens[.pharmacy], body: #"{"lotNumber":"\#(marker)"}"#) // forbidden
                try await send(.get, "/lots", token: qa + "x")                                                // bad token
                try await send(.get, "/lots", token: "cl_00000000000000000000000000000000_\(marker)")         // unknown token
                try await send(.delete, "/lots", token: qa)                                                    // 405
                try await send(.post, "/lots", token: f.tokens[.manufacturing],
                               body: #"{"lotNumber":"\#(marker)\u0000","productCode":"ALLO-501"}"#)         // NUL
                try await send(.post, "/holds/\(hold.id)/lift", token: qa, body: signed)                       // success
            }
            let secrets = [qa, f.tokens[.pharmacy]!, f.tokens[.manufacturing]!, Fixture.qaPassword, marker,
                           String(qa.split(separator: "_").last!)]
            let lines = captured.all
            #expect(lines.count > 10, "the capture saw the requests")
            for line in lines {
                for secret in secrets {
                    #expect(!line.contains(secret), "a log line holds a secret or a body value: \(line)")
                }
            }
        }
    }

    @Test("the description logged for a 500 keeps the operation and the error's kind, never the request, its body or the response")
    func serverErrorDescription() throws {
        var request = HTTPRequest(method: .post, scheme: nil, authority: nil, path: "/holds/1/lift")
        request.headerFields[.authorization] = "Bearer cl_secret_token_value"
        let error = ServerError(operationID: "liftHold", request: request, requestBody: HTTPBody(#"{"password":"hunter2-secret"}"#),
                                requestMetadata: .init(), operationInput: "password hunter2-secret", operationOutput: "patient RES-SLE-001",
                                causeDescription: "boom", underlyingError: CocoaError(.fileNoSuchFile))
        let text = LogSafe.describeRequestError(error)
        #expect(text.contains("liftHold"))
        for secret in ["cl_secret_token_value", "hunter2-secret", "RES-SLE-001"] { #expect(!text.contains(secret), "\(text)") }
    }
}
