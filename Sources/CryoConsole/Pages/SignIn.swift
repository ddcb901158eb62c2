import CryoDomain
import CryoStore
import Foundation
import HTTPTypes
import Hummingbird

/// The sign-in form as it is posted.
struct SignInForm: Decodable, Sendable {
    var login: String?
    var password: String?
    var _csrf: String?
}

/// The sign-in page: the form, the login name entered (never the password), why the last attempt was refused.
struct SignInPage: PageView {
    static let template = "sign-in"
    let title = "Sign in"
    let message: String?
    let login: String
    /// The form's own CSRF token (there is no session yet), the value of the sign-in cookie.
    let csrf: String
}

extension Console {
    /// The sign-in form's CSRF token (issue 24 item 7): there is no session yet, so the form carries a random value
    /// that must equal this cookie's (`SameSite=Strict`, `HttpOnly`, only for the sign-in path): another site can
    /// neither read the value nor send the cookie, so it cannot sign a browser in to an account of its choosing.
    static let signInCookieName = "cl_sign_in"

    func signInPage(_ request: Request, message: String?, login: String, status: HTTPResponse.Status = .ok) throws -> Response {
        let token = request.cookies[Self.signInCookieName]?.value.nonEmpty ?? Self.randomFormToken()
        var response = try render(SignInPage(message: message, login: login, csrf: token), status: status)
        response.setCookie(Cookie(name: Self.signInCookieName, value: token, path: "/console/sign-in", secure: Self.isSecure(request),
                                  httpOnly: true, sameSite: .strict))
        return response
    }

    /// Sign-in with login name and password; the session id is new at every sign-in (the old one ends). Refused
    /// without the form's CSRF token (403), and while the login name or the address waits (429, with the time).
    func signIn<Context: RequestContext>(_ request: Request, _ form: SignInForm, _ context: Context) async throws -> Response {
        let login = form.login ?? "", password = form.password ?? ""
        guard let expected = request.cookies[Self.signInCookieName]?.value, !expected.isEmpty,
              let sent = form._csrf, Form.constantTimeEqual(sent, expected) else {
            return try signInPage(request, message: "the form's security token is missing or stale; reload the page and try again",
                                  login: "", status: .forbidden)
        }
        do {
            try LoginName.validate(login)
            let (cookie, _) = try await store.signIn(login: login, password: password, address: Self.clientAddress(context),
                                                     replacing: request.cookies[Self.cookieName]?.value, logger: logger)
            var response = Response.redirect(to: "/console", type: .normal)
            response.setCookie(Self.sessionCookie(cookie, secure: Self.isSecure(request)))
            return response
        } catch let error as SignInThrottled {
            var response = try signInPage(request, message: error.message, login: login, status: .tooManyRequests)
            response.headers[.retryAfter] = String(error.waitSeconds)
            return response
        } catch let error as DomainError {
            if case .invalid(_, let rule) = error {
                return try signInPage(request, message: rule, login: login, status: .unauthorized)
            }
            throw error
        }
    }

    /// The peer's IP address ("local" without one); `X-Forwarded-For` is not trusted (as for the API's limiter).
    static func clientAddress<Context: RequestContext>(_ context: Context) -> String {
        (context as? any RemoteAddressRequestContext)?.remoteAddress?.ipAddress ?? "local"
    }

    /// 256 random bits, URL-safe base64.
    static func randomFormToken() -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
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
