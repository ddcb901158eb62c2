import CryoDomain
import CryoStore
import Foundation
import HTTPTypes
import Hummingbird

extension Console {
    func signInPage(_ request: Request, message: String?, login: String, status: HTTPResponse.Status = .ok) throws -> Response {
        try page("sign-in", title: "Sign in", ["message": message as Any, "login": login], status: status)
    }

    /// Sign-in with login name and password; the session id is new at every sign-in (the old one ends).
    func signIn<Context: RequestContext>(_ request: Request, _ context: Context) async throws -> Response {
        var request = request
        let form = try await Form.read(&request, limit: 16 * 1024)
        let login = form["login"] ?? "", password = form["password"] ?? ""
        do {
            try LoginName.validate(login)
            let (cookie, _) = try await store.signIn(login: login, password: password,
                                                     replacing: request.cookies[Self.cookieName]?.value, logger: logger)
            var response = Response.redirect(to: "/console", type: .normal)
            response.setCookie(Self.sessionCookie(cookie, secure: Self.isSecure(request)))
            return response
        } catch let error as DomainError {
            if case .invalid(_, let rule) = error {
                return try signInPage(request, message: rule, login: login, status: .unauthorized)
            }
            throw error
        }
    }

    func signOut<Context: RequestContext>(_ request: Request, _ context: Context) async throws -> Response {
        if let cookie = request.cookies[Self.cookieName]?.value { try await store.signOut(cookie: cookie, logger: logger) }
        var response = Response.redirect(to: "/console/sign-in", type: .normal)
        response.setCookie(Cookie(name: Self.cookieName, value: "", maxAge: 0, path: "/console", secure: Self.isSecure(request),
                                  httpOnly: true, sameSite: .strict))
        return response
    }

    static func sessionCookie(_ value: String, secure: Bool) -> Cookie {
        Cookie(name: cookieName, value: value, path: "/console", secure: secure, httpOnly: true, sameSite: .strict)
    }

    /// Served over TLS, directly or behind a proxy that says so: the cookie is then `Secure`.
    static func isSecure(_ request: Request) -> Bool {
        request.head.scheme == "https" || request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased() == "https"
    }
}
