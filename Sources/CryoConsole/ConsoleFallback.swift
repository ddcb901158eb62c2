import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// The console's routes as registered (path pattern and method), so a request under `/console` that matches
/// none is answered by the console itself: a 404 page for an unknown path, a 405 page with `Allow` for a known
/// path and another method. Without it the request would fall through to the API's bearer-token check (401
/// problem+json), which means nothing to someone in a browser. (Unchecked Sendable: routes are registered once, on
/// one task, before the server starts; the list is behind a mutex all the same.)
final class ConsoleRouteRecorder<Context: RequestContext>: RouterMethods, @unchecked Sendable {
    let router: Router<Context>
    private let recorded = Mutex<[(path: RouterPath, method: HTTPRequest.Method)]>([])

    init(_ router: Router<Context>) { self.router = router }

    @discardableResult
    func on<Responder: HTTPResponder>(_ path: RouterPath, method: HTTPRequest.Method, responder: Responder) -> Self where Responder.Context == Context {
        recorded.withLock { $0.append((path, method)) }
        router.on(path, method: method, responder: responder)
        return self
    }

    @discardableResult
    func add(middleware: any MiddlewareProtocol<Request, Response, Context>) -> Self {
        router.add(middleware: middleware)
        return self
    }

    var routes: [(path: RouterPath, method: HTTPRequest.Method)] { recorded.withLock { $0 } }
}

struct ConsoleFallbackMiddleware<Context: RequestContext>: RouterMiddleware {
    let console: Console
    let routes: [(path: RouterPath, method: HTTPRequest.Method)]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard context.endpointPath == nil, path == "/console" || path.hasPrefix("/console/") else {
            return try await next(request, context)
        }
        let allowed = Self.methods(of: path, in: routes)
        let response: Response
        if allowed.isEmpty {
            response = try console.errorPage(status: .notFound, message: "there is no such page")
        } else {
            let allow = (allowed.contains(.get) ? allowed + [.head] : allowed).map(\.rawValue).sorted().joined(separator: ", ")
            var page = try console.errorPage(status: .methodNotAllowed, message: "this page cannot be used that way (\(request.method.rawValue)); it answers to \(allow)")
            page.headers[.allow] = allow
            response = page
        }
        return request.method == .head ? response.createHeadResponse() : response
    }

    /// The methods registered for the routes whose pattern matches `path`.
    static func methods(of path: String, in routes: [(path: RouterPath, method: HTTPRequest.Method)]) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        var methods: [HTTPRequest.Method] = []
        for route in routes where route.path.components.count == segments.count && !methods.contains(route.method) {
            if zip(route.path.components, segments).allSatisfy({ $0 ~= $1 }) { methods.append(route.method) }
        }
        return methods
    }
}
