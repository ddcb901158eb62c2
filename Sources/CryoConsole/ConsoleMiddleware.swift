import CryoDomain
import CryoStore
import Foundation
import Hummingbird
import Logging

/// Resolves the session cookie, sends visitors without one to the sign-in page, refuses a POST whose form
/// lacks the session's CSRF token, and turns errors into pages: a refusal as a page naming the field and the
/// rule, anything unexpected as a page that says so (logged by kind only, never with the request).
struct ConsoleMiddleware<Context: RequestContext>: RouterMiddleware {
    let console: Console
    static var publicPaths: Set<String> { ["/console/sign-in"] }
    static var maxFormBytes: Int { 1024 * 1024 }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try await ConsoleScope.$acceptsGzip.withValue(Gzip.accepted(by: request)) { try await handleScoped(request, context: context, next: next) }
    }

    func handleScoped(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var logger = context.logger
        logger[metadataKey: "request"] = "\(request.method) \(context.endpointPath ?? "unmatched")"
        let path = request.uri.path
        if path.hasPrefix("/console/assets/") || Self.publicPaths.contains(path) {
            return try await ConsoleScope.$logger.withValue(logger) { try await next(request, context) }
        }
        do {
            guard let cookie = request.cookies[Console.cookieName]?.value,
                  let session = try await console.store.consoleSession(cookie: cookie, idleTimeout: console.settings.idleTimeout,
                                                                                 lifetime: console.settings.lifetime, logger: logger) else {
                if request.method == .get { return Response.redirect(to: "/console/sign-in", type: .found) }
                return try console.errorPage(status: .unauthorized, message: "your session has ended; sign in again")
            }
            logger[metadataKey: "user"] = "\(session.user.id)"
            var request = request
            if request.method == .post {
                let limit = path == "/console/import" ? Console.maxUploadBytes : Self.maxFormBytes
                let token: String?
                if let boundary = Multipart.boundary(of: request.headers[.contentType]) {
                    let body = try await request.collectBody(upTo: limit)
                    token = Multipart.parse(Data(buffer: body), boundary: boundary).first { $0.name == "_csrf" }
                        .map { String(decoding: $0.data, as: UTF8.self) }
                } else {
                    token = try await Form.read(&request, limit: limit)["_csrf"]
                }
                guard let token, Form.constantTimeEqual(token, session.csrfToken) else {
                    return try ConsoleScope.$session.withValue(session) {
                        try console.errorPage(status: .forbidden, message: "the form's security token is missing or stale; reload the page and try again")
                    }
                }
            }
            // The bell: a page without its count is better than no page.
            let unread = try? await console.store.unreadNotificationCount(cap: Bell.cap, actor: session.user, logger: logger)
            return try await ConsoleScope.$session.withValue(session) {
                try await ConsoleScope.$unread.withValue(unread) { try await ConsoleScope.$logger.withValue(logger) {
                    do {
                        return try await next(request, context)
                    } catch let error as DomainError {
                        return try console.errorPage(for: error)
                    }
                } }
            }
        } catch let error as HTTPError where error.status == .notFound || error.status == .contentTooLarge {
            return try console.errorPage(status: error.status, message: error.status == .notFound ? "there is no such page" : "the form is too large")
        } catch let error as DomainError {
            return try console.errorPage(for: error)
        } catch {
            logger.error("console request failed", metadata: ["error": "\(LogSafe.describe(error))"])
            return try console.errorPage(status: .internalServerError, message: "something went wrong; nothing was changed. The request id is in the response headers.")
        }
    }
}

extension Console {
    func errorPage(for error: DomainError) throws -> Response {
        try errorPage(status: HTTPResponse.Status(code: error.httpStatus), message: RefusalSentences.sentence(for: error))
    }

    func errorPage(status: HTTPResponse.Status, message: String) throws -> Response {
        try render(ErrorPage(title: status.reasonPhrase, message: message), status: status)
    }
}

/// A page that could not be shown, or an action refused outside any form: the status's phrase and why, in a sentence.
struct ErrorPage: PageView {
    static let template = "error"
    let title: String
    let message: String
}
